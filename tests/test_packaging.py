"""What is installed: one import name, every sub-package and data file in the wheel, and a
layout whose imports run one way (a layer imports only the layers beneath it)."""

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FOLDERS = {"playgate": ROOT / "harness", "playgate.server": ROOT / "server", "playgate.fixtures": ROOT / "fixtures"}

# Lowest first. A module may import its own layer and the layers before it, never after.
LAYERS = [
    ["playgate.errors", "playgate.version", "playgate.page_contract", "playgate.proxies"],
    ["playgate.rules"],
    ["playgate.fixtures"],
    ["playgate.server"],
    ["playgate.config", "playgate.catalogue", "playgate.origin", "playgate.page_setup"],
    ["playgate.playback_record", "playgate.webrtc_record"],
    ["playgate.records"],
    ["playgate.capture"],
    ["playgate.judging"],
    ["playgate.reports"],
    ["playgate.diagnose"],
    ["playgate.run"],
    ["playgate.entrypoints"],
]
MAX_MODULE_LINES = 400


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def modules() -> dict[str, Path]:
    """Every module of the installed package, by its import name."""
    found = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((package, *parts))
            if any(name.startswith(other + ".") or name == other for other in FOLDERS if len(other) > len(package)):
                continue
            found[name.removesuffix(".__init__")] = path
    return found


def layer_of(module: str) -> int:
    for index, layer in enumerate(LAYERS):
        if any(module == top or module.startswith(top + ".") for top in layer):
            return index
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def imported(path: Path, module: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n == "playgate" or n.startswith("playgate.")}


def test_every_package_folder_is_listed_for_the_wheel():
    listed = set(project()["tool"]["setuptools"]["packages"])
    on_disk = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert listed == on_disk


def test_package_dirs_map_the_folders():
    assert project()["tool"]["setuptools"]["package-dir"] == {
        name: str(folder.relative_to(ROOT)) for name, folder in FOLDERS.items()
    }


@pytest.mark.parametrize("module", sorted(m for m in modules() if m != "playgate" and m != "playgate.__main__"))
def test_imports_run_from_higher_layers_to_lower(module):
    upward = sorted(
        target
        for target in imported(modules()[module], module)
        if target != "playgate" and layer_of(target) > layer_of(module)
    )
    assert not upward, f"{module} (layer {layer_of(module)}) imports a higher layer: {upward}"


def test_no_module_imports_the_package_top():
    """playgate/__init__ re-exports the public API; a module importing it would import everything."""
    offenders = [m for m, path in modules().items() if m != "playgate" and "playgate" in imported(path, m)]
    assert offenders == []


def test_no_module_is_over_the_size_limit():
    sizes = {m: len(path.read_text().splitlines()) for m, path in modules().items()}
    assert {m: n for m, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_the_public_api_is_importable_from_the_top():
    import playgate

    missing = [name for name in playgate.__all__ if not hasattr(playgate, name)]
    assert missing == []
    assert {"gate", "assert_gate_passes", "assert_gate_fails", "GateFailure", "RunRecord", "Verdict"} <= set(
        playgate.__all__
    )


def test_the_wheel_holds_one_top_level_name_and_every_file(built_wheel):
    with zipfile.ZipFile(built_wheel) as wheel:
        names = set(wheel.namelist())
        info = f"playgate-{project_version()}.dist-info"
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert {n.split("/")[0] for n in names} == {"playgate", info}
    in_wheel = {n.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for n in names if n.endswith(".py")}
    assert in_wheel == set(modules())
    # Every file the package reads at run time (scripts, pages): each one on disk is shipped.
    data = {
        "/".join(["playgate", *package.split(".")[1:], str(path.relative_to(folder))])
        for package, folder in FOLDERS.items()
        for path in folder.rglob("*")
        if path.is_file() and path.suffix in (".js", ".html", ".typed") and "__pycache__" not in path.parts
    }
    assert {"playgate/capture/playback.js", "playgate/server/static/player.js", "playgate/py.typed"} <= data
    assert data <= names, f"not in the wheel: {sorted(data - names)}"
    assert "playgate = playgate.entrypoints.cli:main" in entry_points
    assert "playgate = playgate.entrypoints.pytest_plugin" in entry_points


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_one_version_in_pyproject_the_command_line_the_json_and_the_changelog():
    import playgate
    from playgate.reports.result import result_document

    version = project_version()
    shown = subprocess.run([sys.executable, "-m", "playgate", "--version"], capture_output=True, text=True, timeout=60)
    assert (playgate.__version__, shown.stdout.strip()) == (version, f"playgate {version}")
    assert result_document([])["version"] == version
    newest = re.search(r"^## \[(\d[^\]]*)\]", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert newest and newest.group(1) == version, "CHANGELOG.md's newest entry is not this version"


def test_build_makes_an_sdist_and_a_wheel_from_it_that_twine_accepts(tmp_path):
    """``python -m build`` makes the sdist, then the wheel from the sdist alone: a file the
    package needs but the sdist forgot would be missing from that wheel."""
    for scratch in ("lib", "bdist.linux-x86_64"):
        shutil.rmtree(ROOT / "build" / scratch, ignore_errors=True)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (sdist,) = tmp_path.glob("playgate-*.tar.gz")
    (wheel,) = tmp_path.glob("playgate-*.whl")
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(wheel) as from_sdist:
        names = set(from_sdist.namelist())
    assert {
        "playgate/capture/observer.js",
        "playgate/capture/page_pressure.js",
        "playgate/server/static/player.js",
    } <= names
    in_wheel = {n.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for n in names if n.endswith(".py")}
    assert in_wheel == set(modules())


def test_the_public_api_is_one_list_for_python_and_for_type_checkers():
    """playgate/__init__.py names each public name twice, for its lazy import and for type
    checkers (TYPE_CHECKING imports): the two must be the same, from the same modules."""
    import playgate

    tree = ast.parse((ROOT / "harness" / "__init__.py").read_text())
    (checking,) = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"]
    for_type_checkers = {alias.name: node.module for node in checking.body for alias in node.names}
    assert for_type_checkers == playgate._HOMES
    assert sorted(playgate.__all__) == sorted(["__version__", *for_type_checkers])
    for name in playgate.__all__[1:]:  # each is what its home module defines, not a re-export of a re-export
        assert getattr(playgate, name).__module__ == playgate._HOMES[name], name


# Where a browser's name may be written: its driver, and the table of where browsers are found.
BROWSER_HOMES = {
    "playgate.capture.chromium",
    "playgate.capture.firefox",
    "playgate.capture.webkit",
    "playgate.capture.browser_finder",
}
BROWSER_NAMES = ("chromium", "firefox", "webkit")


def test_no_module_outside_the_browser_drivers_names_a_browser():
    """What differs between browsers is asked of their drivers (capture.driver), never
    decided by comparing a browser's name; the finder's table says it as data."""
    named, compared = {}, []
    for module, path in modules().items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(isinstance(side, ast.Constant) and side.value in BROWSER_NAMES for side in sides):
                    compared.append(f"{module}:{node.lineno}")
        if module in BROWSER_HOMES:
            continue
        constants = {
            node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and node.value in BROWSER_NAMES
        }
        if constants:
            named[module] = sorted(constants)
    assert named == {}
    assert compared == []
