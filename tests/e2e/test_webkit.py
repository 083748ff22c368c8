"""WebKit, the third engine (WebKitGTK's MiniBrowser over WebDriver classic), on the reference
server: healthy h2 passes, the HTTP/1.1 regression is caught on the figures it has, and
what it cannot report is said in every run. The processes it starts (WebKitWebDriver,
MiniBrowser, the virtual display) are gone once the gate returns.
"""

import json
import os
import subprocess
import sys

import pytest

from playgate import gate
from playgate.capture.browser_finder import is_installed
from playgate.errors import UsageError
from tests.processes import alive, cmdline

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not is_installed("webkit"), reason="WebKitGTK's WebDriver is not installed (make setup)"),
]

WEBKIT_PROCESSES = ("WebKitWebDriver", "MiniBrowser", "WebKitWebProcess", "WebKitNetworkProcess", "Xvfb")


def webkit_processes():
    """Every live process of WebKit's kind on the machine, by pid: those a run leaves behind
    are reparented away from it, so its own descendants would not show them."""
    pids = (int(entry) for entry in os.listdir("/proc") if entry.isdigit())
    return {pid for pid in pids if alive(pid) and any(name in cmdline(pid) for name in WEBKIT_PROCESSES)}


@pytest.fixture(scope="module")
def webkit_runs(tmp_path_factory):
    """h2 and h1-tls under media pressure in WebKit, through the command line (a gate of its own:
    the test session's Playwright already runs an event loop in this thread)."""
    result = tmp_path_factory.mktemp("webkit") / "result.json"
    before = webkit_processes()
    done = subprocess.run(
        [sys.executable, "-m", "playgate", "run", "--browser", "webkit", "--mode", "h2,h1-tls"]
        + ["--pressure", "media:5", "--chunks", "4", "--json", str(result)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # h1-tls is red
    assert "playgate: 1 passed, 1 failed" in done.stdout
    runs = {run["mode"]: run for run in json.loads(result.read_text())["runs"]}
    runs["left running"] = sorted(cmdline(pid) for pid in webkit_processes() - before)
    return runs


def test_healthy_h2_passes_with_the_protocol_read_from_the_page(webkit_runs):
    h2 = webkit_runs["h2"]
    assert h2["verdict"] == "pass", h2["reasons"]
    assert h2["browser"] == "webkit" and h2["browser_version"]
    assert [c["protocol"] for c in h2["chunks"]] == ["h2"] * 4
    assert {c["source"] for c in h2["chunks"]} == {"resource-timing"}
    assert h2["playback"]["startup_ms"] is not None


def test_http11_is_caught_by_the_protocol_rule(webkit_runs):
    h1 = webkit_runs["h1-tls"]
    assert h1["verdict"] == "fail"
    assert any(reason.startswith("protocol: chunk 0 was served over http/1.1") for reason in h1["reasons"])
    assert {c["protocol"] for c in h1["chunks"]} == {"http/1.1"}


def test_what_webkit_cannot_report_is_said_and_left_empty(webkit_runs):
    run = webkit_runs["h2"]
    assert any(note.startswith("webkit: Resource Timing gives no request until it ends") for note in run["notes"])
    for chunk in run["chunks"]:
        assert chunk["queued_ms"] is None and chunk["stalled_ms"] is None
        assert chunk["connection_id"] is None and chunk["connection_reused"] is None
    assert run["crosscheck"] is None  # its network record is the page's Resource Timing: nothing to compare


def test_nothing_of_webkit_is_left_running(webkit_runs):
    assert webkit_runs["left running"] == []


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({"url": "https://127.0.0.1:9/"}, "--url"),
        ({"mode": "h3"}, "the h3 modes"),
        ({"live": True}, "--live"),
    ],
)
def test_what_only_playwrights_pages_give_is_one_usage_error(settings, refused):
    settings = {"browser": "webkit", **settings}
    with pytest.raises(UsageError, match=f"webkit measures the bundled page alone .*not {refused}"):
        gate(**settings)


def test_the_pytest_plugin_runs_its_tests_in_webkit(pytester):
    pytester.makepyfile(
        test_user="""
from playgate.entrypoints.assertions import assert_gate_fails, assert_gate_passes

def test_healthy(playgate_run):
    assert_gate_passes(playgate_run(mode="h2", pressure="media:5"))

def test_regressed(playgate_run):
    assert_gate_fails(playgate_run(mode="h1-tls", pressure="media:5"), "protocol")
"""
    )
    result = pytester.runpytest_subprocess("--browser", "webkit", "--playgate-chunks", "3", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
