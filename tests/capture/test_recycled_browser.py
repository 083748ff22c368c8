"""Firefox is launched afresh after its share of runs; Chromium is kept; a dead one is replaced."""

from playgate.capture.browsers import RecycledBrowser
from playgate.capture.drivers import driver

FIREFOX_SHARE = driver("firefox").runs_per_launch


class FakeBrowser:
    def __init__(self):
        self.connected = True

    def is_connected(self):
        return self.connected

    def close(self):
        self.connected = False


class FakeType:
    def __init__(self):
        self.launched = []

    def launch(self, **options):
        self.launched.append(FakeBrowser())
        return self.launched[-1]


class FakePlaywright:
    def __init__(self):
        self.firefox, self.chromium = FakeType(), FakeType()


def test_firefox_is_relaunched_after_its_share_of_runs_and_the_old_one_closed():
    playwright = FakePlaywright()
    browsers = RecycledBrowser(playwright, "firefox", {})
    share = FIREFOX_SHARE
    first = {id(browsers.for_runs()) for _ in range(share)}
    assert len(first) == 1 and len(playwright.firefox.launched) == 1
    browsers.for_runs()
    assert len(playwright.firefox.launched) == 2
    assert not playwright.firefox.launched[0].connected  # closed, not left running
    assert browsers.for_runs(0) is playwright.firefox.launched[1]  # looking does not count a run


def test_repeats_asked_together_are_not_split_across_launches():
    playwright = FakePlaywright()
    browsers = RecycledBrowser(playwright, "firefox", {})
    browsers.for_runs(FIREFOX_SHARE - 1)
    browsers.for_runs(3)  # would pass the share: a fresh browser for all three
    assert len(playwright.firefox.launched) == 2


def test_chromium_is_kept_and_a_browser_that_died_is_replaced():
    playwright = FakePlaywright()
    browsers = RecycledBrowser(playwright, "chromium", {})
    for _ in range(500):
        browsers.for_runs()
    assert len(playwright.chromium.launched) == 1
    playwright.chromium.launched[0].connected = False  # its process went away
    browsers.for_runs()
    assert len(playwright.chromium.launched) == 2
    browsers.close()
    assert not playwright.chromium.launched[1].connected


def test_runs_counted_inside_a_test_never_close_the_browser_it_holds():
    playwright = FakePlaywright()
    browsers = RecycledBrowser(playwright, "firefox", {})
    held = browsers.for_runs(0)  # what a test got at its start
    for _ in range(FIREFOX_SHARE + 5):
        assert browsers.counted(1) is held
    assert held.connected and len(playwright.firefox.launched) == 1
    assert browsers.for_runs(0) is not held  # the next test starts on a fresh one
    assert not held.connected


def test_the_pool_holds_a_test_s_browser_and_relaunches_between_tests(tmp_path):
    """The plugin's fixtures and the CLI take their browsers from one pool."""
    from playgate.capture.browsers import BrowserPool

    executable = tmp_path / "firefox-esr"
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    playwright = FakePlaywright()
    pool = BrowserPool(playwright, executables={"firefox": str(executable)})
    held = pool.get("firefox", runs=0)
    for _ in range(FIREFOX_SHARE + 5):
        assert pool.get("firefox", relaunch=False) is held
    assert pool.get("firefox", runs=0) is not held and not held.connected
    pool.close()
    assert not playwright.firefox.launched[-1].connected


def test_the_pool_connects_to_a_browser_server_and_names_a_missing_browser(tmp_path):
    import pytest

    from playgate.capture.browsers import BrowserPool
    from playgate.errors import BrowserNotFound

    pool = BrowserPool(FakePlaywright(), slow_mo=50, endpoints={"chromium": "ws://127.0.0.1:9/x"})
    assert pool.options("chromium") == {"ws_endpoint": "ws://127.0.0.1:9/x", "slow_mo": 50}
    with pytest.raises(BrowserNotFound, match="firefox"):
        BrowserPool(FakePlaywright(), executables={"firefox": str(tmp_path / "none")}).options("firefox")
