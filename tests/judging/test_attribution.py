"""What a request waited for, from canned records of every page of a context."""

import pytest

from playgate.config import GateRules
from playgate.judging.attribution import attribute, held_by
from playgate.judging.gate import evaluate
from playgate.records import RunRecord
from tests.factory import chunk, network, run

ORIGIN = "https://127.0.0.1:4443"
T0 = 1_790_000_000.0  # epoch seconds


def request(path, *, at, blocked=1.0, ended=None, protocol="http/1.1", connection="7", source="cdp"):
    """A request issued ``at`` s after T0, ``blocked`` ms before the network, ended ``ended`` s after T0."""
    return network(
        f"{ORIGIN}{path}",
        protocol=protocol,
        source=source,
        blocked_ms=blocked,
        queued_ms=blocked if source == "cdp" else None,
        started_at=T0 + at,
        ended_at=None if ended is None else T0 + ended,
        connection_id=connection if source == "cdp" else None,
    )


def h1_holders(source="cdp"):
    """The SSE stream and five preloading videos, as under media:5: all six connections."""
    events = request("/events?chunks=5", at=0.0, source=source)
    media = [request(f"/pressure/media?i={i}", at=0.01 * i, ended=1.200 + 0.01 * i, source=source) for i in range(5)]
    return [events, *media]


def test_a_chunk_behind_six_http1_connections_waited_for_connections_and_names_its_release():
    holders = h1_holders()
    late = request("/chunks/chunk-000.mp4", at=0.5, blocked=702.0)  # on the network at 1.202 s
    wait = attribute(late, [*holders, late], max_streams=100)
    assert wait.cause == "connections"
    assert (wait.in_flight, wait.limit, wait.unit) == (6, 6, "connections")
    assert wait.holders == tuple(h.url for h in holders)
    assert wait.released_by == f"{ORIGIN}/pressure/media?i=0"  # ended 1.200 s, the last before 1.202 s
    assert wait.released_gap_ms == pytest.approx(2.0, abs=0.01)  # epoch floats: sub-µs rounding
    assert wait.explain() == (
        f"for one of 6 connections to {ORIGIN} (held by /events and 5 × /pressure/media); "
        "it went 2 ms after /pressure/media?i=0 ended"
    )
    assert wait.short == "6/6 conn"


def test_a_cancelled_holder_whose_end_was_stamped_after_the_chunk_went_is_still_its_release():
    streams = [
        request(f"/pressure/sse?i={i}", at=0.0, ended=1.206 + 0.001 * i, protocol="h2", connection="9")
        for i in range(3)
    ]
    events = request("/events", at=0.0, protocol="h2", connection="9")
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=702.0, protocol="h2", connection="9")
    wait = attribute(chunk_request, [*streams, events, chunk_request], max_streams=4)
    assert (wait.cause, wait.in_flight) == ("streams", 4)
    assert wait.released_by == f"{ORIGIN}/pressure/sse?i=0"  # the first end after 1.202 s
    assert wait.released_gap_ms == pytest.approx(-4.0, abs=0.01)
    assert wait.explain().endswith("it went as /pressure/sse?i=0 was cancelled (whose end the page stamped 4 ms later)")


def test_an_end_well_after_the_chunk_went_is_not_named_its_release():
    holders = [request(f"/pressure/media?i={i}", at=0.0, ended=1.230) for i in range(6)]
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=702.0)  # 28 ms before any end
    wait = attribute(chunk_request, [*holders, chunk_request], max_streams=100)
    assert (wait.cause, wait.in_flight) == ("connections", 6)
    assert wait.released_by is None and wait.released_gap_ms is None


def test_five_busy_connections_leave_one_free_so_a_wait_is_not_contention():
    holders = h1_holders()[:5]
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=150.0)
    wait = attribute(chunk_request, [*holders, chunk_request], max_streams=100)
    assert (wait.cause, wait.in_flight, wait.limit) == ("none", 5, 6)
    assert "no contention seen (5 of 6 connections" in wait.explain()


def test_holders_that_ended_or_were_queued_themselves_do_not_hold_a_connection():
    ended = request("/pressure/media?i=9", at=0.0, ended=0.4)
    queued = request("/pressure/media?i=8", at=0.45, blocked=900.0)  # issued before, on the network later
    others = h1_holders()[:4]
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=20.0)
    wait = attribute(chunk_request, [ended, queued, *others, chunk_request], max_streams=100)
    assert (wait.cause, wait.in_flight) == ("none", 4)


def test_firefox_cancelled_holders_without_an_end_count_as_still_in_flight():
    holders = [request(f"/pressure/media?i={i}", at=0.0, source="bidi") for i in range(6)]  # no end given
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=700.0, source="bidi")
    wait = attribute(chunk_request, [*holders, chunk_request], max_streams=100)
    assert (wait.cause, wait.in_flight) == ("connections", 6)
    assert wait.released_by is None and wait.released_gap_ms is None


def test_h2_streams_count_on_the_chunks_own_connection_against_the_servers_limit():
    streams = [request(f"/pressure/sse?i={i}", at=0.0, protocol="h2", connection="9") for i in range(3)]
    events = request("/events", at=0.0, protocol="h2", connection="9")
    elsewhere = request("/other", at=0.0, protocol="h2", connection="12")
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=690.0, protocol="h2", connection="9")
    everything = [*streams, events, elsewhere, chunk_request]
    wait = attribute(chunk_request, everything, max_streams=4)
    assert (wait.cause, wait.in_flight, wait.limit, wait.short) == ("streams", 4, 4, "4/4 streams")
    assert attribute(chunk_request, everything, max_streams=100).cause == "none"


def test_firefox_h2_streams_are_counted_per_origin_and_protocol():
    streams = [request(f"/pressure/sse?i={i}", at=0.0, protocol="h2", source="bidi") for i in range(4)]
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=690.0, protocol="h2", source="bidi")
    assert attribute(chunk_request, [*streams, chunk_request], max_streams=4).cause == "streams"


def test_an_unknown_stream_limit_cannot_say_streams_or_none():
    events = request("/events", at=0.0, protocol="h2", connection="9")
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=150.0, protocol="h2", connection="9")
    wait = attribute(chunk_request, [events, chunk_request], max_streams=None)
    assert (wait.cause, wait.in_flight, wait.limit) == (None, 1, None)
    assert "limit is unknown" in wait.explain()


def test_alone_on_its_connection_no_stream_limit_held_it_known_or_not():
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=150.0, protocol="h2", connection="9")
    wait = attribute(chunk_request, [chunk_request], max_streams=None)
    assert (wait.cause, wait.in_flight, wait.limit) == ("none", 0, None)
    assert wait.explain().startswith("with no contention seen (0 streams to https://127.0.0.1:4443 busy)")


def test_a_request_without_an_issue_time_counts_as_a_holder_of_the_upper_bound():
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=150.0)
    no_start = network(f"{ORIGIN}/events", protocol=None, started_at=None)
    # Alone, it cannot have filled six connections: no contention, whatever it was.
    wait = attribute(chunk_request, [no_start, chunk_request], max_streams=100)
    assert (wait.cause, wait.in_flight, wait.limit) == ("none", 1, 6)
    # Beside five known holders it could have been the sixth: the records cannot say.
    five = h1_holders()[1:]
    wait = attribute(chunk_request, [*five, no_start, chunk_request], max_streams=100)
    assert (wait.cause, wait.in_flight, wait.limit) == (None, None, 6)
    # Over h2 with the server's limit unknown, it may be a stream of the same connection.
    h2_chunk = request("/chunks/chunk-000.mp4", at=0.5, blocked=150.0, protocol="h2")
    assert attribute(h2_chunk, [no_start, h2_chunk], max_streams=None).cause is None


def test_without_times_the_records_cannot_say():
    no_blocked = network(f"{ORIGIN}/chunks/x", protocol="http/1.1", blocked_ms=None, queued_ms=None)
    assert attribute(no_blocked, [no_blocked], max_streams=100).in_flight is None


def test_other_origins_do_not_count():
    foreign = [
        network(f"https://127.0.0.2:4443/x?i={i}", protocol="http/1.1", started_at=T0, blocked_ms=1.0) for i in range(6)
    ]
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=150.0)
    assert attribute(chunk_request, [*foreign, chunk_request], max_streams=100).in_flight == 0


def test_holders_are_grouped_by_path():
    assert held_by([f"{ORIGIN}/events", *(f"{ORIGIN}/pressure/media?i={i}" for i in range(5))]) == (
        "/events and 5 × /pressure/media"
    )
    assert held_by([f"{ORIGIN}/a", f"{ORIGIN}/b", f"{ORIGIN}/c"]) == "/a, /b and /c"


# The gate, both ways: contention fails at max_queued_ms; a wait with none seen has its own limit.
RULES = GateRules(expected_protocol="http/1.1", max_queued_ms=100.0, max_uncontended_ms=300.0)


def gated(blocked_ms, holders):
    chunk_record = chunk(0, protocol="http/1.1", blocked_ms=blocked_ms, started_at=T0 + 0.5, connection_id="7")
    return evaluate(run(chunk_record, requests=(*holders, chunk_record.network)), RULES)


def test_contended_wait_over_the_limit_fails_and_names_the_holders():
    verdict = gated(150.0, h1_holders())
    assert not verdict.passed
    (reason,) = verdict.reasons
    assert reason.startswith("queueing: chunk 0 waited 150 ms before reaching the network")
    assert "for one of 6 connections to https://127.0.0.1:4443 (held by /events and 5 × /pressure/media)" in reason
    assert reason.endswith("(limit 100 ms)")
    assert verdict.waits[0].cause == "connections"


def test_uncontended_wait_under_its_own_limit_passes_with_a_note():
    verdict = gated(150.0, h1_holders()[:2])
    assert verdict.passed, verdict.reasons
    (note,) = verdict.notes
    assert note.startswith("chunk 0 waited 150 ms before reaching the network with no contention seen")
    assert "not the regression (limit for such waits 300 ms)" in note


def test_uncontended_wait_over_its_own_limit_fails():
    verdict = gated(350.0, h1_holders()[:2])
    assert verdict.reasons == (
        "queueing: chunk 0 waited 350 ms before reaching the network (350 ms in the browser's request queue, "
        "0 ms stalled for a connection or stream) with no contention seen (2 of 6 connections to "
        "https://127.0.0.1:4443 busy): a wait inside the browser (limit 300 ms)",
    )


def test_a_wait_the_records_cannot_explain_keeps_the_strict_limit():
    no_start = network(f"{ORIGIN}/events", protocol="http/1.1", started_at=None)
    verdict = gated(150.0, [*h1_holders()[1:], no_start])
    assert verdict.waits[0].cause is None
    assert not verdict.passed


def test_h3_requests_are_judged_against_the_quic_stream_limit_and_h2_ones_against_h2s():
    streams = [request(f"/pressure/sse?i={i}", at=0.0, protocol="h3", connection="5") for i in range(4)]
    chunk_request = request("/chunks/chunk-000.mp4", at=0.5, blocked=702.0, protocol="h3", connection="5")
    page = RunRecord(
        browser="chromium", browser_version="156.0", label="h3", mode="h3", pressure="streams:3", url=f"{ORIGIN}/",
        chunks=(), announced=0, expected=0, finished=True, requests=(*streams, chunk_request),
        server_max_streams=100, server_max_quic_streams=4,
    )  # fmt: skip
    assert (page.stream_limit("h3"), page.stream_limit("h2"), page.stream_limit("http/1.1")) == (4, 100, None)
    wait = attribute(chunk_request, page.requests, page.stream_limit("h3"))
    assert (wait.cause, wait.in_flight, wait.limit, wait.unit) == ("streams", 4, 4, "streams")
