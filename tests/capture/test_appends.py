"""Appends matched to the chunks whose bytes they carried, on canned sequences."""

from playgate.capture.appends import Append, Carried, join_appends


def append(ms, end_ms, before_s, after_s, size=1000, init=False):
    return Append(ms=ms, end_ms=end_ms, bytes=size, start_s=before_s, end_s=after_s, init=init)


def test_transmuxed_segments_in_audio_and_video_pieces_go_to_the_chunk_downloaded_before_them():
    downloads = {0: 100.0, 1: 180.0, 2: 260.0}
    appends = [
        append(110.0, 112.0, None, None, init=True),  # the init segment transmuxed from chunk 0
        append(113.0, 121.0, 0.0, 1.04),  # chunk 0's video
        append(114.0, 118.0, 0.0, 1.08),  # its audio
        append(190.0, 197.0, 1.04, 2.04),
        append(191.0, 195.0, 1.08, 2.08),
        append(270.0, 276.0, 2.04, 3.0),
    ]
    assert join_appends(downloads, appends) == {
        0: Carried(appended_ms=121.0, media_start_s=0.0, media_end_s=1.08, appends=2),
        1: Carried(appended_ms=197.0, media_start_s=1.04, media_end_s=2.08, appends=2),
        2: Carried(appended_ms=276.0, media_start_s=2.04, media_end_s=3.0, appends=1),
    }


def test_an_init_segment_from_elsewhere_appended_after_two_downloads_takes_neither():
    # Shaka Player: the init segment (a data: URL, no chunk) is appended once segments 0 and 1
    # are in; each segment's own append still goes to it, and an init appended again later
    # (a player re-initialising its buffer) stays with the chunk carried last.
    downloads = {0: 100.0, 1: 120.0, 2: 300.0}
    appends = [
        append(125.0, 127.0, None, None, init=True),
        append(128.0, 140.0, 0.0, 1.0),
        append(141.0, 150.0, 1.0, 2.0),
        append(151.0, 152.0, None, None, init=True),
        append(310.0, 320.0, 2.0, 3.0),
    ]
    assert join_appends(downloads, appends) == {
        0: Carried(appended_ms=140.0, media_start_s=0.0, media_end_s=1.0, appends=1),
        1: Carried(appended_ms=150.0, media_start_s=1.0, media_end_s=2.0, appends=2),
        2: Carried(appended_ms=320.0, media_start_s=2.0, media_end_s=3.0, appends=1),
    }


def test_a_media_append_whose_range_firefox_reports_late_still_takes_its_chunk():
    # Firefox can show an append's range only after its updateend: no range, but media.
    carried = join_appends({0: 100.0, 1: 110.0}, [append(120.0, 125.0, 0.0, 1.0), append(126.0, 128.0, None, None)])
    assert carried[1] == Carried(appended_ms=128.0, media_start_s=None, media_end_s=None, appends=1)


def test_a_chunk_downloaded_while_the_one_before_was_still_appending_waits_its_turn():
    # Chunk 1 arrived at 150 ms, before chunk 0 (arrived 100 ms) was appended at 160 ms: players
    # append in download order, so the append at 160 ms is chunk 0's, the one at 170 ms chunk 1's.
    downloads = {0: 100.0, 1: 150.0}
    carried = join_appends(downloads, [append(160.0, 165.0, 0.0, 1.0), append(170.0, 178.0, 1.0, 2.0)])
    assert (carried[0].appended_ms, carried[1].appended_ms) == (165.0, 178.0)


def test_appends_before_any_download_and_chunks_never_downloaded_carry_nothing():
    carried = join_appends({0: 100.0, 1: None}, [append(50.0, 52.0, 0.0, 0.0), append(120.0, None, 0.0, None)])
    assert carried == {0: Carried(appended_ms=None, media_start_s=0.0, media_end_s=None, appends=1)}


def test_no_append_at_all_carries_no_chunk():
    assert join_appends({0: 100.0, 1: 180.0}, []) == {}


def test_a_download_that_ended_at_the_same_moment_as_an_append_began_is_carried_by_it():
    # mpegts.js's last pieces of its last segment, within the clocks' resolution of its end:
    # the two clocks are each coarsened (0.1 ms in Chromium, 1 ms in Firefox).
    downloads = {0: 100.0, 1: 200.6}
    appends = [append(150.0, 150.2, 0.0, 1.0), append(180.0, 180.3, 1.0, 1.6), append(200.0, 200.4, 1.6, 2.0)]
    assert join_appends(downloads, appends)[1] == Carried(
        appended_ms=200.4, media_start_s=1.6, media_end_s=2.0, appends=1
    )
    late = {0: 100.0, 1: 201.2}  # past the resolution: not yet ended, so no piece carries it
    assert 1 not in join_appends(late, appends)
