"""Firefox (BiDi through Playwright) -> records, on canned snapshots."""

from dataclasses import replace

import pytest
from playwright.sync_api import Error as PlaywrightError

from playgate.capture.bidi import BidiSnapshot, protocol_from_bidi, record_from_bidi, snapshot_from_playwright
from playgate.capture.recorders import BidiRecorder
from playgate.records import ResourceTiming

CHUNK = "https://127.0.0.1:4443/chunks/chunk-000.mp4?i=0"
ABSENT = -1


def page_entry(protocol):
    return ResourceTiming(CHUNK, protocol, 100.0, 1100.0, 1105.0, 1113.0)


def queued_snapshot(http_version="HTTP/1.1"):
    # Firefox held this request 1082 ms before sending it on an idle keep-alive connection.
    return BidiSnapshot(
        url=CHUNK,
        timing={
            "startTime": 1_700_000_000_000.0,
            "domainLookupStart": ABSENT,
            "domainLookupEnd": ABSENT,
            "connectStart": ABSENT,
            "secureConnectionStart": ABSENT,
            "connectEnd": ABSENT,
            "requestStart": 1082.0,
            "responseStart": 1087.5,
            "responseEnd": 1095.0,
        },
        http_version=http_version,
        status=206,
        body_size=97682,
        failure=None,
        resource_type="media",
        content_length=97682,  # the whole body arrived: its end is an end
    )


def test_queued_firefox_request():
    record = record_from_bidi(queued_snapshot(), page_entry("http/1.1"))
    assert record.source == "bidi"
    assert record.protocol == "http/1.1"
    assert record.blocked_ms == 1082.0
    assert record.queued_ms is None and record.stalled_ms is None  # Firefox does not split it
    assert record.wait_ms == 5.5
    assert record.receive_ms == 7.5
    assert (record.dns_ms, record.connect_ms, record.tls_ms, record.send_ms) == (None, None, None, None)
    assert (record.connection_id, record.connection_reused) == (None, None)
    assert record.bytes == 97682
    assert record.status == 206


def test_new_tls_connection_phases():
    snapshot = BidiSnapshot(
        url=CHUNK,
        timing={
            "startTime": 0.0,
            "domainLookupStart": 25.8,
            "domainLookupEnd": 25.9,
            "connectStart": 26.0,
            "secureConnectionStart": 27.5,
            "connectEnd": 33.3,
            "requestStart": 36.8,
            "responseStart": 99.4,
            "responseEnd": 102.8,
        },
        http_version="HTTP/2.0",
        status=200,
        body_size=10,
        failure=None,
    )
    record = record_from_bidi(snapshot, None)
    assert record.protocol == "h2"
    assert record.blocked_ms == 25.8
    assert record.dns_ms == pytest.approx(0.1)
    assert record.connect_ms == pytest.approx(1.5)
    assert record.tls_ms == pytest.approx(5.8)
    assert record.wait_ms == pytest.approx(62.6)


@pytest.mark.parametrize(
    ("reported", "page", "expected"),
    [
        ("HTTP/2.0", None, "h2"),
        ("HTTP/3.0", None, "h3"),
        ("h3", None, "h3"),
        # Playwright says HTTP/1.1 when Firefox gave nothing: only the page can confirm it.
        ("HTTP/1.1", "http/1.1", "http/1.1"),
        ("HTTP/1.1", None, None),
        ("HTTP/1.1", "h2", None),
        (None, "h2", None),
    ],
)
def test_protocol_is_read_never_guessed(reported, page, expected):
    entry = page_entry(page) if page else None
    assert protocol_from_bidi(reported, entry) == expected


def test_failed_request_has_no_figures():
    snapshot = BidiSnapshot(CHUNK, {}, None, None, None, "NS_BINDING_ABORTED")
    record = record_from_bidi(snapshot, None)
    assert record.failure == "NS_BINDING_ABORTED"
    assert record.blocked_ms is None
    assert record.protocol is None


def test_end_is_taken_only_when_the_whole_body_arrived():
    record = record_from_bidi(queued_snapshot(), page_entry("http/1.1"))
    assert record.ended_at == pytest.approx(1_700_000_000.0 + 1.095)
    assert record.receive_ms == pytest.approx(7.5)


@pytest.mark.parametrize(
    "change",
    [
        {"content_length": None},  # an event stream or any response without a length
        {"content_length": 7_900_000},  # a preloading video let go part way
        {"content_length": 97682, "failure": "NS_BINDING_ABORTED"},  # an aborted fetch() stream
    ],
)
def test_no_end_for_a_response_that_did_not_arrive_whole(change):
    record = record_from_bidi(replace(queued_snapshot(), **change), page_entry("http/1.1"))
    assert record.ended_at is None and record.receive_ms is None
    assert record.wait_ms == pytest.approx(5.5)  # what came before the end still stands


def test_the_alt_svc_header_is_kept():
    snapshot = replace(queued_snapshot("HTTP/2.0"), alt_svc='h3=":4443"; ma=3600')
    assert record_from_bidi(snapshot, None).alt_svc == 'h3=":4443"; ma=3600'
    assert record_from_bidi(queued_snapshot("HTTP/2.0"), None).alt_svc is None


@pytest.mark.parametrize("change", [{}, {"failure": "net::ERR_ABORTED"}, {"body_size": 0}])
def test_playwrights_chromium_timing_gives_no_end(change):
    # A Chromium worker's request the DevTools session missed, read from Playwright's events:
    # its responseEnd counts from requestWillBeSent, its start and phases from requestTime,
    # so the end would come late by the time between them. The run takes the end from
    # Resource Timing instead; the phases before it stand.
    record = record_from_bidi(replace(queued_snapshot("HTTP/2.0"), **change), None, source="playwright")
    assert (record.source, record.protocol, record.ended_at, record.receive_ms) == ("playwright", "h2", None, None)
    assert record.wait_ms == pytest.approx(5.5)


class FakeResponse:
    status = 404
    headers = {"content-type": "text/plain; charset=utf-8", "content-length": "13"}

    def http_version(self):
        return "HTTP/2.0"


class FakeRequest:
    """A Playwright Request that failed after its response came (a 404 the element cancelled)."""

    url, timing, resource_type, method = CHUNK, {"startTime": 1.0}, "media", "GET"
    failure = "NS_BINDING_ABORTED"

    def response(self):
        return FakeResponse()

    def sizes(self):
        raise AssertionError("Playwright cannot size a failed request")


def test_a_request_that_failed_after_its_response_keeps_the_status_it_got():
    snapshot = snapshot_from_playwright(FakeRequest())
    assert (snapshot.status, snapshot.failure, snapshot.http_version) == (404, "NS_BINDING_ABORTED", "HTTP/2.0")
    assert (snapshot.mime_type, snapshot.content_length, snapshot.body_size) == ("text/plain", 13, None)


class BlobScriptRequest(FakeRequest):
    """Chromium through Playwright: a blob: script a worker imports, sized below 0."""

    url, failure = "blob:https://127.0.0.1:4443/0f2b", None

    def sizes(self):
        return {"responseBodySize": -74}


def test_a_size_below_zero_is_unknown_not_a_size():
    assert snapshot_from_playwright(BlobScriptRequest()).body_size is None


class RequestOfAKilledBrowser(FakeRequest):
    """Finished just as its browser was killed: Playwright cannot size it any more."""

    failure = None

    def sizes(self):
        raise PlaywrightError("Request.sizes: Target page, context or browser has been closed")


class FakePage:
    def __init__(self):
        self.handlers = {}

    def on(self, event, handler):
        self.handlers[event] = handler


def test_a_live_line_for_a_request_of_a_browser_gone_is_left_out_not_raised():
    # Raised in Playwright's event handler, it printed a traceback before the run's own
    # one-line error that the browser's process ended.
    page, lines = FakePage(), []
    BidiRecorder().attach(None, page, lambda kind, url, record: lines.append((kind, url)))
    page.handlers["requestfinished"](RequestOfAKilledBrowser())
    assert lines == []


def test_a_phase_whose_end_comes_before_its_start_is_not_given():
    # Firefox gave a secureConnectionStart 1.5 ms before connectStart: no connect phase is
    # known then, and the run goes on (a negative duration stopped it).
    snapshot = queued_snapshot("HTTP/2.0")
    t = dict(snapshot.timing, connectStart=20.0, secureConnectionStart=18.5, connectEnd=30.0)
    record = record_from_bidi(replace(snapshot, timing=t), None)
    assert record.connect_ms is None
    assert record.tls_ms == pytest.approx(11.5)
