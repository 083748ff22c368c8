"""The user's page: which event stream message announced which chunk."""

from dataclasses import replace

from playgate.capture.app_page import chunks_from_observer, named_in, nothing_matched
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
    }
    first, unnamed = chunks_from_observer(state)
    assert first.event_ms == 20.0
    assert unnamed.event_ms is None


def fetched(index, url, requested_ms, appended_ms):
    return {**observed(index, url), "kind": "fetched", "requested_ms": requested_ms, "loadeddata_ms": appended_ms}


def test_a_fetched_chunk_no_message_names_is_timed_from_its_request_to_its_append():
    state = {
        "events": [{"ms": 5.0, "type": "message", "data": '{"segment": "/hls/seg-001.ts"}'}],
        "chunks": [
            fetched(0, "https://app.example/hls/seg-000.ts", 100.0, 180.0),
            fetched(1, "https://app.example/hls/seg-001.ts", 200.0, 260.0),
        ],
    }
    first, second = chunks_from_observer(state)
    assert (first.kind, first.event_ms, first.loadeddata_ms) == ("fetched", 100.0, 180.0)
    assert second.event_ms == 5.0  # a message named it: timed from the message, as any chunk


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
