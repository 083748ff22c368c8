"""WebKit, the third engine: WebKitGTK's MiniBrowser driven by its WebDriver (WebKitWebDriver),
over WebDriver classic (capture.webdriver), its figures from the page's Resource Timing
(capture.resource_timing) and its playback from the same page script as the others.

Measured on WebKitGTK 2.50 (Debian's webkit2gtk-driver): its WebDriver refuses BiDi
(``webSocketUrl``); MiniBrowser has no headless mode, so playgate gives it a virtual display
(Xvfb) of its own unless the run is headed; a WebDriver session is a fresh browser process
in about 0.2 s, so every run gets one. Its network stack is libsoup 3 (HTTP/1.1 and HTTP/2,
no HTTP/3), not Safari's (CFNetwork): a figure from it says what WebKit's engine does on
Linux, not what Safari's networking does.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Playwright

from playgate.capture.driver import BrowserDriver
from playgate.capture.quic import QuicOrigin
from playgate.capture.recorders import NetworkRecorder
from playgate.capture.resource_timing import ResourceTimingRecorder
from playgate.capture.webdriver import WebDriverContext, WebDriverError, command
from playgate.errors import BrowserLaunchError, BrowserNotFound, EnvironmentProblem, UsageError
from playgate.proxies import without_proxies
from playgate.server.children import end_with_parent

# Where the Linux distributions put the MiniBrowser that WebKitGTK's WebDriver launches.
MINIBROWSER_GLOBS = (
    "/usr/lib/*/webkit2gtk-4.1/MiniBrowser",
    "/usr/lib/*/webkit2gtk-4.0/MiniBrowser",
    "/usr/libexec/webkit2gtk-4.1/MiniBrowser",
    "/usr/libexec/webkit2gtk-4.0/MiniBrowser",
)
START_TIMEOUT_S = 15.0
DISPLAY_SIZE = "1280x720x24"


def find_minibrowser() -> str:
    for pattern in MINIBROWSER_GLOBS:
        for found in sorted(glob.glob(pattern)):
            if os.access(found, os.X_OK):
                return found
    raise BrowserNotFound(
        "webkit: WebKitWebDriver is installed but not WebKitGTK's MiniBrowser "
        "(apt-get install webkit2gtk-driver libwebkit2gtk-4.1-0)"
    )


def _start(args: list[str], env: dict[str, str], **popen: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=end_with_parent, **popen
    )


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    """Stop the process and everything it started (its process group)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class WebKitBrowser:
    """WebKitWebDriver (and, headless, the virtual display it shows MiniBrowser on), shaped
    like Playwright's Browser: each new context a WebDriver session, a fresh MiniBrowser."""

    def __init__(self, driver_path: str, *, headless: bool) -> None:
        self.minibrowser = find_minibrowser()
        self.version = ""
        self._display: subprocess.Popen[bytes] | None = None
        self._driver: subprocess.Popen[bytes] | None = None
        # The driver's and the browser's messages (GStreamer and GTK warnings by the dozen):
        # kept aside, and read when the driver fails to start.
        self._log = tempfile.TemporaryFile(prefix="playgate-webkit-")
        try:
            display = self._own_display() if headless else os.environ.get("DISPLAY", "")
            # With a proxy named, even the driver's connection to its own MiniBrowser on loopback
            # went to the proxy and no session started; WebKit only loads the bundled page.
            env = dict(without_proxies(os.environ), DISPLAY=display)
            port = _free_port()
            self.endpoint = f"http://127.0.0.1:{port}"
            self._driver = _start([driver_path, f"--port={port}"], env, stderr=self._log)
            self._wait_ready(driver_path)
        except BaseException:
            self.close()
            raise

    def _own_display(self) -> str:
        """A virtual display of its own: Xvfb picks a free number and writes it to a pipe."""
        read, write = os.pipe()
        try:
            self._display = _start(
                ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", DISPLAY_SIZE],
                dict(os.environ),
                stderr=subprocess.DEVNULL,
                pass_fds=(write,),
            )
        except FileNotFoundError:
            raise EnvironmentProblem(
                "webkit: MiniBrowser needs a display and Xvfb is not installed: apt-get install xvfb "
                "(or run headed under a display)"
            ) from None
        finally:
            os.close(write)
        with os.fdopen(read, "rb") as pipe:
            number = pipe.readline().strip()  # written once Xvfb accepts clients; EOF if it died
        if not number:
            raise BrowserLaunchError("webkit: the virtual display (Xvfb) did not start")
        return f":{number.decode()}"

    def _wait_ready(self, driver_path: str) -> None:
        assert self._driver is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._driver.poll() is not None:
                self._log.seek(0)
                error = self._log.read().decode(errors="replace").strip().splitlines()[-1:]
                raise BrowserLaunchError(f"webkit: {driver_path} exited at start: {' '.join(error) or 'no message'}")
            try:
                if command(self.endpoint, "GET", "/status").get("ready") is not None:
                    return
            except PlaywrightError:
                if time.monotonic() > deadline:
                    raise BrowserLaunchError(
                        f"webkit: {driver_path} did not answer at {self.endpoint} within {START_TIMEOUT_S:g} s"
                    ) from None
                time.sleep(0.05)

    def is_connected(self) -> bool:
        return self._driver is not None and self._driver.poll() is None

    def new_context(self, *, ignore_https_errors: bool = False, **options: Any) -> WebDriverContext:
        if options:
            raise UsageError(f"webkit cannot be given {', '.join(sorted(options))} for its runs")
        try:
            return self._new_session(ignore_https_errors)
        except WebDriverError as exc:  # MiniBrowser never reached its driver: the environment's doing
            raise BrowserLaunchError(f"webkit: MiniBrowser did not start a session ({exc})") from None

    def _new_session(self, ignore_https_errors: bool) -> WebDriverContext:
        context = WebDriverContext(
            self.endpoint,
            {
                "browserName": "MiniBrowser",
                "acceptInsecureCerts": ignore_https_errors,
                "pageLoadStrategy": "none",
                "webkitgtk:browserOptions": {
                    "binary": self.minibrowser,
                    "args": ["--automation", "--autoplay-policy=allow"],
                },
            },
        )
        self.version = context.version
        return context

    def close(self) -> None:
        driver, self._driver = self._driver, None
        display, self._display = self._display, None
        _stop(driver)
        _stop(display)
        self._log.close()


class WebKitDriver(BrowserDriver):
    def codec_packages(self) -> tuple[str, ...]:
        return ("gstreamer1.0-libav", "gstreamer1.0-plugins-good")  # decoders, and the MP4 demuxer

    def version(self, path: str) -> str:
        """MiniBrowser says its version only on a display; the package says it everywhere."""
        if shutil.which("dpkg-query"):
            done = subprocess.run(
                ["dpkg-query", "-W", "-f", "${Version}", "libwebkit2gtk-4.1-0"], capture_output=True, text=True
            )
            if done.returncode == 0 and done.stdout:
                return f"WebKitGTK {done.stdout.split('-')[0]}"
        return "WebKitGTK (its version is read at launch)"

    def launch(self, playwright: Playwright, options: dict[str, Any]) -> Any:
        if "ws_endpoint" in options:
            raise UsageError("webkit runs on this machine only: a browser server serves chromium and firefox")
        return WebKitBrowser(options["executable_path"], headless=options.get("headless", True))

    def new_recorder(self) -> NetworkRecorder:
        return ResourceTimingRecorder()

    def reaching(self, origin: QuicOrigin, options: dict[str, Any]) -> dict[str, Any]:
        raise UsageError(
            "webkit on Linux (WebKitGTK, libsoup 3) does not speak HTTP/3: run the h3 modes with chromium or firefox"
        )

    def quic_settings(self, origin: QuicOrigin) -> str:
        return "none: WebKitGTK does not speak HTTP/3"


DRIVER = WebKitDriver(
    "webkit",
    driven_over="WebKitWebDriver over WebDriver classic, figures from the page's Resource Timing",
    cannot_report=(
        "webkit: Resource Timing gives no request until it ends (no event stream, no held preload), no "
        "queueing share of the wait, no connection id or reuse and no send time; the browser is WebKitGTK "
        "(libsoup), not Safari's network stack"
    ),
    runs_per_launch=None,
    playwright_pages=False,
)
