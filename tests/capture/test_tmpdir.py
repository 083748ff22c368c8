"""TMPDIR as the browsers need it: Chromium starts under one too deep for its single-instance
socket (a CI runner's work folder, pytest's tmp_path under xdist), being given /tmp for that
socket; one that names no folder is one error before any browser starts."""

import os

import pytest

from playgate.capture.browser_finder import find_browser
from playgate.capture.browsers import launch, launch_options
from playgate.capture.chromium import browser_environment
from playgate.errors import EnvironmentProblem


def test_a_short_tmpdir_is_left_as_it_is():
    assert browser_environment({"TMPDIR": "/tmp/pytest-of-root/pytest-1/test_x0"}) is None
    assert browser_environment({}) is None


def test_a_deep_tmpdir_is_replaced_for_the_browser_alone():
    deep = "/tmp/" + "d" * 70
    environment = browser_environment({"TMPDIR": deep, "HOME": "/root"})
    assert environment == {"TMPDIR": "/tmp", "HOME": "/root"}


@pytest.mark.browser
def test_chromium_starts_under_a_deep_tmpdir(playwright, tmp_path, monkeypatch):
    deep = tmp_path / ("d" * max(1, 110 - len(str(tmp_path))))  # past 107 with the socket's own path
    deep.mkdir()
    monkeypatch.setenv("TMPDIR", str(deep))
    browser = launch(playwright, "chromium", launch_options(find_browser("chromium")))
    try:
        assert browser.new_page().evaluate("1 + 1") == 2
    finally:
        browser.close()
    assert os.environ["TMPDIR"] == str(deep)  # the run's own environment is untouched


@pytest.mark.parametrize("tmpdir", ["/nonexistent/tmp", "/etc/hostname"])
def test_a_tmpdir_that_is_no_folder_is_one_error_before_any_browser_starts(tmpdir, monkeypatch):
    monkeypatch.setenv("TMPDIR", tmpdir)
    with pytest.raises(EnvironmentProblem, match=f"TMPDIR is {tmpdir}, which is not a folder this user can write"):
        launch(None, "chromium", {"executable_path": "/usr/bin/chromium"})
