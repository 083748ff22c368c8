"""WebKit, the third engine (WebKitGTK's MiniBrowser over WebDriver classic), on the reference
server: healthy h2 passes, the HTTP/1.1 regression is caught on the figures it has, and
what it cannot report is said in every run. The processes it starts (WebKitWebDriver,
MiniBrowser, the virtual display) are gone once the gate returns.
"""

import os

import pytest

from playgate import gate
from playgate.capture.browser_finder import is_installed
from playgate.errors import UsageError
from tests.processes import alive, cmdline, descendants

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not is_installed("webkit"), reason="WebKitGTK's WebDriver is not installed (make setup)"),
]

WEBKIT_PROCESSES = ("WebKitWebDriver", "MiniBrowser", "WebKitWebProcess", "WebKitNetworkProcess", "Xvfb")


def webkit_processes_of_this_test():
    return [
        cmdline(pid)
        for pid in descendants(os.getpid())
        if alive(pid) and any(n in cmdline(pid) for n in WEBKIT_PROCESSES)
    ]


@pytest.fixture(scope="module")
def webkit_runs():
    judged = gate(browser="webkit", mode="h2,h1-tls", pressure="media:5", chunks=4)
    return {run.run.label.split()[0]: run for run in judged}


def test_healthy_h2_passes_with_the_protocol_read_from_the_page(webkit_runs):
    h2 = webkit_runs["h2"]
    assert h2.verdict.passed, h2.verdict.reasons
    assert h2.run.browser == "webkit"
    assert [c.network.protocol for c in h2.run.chunks] == ["h2"] * 4
    assert all(c.network.source == "resource-timing" for c in h2.run.chunks)
    assert h2.run.playback.first_frame_ms is not None


def test_http11_is_caught_by_the_protocol_rule(webkit_runs):
    h1 = webkit_runs["h1-tls"]
    assert not h1.verdict.passed
    assert any(reason.startswith("protocol: chunk 0 was served over http/1.1") for reason in h1.verdict.reasons)
    assert {c.network.protocol for c in h1.run.chunks} == {"http/1.1"}


def test_what_webkit_cannot_report_is_said_and_left_empty(webkit_runs):
    run = webkit_runs["h2"].run
    assert any(note.startswith("webkit: Resource Timing gives no request until it ends") for note in run.notes)
    for chunk in run.chunks:
        assert chunk.network.queued_ms is None
        assert chunk.network.connection_id is None
        assert chunk.network.connection_reused is None


def test_nothing_of_webkit_is_left_running(webkit_runs):
    assert webkit_processes_of_this_test() == []


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
