"""playgate.gate(): the Python door, with the command line's settings over [tool.playgate]."""

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


@pytest.mark.browser
def test_gate_reads_the_project_settings_and_judges_each_browser(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.playgate]\nchunks = 2\nmode = "h1-tls"\n')
    monkeypatch.chdir(tmp_path)
    seen = []
    runs = playgate.gate(browser="chromium", on_run=seen.append)
    assert seen == runs and len(runs) == 1
    (judged,) = runs
    assert len(judged.run.chunks) == 2 and judged.run.mode == "h1-tls"  # from the file
    with pytest.raises(playgate.GateFailure, match="protocol: chunk 0 was served over http/1.1"):
        playgate.assert_gate_passes(judged)
