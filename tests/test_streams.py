"""The streams the bundled page's real players play: the segments as made (MPEG-TS and one
fragmented MP4 stream), and the manifests the reference server writes for them."""

import base64
import http.client
import re
import struct
from xml.etree import ElementTree

import av
import pytest

from playgate.fixtures.segments import (
    INIT_SEGMENT,
    avc_codecs,
    ensure_hls,
    split_fragments,
    top_level_boxes,
)
from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for

DASH = "{urn:mpeg:dash:schema:mpd:2011}"


@pytest.fixture(scope="module")
def streams(media):
    return ensure_hls(media)


class Answer:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status_code, self.headers, self.content = response.status, response.headers, response.read()
        self.text = self.content.decode("utf-8", "replace")


class Client:
    """GETs to the reference server, each over a new HTTP/1.1 connection."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    def get(self, path: str) -> Answer:
        server = self.server
        connection = http.client.HTTPSConnection(server.host, server.port, context=server.client_ssl_context())
        try:
            connection.request("GET", path)
            return Answer(connection.getresponse())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def client(media):
    with ServerProcess(settings_for(Mode.H1_TLS, media)) as server:
        yield Client(server)


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def decode_time(fragment: bytes) -> int:
    """The tfdt (version 1: 64 bits) of a fragment's track."""
    at = fragment.index(b"tfdt")
    version = fragment[at + 4]
    return int.from_bytes(fragment[at + 8 : at + (16 if version == 1 else 12)], "big")


def test_a_fragmented_mp4_splits_into_its_init_and_one_segment_per_moof():
    moov, moof, mdat = box(b"moov", b"x" * 4), box(b"moof", b"y"), box(b"mdat", b"z" * 3)
    init, segments = split_fragments(box(b"ftyp") + moov + moof + mdat + moof + mdat + box(b"mfra"))
    assert init == box(b"ftyp") + moov
    assert segments == [moof + mdat, moof + mdat]  # the random-access index belongs to none


def test_a_box_whose_size_runs_past_the_file_is_an_error():
    with pytest.raises(ValueError, match="bad size"):
        top_level_boxes(struct.pack(">I", 64) + b"moof" + b"short")


def test_the_fragments_carry_on_one_timeline_a_second_each(streams):
    init = (streams.folder / INIT_SEGMENT).read_bytes()
    assert [kind for kind, _ in top_level_boxes(init)] == ["ftyp", "moov"]
    timescale = 12800  # ffmpeg's for 25 fps video
    assert b"mdhd" in init and struct.pack(">I", timescale) in init
    for index, name in enumerate(streams.fragment_names):
        fragment = (streams.folder / name).read_bytes()
        assert [kind for kind, _ in top_level_boxes(fragment)] == ["moof", "mdat"]
        assert decode_time(fragment) == index * timescale, name
    assert re.fullmatch(r"avc1\.64[0-9a-f]{4}", streams.codecs) and streams.codecs == avc_codecs(init)


def test_the_mpeg_ts_segments_start_where_the_one_before_ended(streams):
    starts = []
    for name in streams.segment_names[:3]:
        with av.open(str(streams.folder / name)) as segment:
            video = segment.streams.video[0]
            starts.append(float(video.start_time * video.time_base))
    assert starts[1] - starts[0] == pytest.approx(1.0, abs=0.05)
    assert starts[2] - starts[1] == pytest.approx(1.0, abs=0.05)


def test_the_hls_playlist_lists_the_segments_with_their_faults(client):
    text = client.get("/hls/index.m3u8?chunks=3&chunk_delay_ms=500&slow=1").text
    assert re.findall(r"^seg-.*$", text, re.M) == ["seg-000.ts?i=0", "seg-001.ts?i=1&delay_ms=500", "seg-002.ts?i=2"]
    assert "#EXT-X-MAP" not in text and text.rstrip().endswith("#EXT-X-ENDLIST")


def test_the_fmp4_playlist_names_its_init_segment_or_carries_it(client, streams):
    text = client.get("/hls/fmp4.m3u8?chunks=2").text
    assert '#EXT-X-MAP:URI="init.mp4"' in text and "#EXT-X-VERSION:7" in text
    assert re.findall(r"^frag-.*$", text, re.M) == ["frag-000.m4s?i=0", "frag-001.m4s?i=1"]
    inline = client.get("/hls/fmp4.m3u8?chunks=2&init=inline").text
    (data,) = re.findall(r'#EXT-X-MAP:URI="data:video/mp4;base64,([^"]+)"', inline)
    assert base64.b64decode(data) == (streams.folder / INIT_SEGMENT).read_bytes()


def test_the_dash_manifest_lists_each_segment_of_one_video_representation(client, streams):
    response = client.get("/dash/manifest.mpd?chunks=3&chunk_kib_per_s=64")
    assert response.headers["content-type"] == "application/dash+xml"
    mpd = ElementTree.fromstring(response.text)
    assert mpd.get("type") == "static" and mpd.get("mediaPresentationDuration") == "PT3S"
    (representation,) = mpd.iter(f"{DASH}Representation")
    assert representation.get("codecs") == streams.codecs
    assert int(representation.get("bandwidth")) == streams.bandwidth
    assert [s.get("media") for s in mpd.iter(f"{DASH}SegmentURL")] == [
        f"frag-00{i}.m4s?i={i}&kib_per_s=64" for i in range(3)
    ]
    (init,) = mpd.iter(f"{DASH}Initialization")
    assert init.get("sourceURL") == "init.mp4"


def test_segments_are_served_as_their_media_type_and_nothing_outside_them(client, streams):
    fragment = client.get("/dash/frag-001.m4s?i=1")
    assert fragment.headers["content-type"] == "video/mp4"
    assert fragment.content == (streams.folder / "frag-001.m4s").read_bytes()
    assert client.get("/hls/seg-000.ts").headers["content-type"] == "video/mp2t"
    assert client.get("/dash/frag-999.m4s").status_code == 404
    assert client.get("/dash/..%2Fchunk-000.mp4").status_code == 404


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("init=elsewhere", "init='elsewhere' must be url or inline"),
        ("slow=one", "slow='one' must be comma-separated chunk indices"),
        ("chunks=0", "chunks=0 is outside 1..12"),
    ],
)
def test_a_bad_stream_query_is_400_saying_which(client, query, says):
    for path in ("/hls/index.m3u8", "/hls/fmp4.m3u8", "/dash/manifest.mpd"):
        response = client.get(f"{path}?{query}")
        assert (response.status_code, says in response.text) == (400, True), (path, response.text)
