"""Real players over Media Source Extensions: a user's app playing HLS with hls.js (its npm
bundle, default settings) is judged on the segments the player fetched, in both browsers."""

import pytest

from playgate.doors.assertions import assert_gate_fails, assert_gate_passes

pytestmark = pytest.mark.browser

HLS_APP = dict(app="tests.tooling.hls_app:app", chunk_pattern=r"\.ts$", chunks=4)


def test_hls_js_segments_are_found_appended_and_judged(playgate_run):
    judged = playgate_run(mode="h2", **HLS_APP)
    assert_gate_passes(judged)
    chunks = judged.run.chunks
    assert [c.url.rsplit("/", 1)[1] for c in chunks] == ["seg-000.ts", "seg-001.ts", "seg-002.ts", "seg-003.ts"]
    assert {c.page.kind for c in chunks} == {"fetched"}
    assert {c.net("protocol") for c in chunks} == {"h2"}
    for chunk in chunks:  # appended after its download ended, and timed from its request
        assert chunk.after_download_ms is not None and chunk.after_download_ms >= 0, chunk
        assert chunk.load_ms is not None and chunk.load_ms >= chunk.after_download_ms, chunk


def test_hls_js_over_http1_is_caught(playgate_run):
    judged = playgate_run(mode="h1-tls", **HLS_APP)
    assert_gate_fails(judged, "protocol")
    assert len(judged.run.chunks) == 4


def test_a_pattern_matching_nothing_names_the_media_requests_the_page_made(playgate_run):
    judged = playgate_run(mode="h2", **{**HLS_APP, "chunk_pattern": r"\.m4s$", "chunks": 1, "timeout": 4})
    assert_gate_fails(judged, "loaded")
    (note,) = [n for n in judged.run.notes if n.startswith("no request matched")]
    assert "video/mp2t: /hls/seg-000.ts and" in note and "application/vnd.apple.mpegurl: /hls/index.m3u8" in note
