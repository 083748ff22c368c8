"""The media generator: field-like chunk sizes, deterministic output, a versioned cache."""

import av

from playgate.fixtures.generate import CHUNK_COUNT, encode_mp4, ensure_media, generator_key


def test_chunks_are_sized_like_the_field_and_play_as_h264_aac():
    media = ensure_media()
    assert len(media.chunk_names) == CHUNK_COUNT
    for index in range(CHUNK_COUNT):
        path = media.chunk_path(index)
        assert 90 * 1024 <= path.stat().st_size <= 210 * 1024, path
    with av.open(str(media.chunk_path(0))) as container:
        codecs = {stream.type: stream.codec_context.name for stream in container.streams}
        assert codecs == {"video": "h264", "audio": "aac"}
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (640, 360)
    assert (media.folder / media.preload_name).stat().st_size > 4 * 1024 * 1024


def test_index_is_at_the_front_so_playback_can_start_early():
    media = ensure_media()
    head = media.chunk_path(0).read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_encoding_is_deterministic(tmp_path):
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    encode_mp4(first, seconds=0.4, noise=0.05, seed=3)
    encode_mp4(second, seconds=0.4, noise=0.05, seed=3)
    assert first.read_bytes() == second.read_bytes()


def test_cache_is_keyed_by_generator_version(tmp_path):
    media = ensure_media(tmp_path)
    assert media.folder == tmp_path / generator_key()
    stamp = media.chunk_path(0).stat().st_mtime_ns
    assert ensure_media(tmp_path).chunk_path(0).stat().st_mtime_ns == stamp  # built once
    assert [p.name for p in tmp_path.iterdir()] == [generator_key()]  # no staging left behind
