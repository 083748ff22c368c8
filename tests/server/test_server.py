"""The reference server over real sockets, in each mode (no browser)."""

import http.client
import json
import socket
import ssl
import time
from pathlib import Path

import pytest

from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for
from tests.servers import open_streams, wait_for


@pytest.fixture(scope="module", params=[Mode.H2, Mode.H1_TLS, Mode.H1], ids=lambda m: m.value)
def server(request, media):
    with ServerProcess(settings_for(request.param, media)) as running:
        yield running


def connect(server):
    if server.settings.mode.uses_tls:
        return http.client.HTTPSConnection(server.host, server.port, timeout=10, context=server.client_ssl_context())
    return http.client.HTTPConnection(server.host, server.port, timeout=10)


def get(server, path, headers=None):
    connection = connect(server)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def negotiated_alpn(server):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection((server.host, server.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.selected_alpn_protocol()


def test_health(server):
    status, headers, body = get(server, "/health")
    assert status == 200
    data = json.loads(body)
    assert data["status"] == "ok"
    assert data["http_version"] == "1.1"


def test_alpn_offers_h2_only_in_h2_mode(server):
    if server.settings.mode is Mode.H1:
        with pytest.raises(ssl.SSLError):  # plain http: no TLS, so browsers speak HTTP/1.1
            negotiated_alpn(server)
        return
    expected = "h2" if server.settings.mode is Mode.H2 else "http/1.1"
    assert negotiated_alpn(server) == expected


def test_chunk_full_and_ranged(server, media):
    size = media.chunk_path(0).stat().st_size
    status, headers, body = get(server, "/chunks/chunk-000.mp4")
    assert (status, headers["content-type"], len(body)) == (200, "video/mp4", size)
    assert headers["accept-ranges"] == "bytes"
    status, headers, body = get(server, "/chunks/chunk-000.mp4", {"Range": "bytes=0-99"})
    assert status == 206
    assert headers["content-range"] == f"bytes 0-99/{size}"
    assert body == media.chunk_path(0).read_bytes()[:100]


def test_range_past_the_end_is_416_with_the_size(server, media):
    size = media.chunk_path(0).stat().st_size
    status, headers, _ = get(server, "/chunks/chunk-000.mp4", {"Range": f"bytes={size}-"})
    assert status == 416
    assert headers["content-range"] == f"bytes */{size}"


def test_malformed_byte_range_is_400(server):
    status, _, body = get(server, "/chunks/chunk-000.mp4", {"Range": "bytes=abc"})
    assert status == 400
    assert body  # says what is wrong


def test_foreign_range_unit_is_ignored_as_rfc_9110_requires(server, media):
    status, _, body = get(server, "/chunks/chunk-000.mp4", {"Range": "items=0-5"})
    assert status == 200
    assert len(body) == media.chunk_path(0).stat().st_size


@pytest.mark.parametrize(
    "path",
    ["/chunks/..%2Fgenerate.py", "/chunks/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/chunks/../app.py", "/chunks/nope.mp4"],
)
def test_names_outside_the_media_folder_are_404(server, path):
    status, _, _ = get(server, path)
    assert status == 404


def read_events(response, until):
    events = []
    name = None
    for raw in response:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
            if name == until:
                return events
    return events


def test_event_stream_announces_chunks_release_and_done(server):
    connection = connect(server)
    try:
        connection.request("GET", "/events?chunks=3&pace_ms=0&hold_ms=0&chunk_delay_ms=250&missing=2")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("content-type").startswith("text/event-stream")
        assert response.getheader("connection") in (None, "close")  # no keep-alive from the app
        events = read_events(response, until="done")
        assert wait_for(lambda: open_streams(server) == 1)
    finally:
        connection.close()
    names = [name for name, _ in events]
    assert names == ["chunk", "chunk", "chunk", "release", "done"]  # pace 0: all due at once
    chunks = [data for name, data in events if name == "chunk"]
    assert [c["index"] for c in chunks] == [0, 1, 2]
    assert chunks[0]["url"] == "/chunks/chunk-000.mp4?i=0&delay_ms=250"
    assert chunks[2]["url"] == "/chunks/missing-002.mp4?i=2"
    assert 90_000 <= chunks[0]["size"] <= 215_000
    assert events[-1] == ("done", {"count": 3})
    # The client left: its stream must not stay open on the server.
    assert wait_for(lambda: open_streams(server) == 0)


def test_bad_stream_query_is_400(server):
    status, _, body = get(server, "/events?chunks=lots")
    assert status == 400
    assert b"chunks" in body


def test_media_holder_is_whole_and_not_seekable(server, media):
    connection = connect(server)
    try:
        connection.request("GET", "/pressure/media", headers={"Range": "bytes=0-"})
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("accept-ranges") is None
        assert int(response.getheader("content-length")) == (media.folder / media.preload_name).stat().st_size
        assert response.read(1024)
    finally:
        connection.close()


def test_chunk_delay_is_served_and_reported_in_server_timing(server, media):
    started = time.monotonic()
    status, headers, _ = get(server, f"/chunks/{media.chunk_names[0]}?delay_ms=150")
    assert status == 200
    assert time.monotonic() - started >= 0.15
    name, duration = headers["server-timing"].split(";dur=")
    assert name == "app"
    assert 150 <= float(duration) < 1000
    _, headers, _ = get(server, f"/chunks/{media.chunk_names[0]}")
    assert float(headers["server-timing"].split(";dur=")[1]) < 150  # every response carries it


def test_chunk_bandwidth_paces_the_body_and_keeps_ranges(server, media):
    size = (media.folder / media.chunk_names[0]).stat().st_size
    started = time.monotonic()
    status, _, body = get(server, f"/chunks/{media.chunk_names[0]}?kib_per_s=1024")
    elapsed = time.monotonic() - started
    assert status == 200 and len(body) == size
    assert elapsed >= size / (1024 * 1024) * 0.9  # paced, not at loopback speed
    status, headers, body = get(server, f"/chunks/{media.chunk_names[0]}?kib_per_s=1024", {"Range": "bytes=0-99"})
    assert (status, len(body)) == (206, 100)


@pytest.mark.parametrize("query", ["delay_ms=-1", "kib_per_s=x", "kib_per_s=2000000"])
def test_bad_fault_query_is_400(server, media, query):
    status, _, body = get(server, f"/chunks/{media.chunk_names[0]}?{query}")
    assert status == 400
    assert b"query parameter" in body


def test_the_player_page_is_given_the_page_contract_by_the_server(server):
    """The page global's name and the segment URL pattern come from playgate.page_contract,
    and are written into the page rather than spelt again in player.js."""
    from playgate.page_contract import bundled_page_config

    status, _, body = get(server, "/")
    assert status == 200 and bundled_page_config() in body.decode()
    player_js = (Path(__file__).parents[2] / "server" / "static" / "player.js").read_text()
    assert "(seg|frag)" not in player_js and "window.playgate" not in player_js


def test_the_segment_pattern_matches_every_media_segment_and_not_the_init():
    import re

    from playgate.fixtures.segments import INIT_SEGMENT, fmp4_name, fragment_name, segment_name
    from playgate.page_contract import SEGMENT_PATTERN

    for route in ("/hls/", "/dash/"):
        for name in (segment_name(7), fmp4_name(7), fragment_name(7)):
            assert re.search(SEGMENT_PATTERN, f"https://127.0.0.1:1{route}{name}?i=7"), name
        assert not re.search(SEGMENT_PATTERN, f"https://127.0.0.1:1{route}{INIT_SEGMENT}")
