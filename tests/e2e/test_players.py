"""Real players over Media Source Extensions: a user's app playing HLS with hls.js (its npm
bundle, default settings) is judged on the segments the player fetched, in both browsers."""

from urllib.parse import urlsplit

import pytest

from playgate.entrypoints.assertions import assert_gate_fails, assert_gate_passes
from playgate.judging.groundtruth import check_delay

pytestmark = pytest.mark.browser

HLS_APP = dict(app="tests.tooling.hls_app:app", chunk_pattern=r"/seg-\d+\.ts", chunks=4)


def test_hls_js_segments_are_found_appended_and_judged(playgate_run):
    judged = playgate_run(mode="h2", **HLS_APP)
    assert_gate_passes(judged)
    chunks = judged.run.chunks
    assert [c.url.rsplit("/", 1)[1] for c in chunks] == ["seg-000.ts", "seg-001.ts", "seg-002.ts", "seg-003.ts"]
    assert {c.page.kind for c in chunks} == {"fetched"}
    assert {c.protocol for c in chunks} == {"h2"}
    for chunk in chunks:  # appended after its download ended, and timed from its request
        assert chunk.after_download_ms is not None and chunk.after_download_ms >= 0, chunk
        assert chunk.load_ms is not None and chunk.load_ms >= chunk.after_download_ms, chunk


def test_a_pattern_matching_nothing_names_the_media_requests_the_page_made(playgate_run):
    judged = playgate_run(mode="h2", **{**HLS_APP, "chunk_pattern": r"\.m4s$", "chunks": 1, "timeout": 2})
    assert_gate_fails(judged, "loaded")
    (note,) = [n for n in judged.run.notes if n.startswith("no request matched")]
    assert "video/mp2t: /hls/seg-000.ts and" in note and "application/vnd.apple.mpegurl: /hls/index.m3u8" in note


# Once a late segment is appended, a browser resumes when it has data enough ahead:
# measured 50-61 ms after the append in most runs, and up to 265 ms (Firefox, 2 of 12).
RESUME_WITHIN_MS = 400


def test_segments_a_worker_fetches_are_found_from_the_browsers_network_record(playgate_run):
    judged = playgate_run(mode="h2", app="tests.tooling.worker_app:app", chunk_pattern=r"/seg-\d+\.m4s", chunks=3)
    assert_gate_passes(judged)
    # The worker asks for the three at once: the browser may start them in any order.
    assert sorted(c.url.rsplit("/", 1)[1] for c in judged.run.chunks) == ["seg-000.m4s", "seg-001.m4s", "seg-002.m4s"]
    assert {c.protocol for c in judged.run.chunks} == {"h2"}
    assert all(c.page.loadeddata_ms is not None for c in judged.run.chunks)  # appended in the page


# The bundled page playing its chunks through each real player (--player NAME), and the
# first segment URL each fetches.
FIRST_SEGMENT = {
    "hls": "/hls/seg-000.ts",  # hls.js: MPEG-TS, transmuxed in a worker
    "dash": "/dash/frag-000.m4s",  # dash.js: DASH, fragmented MP4
    "shaka": "/hls/frag-000.m4s",  # Shaka Player: HLS with fragmented MP4
    "mpegts": "/hls/seg-000.ts",  # mpegts.js: fetched in its worker
}
PLAYERS = list(FIRST_SEGMENT)


# Every player under media:5; under sse:5 one that fetches in the page (hls.js) and one
# that fetches in a worker (mpegts.js): the event streams compete with either the same way.
@pytest.mark.parametrize(
    ("player", "pressure"), [*((player, "media:5") for player in PLAYERS), ("hls", "sse:5"), ("mpegts", "sse:5")]
)
def test_each_bundled_player_passes_on_h2_under_pressure(playgate_run, player, pressure):
    judged = playgate_run(mode="h2", player=player, chunks=3, pressure=pressure)
    assert_gate_passes(judged)
    assert (judged.run.mode, judged.run.label) == ("h2", f"h2 player {player}")
    first = FIRST_SEGMENT[player]
    expected = [first.replace("000", f"00{i}") for i in range(3)]
    assert [urlsplit(c.url).path for c in judged.run.chunks] == expected
    assert {c.page.kind for c in judged.run.chunks} == {"fetched"}
    assert all(c.page.loadeddata_ms is not None and c.page.media_end_s for c in judged.run.chunks)  # appended


@pytest.mark.alone  # a player slow to start on a busy machine asks after the holders went
@pytest.mark.parametrize("player", PLAYERS)
def test_each_bundled_player_on_http1_under_pressure_is_caught_queueing(playgate_run, player):
    judged = playgate_run(mode="h1-tls", player=player, chunks=3, pressure="media:5")
    assert_gate_fails(judged, "protocol")
    assert_gate_fails(judged, "queueing")
    # Held from the player's first segment request (in mpegts.js's worker too) until the
    # holders go: the whole hold, 400 ms.
    assert judged.run.chunks[0].blocked_ms > 300


# Segment 1 held this long by the server: past the ~1 s of media buffered ahead of it.
SLOW_SEGMENT_MS = 2000


@pytest.mark.alone
@pytest.mark.parametrize("player", ["hls", "shaka", "mpegts"])
def test_a_bundled_player_stalls_once_for_a_late_segment_by_the_delay_less_the_buffer(playgate_run, player):
    judged = playgate_run(mode="h2", player=player, chunks=3, chunk_delay_ms=SLOW_SEGMENT_MS, slow_chunks=(1,))
    playback, late = judged.run.playback, judged.run.chunks[1]
    (stall,) = playback.stalls
    buffer_ms = stall.start_ms - late.page.loadstart_ms  # how long playback went on after it was asked for
    expected_ms = SLOW_SEGMENT_MS - buffer_ms
    assert expected_ms - 15 <= stall.duration_ms <= expected_ms + RESUME_WITHIN_MS, (stall, expected_ms)
    # Playing again once its data is in: Chromium can fire "playing" a few ms before the
    # append's updateend, which is when the page marks it appended.
    assert -15 <= stall.end_ms - late.page.loadeddata_ms <= RESUME_WITHIN_MS
    # Its wait is the delay as the server served it (Server-Timing): on a busy machine the
    # server's sleep ends late, and that is real wait (2104 ms against 2000 asked, once).
    served = check_delay(late, SLOW_SEGMENT_MS)
    assert served.within, served
    (reason,) = [r for r in judged.verdict.reasons if r.startswith("stalls:")]
    assert f"stall at {stall.position_s:.2f} s: chunk 1 " in reason, reason
    assert "load time: chunk 1" in " ".join(judged.verdict.reasons)  # the late segment, named as slow


def test_dash_js_jumps_over_a_late_segment_and_the_gate_names_it_slow(playgate_run):
    """dash.js fetches the segments after a late one and, at the hole, seeks past it: the
    picture jumps rather than waits. No stall to report; the segment's load time fails."""
    judged = playgate_run(mode="h2", player="dash", chunks=3, chunk_delay_ms=SLOW_SEGMENT_MS, slow_chunks=(1,))
    assert_gate_fails(judged, "load time")
    assert any(r.startswith("load time: chunk 1 ") for r in judged.verdict.reasons), judged.verdict.reasons
