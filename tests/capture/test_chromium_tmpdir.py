"""Chromium starts under a TMPDIR too deep for its single-instance socket (a CI runner's work
folder, pytest's tmp_path under xdist): it is given /tmp for that socket instead."""

import os

import pytest

from playgate.capture.browser_finder import find_browser
from playgate.capture.browsers import launch, launch_options
from playgate.capture.chromium import browser_environment


def test_a_short_tmpdir_is_left_as_it_is():
    assert browser_environment({"TMPDIR": "/tmp/pytest-of-root/pytest-1/test_x0"}) is None
    assert browser_environment({}) is None


def test_a_deep_tmpdir_is_replaced_for_the_browser_alone():
    deep = "/tmp/" + "d" * 70
    environment = browser_environment({"TMPDIR": deep, "HOME": "/root"})
    assert environment == {"TMPDIR": "/tmp", "HOME": "/root"}


@pytest.mark.browser
def test_chromium_starts_under_a_deep_tmpdir(playwright, tmp_path, monkeypatch):
    deep = tmp_path / ("d" * (110 - len(str(tmp_path))))
    deep.mkdir()
    monkeypatch.setenv("TMPDIR", str(deep))
    browser = launch(playwright, "chromium", launch_options(find_browser("chromium")))
    try:
        assert browser.new_page().evaluate("1 + 1") == 2
    finally:
        browser.close()
    assert os.environ["TMPDIR"] == str(deep)  # the run's own environment is untouched
