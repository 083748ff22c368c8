"""CDP Network events -> records, on canned payloads shaped like Chromium 156's."""

import pytest

from playgate.capture.cdp import CdpNetworkLog

CHUNK = "https://127.0.0.1:4443/chunks/chunk-000.mp4?i=0"


def timing(request_time, **offsets):
    base = dict.fromkeys(
        (
            "proxyStart",
            "proxyEnd",
            "dnsStart",
            "dnsEnd",
            "connectStart",
            "connectEnd",
            "sslStart",
            "sslEnd",
            "sendStart",
            "sendEnd",
            "receiveHeadersStart",
            "receiveHeadersEnd",
        ),
        -1,
    )
    base.update(requestTime=request_time, **offsets)
    return base


def events_for_queued_h1_chunk():
    # Issued at 100.000 s, started on the network at 100.984 s: 984 ms in the queue,
    # then a fresh TLS connection.
    return [
        (
            "Network.requestWillBeSent",
            {"requestId": "7", "timestamp": 100.0, "type": "Media", "request": {"url": CHUNK}},
        ),
        (
            "Network.responseReceived",
            {
                "requestId": "7",
                "response": {
                    "url": CHUNK,
                    "status": 206,
                    "protocol": "http/1.1",
                    "connectionId": 448,
                    "connectionReused": False,
                    "encodedDataLength": 250,
                    "timing": timing(
                        100.984,
                        dnsStart=0.5,
                        dnsEnd=1.5,
                        connectStart=1.5,
                        connectEnd=9.0,
                        sslStart=3.0,
                        sslEnd=9.0,
                        sendStart=9.5,
                        sendEnd=10.0,
                        receiveHeadersEnd=17.0,
                    ),
                },
            },
        ),
        ("Network.loadingFinished", {"requestId": "7", "timestamp": 101.011, "encodedDataLength": 97932}),
    ]


def test_queued_chunk_phases_are_read_exactly():
    (record,) = CdpNetworkLog().feed(events_for_queued_h1_chunk()).records()
    assert record.url == CHUNK
    assert record.source == "cdp"
    assert record.protocol == "http/1.1"
    assert record.connection_id == "448"
    assert record.connection_reused is False
    assert record.status == 206
    assert record.bytes == 97682
    assert record.queued_ms == pytest.approx(984.0)
    assert record.blocked_ms == pytest.approx(984.5)  # on to dnsStart
    assert record.stalled_ms == pytest.approx(0.5)
    assert record.dns_ms == pytest.approx(1.0)
    assert record.connect_ms == pytest.approx(1.5)  # TCP only: connectStart -> sslStart
    assert record.tls_ms == pytest.approx(6.0)
    assert record.send_ms == pytest.approx(0.5)
    assert record.wait_ms == pytest.approx(7.0)
    assert record.receive_ms == pytest.approx(10.0)  # 101.011 s - (100.984 s + 17 ms)
    assert record.failure is None
    assert record.resource_type == "Media"


def test_reused_h2_connection_has_no_setup_phases():
    events = [
        ("Network.requestWillBeSent", {"requestId": "9", "timestamp": 50.0, "request": {"url": CHUNK}}),
        (
            "Network.responseReceived",
            {
                "requestId": "9",
                "response": {
                    "status": 206,
                    "protocol": "h2",
                    "connectionId": 110,
                    "connectionReused": True,
                    "encodedDataLength": 40,
                    "timing": timing(50.0005, sendStart=0.3, sendEnd=0.4, receiveHeadersEnd=2.4),
                },
            },
        ),
    ]
    (record,) = CdpNetworkLog().feed(events).records()
    assert record.protocol == "h2"
    assert record.connection_reused is True
    assert record.queued_ms == pytest.approx(0.5)
    assert record.blocked_ms == pytest.approx(0.8)  # on to sendStart
    assert (record.dns_ms, record.connect_ms, record.tls_ms) == (None, None, None)
    assert record.wait_ms == pytest.approx(2.0)
    assert record.receive_ms is None  # no loadingFinished: not invented
    assert record.bytes is None


def test_waiting_for_a_free_h2_stream_is_stalled_not_queued():
    # Measured shape: with the server's max concurrent streams in use, Chromium starts
    # the request at once (requestTime) and sends it 696 ms later, when a stream frees.
    events = [
        ("Network.requestWillBeSent", {"requestId": "3", "timestamp": 10.0, "request": {"url": CHUNK}}),
        (
            "Network.responseReceived",
            {
                "requestId": "3",
                "response": {
                    "status": 206,
                    "protocol": "h2",
                    "connectionId": 110,
                    "connectionReused": True,
                    "timing": timing(10.001, sendStart=696.0, sendEnd=696.2, receiveHeadersEnd=701.0),
                },
            },
        ),
    ]
    (record,) = CdpNetworkLog().feed(events).records()
    assert record.queued_ms == pytest.approx(1.0)
    assert record.blocked_ms == pytest.approx(697.0)
    assert record.stalled_ms == pytest.approx(696.0)
    assert record.wait_ms == pytest.approx(4.8)


def test_timing_from_before_the_request_was_issued_gives_no_queue_figure():
    # A cross-origin POST preflighted by CORS (a WHEP offer): its timing starts with the preflight's.
    events = [
        (
            "Network.requestWillBeSent",
            {"requestId": "4", "timestamp": 70.010, "type": "Fetch", "request": {"url": CHUNK}},
        ),
        (
            "Network.responseReceived",
            {
                "requestId": "4",
                "response": {
                    "status": 201,
                    "protocol": "h2",
                    "timing": timing(70.006, sendStart=0.3, sendEnd=0.4, receiveHeadersEnd=12.4),
                },
            },
        ),
    ]
    (record,) = CdpNetworkLog().feed(events).records()
    assert (record.queued_ms, record.blocked_ms) == (None, None)  # not a negative wait
    assert record.wait_ms == pytest.approx(12.0)


def test_request_without_response_keeps_every_figure_null():
    events = [("Network.requestWillBeSent", {"requestId": "1", "timestamp": 1.0, "request": {"url": CHUNK}})]
    (record,) = CdpNetworkLog().feed(events).records()
    assert record.failure == "no response"
    assert record.protocol is None
    assert record.queued_ms is None and record.blocked_ms is None and record.stalled_ms is None


def test_failed_and_canceled_requests_say_so():
    events = [
        ("Network.requestWillBeSent", {"requestId": "1", "timestamp": 1.0, "request": {"url": CHUNK}}),
        ("Network.loadingFailed", {"requestId": "1", "errorText": "net::ERR_ABORTED", "canceled": True}),
    ]
    (record,) = CdpNetworkLog().feed(events).records()
    assert record.failure == "canceled (net::ERR_ABORTED)"


def test_redirect_keeps_the_last_request_and_settles_by_url():
    log = CdpNetworkLog().feed(
        [
            ("Network.requestWillBeSent", {"requestId": "1", "timestamp": 1.0, "request": {"url": "https://a/old"}}),
            ("Network.requestWillBeSent", {"requestId": "1", "timestamp": 1.2, "request": {"url": CHUNK}}),
        ]
    )
    assert not log.settled({CHUNK})
    log.handle("Network.loadingFinished", {"requestId": "1", "timestamp": 1.5, "encodedDataLength": 10})
    assert log.settled({CHUNK})
    assert [r.url for r in log.records()] == [CHUNK]


def test_events_for_unknown_requests_are_ignored():
    log = CdpNetworkLog()
    log.handle("Network.loadingFinished", {"requestId": "404", "timestamp": 1.0})
    log.handle("Network.dataReceived", {})
    assert log.records() == []


def test_inconsistent_byte_count_is_null_not_clamped():
    events = events_for_queued_h1_chunk()
    events[-1] = ("Network.loadingFinished", {"requestId": "7", "timestamp": 101.011, "encodedDataLength": 100})
    (record,) = CdpNetworkLog().feed(events).records()
    assert record.bytes is None


def test_end_is_on_the_epoch_clock_of_the_issue():
    events = events_for_queued_h1_chunk()
    events[0][1]["wallTime"] = 1_790_000_000.0  # issue, epoch s; timestamps are monotonic
    (record,) = CdpNetworkLog().feed(events).records()
    assert record.started_at == 1_790_000_000.0
    assert record.network_at == pytest.approx(1_790_000_000.9845)
    assert record.ended_at == pytest.approx(1_790_000_001.011)  # loadingFinished at 101.011 s


def test_a_failed_request_ends_when_it_failed():
    events = [
        (
            "Network.requestWillBeSent",
            {"requestId": "1", "timestamp": 5.0, "wallTime": 1000.0, "request": {"url": CHUNK}},
        ),
        ("Network.loadingFailed", {"requestId": "1", "timestamp": 5.25, "errorText": "net::ERR_ABORTED"}),
    ]
    (record,) = CdpNetworkLog().feed(events).records()
    assert record.ended_at == pytest.approx(1000.25)


@pytest.mark.parametrize("name", ["Alt-Svc", "alt-svc"])  # as sent over HTTP/1.1, and over h2/h3
def test_the_alt_svc_header_is_kept_whatever_its_case(name):
    events = events_for_queued_h1_chunk()
    events[1][1]["response"]["headers"] = {"Content-Type": "video/mp4", name: 'h3=":4443"; ma=3600'}
    (record,) = CdpNetworkLog().feed(events).records()
    assert record.alt_svc == 'h3=":4443"; ma=3600'
    (without,) = CdpNetworkLog().feed(events_for_queued_h1_chunk()).records()
    assert without.alt_svc is None
