"""A user's whole journey, nothing mocked: playgate installed into a fresh virtual environment,
used from a project of the user's own (their ASGI app and page, their ``[tool.playgate]``
settings, their test file: the README's), in both browsers, through pytest and the command
line. Every command runs from the user's folder, never from this repository.

It is made three ways, side by side:
- ``ci``: the CI recipes' script (examples/ci/playback-gate.sh) run as a CI job runs it, with
  the built wheel: it makes the environment (the newest versions the ranges allow, beside
  pytest-playwright), installs the project, and gates the bundled server, the user's app and
  the user's tests, writing the artifacts the recipes keep;
- ``git``: ``pip install 'playgate @ git+file://...'`` of a clone, the newest versions too;
- ``lowest``: the wheel with each runtime dependency at its lower bound beside a user's own
  pins (a FastAPI release that needs Starlette < 0.47, and pytest 8).
The ends of what installing playgate may give, and the ways it is installed."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from playgate.capture.browser_finder import browser_names
from playgate.fixtures.generate import ensure_media

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The user's page, beside either app: it plays each clip the event stream announces.
USER_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>talking head</title></head><body>
<script>
const updates = new EventSource("/updates");
updates.addEventListener("clip", (event) => {
  const video = document.createElement("video");
  video.muted = true;
  video.src = JSON.parse(event.data).url;
  document.body.appendChild(video);
});
</script></body></html>"""

USER_APP = '''"""A talking-head service: the page plays each clip the event stream announces."""
import asyncio
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

CLIPS = Path(__file__).parent / "clips"
PAGE = (Path(__file__).parent / "page.html").read_text()


async def page(request):
    return HTMLResponse(PAGE)


async def updates(request):
    async def stream():
        for index in range(3):
            yield f"event: clip\\ndata: {json.dumps({'url': f'/clips/{index}.mp4'})}\\n\\n".encode()
            await asyncio.sleep(0.2)
        while True:
            await asyncio.sleep(1.0)
            yield b": still here\\n\\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


async def clip(request):
    path = CLIPS / f"{request.path_params['index']}.mp4"
    return FileResponse(path, media_type="video/mp4") if path.is_file() else Response(status_code=404)


app = Starlette(routes=[Route("/", page), Route("/updates", updates), Route("/clips/{index:int}.mp4", clip)])
'''

USER_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "talking-head"
version = "1.0.0"

[tool.setuptools]
py-modules = ["talking_head"]

[tool.playgate]
app = "talking_head:app"
chunk_pattern = "/clips/"
sse_pattern = "/updates"
chunks = 3
"""

# The README's first test, as a user copies it: it passes on a healthy app.
USER_TESTS = (
    (ROOT_README := Path(__file__).parents[2] / "README.md").read_text().split("```python\n")[1].split("```")[0]
)


# The same service as a FastAPI app, in a project that pins what such projects pin: a
# FastAPI release that needs Starlette < 0.47, and pytest 8.
FASTAPI_APP = '''"""A talking-head service on FastAPI: the page plays each clip the event stream announces."""
import asyncio
import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse

CLIPS = Path(__file__).parent / "clips"
PAGE = (Path(__file__).parent / "page.html").read_text()

app = FastAPI()


@app.get("/", response_class=HTMLResponse)
async def page():
    return PAGE


@app.get("/updates")
async def updates():
    async def stream():
        for index in range(3):
            yield f"event: clip\\ndata: {json.dumps({'url': f'/clips/{index}.mp4'})}\\n\\n".encode()
            await asyncio.sleep(0.2)
        while True:
            await asyncio.sleep(1.0)
            yield b": still here\\n\\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@app.get("/clips/{index}.mp4")
async def clip(index: int):
    path = CLIPS / f"{index}.mp4"
    return FileResponse(path, media_type="video/mp4") if path.is_file() else Response(status_code=404)
'''
USERS_OWN_PINS = ("fastapi==0.115.12", "pytest==8.4.2")
ROOT = Path(__file__).parents[2]
CI_SCRIPT = ROOT / "examples" / "ci" / "playback-gate.sh"
JOURNEYS = ("ci", "git", "lowest")


def playwright_range() -> SpecifierSet:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (line,) = [d for d in project["dependencies"] if Requirement(d).name == "playwright"]
    return Requirement(line).specifier


def lower_bounds() -> dict[str, str]:
    """Each runtime dependency at the lowest version its range allows: name -> version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        floors = [s.version for s in requirement.specifier if s.operator in (">=", "==")]
        assert len(floors) == 1, f"{line}: a runtime dependency needs one lower bound (>=) or a pin (==)"
        bounds[requirement.name] = floors[0]
    return bounds


@dataclass(frozen=True)
class Journey:
    name: str  # one of JOURNEYS
    venv: Path
    project: Path
    ci: subprocess.CompletedProcess[str] | None = None  # the CI script's run (the ci journey)
    source: Path | None = None  # the clone installed from (the git journey)


def make_project(root: Path, fastapi: bool = False) -> Path:
    """The user's project: their app, page, settings and tests, and the clips it serves."""
    project = root / "talking-head"
    project.mkdir()
    (project / "talking_head.py").write_text(FASTAPI_APP if fastapi else USER_APP)
    (project / "page.html").write_text(USER_PAGE)
    (project / "pyproject.toml").write_text(USER_PYPROJECT)
    (project / "test_playback.py").write_text(USER_TESTS)
    media = ensure_media()
    (project / "clips").mkdir()
    for index in range(3):
        shutil.copy(media.chunk_path(index), project / "clips" / f"{index}.mp4")
    return project


def clone_of_this_tree(root: Path) -> Path:
    """A git repository of this working tree as it is (what a clone of it would hold)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    clone = root / "playgate-clone"
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    git = ["git", "-c", "user.name=journey", "-c", "user.email=journey@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the tree under test"]):
        subprocess.run([*git, *command], cwd=clone, check=True, capture_output=True)
    return clone


def make_journey(name: str, wheel: Path, root: Path) -> Journey:
    """A fresh virtual environment with playgate (and what it depends on) installed one of the
    JOURNEYS ways, and the user's project beside it."""
    project = make_project(root, fastapi=name == "lowest")
    venv = root / "venv"
    if name == "ci":
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
        env |= {"PLAYGATE": str(wheel), "GATE_VENV": str(venv)}
        ran = subprocess.run(["sh", str(CI_SCRIPT)], capture_output=True, text=True, timeout=1200, cwd=project, env=env)
        return Journey(name, venv, project, ran)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    source = None
    if name == "lowest":
        users = {Requirement(pin).name for pin in USERS_OWN_PINS}
        constraints = root / "lowest.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in lower_bounds().items() if n not in users))
        install += ["-c", str(constraints), *USERS_OWN_PINS, str(wheel)]
    else:
        # file://localhost/...: the pip of Debian 12 (23.x) refuses a direct URL with no host in
        # it. With the docs extra: the site is built there with nothing else installed.
        source = clone_of_this_tree(root)
        install += [f"playgate[docs] @ git+file://localhost{source}"]
    done = subprocess.run(install, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return Journey(name, venv, project, source=source if name == "git" else None)


@pytest.fixture(scope="module")
def journeys(built_wheel, tmp_path_factory) -> dict[str, Journey]:
    """Every journey, made side by side: pip waits on the disk more than on the cores."""
    with ThreadPoolExecutor(max_workers=len(JOURNEYS)) as pool:
        made = {n: pool.submit(make_journey, n, built_wheel, tmp_path_factory.mktemp(f"journey-{n}")) for n in JOURNEYS}
        return {name: future.result() for name, future in made.items()}


@pytest.fixture(params=JOURNEYS)
def journey(request, journeys) -> Journey:
    return journeys[request.param]


def in_user_env(venv: Path, project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
    env["NO_MKDOCS_2_WARNING"] = "1"  # MkDocs' banner about its next major version
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=project, env=env)


def test_each_journey_installed_the_versions_it_is_for(journey):
    listed = in_user_env(journey.venv, journey.project, "python", "-m", "pip", "list", "--format=freeze")
    installed = {
        name.lower(): Version(v) for name, v in (line.split("==") for line in listed.stdout.split() if "==" in line)
    }
    if journey.name == "lowest":
        expected = {**lower_bounds(), **dict(pin.split("==") for pin in USERS_OWN_PINS)}
        assert {n: installed[n.lower()] for n in expected} == {n: Version(v) for n, v in expected.items()}
    else:  # past what the lowest journey's FastAPI allows: the top of the range is exercised
        assert installed["starlette"] >= Version("0.47")
        # The newest Playwright the range allows, beside pytest-playwright.
        assert installed["playwright"] in playwright_range() and installed["playwright"] >= Version("1.64")
        assert "pytest-playwright" in installed


def test_only_playgate_is_installed_at_the_top(journey):
    probe = in_user_env(
        journey.venv,
        journey.project,
        "python",
        "-c",
        "import importlib.util as u, playgate; print([n for n in ('harness', 'server', 'fixtures') if u.find_spec(n)]);"
        "print(playgate.__file__)",
    )
    assert probe.returncode == 0, probe.stderr
    shadowed, location = probe.stdout.splitlines()
    assert shadowed == "[]"
    assert "site-packages" in location and str(Path(__file__).parents[2]) not in location


def test_the_ci_script_gates_everything_and_keeps_the_evidence(journeys):
    ci = journeys["ci"]
    assert ci.ci is not None
    out = ci.ci.stdout + ci.ci.stderr
    assert ci.ci.returncode == 0, out[-6000:]
    assert "playback gate: every step passed" in out
    results = ci.project / "gate-results"
    for kept in ("bundled/result.json", "bundled/report.html", "app/result.json", "app/report.html", "junit.xml"):
        assert (results / kept).is_file(), kept
    # The bundled server's comparison: the field report's table per browser (chromium, firefox,
    # and webkit where it is installed), and the gate held.
    browsers = len(browser_names("all"))
    for row in ("first chunk load", "later chunks load", "first chunk blocked"):
        assert out.count(row) == browsers, row
    # Faster, or in Firefox (whose first h2 chunk waits on the preloads) at times slower.
    assert out.count("x faster on h2\n") + out.count("x slower on h2\n") == browsers
    assert "on h1-tls the first chunk waited" in out
    assert out.count("the gate passed h2 and caught h1-tls") == browsers
    assert "playgate compare: the gate holds in every browser" in out
    setups = 2 * browsers  # a progress line per setup: h1-tls, then h2, in every browser
    assert f"[1/{setups}] chromium h1-tls" in out and f"[{setups}/{setups}] {browser_names('all')[-1]} h2" in out
    bundled = json.loads((results / "bundled" / "result.json").read_text())
    modes = sorted((r["browser"], r["mode"]) for r in bundled["runs"])
    assert modes == [(browser, mode) for browser in sorted(browser_names("all")) for mode in ("h1-tls", "h2")]
    assert len(list((results / "bundled" / "har").glob("*.har"))) == setups
    assert (results / "bundled" / "report.html").read_text().count('<section class="run') == setups
    junit = (results / "junit.xml").read_text()
    assert 'tests="4"' in junit and 'failures="0"' in junit, junit[:2000]
    assert "playgate.1.verdict" in junit  # each run's figures, as JUnit properties


def test_the_readme_test_passes_at_the_lower_bounds_in_both_browsers(journeys):
    # (At the top of the ranges the CI script ran it; from git, the command line below gates.)
    journey = journeys["lowest"]
    result = in_user_env(
        journey.venv, journey.project, "python", "-m", "pytest", "--browser", "chromium", "--browser", "firefox",
        "-p", "no:cacheprovider", timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout, result.stdout[-4000:]


def test_the_command_line_works_there_and_shows_a_red_run(journeys):
    user_env, user_project = journeys["git"].venv, journeys["git"].project
    usage = in_user_env(user_env, user_project, "playgate", "--help")
    assert usage.returncode == 0 and "{serve,run,diagnose,compare,browser-server,merge,demo,doctor}" in usage.stdout, (
        usage.stderr
    )
    run = in_user_env(
        user_env, user_project, "playgate", "run", "--browser", "all", "--mode", "h2,h1-tls", "--chunks", "2",
        "--output", "gate-results", "--quiet",
    )  # fmt: skip
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr
    assert "playgate: 2 passed, 2 failed" in run.stdout, run.stdout[-6000:]
    # --quiet: the failed runs' tables alone, no progress lines.
    assert run.stdout.count("verdict: FAIL") == 2 and "verdict: PASS" not in run.stdout
    assert "[1/4]" not in run.stdout
    assert "chunk  protocol  conn  reused  status  blocked" in run.stdout
    assert "- protocol: chunk 0 was served over http/1.1, expected h2" in run.stdout
    assert "mode h1-tls app talking_head:app" in run.stdout  # the app [tool.playgate] names
    assert (user_project / "gate-results" / "result.json").is_file()
    assert (user_project / "gate-results" / "report.html").is_file()

    # Both browsers were just launched there by the run: the doctor checks the rest.
    doctor = in_user_env(user_env, user_project, "playgate", "doctor", "--no-launch")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "everything the default run needs is here" in doctor.stdout


def test_diagnose_works_there(journeys):
    user_env, user_project = journeys["git"].venv, journeys["git"].project
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    serve = [str(user_env / "bin" / "playgate"), "serve", "--mode", "h2"]
    with subprocess.Popen(
        serve, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=user_project, env=env
    ) as server:
        try:
            line = server.stdout.readline()
            assert line.startswith("serving https://127.0.0.1:"), line + server.stderr.read()
            url = line.split()[1] + "chunks/chunk-000.mp4"
            result = in_user_env(
                user_env, user_project, "playgate", "diagnose", url, "--insecure", "--requests", "1", timeout=120
            )
        finally:
            server.terminate()
            server.wait(timeout=15)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "h2" in result.stdout and "http/1.1" in result.stdout


def test_the_docs_build_strictly_with_only_the_docs_extra_installed(journeys):
    git = journeys["git"]
    assert git.source is not None
    built = in_user_env(
        git.venv, git.source, "mkdocs", "build", "--strict", "--site-dir", str(git.source / "site"), timeout=300
    )
    assert built.returncode == 0, built.stderr[-4000:]
    api = (git.source / "site" / "reference" / "python-api" / "index.html").read_text()
    assert "assert_gate_fails" in api and "playgate_setup" in api  # made from the docstrings
