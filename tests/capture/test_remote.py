"""Browsers on other machines: the --connect endpoints, and every way it can go wrong said in
one line (an endpoint that is not one, nothing listening there, a port in use, h3 flags a
served browser cannot be given)."""

import socket
import subprocess
import sys

import pytest

from playgate.capture.remote import BrowserServer, parse_endpoints
from playgate.entrypoints.cli import main
from playgate.errors import BrowserLaunchError, UsageError


def test_endpoints_per_browser():
    assert parse_endpoints("chromium=ws://10.0.0.2:3000/playgate/chromium, firefox=wss://grid/x") == {
        "chromium": "ws://10.0.0.2:3000/playgate/chromium",
        "firefox": "wss://grid/x",
    }
    assert parse_endpoints(None) == {} == parse_endpoints("")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ws://host:1/x", "give BROWSER=ws://HOST:PORT/PATH"),
        ("chromium=http://host:1/x", "must be a ws:// or wss:// URL"),
        ("safari=ws://host:1/x", "unknown browser 'safari'"),
    ],
)
def test_a_wrong_endpoint_is_one_usage_error(text, message):
    with pytest.raises(UsageError, match=message):
        parse_endpoints(text)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nothing_listening_at_the_endpoint_is_one_line_naming_it():
    endpoint = f"ws://127.0.0.1:{free_port()}/playgate/chromium"
    done = subprocess.run(
        [sys.executable, "-m", "playgate", "run", "--browser", "chromium", "--connect", f"chromium={endpoint}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"could not use the browser server at {endpoint}" in line and "playgate browser-server" in line, line


def test_the_h3_modes_are_refused_with_a_served_browser():
    done = subprocess.run(  # a process of its own: pytest-playwright holds this one's Playwright
        [sys.executable, "-m", "playgate", "run", "--browser", "chromium", "--mode", "h3"]
        + ["--connect", "chromium=ws://127.0.0.1:9/x"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "the h3 modes and --ca-cert launch the browser with flags" in line, line


def test_a_browser_server_on_a_port_in_use_is_one_error_and_leaves_nothing():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = BrowserServer("chromium", port=port)
        with pytest.raises(BrowserLaunchError, match=f"did not start on 127.0.0.1:{port}: .*EADDRINUSE"):
            server.start()
    assert server.process is None


def test_browser_server_takes_one_browser(capsys):
    assert main(["browser-server", "--browser", "all"]) == 2
    assert "a browser server serves one browser" in capsys.readouterr().err


def test_headed_is_refused_for_a_served_browser(capsys):
    assert main(["run", "--browser", "chromium", "--headed", "--connect", "chromium=ws://127.0.0.1:9/x"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--headed shows the browser on this machine; chromium with --connect" in line, line
