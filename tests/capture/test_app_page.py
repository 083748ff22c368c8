"""The user's page: which event stream message announced which chunk."""

from dataclasses import replace

import pytest

from playgate.capture.app_page import nothing_matched
from playgate.capture.page_state import PageSnapshot
from playgate.capture.reading import named_in, page_chunks, settled
from tests.factory import network

URL = "https://app.example/media/seg-3.mp4?v=2"


def test_a_message_names_a_chunk_by_url_path_and_query_or_path():
    assert named_in(URL, '{"segment": "https://app.example/media/seg-3.mp4?v=2"}')
    assert named_in(URL, '{"segment": "/media/seg-3.mp4?v=2"}')
    assert named_in(URL, "play /media/seg-3.mp4 next")
    assert not named_in(URL, '{"segment": "/media/seg-4.mp4"}')


def observed(index, url):
    return {
        "index": index,
        "url": url,
        "loadstart_ms": 25.0,
        "loadeddata_ms": 60.0,
        "first_frame_ms": None,
        "error": None,
    }


def test_each_chunk_takes_the_first_message_that_names_it_or_none():
    state = {
        "events": [
            {"ms": 10.0, "type": "message", "data": "hello"},
            {"ms": 20.0, "type": "message", "data": '{"segment": "/media/seg-3.mp4?v=2"}'},
            {"ms": 30.0, "type": "message", "data": '{"replay": "/media/seg-3.mp4?v=2"}'},
        ],
        "chunks": [observed(0, URL), observed(1, "https://app.example/media/seg-9.mp4")],
        "time_origin": ORIGIN_MS,
    }
    first, unnamed = page_chunks(PageSnapshot.of_observer(state), [], {}, "/media/")
    assert first.event_ms == 20.0
    assert unnamed.event_ms is None


ORIGIN_MS = 1_790_000_000_000.0  # page time 0, epoch ms
SEGMENT = "https://app.example/hls/seg-{:03d}.ts"


def segment_request(index, issued_ms, ended_ms, **overrides):
    """The browser's record of a segment request, at page times."""
    return network(
        SEGMENT.format(index),
        started_at=(ORIGIN_MS + issued_ms) / 1000,
        ended_at=(ORIGIN_MS + ended_ms) / 1000,
        mime_type="video/mp2t",
        **overrides,
    )


def appended(ms, end_ms, before_s, after_s):
    return {"ms": ms, "end_ms": end_ms, "bytes": 1000, "start_s": before_s, "end_s": after_s}


def test_fetched_chunks_come_from_the_network_record_and_are_loaded_by_their_appends():
    state = {
        "events": [{"ms": 5.0, "type": "message", "data": '{"segment": "/hls/seg-001.ts"}'}],
        "chunks": [],
        "fetches": [{"url": SEGMENT.format(0), "ms": 99.5}],  # the page's code asked: a worker's ask is not seen
        "appends": [appended(185.0, 190.0, 0.0, 1.0), appended(275.0, 281.0, 1.0, 2.0)],
        "time_origin": ORIGIN_MS,
    }
    requests = [
        network("https://app.example/hls/index.m3u8", started_at=(ORIGIN_MS + 50) / 1000),
        segment_request(0, 100.0, 180.0),
        segment_request(1, 200.0, 270.0),
        segment_request(2, 300.0, 390.0),  # downloaded, never appended (yet)
        segment_request(1, 400.0, 450.0),  # the same URL again: the first request is the chunk
    ]
    first, second, third = page_chunks(PageSnapshot.of_observer(state), requests, {}, r"/seg-\d+\.ts")
    assert (first.index, first.kind, first.event_ms, first.loadeddata_ms) == (0, "fetched", 99.5, 190.0)
    assert (first.media_start_s, first.media_end_s) == (0.0, 1.0)
    assert (second.event_ms, second.loadstart_ms, second.loadeddata_ms) == (5.0, 200.0, 281.0)  # named by a message
    assert (third.loadeddata_ms, third.error) == (None, None)


def test_the_pages_resource_timing_gives_the_download_end_where_it_has_it():
    from playgate.records import ResourceTiming

    state = {"events": [], "chunks": [], "appends": [appended(150.0, 152.0, 0.0, 1.0)], "time_origin": ORIGIN_MS}
    late_network_end = [segment_request(0, 100.0, 160.0)]  # the network clock: after the append began
    assert page_chunks(PageSnapshot.of_observer(state), late_network_end, {}, "/seg-")[0].loadeddata_ms is None
    entries = {SEGMENT.format(0): (ResourceTiming(SEGMENT.format(0), "h2", 100.0, 101.0, 120.0, 140.0),)}
    assert page_chunks(PageSnapshot.of_observer(state), late_network_end, entries, "/seg-")[0].loadeddata_ms == 152.0
    # A worker's segment the DevTools session missed: Playwright's record has no end, the
    # worker's Resource Timing (moved into page time) has.
    no_network_end = [replace(late_network_end[0], source="playwright", ended_at=None)]
    assert page_chunks(PageSnapshot.of_observer(state), no_network_end, {}, "/seg-")[0].loadeddata_ms is None
    assert page_chunks(PageSnapshot.of_observer(state), no_network_end, entries, "/seg-")[0].loadeddata_ms == 152.0


def test_a_failed_segment_request_is_a_settled_chunk_with_its_error():
    state = {"events": [], "chunks": [], "appends": [], "time_origin": ORIGIN_MS}
    (failed,) = page_chunks(
        PageSnapshot.of_observer(state), [segment_request(0, 100.0, 120.0, failure="net::ERR_FAILED")], {}, "/seg-"
    )
    assert failed.error == "request failed: net::ERR_FAILED"


def test_media_elements_and_fetched_chunks_are_one_list_in_the_order_asked():
    element = {**observed(0, "https://app.example/media/seg-9.mp4"), "loadstart_ms": 250.0}
    state = {"events": [], "chunks": [element], "appends": [], "time_origin": ORIGIN_MS}
    requests = [segment_request(0, 100.0, 180.0), network(element["url"], started_at=(ORIGIN_MS + 249) / 1000)]
    first, second = page_chunks(PageSnapshot.of_observer(state), requests, {}, r"/seg-")
    assert (first.kind, first.url, second.kind, second.url) == ("fetched", SEGMENT.format(0), "element", element["url"])
    assert (first.index, second.index) == (0, 1)


def fetched(index, url, requested_ms, appended_ms):
    return {**observed(index, url), "kind": "fetched", "requested_ms": requested_ms, "loadeddata_ms": appended_ms}


def test_a_fetched_chunk_never_appended_breaks_the_loaded_rule_saying_so():
    from playgate.config import GateRules
    from playgate.judging.gate import evaluate
    from playgate.records import PageChunk
    from tests.factory import chunk, run

    appended = chunk(0)
    never = chunk(1)
    never = replace(never, page=PageChunk.from_page({**fetched(1, never.url, 10.0, None)}))
    (reason,) = evaluate(run(appended, never), GateRules()).reasons
    assert reason == "loaded: chunk 1 was fetched, but no SourceBuffer append carried it before the deadline"


def test_nothing_matched_lists_the_media_like_requests_by_type():
    requests = (
        network("https://app.example/", mime_type="text/html"),
        *(network(f"https://app.example/hls/seg-{i:03d}.m4s", mime_type="video/mp4") for i in range(3)),
        network("https://app.example/hls/index.m3u8", mime_type="application/vnd.apple.mpegurl"),
    )
    assert nothing_matched(r"\.ts$", requests) == (
        "no request matched --chunk-pattern '\\.ts$'; the page's media-like requests were "
        "video/mp4: /hls/seg-000.m4s and 2 more; application/vnd.apple.mpegurl: /hls/index.m3u8"
    )
    assert nothing_matched("/x/", requests[:1]).endswith("and the page made no media-like request")


def test_a_segment_still_in_flight_is_not_settled():
    from playgate.capture.reading import settled

    state = {"events": [], "chunks": [], "appends": [], "time_origin": ORIGIN_MS}
    in_flight = network(SEGMENT.format(0), started_at=(ORIGIN_MS + 100) / 1000, failure="no response", status=None)
    (chunk,) = page_chunks(PageSnapshot.of_observer(state), [in_flight], {}, "/seg-")
    assert chunk.error is None and not settled(chunk)


def test_a_segment_cancelled_and_asked_again_is_judged_on_the_request_that_brought_it():
    state = {"events": [], "chunks": [], "appends": [appended(200.0, 205.0, 0.0, 1.0)], "time_origin": ORIGIN_MS}
    cancelled = segment_request(0, 100.0, 120.0, status=None, failure="net::ERR_ABORTED", protocol=None)
    again = segment_request(0, 130.0, 190.0)
    (chunk,) = page_chunks(PageSnapshot.of_observer(state), [cancelled, again], {}, "/seg-")
    assert (chunk.loadstart_ms, chunk.loadeddata_ms, chunk.error) == (130.0, 205.0, None)
    from playgate.capture.page_run import join_chunks

    (joined,) = join_chunks([chunk], [cancelled, again], {}, ORIGIN_MS)
    assert (joined.network, joined.request_count) == (again, 2)


@pytest.mark.parametrize("network_end", [True, False])
def test_a_url_asked_for_twice_takes_the_resource_timing_entry_of_the_request_that_brought_it(network_end):
    """The page's first entry for the URL is the request the player let go before any answer
    (hls.js, seen in both browsers): "after dl" from it was 2 s off. Matched by end where the
    network record has one, else by start (Firefox's BiDi start comes up to 60 ms after Resource
    Timing's)."""
    from playgate.capture.page_run import join_chunks
    from playgate.records import ResourceTiming

    state = {"events": [], "chunks": [], "appends": [appended(2500.0, 2505.0, 1.0, 2.0)], "time_origin": ORIGIN_MS}
    let_go = segment_request(0, 400.0, 478.0, status=None, failure="net::ERR_ABORTED", protocol=None)
    again = segment_request(0, 470.0, 2496.0)
    if not network_end:  # Firefox's record of a body that did not come whole, or Playwright's in Chromium
        again = replace(again, ended_at=None)
    url = SEGMENT.format(0)
    entries = {
        url: (ResourceTiming(url, "h2", 404.0, 0.0, 0.0, 478.0), ResourceTiming(url, "h2", 430.0, 431, 2490, 2495.0))
    }
    (chunk,) = page_chunks(PageSnapshot.of_observer(state), [let_go, again], entries, "/seg-")
    (joined,) = join_chunks([chunk], [let_go, again], entries, ORIGIN_MS)
    assert (joined.network, joined.resource_timing) == (again, entries[url][1])
    assert joined.after_download_ms == 10.0


def test_a_media_elements_chunk_cancelled_after_its_answer_is_judged_on_that_first_request():
    """Chromium's media element cancels a preloading chunk once it has enough to play and
    asks for the rest later: the first request, and its wait, brought the first frame."""
    from playgate.capture.page_run import join_chunks
    from playgate.records import PageChunk

    first = segment_request(0, 100.0, 480.0, status=206, failure="canceled (net::ERR_ABORTED)", blocked_ms=350.0)
    rest = segment_request(0, 500.0, 510.0, status=206, blocked_ms=1.0)
    element = PageChunk(0, first.url, 90.0, 100.0, 470.0, first_frame_ms=475.0, error=None)
    (joined,) = join_chunks([element], [first, rest], {}, ORIGIN_MS)
    assert (joined.network, joined.request_count) == (first, 2)
    from playgate.records import ResourceTiming

    entries = {
        first.url: (
            ResourceTiming(first.url, "h2", 100, 450, 460, 479),
            ResourceTiming(first.url, "h2", 500, 501, 505, 509),
        )
    }
    assert join_chunks([element], [first, rest], entries, ORIGIN_MS)[0].resource_timing == entries[first.url][0]


def test_a_fetched_chunk_is_judged_on_the_request_whose_bytes_were_appended():
    """A player that aborts a segment's download and asks again appended the second one."""
    state = {"events": [], "chunks": [], "appends": [appended(520.0, 525.0, 0.0, 1.0)], "time_origin": ORIGIN_MS}
    aborted = segment_request(0, 100.0, 480.0, status=200, failure="canceled (net::ERR_ABORTED)")
    again = segment_request(0, 500.0, 510.0, status=200)
    (chunk,) = page_chunks(PageSnapshot.of_observer(state), [aborted, again], {}, "/seg-")
    from playgate.capture.page_run import join_chunks

    (joined,) = join_chunks([chunk], [aborted, again], {}, ORIGIN_MS)
    assert (joined.network, chunk.loadeddata_ms, chunk.error) == (again, 525.0, None)


@pytest.mark.parametrize("cancelled", ["canceled (net::ERR_ABORTED)", "net::ERR_ABORTED", "NS_BINDING_ABORTED"])
def test_a_segment_the_worker_cancelled_after_reading_it_waits_for_its_append(cancelled):
    """mpegts.js's worker cancels each segment's fetch once it has read the whole body, and
    appends it after: the cancel does not settle the chunk as failed; the append loads it.
    Chromium's DevTools marks the cancel; Playwright's record (a worker the DevTools session
    missed) says only net::ERR_ABORTED."""
    state = {"events": [], "chunks": [], "appends": [], "time_origin": ORIGIN_MS}
    read_then_cancelled = segment_request(0, 100.0, 120.0, status=200, failure=cancelled)
    (waiting,) = page_chunks(PageSnapshot.of_observer(state), [read_then_cancelled], {}, "/seg-")
    assert (waiting.error, settled(waiting)) == (None, False)
    state["appends"] = [appended(130.0, 135.0, 0.0, 1.0)]
    (loaded,) = page_chunks(PageSnapshot.of_observer(state), [read_then_cancelled], {}, "/seg-")
    assert (loaded.loadeddata_ms, loaded.error) == (135.0, None)


def test_a_segment_cancelled_before_any_answer_or_failing_on_the_network_is_an_error():
    state = {"events": [], "chunks": [], "appends": [], "time_origin": ORIGIN_MS}
    for failed in (
        segment_request(0, 100.0, 120.0, status=None, failure="canceled (net::ERR_ABORTED)"),
        segment_request(0, 100.0, 120.0, status=200, failure="net::ERR_CONNECTION_RESET"),
        segment_request(0, 100.0, 120.0, status=404, failure="canceled (net::ERR_ABORTED)"),
    ):
        (chunk,) = page_chunks(PageSnapshot.of_observer(state), [failed], {}, "/seg-")
        assert chunk.error == f"request failed: {failed.failure}", failed
