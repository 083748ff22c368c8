"""The HTML report's content, from hand-built runs (the real-browser check is in e2e)."""

import dataclasses
import re

from playgate.config import GateRules
from playgate.judging.gate import JudgedRun, Verdict, evaluate
from playgate.reports.html import render
from playgate.reports.waterfall import request_segments, time_span_ms
from playgate.rules import Rule
from tests.factory import chunk, network, one_stall_playback, run

PASSED, FAILED = Verdict(True, ()), Verdict(False, (Rule.QUEUEING.broken("chunk 0 waited 700 ms", 0),))


def test_segments_follow_the_browser_phases_end_to_end():
    record = network("https://x/c", blocked_ms=700.0, queued_ms=5.0, connect_ms=1.0, tls_ms=3.0)
    origin = record.started_at * 1000 - 100
    segments = request_segments(record, origin)
    assert [s.css for s in segments] == ["queueing", "stalled", "connect", "tls", "send", "wait", "receive"]
    assert segments[0].start_ms == 100 and segments[1].duration_ms == 695
    assert segments[2].start_ms == 800  # after queueing and stalled


def test_firefox_wait_before_the_network_is_one_blocked_phase():
    record = network("https://x/c", source="bidi", blocked_ms=30.0, send_ms=None)
    assert [s.css for s in request_segments(record, record.started_at * 1000)] == ["blocked", "wait", "receive"]


def test_report_is_self_contained_with_a_bar_per_timed_request_and_the_reasons():
    runs = [
        JudgedRun(run(chunk(0), chunk(1), mode="h2"), PASSED),
        JudgedRun(run(chunk(0, blocked_ms=700.0), browser="firefox", mode="h1-tls"), FAILED),
    ]
    page = render(runs)
    assert page.count('class="bar"') == 3
    assert page.count('<tr class="chunk">') == 3
    assert "queueing: chunk 0 waited 700 ms" in page
    assert "1 of 2 runs passed" in page
    assert not re.search(r"""(src|href)=|url\(|@import""", page)  # nothing to fetch


def test_one_time_scale_for_all_runs_covers_the_longest():
    slow = run(chunk(0, blocked_ms=2000.0))
    fast = run(chunk(0))
    assert time_span_ms([slow, fast]) == time_span_ms([slow]) > 2000


def test_text_is_escaped():
    hostile = chunk(0, net=network("https://x/<script>alert(1)</script>"))
    assert "<script>" not in render([JudgedRun(run(hostile), PASSED)])


def test_a_failed_request_says_so_beside_its_status():
    cancelled = network("https://x/pressure/media?holder=0", status=200, failure="canceled (net::ERR_ABORTED)")
    page = render([JudgedRun(run(chunk(0), requests=(cancelled,)), PASSED)])
    assert '200 <span class="failed" title="canceled (net::ERR_ABORTED)">failed</span>' in page


def test_a_chunk_that_waited_for_connections_names_the_cause_and_marks_its_holders():
    from playgate.config import GateRules
    from playgate.judging.gate import evaluate

    t0 = 1_790_000_000.0
    origin = "https://127.0.0.1:4443"
    holders = [
        network(f"{origin}/pressure/sse?i={i}", protocol="http/1.1", started_at=t0, blocked_ms=1.0, ended_at=t0 + 1.2)
        for i in range(6)
    ]
    waiting = chunk(0, protocol="http/1.1", blocked_ms=702.0, started_at=t0 + 0.5)
    record = run(waiting, requests=(*holders, waiting.network))
    page = render([JudgedRun(record, evaluate(record, GateRules(expected_protocol="http/1.1")))])
    assert page.count('<tr class="holder">') == 6
    assert '<span class="cause">[6/6 conn]</span>' in page
    assert page.count('class="mark release"') == 1
    assert "waited for one of 6 connections to https://127.0.0.1:4443 (held by 6 × /pressure/sse)" in page


def test_stalls_are_drawn_on_the_waterfalls_time_axis():

    playback = one_stall_playback()
    record = dataclasses.replace(run(chunk(0), chunk(1)), playback=playback)
    page = render([JudgedRun(record, evaluate(record, GateRules()))])
    assert '<tr class="playback stalled"><td class="name">playback: 1 stall(s)</td>' in page
    assert page.count('class="stallband" title="stall at 3.00 s of media, 1210 ms"') == 1
    assert "stalls: 1 stall(s) after the first frame" in page  # the reason, above the waterfall


T0 = 1_790_000_000.0
ORIGIN = "https://127.0.0.1:4443"


def held_connections(*, source="cdp", ends=True):
    """Six holders from T0 to T0 + 1.3 s (no end given with ``ends`` False, as Firefox for a
    cancelled request), and chunk 0 issued at T0 + 0.5 s, on the network as they let go."""
    holders = tuple(
        network(
            f"{ORIGIN}/pressure/media?holder={i}",
            protocol="http/1.1",
            source=source,
            started_at=T0,
            ended_at=T0 + 1.3 if ends else None,
        )
        for i in range(6)
    )
    waiting = chunk(0, protocol="http/1.1", source=source, blocked_ms=801.0, started_at=T0 + 0.5)
    record = run(waiting, browser="chromium" if source == "cdp" else "firefox", requests=(*holders, waiting.network))
    return JudgedRun(record, evaluate(record, GateRules(expected_protocol="http/1.1")))


def test_a_holder_is_drawn_held_until_its_end():
    page = render([held_connections()])
    assert page.count('<div class="held" title="held until it ended at 2300 ms"') == 6  # page time 0 is T0 - 1 s


def test_a_holder_whose_end_was_not_given_is_drawn_held_to_the_runs_end_as_unknown():
    page = render([held_connections(source="bidi", ends=False)])
    assert page.count('<div class="held unknown" title="end not given by the browser') == 6
    assert '<span class="cause">[≤6/6 conn]</span>' in page  # an upper bound reads as one


def test_a_chunk_that_went_as_a_holder_let_go_shows_its_cause_in_parentheses():
    judged = held_connections()
    chunk0 = judged.run.chunks[0]
    quick = dataclasses.replace(chunk0, network=dataclasses.replace(chunk0.network, blocked_ms=3.0, queued_ms=3.0))
    record = dataclasses.replace(judged.run, chunks=(quick,), requests=(*judged.run.requests[:6], quick.network))
    page = render([JudgedRun(record, evaluate(record, GateRules(expected_protocol="http/1.1")))])
    assert '<span class="cause">(6/6 conn)</span>' in page


def test_the_playback_row_is_neutral_without_a_stall():
    from playgate.playback_record import Playback

    playback = Playback.from_page({"play_ms": 700.0, "first_frame_ms": 840.0, "stalls": [], "quality": []}, 6000.0)
    record = dataclasses.replace(run(chunk(0)), playback=playback)
    page = render([JudgedRun(record, evaluate(record, GateRules()))])
    assert '<tr class="playback"><td class="name">playback: 0 stall(s)</td>' in page


def test_the_event_stream_has_its_own_row_with_what_it_waited_for():
    judged = held_connections()
    stream = network(f"{ORIGIN}/events", protocol="http/1.1", started_at=T0 + 0.1, blocked_ms=900.0, ended_at=None)
    record = dataclasses.replace(judged.run, requests=(*judged.run.requests, stream), event_streams=(stream,))
    page = render([JudgedRun(record, evaluate(record, GateRules(expected_protocol="http/1.1")))])
    assert '<tr class="stream"><td class="name" title' in page
    assert 'event stream <span class="cause">[6/6 conn]</span> /events' in page
