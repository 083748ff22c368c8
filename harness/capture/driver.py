"""What differs between browsers, behind one small interface: a driver per browser
(capture/chromium.py, capture/firefox.py, capture/webkit.py), registered in capture/drivers.py. The rest of
the code asks the driver and never compares a browser's name. Adding a browser is a new
module with its driver, and one line in the registry.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Browser, BrowserType, Playwright

from playgate.capture.browser_finder import BROWSERS, BrowserSpec
from playgate.capture.quic import QuicOrigin
from playgate.capture.recorders import NetworkRecorder

CONNECT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class BrowserDriver:
    name: str
    driven_over: str  # how playgate drives it, as the doctor says it
    # What its instrumentation cannot give, said in each of its runs (None: it gives it all).
    cannot_report: str | None
    # Runs one launch serves before it is launched afresh (None: no limit; capture.browsers).
    runs_per_launch: int | None
    # Its pages are Playwright's: it measures a page of the user's (--url, --app; playgate's
    # scripts get in before the page's own), runs a setup function, --live, --trace, and a
    # browser server elsewhere. False (WebDriver classic: capture.webdriver): the bundled page
    # only, which runs playgate's scripts from its URL.
    playwright_pages: bool = True
    # Its dedicated workers' Resource Timing can be read (Worker.evaluate): a player that
    # fetches segments in a worker has them there only (capture.resource_timing).
    reads_workers: bool = False

    @property
    def spec(self) -> BrowserSpec:
        """Where it is found (capture.browser_finder)."""
        return BROWSERS[self.name]

    def browser_type(self, playwright: Playwright) -> BrowserType:
        browser_type: BrowserType = getattr(playwright, self.name)
        return browser_type

    def launch(self, playwright: Playwright, options: dict[str, Any]) -> Browser:
        """The browser launched here with ``options``, or (``ws_endpoint`` in them: see
        capture.remote) the one a browser server elsewhere serves. Raises Playwright's Error."""
        endpoint = options.get("ws_endpoint")
        browser_type = self.browser_type(playwright)
        if endpoint:
            return browser_type.connect(endpoint, timeout=CONNECT_TIMEOUT_S * 1000, slow_mo=options.get("slow_mo"))
        environment = None if "env" in options else self.launch_environment(os.environ)
        launching: dict[str, Any] = {**options, "env": environment} if environment else options
        return browser_type.launch(**launching)

    def launch_environment(self, environ: Mapping[str, str]) -> dict[str, str] | None:
        """The environment it must be launched with, here or by a browser server (None:
        ``environ`` as it is)."""
        return None

    def codec_packages(self) -> tuple[str, ...]:
        """The Debian packages it plays H.264/AAC through, beside its own (the doctor names them)."""
        return ()

    def version(self, path: str) -> str:
        """Its version, as the doctor prints it, from the executable at ``path``."""
        try:
            done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"({exc})"
        return ((done.stdout or done.stderr).strip().splitlines() or ["(no version)"])[0]

    def new_recorder(self) -> NetworkRecorder:
        """A network record of its own instrumentation, for one run's pages."""
        raise NotImplementedError

    def reaching(self, origin: QuicOrigin, options: dict[str, Any]) -> dict[str, Any]:
        """Launch ``options`` with what makes it take h3 to ``origin`` (capture.quic)."""
        raise NotImplementedError

    def quic_settings(self, origin: QuicOrigin) -> str:
        """Those settings, as a person would give them to this browser by hand."""
        raise NotImplementedError
