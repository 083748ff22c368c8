"""A run that ends before the bundled page finished says where the page stopped."""

from playgate.capture.page_state import PageSnapshot, player_progress


def test_a_stream_that_never_opened_is_said_with_the_holders():
    said = player_progress("streaming", {"holders": 3, "ready": 3}, {"opened_ms": None, "errors": 0})
    assert said == "the player was at 'streaming', 3 of 3 holders had their connections, its event stream never opened"


def test_an_open_stream_with_errors_and_its_end():
    said = player_progress("streaming", {"holders": 0}, {"opened_ms": 812.4, "errors": 2, "done_ms": 1500.2})
    assert said == (
        "the player was at 'streaming', its event stream opened at 812 ms, 2 event stream errors, "
        "'done' came at 1500 ms"
    )


def test_the_player_snapshot_carries_it():
    snapshot = PageSnapshot.of_player(
        {
            "chunks": [],
            "errors": [],
            "time_origin": 1.0,
            "phase": "pressure",
            "pressure": {"holders": 5, "ready": 2},
            "stream": {"opened_ms": None, "errors": 0, "done_ms": None},
        }
    )
    assert snapshot.progress == (
        "the player was at 'pressure', 2 of 5 holders had their connections, its event stream never opened"
    )
