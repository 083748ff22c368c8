"""playgate.gate(): the Python entry point, with the command line's settings over [tool.playgate]."""

import subprocess
import sys

import pytest

import playgate


def test_an_unknown_setting_is_one_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(playgate.UsageError, match="gate\\(\\): unknown setting 'pressures'"):
        playgate.gate(pressures="media:5")


def test_a_bad_file_setting_names_the_file(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.playgate]\nchunks = "five"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(playgate.UsageError, match="pyproject.toml"):
        playgate.gate()


SCRIPT = """
import playgate

seen = []
runs = playgate.gate(browser="chromium", on_run=seen.append)
assert seen == runs and len(runs) == 1
(judged,) = runs
print(len(judged.run.chunks), judged.run.label, judged.verdict.label)
try:
    playgate.assert_gate_passes(judged)
except playgate.GateFailure as failure:
    print(str(failure).splitlines()[-1])
"""


@pytest.mark.browser
def test_gate_reads_the_project_settings_and_judges_each_browser(tmp_path):
    """Run as a user's script (its own process: the suite's own Playwright holds this one's loop)."""
    (tmp_path / "pyproject.toml").write_text('[tool.playgate]\nchunks = 2\nmode = "h1-tls"\n')
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    figures, reason = done.stdout.splitlines()
    assert figures.split() == ["2", "h1-tls", "fail"]  # chunks and mode from the file
    assert reason.startswith("  - protocol: chunk 0 was served over http/1.1")
