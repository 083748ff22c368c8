"""Browsers on other machines, through Playwright's own browser server.

On the browser machine, ``playgate browser-server`` starts Playwright's ``launchServer``
(through the node and package of the driver Playwright's Python package ships) for one of
that machine's browsers, launched as a gate run launches it: Debian's executable, Firefox
over WebDriver BiDi. (``playwright run-server`` will not do: it ignores a client's
executable and looks for Playwright's own downloads.) On the gate's machine, ``--connect
NAME=ws://HOST:PORT/PATH`` drives that browser with ``BrowserType.connect`` instead of
launching one; what the gate reads still comes from the browser's own instrumentation (a
DevTools session in Chromium, BiDi in Firefox), over that connection.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from playwright._impl._driver import compute_driver_executable

from playgate.capture.browser_finder import browser_names, find_browser
from playgate.capture.drivers import driver
from playgate.errors import BrowserLaunchError, UsageError
from playgate.server.launcher import LOOPBACK

WS_PATH = "/playgate/{browser}"
START_TIMEOUT_S = 60.0


def parse_endpoints(text: str | None) -> dict[str, str]:
    """``chromium=ws://host:port/path,firefox=ws://...`` -> {browser: endpoint}."""
    if not text:
        return {}
    endpoints: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, equals, endpoint = part.partition("=")
        if not equals:
            raise UsageError(
                f"--connect {part!r}: give BROWSER=ws://HOST:PORT/PATH, as printed by playgate browser-server"
            )
        (name,) = browser_names(name.strip())
        address = urlsplit(endpoint.strip())
        if address.scheme not in ("ws", "wss") or not address.hostname:
            raise UsageError(f"--connect {part!r}: the endpoint must be a ws:// or wss:// URL")
        endpoints[name] = endpoint.strip()
    return endpoints


@dataclass
class BrowserServer:
    """A browser server process of this machine's ``browser``, listening on ``host:port``."""

    browser: str
    host: str = LOOPBACK
    port: int = 0
    executable: str | None = None

    def __post_init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.endpoint: str | None = None

    def start(self) -> str:
        node, cli = compute_driver_executable()
        found = find_browser(self.browser, self.executable)
        settings = {
            "driver_package": str(Path(cli).parent),
            "browser": self.browser,
            "executable": str(found.path),
            "channel": found.channel,
            "host": self.host,
            "port": self.port,
            "ws_path": WS_PATH.format(browser=self.browser),
        }
        script = resources.files("playgate.capture").joinpath("browser_server.js")
        with resources.as_file(script) as path:
            self.process = subprocess.Popen(
                [str(node), str(path)],
                stdin=subprocess.PIPE,  # closed when this process goes: the server stops then
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={
                    **(driver(self.browser).launch_environment(os.environ) or os.environ),
                    "PLAYGATE_BROWSER_SERVER": json.dumps(settings),
                },
            )
            line = self.process.stdout.readline().strip() if self.process.stdout else ""
        if not line.startswith("ws"):
            error = self.process.stderr.read().strip() if self.process.stderr else ""
            self.stop()
            raise BrowserLaunchError(
                f"the {self.browser} browser server did not start on {self.host}:{self.port}: "
                f"{error.splitlines()[0] if error else 'no endpoint printed'}"
            )
        self.endpoint = line
        return line

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> BrowserServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
