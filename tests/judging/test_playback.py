"""Playback rules on canned page observations: startup, stalls tied to their chunk, dropped
frames; each both ways."""

import dataclasses

import pytest

from playgate.config import GateRules
from playgate.errors import UsageError
from playgate.judging.gate import evaluate
from playgate.judging.playback import describe_stall, stalled_chunk
from playgate.playback_record import Playback, Stall
from playgate.records import PageChunk, ResourceTiming
from tests.factory import chunk, run

BLOB = "blob:https://127.0.0.1:4443/5e1f"


def observed(*, first_frame_ms=840.0, stalls=(), frames=(250, 0), ended_ms=9000.0, play_ms=700.0):
    data = {
        "play_ms": play_ms,
        "first_frame_ms": first_frame_ms,
        "stalls": [dict(video=0, src=BLOB, **s) for s in stalls],
        "quality": [{"video": 0, "total": frames[0], "dropped": frames[1]}] if frames else [],
    }
    return Playback.from_page(data, ended_ms=ended_ms)


def appended(index, start_s, end_s, **net):
    made = chunk(index, **net)  # its bytes appended 40 ms after its event (page time 1040 + 200 i ms)
    page = dataclasses.replace(made.page, kind="fetched", media_start_s=start_s, media_end_s=end_s)
    return dataclasses.replace(made, page=page)


def mse_run(playback, *, chunk_3_appended_ms=None, **net_of_3):
    """Five one-second chunks; chunk 3 appended at ``chunk_3_appended_ms`` where a stall waits for it."""
    chunks = [appended(i, float(i), i + 1.0, **(net_of_3 if i == 3 else {})) for i in range(5)]
    if chunk_3_appended_ms is not None:
        late = dataclasses.replace(chunks[3].page, loadeddata_ms=chunk_3_appended_ms)
        chunks[3] = dataclasses.replace(chunks[3], page=late)
    return dataclasses.replace(run(*chunks), playback=playback)


def test_page_observations_become_exact_records():
    playback = observed(stalls=[{"start_ms": 3840.0, "end_ms": 5050.0, "position_s": 3.0}], frames=(250, 5))
    assert playback.stalls == (Stall(video=0, start_ms=3840.0, end_ms=5050.0, position_s=3.0, src=BLOB),)
    assert playback.stalls[0].duration_ms == 1210.0
    assert (playback.startup_ms, playback.stalled_ms, playback.frames, playback.dropped_frames) == (
        840.0,
        1210.0,
        250,
        5,
    )
    assert playback.stall_ratio == pytest.approx(1210.0 / (9000.0 - 840.0))
    assert playback.dropped_ratio == 0.02
    assert playback.to_json() == {
        "play_ms": 700.0,
        "startup_ms": 840.0,
        "stalls": [{"start_ms": 3840.0, "duration_ms": 1210.0, "position_s": 3.0}],
        "stalled_ms": 1210.0,
        "stall_ratio": 0.1483,
        "frames": 250,
        "dropped_frames": 5,
    }


def test_an_open_stall_counts_up_to_the_end_of_the_run():
    playback = observed(stalls=[{"start_ms": 8000.0, "end_ms": None, "position_s": 7.0}])
    assert playback.stalls[0].duration_ms is None
    assert playback.stalled_ms == 1000.0


def test_healthy_playback_passes():
    assert evaluate(mse_run(observed()), GateRules()).passed


def test_a_stall_is_tied_to_the_chunk_that_covered_its_position_with_that_chunks_wait():
    stall = {"start_ms": 3840.0, "end_ms": 5050.0, "position_s": 3.0}
    stalled = mse_run(
        observed(stalls=[stall]), chunk_3_appended_ms=5040.0, blocked_ms=1150.0, wait_ms=4.0, receive_ms=9.0
    )
    judged = evaluate(stalled, GateRules(max_load_ms=10_000))
    assert (
        "stalls: 1 stall(s) after the first frame (limit 0), 1210 ms in all; the longest, a 1.21 s stall at "
        "3.00 s: chunk 3 1150 ms before reaching the network, 4 ms for its first byte, 9 ms downloading"
        in judged.reasons
    )


def test_a_stall_waits_for_the_first_chunk_not_yet_appended_when_it_began():
    chunks = mse_run(observed(), chunk_3_appended_ms=5040.0).chunks
    # Video ran out at 2.96 s, audio at 3.0 s: chunk 2 ends past the position, yet it was in.
    assert stalled_chunk(Stall(0, 3840.0, 5050.0, 2.96, BLOB), chunks).index == 3
    assert stalled_chunk(Stall(0, 5500.0, 5600.0, 4.99, BLOB), chunks) is None  # every chunk was in
    assert stalled_chunk(Stall(0, 3840.0, 5050.0, 7.5, BLOB), chunks) is None  # past what chunk 3 added
    assert describe_stall(Stall(0, 5500.0, 5600.0, 4.99, BLOB), chunks, 6000.0).endswith(
        "no chunk of the run covers that position"
    )


@pytest.mark.parametrize("arrival_in", ["network record", "resource timing"])
def test_a_stall_is_tied_to_the_chunk_whose_arrival_ended_it_when_the_one_before_was_appended_late_too(arrival_in):
    """mpegts.js holds a segment's last frame back until the next segment comes: chunk 2's
    last append is made when chunk 3 arrives, after the stall began, and its media reaches
    past the position. The stall waited for chunk 3, whose download ended during it: as the
    network record says, or (a worker's segment the DevTools session missed, whose network
    record has no end) as the worker's Resource Timing says."""
    record = mse_run(observed(), chunk_3_appended_ms=5040.0)
    origin_ms = record.page_time_origin_ms
    chunks = [dataclasses.replace(c, resource_timing=None) for c in record.chunks]
    chunks[2] = dataclasses.replace(chunks[2], page=dataclasses.replace(chunks[2].page, loadeddata_ms=5045.0))
    for index, arrived_ms in ((3, 5030.0), (4, 5045.0)):  # chunk 4 fetched once 3 was in, before playing on
        if arrival_in == "network record":
            arrived = {"network": dataclasses.replace(chunks[index].network, ended_at=(origin_ms + arrived_ms) / 1000)}
        else:
            network = dataclasses.replace(chunks[index].network, ended_at=None)
            timing = ResourceTiming(
                chunks[index].url, "h2", arrived_ms - 30, arrived_ms - 29, arrived_ms - 20, arrived_ms
            )
            arrived = {"network": network, "resource_timing": timing}
        page = dataclasses.replace(chunks[index].page, loadeddata_ms=arrived_ms + 5)
        chunks[index] = dataclasses.replace(chunks[index], page=page, **arrived)
    stall = Stall(0, 3840.0, 5050.0, 2.96, BLOB)
    assert stalled_chunk(stall, tuple(chunks), origin_ms).index == 3
    if arrival_in == "network record":
        assert stalled_chunk(stall, tuple(chunks)).index == 2  # without the page's clock: the first, as before


def test_a_progressive_chunks_stall_is_tied_by_its_source():
    chunks = (chunk(0), chunk(1))
    assert stalled_chunk(Stall(0, 1.0, 2.0, 0.4, chunks[1].url), chunks).index == 1


def test_allowed_stalls_still_break_the_rule_when_one_is_too_long():
    stalls = [
        {"start_ms": 3000.0, "end_ms": 3100.0, "position_s": 2.0},
        {"start_ms": 6000.0, "end_ms": 7500.0, "position_s": 4.5},
    ]
    rules = GateRules(max_stalls=3, max_stall_ms=1000.0)
    (reason,) = [r for r in evaluate(mse_run(observed(stalls=stalls)), rules).reasons if r.startswith("stalls")]
    assert reason.startswith(
        "stalls: a stall longer than 1000 ms, 1600 ms in all; the longest, a 1.50 s stall at 4.50 s"
    )
    short = [{"start_ms": 3000.0, "end_ms": 3100.0, "position_s": 2.0}]
    assert evaluate(mse_run(observed(stalls=short)), rules).passed


def test_startup_both_ways():
    assert evaluate(mse_run(observed(first_frame_ms=4999.0)), GateRules()).passed
    assert evaluate(mse_run(observed(first_frame_ms=6200.0)), GateRules()).reasons == (
        "startup: the first frame came 6200 ms after navigation (limit 5000 ms)",
    )
    assert evaluate(mse_run(observed(first_frame_ms=None, frames=())), GateRules()).reasons == (
        "startup: a video was told to play but presented no frame before the deadline",
    )


def test_dropped_frames_both_ways():
    assert evaluate(mse_run(observed(frames=(200, 50))), GateRules()).passed  # 25%: at the limit
    assert evaluate(mse_run(observed(frames=(200, 51))), GateRules()).reasons == (
        "dropped: 51 of 200 frames dropped (26%; limit 25%)",
    )


def test_a_page_that_never_played_a_video_is_not_judged_on_playback():
    never = observed(play_ms=None, first_frame_ms=None, frames=())
    assert not never.played
    assert evaluate(mse_run(never), GateRules(max_startup_ms=1.0)).passed


@pytest.mark.parametrize(
    "bad", [dict(max_startup_ms=0), dict(max_stalls=-1), dict(max_stall_ms=-5), dict(max_dropped_ratio=1.5)]
)
def test_playback_limits_out_of_range_are_one_error(bad):
    with pytest.raises(UsageError):
        GateRules(**bad)


def test_a_fetched_chunk_keeps_the_media_time_it_added():
    page = PageChunk.from_page(
        {"index": 0, "url": "u", "event_ms": 1.0, "loadstart_ms": 1.0, "loadeddata_ms": 5.0, "first_frame_ms": None,
         "error": None, "kind": "fetched", "media_start_s": 0.0, "media_end_s": 1.082666}
    )  # fmt: skip
    assert (page.kind, page.media_start_s, page.media_end_s) == ("fetched", 0.0, 1.082666)
