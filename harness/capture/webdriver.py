"""A browser driven over W3C WebDriver classic (WebKitGTK's WebKitWebDriver), shaped like the
part of Playwright's sync API the run loop uses (capture.page_run), so that one loop runs
every browser.

A context is a WebDriver session: a browser process of its own, fresh (no cache, no pooled
connections), as a Playwright context is. A page is one of its windows. WebDriver classic
cannot add a script before a page's own (WebKitGTK's driver has no BiDi), so the scripts a
context is given travel in the URL's fragment, which the bundled page runs first
(page_contract.BOOTSTRAP_FRAGMENT); a page of the user's would never run them.

Its errors are Playwright's types, so the run loop treats a WebDriver failure as it treats
Playwright's.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from playgate.page_contract import BOOTSTRAP_FRAGMENT

COMMAND_TIMEOUT_S = 60.0
POLL_S = 0.05
# The driver listens on loopback: straight to it, whatever proxy the environment names
# (urllib would send even a request to 127.0.0.1 through http_proxy).
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class WebDriverError(PlaywrightError):
    pass


class WebDriverTimeout(PlaywrightTimeout):
    pass


def command(endpoint: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One WebDriver command; its ``value``, or its error as a Playwright error."""
    data = json.dumps(body or {}).encode() if method == "POST" else None
    request = urllib.request.Request(
        endpoint + path, data=data, method=method, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with _DIRECT.open(request, timeout=COMMAND_TIMEOUT_S) as response:
            return json.loads(response.read())["value"]
    except urllib.error.HTTPError as exc:
        try:
            value = json.loads(exc.read())["value"]
        except (ValueError, KeyError):
            raise WebDriverError(f"WebDriver {method} {path}: HTTP {exc.code}") from None
        message = f"{value.get('error')}: {value.get('message')}".splitlines()[0]
        if value.get("error") in ("timeout", "script timeout"):
            raise WebDriverTimeout(message) from None
        raise WebDriverError(message) from None
    except (urllib.error.URLError, OSError) as exc:
        raise WebDriverError(f"WebDriver at {endpoint} did not answer {method} {path}: {exc}") from None


def _script(expression: str) -> str:
    """Playwright's ``evaluate``: an expression, or a function that is called."""
    return f"const value = ({expression});\nreturn typeof value === 'function' ? value() : value;"


class JSValue:
    """What a page function turned to, held as Playwright's JSHandle holds it."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def json_value(self) -> Any:
        return self._value


class WebDriverPage:
    def __init__(self, context: WebDriverContext, handle: str) -> None:
        self.context = context
        self.handle = handle
        self.url = "about:blank"

    def goto(self, url: str, *, wait_until: str = "commit", timeout: float = 30_000) -> None:
        """Navigate, the context's scripts in the fragment; returns once the new document is the
        page's (committed, as after Playwright's 'commit')."""
        if "#" in url:
            raise WebDriverError(f"{url}: a page driven over WebDriver carries playgate's scripts in its fragment")
        scripts = "\n;\n".join(self.context.init_scripts)
        target = f"{url}#{BOOTSTRAP_FRAGMENT}{quote(scripts, safe='')}" if scripts else url
        self._send("POST", "/url", {"url": target})
        # The context's sessions do not wait for a page to load (pageLoadStrategy "none": a page
        # holding media preloads may not fire its load event for as long as they hold), so
        # wait until the new document is the one scripts run in.
        committed = f"() => location.href.split('#')[0] === new URL({json.dumps(url)}).href.split('#')[0]"
        self.wait_for_function(committed, timeout=timeout)
        self.url = url

    def evaluate(self, expression: str) -> Any:
        return self._send("POST", "/execute/sync", {"script": _script(expression), "args": []})

    def wait_for_function(self, expression: str, *, timeout: float = 30_000) -> JSValue:
        deadline = time.monotonic() + timeout / 1000
        while True:
            value = self.evaluate(expression)
            if value:
                return JSValue(value)
            if time.monotonic() >= deadline:
                raise WebDriverTimeout(f"Timeout {timeout:.0f}ms exceeded waiting for a page function")
            time.sleep(POLL_S)

    def wait_for_timeout(self, timeout: float) -> None:
        time.sleep(timeout / 1000)

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        self.context.switch_to(self.handle)
        return self.context.send(method, path, body)


class WebDriverContext:
    """One WebDriver session: a fresh browser, its windows as pages."""

    def __init__(self, endpoint: str, capabilities: dict[str, Any]) -> None:
        self.endpoint = endpoint
        created = command(endpoint, "POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.session = f"/session/{created['sessionId']}"
        self.version: str = created["capabilities"].get("browserVersion", "")
        self.init_scripts: list[str] = []
        self.pages: list[WebDriverPage] = []
        self._first_window: str | None = self.send("GET", "/window")
        self._current = self._first_window
        self._closed = False

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return command(self.endpoint, method, self.session + path, body)

    def add_init_script(self, *, script: str) -> None:
        self.init_scripts.append(script)

    def new_page(self) -> WebDriverPage:
        """The session's first window, then a new tab for each further page."""
        handle, self._first_window = self._first_window, None
        if handle is None:
            handle = self.send("POST", "/window/new", {"type": "tab"})["handle"]
        page = WebDriverPage(self, handle)
        self.pages.append(page)
        return page

    def switch_to(self, handle: str) -> None:
        if handle != self._current:
            self.send("POST", "/window", {"handle": handle})
            self._current = handle

    def close(self) -> None:
        """End the session (its browser goes with it); never raises."""
        if self._closed:
            return
        self._closed = True
        try:
            self.send("DELETE", "")
        except PlaywrightError:
            pass
