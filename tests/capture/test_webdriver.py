"""The WebDriver classic client (capture.webdriver) against a stand-in driver on loopback:
its answers become values, its errors Playwright's error types, which the run loop handles."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from playgate.capture.webdriver import command


class StandIn(BaseHTTPRequestHandler):
    answers = {
        "/ok": (200, {"value": {"ready": True}}),
        "/timeout": (500, {"value": {"error": "timeout", "message": "Navigation timed out\nmore"}}),
        "/error": (404, {"value": {"error": "no such window", "message": "window closed"}}),
        "/garbage": (500, None),
    }

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = self.answers[self.path]
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"not json" if body is None else json.dumps(body).encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_value_is_returned(endpoint):
    assert command(endpoint, "POST", "/ok") == {"ready": True}


def test_a_timeout_is_playwrights_timeout_in_one_line(endpoint):
    with pytest.raises(PlaywrightTimeout, match=r"^timeout: Navigation timed out$"):
        command(endpoint, "POST", "/timeout")


def test_an_error_is_playwrights_error_naming_it(endpoint):
    with pytest.raises(PlaywrightError, match="no such window: window closed"):
        command(endpoint, "POST", "/error")
    with pytest.raises(PlaywrightError, match="WebDriver POST /garbage: HTTP 500"):
        command(endpoint, "POST", "/garbage")


def test_a_driver_that_is_gone_is_one_error():
    with pytest.raises(PlaywrightError, match="did not answer POST /session"):
        command("http://127.0.0.1:9", "POST", "/session")
