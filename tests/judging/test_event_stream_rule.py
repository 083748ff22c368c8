"""The event stream rule on canned records: the page's event stream judged on its own wait
before the network, with what it waited for, against the chunks' limits or its own."""

from dataclasses import replace

from playgate.config import GateRules
from playgate.judging.gate import JudgedRun, evaluate, stream_waits
from playgate.origin import OriginProbe
from playgate.reports.result import result_document
from playgate.reports.table import describe
from tests.factory import chunk, network, run

ORIGIN = "https://127.0.0.1:4443"
T0 = 1_790_000_000.0


def page_with_a_stream(stream_blocked_ms):
    """Over HTTP/1.1: six idle clips on the network from T0 until T0 + 1 s; the event stream
    issued at T0 + 0.1 s reaching the network after ``stream_blocked_ms``."""
    idle = tuple(
        network(f"{ORIGIN}/idle/{i}.mp4", protocol="http/1.1", started_at=T0, ended_at=T0 + 1.0 + i / 100)
        for i in range(6)
    )
    stream = network(
        f"{ORIGIN}/live/feed",
        protocol="http/1.1",
        blocked_ms=stream_blocked_ms,
        started_at=T0 + 0.1,
        mime_type="text/event-stream",
        ended_at=None,
    )
    record = run(chunk(0, protocol="http/1.1", started_at=T0 + 2.0))  # announced once the stream opened
    return replace(record, requests=(*idle, stream, *record.requests), event_streams=(stream,))


HTTP1 = GateRules(expected_protocol="http/1.1")


def test_a_stream_queued_for_a_connection_breaks_its_rule_and_names_what_held_it():
    verdict = evaluate(page_with_a_stream(900.0), HTTP1)
    (reason,) = [r for r in verdict.reasons if r.startswith("event stream:")]
    assert reason.startswith(
        "event stream: the page's event stream /live/feed waited 900 ms before reaching the network "
        f"for one of 6 connections to {ORIGIN} (held by /idle/0.mp4, /idle/1.mp4, /idle/2.mp4, /idle/3.mp4, "
        "/idle/4.mp4 and /idle/5.mp4); "
        "it went 0 ms after /idle/0.mp4 ended"
    ), reason
    assert reason.endswith("(limit 50 ms): every chunk it announces comes that much later"), reason


def test_a_stream_that_did_not_wait_passes():
    assert not [r for r in evaluate(page_with_a_stream(2.0), HTTP1).reasons if r.startswith("event stream:")]


def test_its_own_limit_when_set():
    rules = replace(HTTP1, max_stream_queued_ms=1000.0)
    assert not [r for r in evaluate(page_with_a_stream(900.0), rules).reasons if r.startswith("event stream:")]
    assert [r for r in evaluate(page_with_a_stream(1100.0), rules).reasons if r.startswith("event stream:")]


def test_the_stream_in_the_table_and_the_json():
    record = page_with_a_stream(900.0)
    judged = JudgedRun(record, evaluate(record, HTTP1))
    assert "event stream /live/feed: 900 ms before the network, waited for 6/6 conn (http/1.1)" in describe(judged)
    (stream,) = result_document([judged])["runs"][0]["event_streams"]
    assert (stream["blocked_ms"], stream["waited_for"]["cause"], stream["waited_for"]["in_flight"]) == (
        900.0,
        "connections",
        6,
    )


def firefox_stream_without_a_protocol(probe):
    """Firefox names no protocol for an event stream that never ends: the idle clips'
    protocol is known, the stream's is not."""
    record = page_with_a_stream(900.0)
    stream = replace(record.event_streams[0], protocol=None, source="bidi", connection_id=None)
    requests = tuple(stream if r.url.endswith("/live/feed") else r for r in record.requests)
    return replace(record, browser="firefox", requests=requests, event_streams=(stream,), origins=(probe,))


def test_a_stream_firefox_names_no_protocol_for_is_http1_where_the_origin_speaks_nothing_else():
    only_http1 = OriginProbe(ORIGIN, tls=True, alpn="http/1.1")
    (wait,) = stream_waits(firefox_stream_without_a_protocol(only_http1))
    assert (wait.cause, wait.in_flight, wait.limit) == ("connections", 6, 6), wait


def test_but_not_where_the_origin_offers_h2_or_was_not_probed():
    for probe in (OriginProbe(ORIGIN, tls=True, alpn="h2"), OriginProbe(ORIGIN, tls=True, error="refused")):
        (wait,) = stream_waits(firefox_stream_without_a_protocol(probe))
        assert wait.cause is None, (probe, wait)
