"""--live lines, from canned events (the real-browser check is in the CLI tests)."""

import io

from playgate.capture.live import LiveLog
from tests.factory import network


def lines(log):
    return [line.split(log.browser, 1)[1].strip() for line in log.out.getvalue().splitlines()]


def test_chunks_are_numbered_in_request_order_and_other_requests_are_left_out():
    log = LiveLog("chromium", r"/chunks/", None, out=io.StringIO())
    log.network_event("requested", "https://h/static/player.js", None)
    log.network_event("requested", "https://h/chunks/b.mp4", None)
    log.network_event("requested", "https://h/chunks/a.mp4", None)
    record = network("https://h/chunks/a.mp4", blocked_ms=716.0, queued_ms=703.0, connect_ms=None)
    log.network_event("response", record.url, record)
    log.page_event("frame", {"url": "https://h/chunks/a.mp4"})
    assert lines(log) == [
        "chunk 0 requested https://h/chunks/b.mp4",
        "chunk 1 requested https://h/chunks/a.mp4",
        "chunk 1 response: blocked 716 ms (queued 703, stalled 13), h2, connection 110, "
        "first byte after 2 ms, download 5 ms",
        "chunk 1 first frame",
    ]


def test_firefox_lines_say_only_what_firefox_gives():
    log = LiveLog("firefox", r"/chunks/", None, out=io.StringIO())
    record = network("https://h/chunks/a.mp4", source="bidi", protocol=None, blocked_ms=30.0)
    log.network_event("finished", record.url, record)
    failed = network("https://h/chunks/b.mp4", failure="net::ERR_ABORTED")
    log.network_event("finished", failed.url, failed)
    log.page_event("sse", {"type": "message", "data": "x" * 200})
    assert lines(log)[0] == "chunk 0 downloaded: blocked 30 ms, first byte after 2 ms, download 5 ms"
    assert lines(log)[1] == "chunk 1 failed: net::ERR_ABORTED"
    assert lines(log)[2] == "event stream: message " + "x" * 80
