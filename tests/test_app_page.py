"""The user's page: which event stream message announced which chunk."""

from playgate.capture.app_page import chunks_from_observer, named_in

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
