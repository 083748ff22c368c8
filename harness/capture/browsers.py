"""Launch the real browsers (found by capture.browser_finder): Chromium over the DevTools
protocol, stock Firefox over WebDriver BiDi, here or through a browser server elsewhere,
relaunched once they have served their share of runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from playwright.sync_api import Browser, Error, Playwright, sync_playwright

from playgate.capture.browser_finder import FoundBrowser, find_browser
from playgate.capture.drivers import driver
from playgate.capture.quic import QuicOrigin
from playgate.errors import BrowserLaunchError, EnvironmentProblem, UsageError
from playgate.server.serving import Served


def check_display(headed: bool) -> None:
    """A headed browser needs a display; without one both browsers fail with pages of log."""
    if headed and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise EnvironmentProblem(
            "--headed shows the browser, but there is no display (DISPLAY is not set): run under a "
            "virtual one, xvfb-run -a playgate run --headed ... (apt-get install xvfb), or drop --headed"
        )


PLAYWRIGHT_VERSION = metadata.version("playwright")


def connect_options(endpoint: str, *, slow_mo: float = 0) -> dict[str, Any]:
    """What ``launch`` takes to drive the browser a browser server serves at ``endpoint``."""
    return {"ws_endpoint": endpoint, **({"slow_mo": slow_mo} if slow_mo else {})}


def launch_options(found: FoundBrowser, *, headless: bool = True, slow_mo: float = 0) -> dict[str, Any]:
    options: dict[str, Any] = {"executable_path": str(found.path), "headless": headless}
    if found.channel:
        options["channel"] = found.channel
    if slow_mo:
        options["slow_mo"] = slow_mo
    return options


def check_tmpdir(environ: Mapping[str, str]) -> None:
    """Playwright makes each browser's profile under TMPDIR and, unlike Python, does not fall
    back to /tmp when it names no folder: every browser would fail with a mkdtemp error."""
    tmpdir = environ.get("TMPDIR")
    if tmpdir and not (os.path.isdir(tmpdir) and os.access(tmpdir, os.W_OK | os.X_OK)):
        raise EnvironmentProblem(
            f"TMPDIR is {tmpdir}, which is not a folder this user can write: the browsers make their "
            "profiles there; create it, or unset TMPDIR"
        )


def launch(playwright: Playwright, name: str, options: dict[str, Any]) -> Browser:
    """The browser launched here, or (``ws_endpoint`` in the options: see capture.remote)
    the one a browser server on another machine serves."""
    endpoint = options.get("ws_endpoint")
    if not endpoint:
        check_tmpdir(os.environ)
    try:
        return driver(name).launch(playwright, options)
    except Error as exc:
        first_line = (exc.message or str(exc)).strip().splitlines()[0]
        if endpoint:
            raise BrowserLaunchError(
                f"{name}: could not use the browser server at {endpoint} ({first_line}): is `playgate browser-server "
                f"--browser {name}` running there, reachable from here, with playwright {PLAYWRIGHT_VERSION}?"
            ) from exc
        said = browser_said(exc.message or str(exc))
        raise BrowserLaunchError(
            f"{name} at {options.get('executable_path')} did not start: {first_line}"
            + (f"; the browser said: {said}" if said else "")
        ) from exc


# A browser's own line in Playwright's launch log: "[pid=N][err] TEXT", Chromium's TEXT
# itself prefixed "[pid:tid:date:LEVEL:source:line] ".
_LOG_LINE = re.compile(r"\[pid=\d+\]\[err\] (?:\[[^\]]*?:(?P<level>[A-Z]+):[^\]]*\] )?(?P<text>.*)")
# What a browser writes on every start in a container, whatever went wrong: not the reason.
_NOISE = ("dbus", "crashpad", "cpufreq", "unexpected operator", "Fontconfig")


def browser_said(message: str) -> str | None:
    """Why the browser itself says it stopped, from its lines in Playwright's launch log: the
    first fatal one, else the first error that is not start-up noise (None: it said nothing)."""
    lines = [m for m in map(_LOG_LINE.search, message.splitlines()) if m and m["text"].strip()]
    fatal = [m["text"] for m in lines if m["level"] == "FATAL"]
    errors = [
        m["text"]
        for m in lines
        if (m["level"] == "ERROR" or m["text"].lower().startswith("error"))
        and not any(noise in m["text"] for noise in _NOISE)
    ]
    chosen = (fatal or errors or [None])[0]
    return chosen.strip() if chosen else None


class RecycledBrowser:
    """One browser, launched on first use and launched afresh once it has served its share
    of runs (its driver's ``runs_per_launch``), so that a long session measures a browser like a new one."""

    def __init__(self, playwright: Playwright, name: str, options: dict[str, Any]) -> None:
        self.playwright = playwright
        self.name = name
        self.options = options
        self._browser: Browser | None = None
        self._runs = 0
        self._for_quic: dict[QuicOrigin, RecycledBrowser] = {}

    def reaching(self, origin: QuicOrigin | None) -> RecycledBrowser:
        """This browser, or (for an h3 origin) one launched with what reaches that origin over
        h3: launch-time flags, so a browser of its own, kept until ``forget`` or ``close``."""
        if origin is None:
            return self
        if "ws_endpoint" in self.options:
            raise UsageError(
                f"{self.name} at {self.options['ws_endpoint']}: the h3 modes and --ca-cert launch the browser with "
                "flags for this run's origin, which a browser server's browser cannot be given: run them locally"
            )
        if origin not in self._for_quic:
            self._for_quic[origin] = RecycledBrowser(
                self.playwright, self.name, driver(self.name).reaching(origin, self.options)
            )
        return self._for_quic[origin]

    def forget(self, origin: QuicOrigin | None) -> None:
        """Close the browser launched for ``origin`` (its server has stopped)."""
        if origin is not None and origin in self._for_quic:
            self._for_quic.pop(origin).close()

    def for_runs(self, runs: int = 1) -> Browser:
        """The browser for the next ``runs`` runs: relaunched first if they would pass its share."""
        limit = driver(self.name).runs_per_launch
        if self._browser is not None and (not self._browser.is_connected() or (limit and self._runs + runs > limit)):
            self.close()
        if self._browser is None:
            self._browser = launch(self.playwright, self.name, self.options)
        self._runs += runs
        return self._browser

    def counted(self, runs: int = 1) -> Browser:
        """The current browser, counting ``runs`` more on it but never relaunching: for runs
        inside a test that already holds it (a relaunch would close it under the test)."""
        if self._browser is None or not self._browser.is_connected():
            return self.for_runs(runs)
        self._runs += runs
        return self._browser

    def close(self) -> None:
        for origin in list(self._for_quic):
            self.forget(origin)
        browser, self._browser, self._runs = self._browser, None, 0
        if browser is not None and browser.is_connected():
            browser.close()


class BrowserPool:
    """The browsers of a session, one ``RecycledBrowser`` per name: each launched (or, for a
    name in ``endpoints``, connected to: capture.remote) on first use, and closed with the
    pool. Every entry point gets its browsers here: the CLI, ``playgate.gate()``, the
    benchmarks, and the pytest plugin's fixtures (a pool of the session's one browser)."""

    def __init__(
        self,
        playwright: Playwright,
        *,
        headless: bool = True,
        slow_mo: float = 0,
        executables: dict[str, str] | None = None,
        endpoints: dict[str, str] | None = None,
    ) -> None:
        self.playwright = playwright
        self.headless = headless
        self.slow_mo = slow_mo
        self.executables = executables or {}
        self.endpoints = endpoints or {}
        self._browsers: dict[str, RecycledBrowser] = {}

    def get(self, name: str, runs: int = 1, origin: QuicOrigin | None = None, *, relaunch: bool = True) -> Browser:
        """Browser ``name`` for the next ``runs`` runs, relaunched first if they would pass its
        share; for an ``origin`` (run.runner.origin_to_reach), one launched for it (see
        capture.quic). ``relaunch`` False: the browser a test already holds, never closed
        under it (the count goes on; the relaunch waits for the next test)."""
        if name not in self._browsers:
            self._browsers[name] = RecycledBrowser(self.playwright, name, self.options(name))
        browser = self._browsers[name]
        if origin is None and not relaunch:
            return browser.counted(runs)
        return browser.reaching(origin).for_runs(runs)

    def options(self, name: str) -> dict[str, Any]:
        """What ``launch`` takes for browser ``name``; a missing executable is one error."""
        if name in self.endpoints:
            return connect_options(self.endpoints[name], slow_mo=self.slow_mo)
        found = find_browser(name, self.executables.get(name))
        return launch_options(found, headless=self.headless, slow_mo=self.slow_mo)

    def done_with(self, server: Served) -> None:
        """Close the browsers launched for ``server`` alone."""
        origin = QuicOrigin.of(server)
        for browser in self._browsers.values():
            browser.forget(origin)

    def close(self) -> None:
        browsers, self._browsers = self._browsers, {}
        for browser in browsers.values():
            browser.close()


@contextmanager
def browser_pool(
    *,
    headless: bool = True,
    slow_mo: float = 0,
    executables: dict[str, str] | None = None,
    endpoints: dict[str, str] | None = None,
) -> Iterator[BrowserPool]:
    """A pool with its own Playwright, closed on the way out."""
    with sync_playwright() as playwright:
        pool = BrowserPool(playwright, headless=headless, slow_mo=slow_mo, executables=executables, endpoints=endpoints)
        try:
            yield pool
        finally:
            pool.close()
