"""The page's event stream judged on its own wait: a user's page (tests/tooling/preload_app.py)
opens six preloading idle clips and then its event stream. Over HTTP/1.1 the stream waits
for one of the six connections, every chunk comes that much later, and the chunks' own
waits look small: only the event stream rule can catch it, and it does, in both browsers,
even where HTTP/1.1 is what the team expects. Its everyday sibling opens the event stream
first and the idle clips beside it: each browser names the stream among what held chunk 0."""

import pytest

from playgate.entrypoints.assertions import assert_gate_fails, assert_gate_passes
from playgate.judging.gate import stream_waits

pytestmark = pytest.mark.browser

PRELOAD_APP = dict(app="tests.tooling.preload_app:app", chunk_pattern=r"/media/seg-", sse_pattern="/live/", chunks=3)


def test_an_event_stream_queued_behind_six_preloads_fails_on_its_own_rule(playgate_run):
    judged = playgate_run(mode="h1-tls", expect_protocol="http/1.1", **PRELOAD_APP)
    reason = assert_gate_fails(judged, "event stream")
    assert reason.startswith("event stream: the page's event stream /live/feed waited "), reason
    (wait,) = stream_waits(judged.run)
    if judged.run.browser == "chromium":  # it waited for a connection until an idle clip let go
        assert (wait.cause, wait.in_flight, wait.limit) == ("connections", 6, 6), wait
        assert wait.released_by is not None and "/idle/" in wait.released_by, wait


def test_on_h2_the_same_page_passes_with_its_event_stream_unqueued(playgate_run):
    judged = playgate_run(mode="h2", **PRELOAD_APP)
    assert_gate_passes(judged)
    (stream,) = judged.run.event_streams
    (wait,) = stream_waits(judged.run)
    assert stream.blocked_ms is not None and wait.cause == "none", (stream.blocked_ms, wait)  # one shared connection


def test_each_browser_names_the_event_stream_among_what_held_chunk_0(playgate_run):
    judged = playgate_run(mode="h1-tls", expect_protocol="http/1.1", app_path="/stream-first", **PRELOAD_APP)
    assert_gate_fails(judged, "queueing")
    wait = judged.verdict.waits[0]
    assert (wait.cause, wait.in_flight, wait.limit) == ("connections", 6, 6), wait
    assert any("/live/feed" in url for url in wait.holders), wait.holders
