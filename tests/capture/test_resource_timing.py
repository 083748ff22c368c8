"""WebKit's network record, read from Resource Timing entries, and every run's reading of a
page's and its workers' entries (capture.resource_timing)."""

import pytest
from playwright.sync_api import Error as PlaywrightError

from playgate.capture.resource_timing import read_entries, record_from_entry
from playgate.records import ResourceTiming

ORIGIN_MS = 1_700_000_000_000.0


def raw(**figures):
    """An entry as records.RESOURCES_JS reads it from the page."""
    base = {
        "name": "https://127.0.0.1:8443/chunks/chunk-000.mp4?i=0",
        "initiator_type": "video",
        "next_hop_protocol": "h2",
        "start_time": 500.0,
        "dns_start": 500.0,
        "dns_end": 500.0,
        "connect_start": 500.0,
        "secure_start": 0.0,
        "connect_end": 500.0,
        "request_start": 502.0,
        "response_start": 510.0,
        "response_end": 530.0,
        "encoded_body_size": 97682,
        "transfer_size": 98000,
        "status": 200,
    }
    return {**base, **figures}


def entry(**figures):
    return ResourceTiming.from_page(raw(**figures))


def test_a_request_on_a_reused_connection():
    record = record_from_entry(entry(), ORIGIN_MS)
    assert record.source == "resource-timing"
    assert record.protocol == "h2"
    assert record.blocked_ms == 2.0  # start -> request start: no connection was set up
    assert (record.dns_ms, record.connect_ms, record.tls_ms) == (None, None, None)
    assert (record.wait_ms, record.receive_ms) == (8.0, 20.0)
    assert record.resource_type == "media"
    assert record.started_at == pytest.approx((ORIGIN_MS + 500) / 1000)
    assert record.ended_at == pytest.approx((ORIGIN_MS + 530) / 1000)
    assert record.bytes == 97682 and record.status == 200


def test_a_request_that_opened_its_connection():
    record = record_from_entry(
        entry(
            dns_start=501,
            dns_end=503,
            connect_start=503,
            secure_start=505,
            connect_end=520,
            request_start=520,
            response_start=525,
            response_end=540,
        ),
        ORIGIN_MS,
    )
    assert record.blocked_ms == 1.0  # start -> DNS
    assert (
        record.blocked_ms
        == ResourceTiming.from_page(
            {
                "name": "x",
                "start_time": 500,
                "dns_start": 501,
                "dns_end": 503,
                "connect_start": 503,
                "connect_end": 520,
                "request_start": 520,
                "response_start": 530,
                "response_end": 540,
            }
        ).blocked_ms
    )  # one reading of the wait, the cross-check's too
    assert (record.dns_ms, record.connect_ms, record.tls_ms) == (2.0, 2.0, 15.0)


def test_what_resource_timing_does_not_give_stays_none():
    record = record_from_entry(entry(next_hop_protocol="", status=0, transfer_size=0), ORIGIN_MS)
    assert record.protocol is None  # an entry without a protocol: never guessed
    assert record.status is None
    assert record.bytes is None  # nothing came over the network (a cached or opaque entry)
    assert (record.queued_ms, record.send_ms, record.connection_id, record.connection_reused) == (None,) * 4
    assert record.method is None


def fetched(name, start, end):
    """A fetch's entry over a reused connection, as the page reads it."""
    times = dict.fromkeys(("start_time", "dns_start", "dns_end", "connect_start", "connect_end"), start)
    return raw(name=name, **times, request_start=start + 1, response_start=start + 2, response_end=end)


class FakeWorker:
    def __init__(self, origin, entries, gone=False):
        self.read = {"origin": origin, "entries": entries}
        self.gone = gone

    def evaluate(self, script):
        if self.gone:
            raise PlaywrightError("Target page, context or browser has been closed")
        return self.read


class FakePage:
    def __init__(self, entries, workers):
        self.read = {"origin": ORIGIN_MS, "entries": entries}
        self._workers = workers

    @property
    def workers(self):
        return self._workers

    def evaluate(self, script):
        return self.read


SEGMENT = "https://127.0.0.1:8443/hls/seg-000.ts?i=0"


def test_a_workers_entries_are_read_in_the_pages_time():
    # The worker began 155.3 ms after the page: its segment ended 44.1 ms into its own clock.
    worker = FakeWorker(ORIGIN_MS + 155.3, [fetched(SEGMENT, 38.6, 44.1)])
    entries = read_entries(FakePage([], [worker]), with_workers=True)
    (moved,) = entries[SEGMENT]
    assert (moved.start_time, moved.request_start, moved.response_end) == pytest.approx((193.9, 194.9, 199.4))
    assert moved.secure_start == 0.0  # "not given" stays so: no TLS handshake on this request
    assert moved.next_hop_protocol == "h2" and moved.encoded_body_size == 97682


def test_the_pages_own_entry_comes_first_and_a_gone_worker_is_passed_over():
    page_seen = fetched(SEGMENT, 10.0, 20.0)
    workers = [FakeWorker(ORIGIN_MS + 5, [], gone=True), FakeWorker(ORIGIN_MS + 5, [fetched(SEGMENT, 1.0, 2.0)])]
    entries = read_entries(FakePage([page_seen], workers), with_workers=True)
    assert [entry.response_end for entry in entries[SEGMENT]] == [20.0]


def test_workers_are_left_alone_where_the_browser_cannot_read_them():
    class Unreadable(FakePage):
        @property
        def workers(self):
            raise AssertionError("a browser that cannot read a worker is not asked for them")

    assert read_entries(Unreadable([], []), with_workers=False) == {}
