"""One Options object for flags, pytest options and [tool.playgate]: precedence and errors."""

from pathlib import Path

import pytest

from playgate.entrypoints.cli import _options as cli_options
from playgate.entrypoints.cli import main
from playgate.entrypoints.cli_parser import build_parser
from playgate.entrypoints.options import Options, file_values
from playgate.entrypoints.pyproject_table import find_config_file
from playgate.errors import UsageError


def write_pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text("[project]\nname = 'someone-elses-app'\n\n[tool.playgate]\n" + body)
    return path


def options_from(argv, folder):
    args = build_parser().parse_args(argv + ["--config", str(folder / "pyproject.toml")])
    return cli_options(args, argv[0])


def test_file_values_sit_between_the_defaults_and_the_flags(tmp_path):
    write_pyproject(tmp_path, 'pressure = "media:5"\nmax-queued-ms = 80\nchunks = 4\nheaded = false\n')
    options = options_from(["run", "--chunks", "7"], tmp_path)
    assert options.pressure == "media:5"  # from the file
    assert options.max_queued_ms == 80.0  # from the file, an int taken as a number of ms
    assert options.chunks == 7  # the flag wins
    assert options.mode == "h2"  # the default


def test_paths_in_the_file_are_relative_to_it(tmp_path):
    path = write_pyproject(tmp_path, 'output = "gate-results"\n')
    assert file_values(path)["output"] == tmp_path / "gate-results"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("max_queue_ms = 50\n", "unknown setting 'max_queue_ms' (did you mean 'max_queued_ms'?)"),
        ('chunks = "five"\n', "chunks = 'five' must be an integer"),
        ("chunks = true\n", "chunks = True must be an integer"),
        ('headed = "yes"\n', "headed = 'yes' must be true or false"),
        ("max-load-ms = 2.5e3\nmode = 2\n", "mode = 2 must be a string"),
        ("[tool.playgate.nested]\nx = 1\n", "nested is a table"),
        ("chunks = 0\n", "--chunks must be 1..1000"),
    ],
)
def test_bad_file_settings_are_one_clear_error(tmp_path, body, message, capsys):
    write_pyproject(tmp_path, body)
    assert main(["run", "--config", str(tmp_path / "pyproject.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    if "unknown" in message or "must be" in message:
        assert str(tmp_path / "pyproject.toml") in err  # it names the file


def test_invalid_toml_and_a_missing_config_are_clear(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text("[tool.playgate\n")
    assert main(["run", "--config", str(tmp_path / "pyproject.toml")]) == 2
    assert "is not valid TOML" in capsys.readouterr().err
    assert main(["run", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "is not a file" in capsys.readouterr().err


def test_the_nearest_pyproject_with_a_playgate_table_is_found(tmp_path):
    write_pyproject(tmp_path, "chunks = 3\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_config_file(nested) == tmp_path / "pyproject.toml"
    (nested / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config_file(nested) is None  # the nearest pyproject.toml decides, as ruff and pytest do


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--url", "https://127.0.0.1:1/", "--pressure", "media:5"], "needs --pressure-media URL"),
        (["run", "--url", "https://127.0.0.1:1/", "--pressure", "sse:2"], "sse holders need the bundled page's"),
        (["run", "--app", "x:app", "--pressure-media", "/idle.mp4"], "add --pressure media:N"),
        (
            ["run", "--app", "x:app", "--pressure", "media:5", "--pressure-media", "/chunks/0.mp4"],
            "its preloads would be counted as chunks",
        ),
        (["run", "--url", "https://127.0.0.1:1/", "--mode", "h1-tls"], "--mode set the bundled player"),
        (["run", "--app", "x:app", "--pace-ms", "5"], "--pace-ms set the bundled player"),
        (["run", "--setup", "tests.x:y"], "--setup act on your page: give --url or --app"),
        (["run", "--app", "x:app", "--setup", "not a spec"], "give module:function"),
        (["run", "--app", "x:app", "--setup", "no_such_module_here:f"], "cannot import no_such_module_here"),
        (["run", "--app", "x:app", "--setup", "json:no_such_function"], "json has no function no_such_function"),
        (["run", "--app", "x:app", "--header", "no colon"], "give 'Name: value'"),
        (["run", "--app", "x:app", "--storage-state", "/no/such/state.json"], "--storage-state /no/such/state.json"),
        (["run", "--app", "x:app", "--storage-state", "pyproject.toml"], "is not JSON"),
        (["run", "--url", "https://127.0.0.1:1/", "--app", "x:app"], "--url and --app each name the page"),
        (["run", "--insecure"], "--insecure is for --url"),
        (["run", "--app", "x:app", "--insecure"], "--insecure is for --url"),
        (["run", "--keep-open"], "--keep-open leaves the browser window open: it needs --headed"),
        (["run", "--url", "ftp://127.0.0.1/"], "is not an http:// or https:// URL"),
        (["run", "--app", "not-a-spec"], "give module:attribute"),
        (["run", "--url", "https://127.0.0.1:1/", "--chunk-pattern", "(["], "is not a regular expression"),
        (["run", "--output", "pyproject.toml"], "is a file; give a folder"),
    ],
)
def test_page_targets_refuse_settings_that_mean_nothing_for_them(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_every_option_is_a_flag_and_a_file_key():
    run_flags = build_parser()._subparsers._group_actions[0].choices["run"]._option_string_actions
    for name in Options.__dataclass_fields__:
        if name != "modes":  # compare's
            assert "--" + name.replace("_", "-") in run_flags


def test_updated_checks_types():
    with pytest.raises(UsageError, match="timeout = 'soon' must be a number"):
        Options().updated({"timeout": "soon"}, "test")
