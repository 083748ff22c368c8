"""Where the browsers are found: a path given, the environment, the usual places, then the
builds `playwright install` left in Playwright's cache; and how to install one that is not."""

import os
import stat

import pytest

from playgate.capture import browser_finder
from playgate.capture.browser_finder import MOZ_FIREFOX, PLAYWRIGHT_CACHE, find_browser, parse_browser_paths
from playgate.errors import BrowserNotFound, UsageError


def executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def nothing_installed(monkeypatch, tmp_path):
    """No browser on PATH or at the usual places; an empty Playwright cache."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    for spec in browser_finder.BROWSERS.values():
        monkeypatch.delenv(spec.env_var, raising=False)
    monkeypatch.setattr(browser_finder.shutil, "which", lambda name: _which(name, tmp_path / "bin"))
    return tmp_path


def _which(name, folder):
    candidate = folder / name if "/" not in name else None
    if candidate is not None and os.access(candidate, os.X_OK):
        return str(candidate)
    return name if "/" in name and name.startswith(str(folder.parent)) and os.access(name, os.X_OK) else None


def test_the_newest_build_in_playwrights_cache_is_found_and_its_firefox_speaks_playwrights_protocol(nothing_installed):
    cache = nothing_installed / "ms-playwright"
    executable(cache / "chromium-1150" / "chrome-linux" / "chrome")
    newest = executable(cache / "chromium-1200" / "chrome-linux64" / "chrome")
    firefox = executable(cache / "firefox-1490" / "firefox" / "firefox")
    chromium = find_browser("chromium")
    assert (chromium.path, chromium.where, chromium.channel) == (newest, PLAYWRIGHT_CACHE, None)
    found = find_browser("firefox")
    assert (found.path, found.channel) == (firefox, None)  # Playwright's own build: no BiDi channel


def test_a_browser_on_path_comes_before_the_cache_and_stock_firefox_goes_over_bidi(nothing_installed):
    executable(nothing_installed / "bin" / "firefox")
    executable(nothing_installed / "ms-playwright" / "firefox-1490" / "firefox" / "firefox")
    found = find_browser("firefox")
    assert found.where == "firefox" and found.channel == MOZ_FIREFOX


def test_a_path_given_wins_and_a_wrong_one_is_named(nothing_installed):
    chrome = executable(nothing_installed / "opt" / "chrome")
    assert find_browser("chromium", str(chrome)).where == "--browser-path"
    with pytest.raises(BrowserNotFound, match=r"'/nowhere/chrome' \(--browser-path\) was not found"):
        find_browser("chromium", "/nowhere/chrome")


@pytest.mark.parametrize(
    ("browser", "platform", "release", "hint"),
    [
        ("firefox", "linux", "debian", "apt-get install firefox-esr"),
        ("firefox", "linux", "ubuntu", "`playwright install firefox`"),
        ("firefox", "darwin", None, "brew install --cask firefox"),
        ("chromium", "linux", "debian", "apt-get install chromium"),
        ("chromium", "linux", "ubuntu", "install Google Chrome's .deb"),
        ("chromium", "darwin", None, "install Google Chrome"),
        ("webkit", "linux", "debian", "apt-get install webkit2gtk-driver xvfb gstreamer1.0-libav"),
        ("webkit", "darwin", None, "Safari on macOS is not driven"),
    ],
)
def test_nothing_found_names_the_install_for_this_machine(
    nothing_installed, monkeypatch, browser, platform, release, hint
):
    monkeypatch.setattr(browser_finder.sys, "platform", platform)
    monkeypatch.setattr(browser_finder, "os_release_id", lambda: release)
    with pytest.raises(BrowserNotFound) as raised:
        find_browser(browser)
    assert hint in str(raised.value) and f"--browser-path {browser}=PATH" in str(raised.value)


def test_browser_paths_are_browser_equals_path():
    assert parse_browser_paths("chromium=/opt/c,firefox=/opt/f") == {"chromium": "/opt/c", "firefox": "/opt/f"}
    assert parse_browser_paths(None) == {}
    for wrong in ("/opt/chrome", "safari=/x", "chromium="):
        with pytest.raises(UsageError, match="give BROWSER=PATH"):
            parse_browser_paths(wrong)
