"""Clients that misbehave: each fault leaves the server serving others, no stream behind.

Over HTTP/1.1 a client resets its connection (SO_LINGER 0: the kernel sends RST) in the
middle of an event stream and of a chunk; over h2 it cancels one stream (RST_STREAM)
and keeps using the connection; a slow client sends its request a byte at a time while
others are served. After each, /health's ``open_streams`` comes back to 0.
"""

import socket
import struct

import h2.config
import h2.connection
import h2.errors
import h2.events
import pytest

from playgate.fixtures.generate import ensure_media
from playgate.server.launcher import ServerProcess, get
from playgate.server.settings import Mode, settings_for
from tests.servers import open_streams, wait_for

SLOW_BODY = "kib_per_s=64"  # a 97 KB chunk takes 1.5 s: the client leaves in the middle


@pytest.fixture(scope="module")
def h1_server():
    with ServerProcess(settings_for(Mode.H1_TLS, ensure_media())) as running:
        yield running


@pytest.fixture(scope="module")
def h2_server():
    with ServerProcess(settings_for(Mode.H2, ensure_media())) as running:
        yield running


def fetch(server, path):
    """(status, body) of a GET over a new HTTP/1.1 connection."""
    return get(server.host, server.port, path, server.client_ssl_context())


def tls_socket(server, alpn):
    context = server.client_ssl_context()
    context.set_alpn_protocols([alpn])
    raw = socket.create_connection((server.host, server.port), timeout=10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tls = context.wrap_socket(raw, server_hostname=server.host)
    assert tls.selected_alpn_protocol() == alpn
    return tls


def reset(sock):
    """Close with an RST instead of a FIN, as a crashed client or a dropped link does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def read_until(sock, marker):
    seen = b""
    while marker not in seen:
        data = sock.recv(65536)
        assert data, f"the server closed before {marker!r}"
        seen += data
    return seen


def http1_get(sock, server, target):
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n\r\n".encode())


def test_http1_reset_mid_event_stream_and_mid_chunk(h1_server):
    server = h1_server
    events = tls_socket(server, "http/1.1")
    http1_get(events, server, "/events?chunks=1000&pace_ms=100")
    read_until(events, b"event: chunk")
    assert open_streams(server) == 1
    chunk = tls_socket(server, "http/1.1")
    http1_get(chunk, server, f"/chunks/chunk-000.mp4?{SLOW_BODY}")
    read_until(chunk, b"\r\n\r\n")
    reset(events)
    reset(chunk)
    assert wait_for(lambda: open_streams(server) == 0)
    status, body = fetch(server, "/chunks/chunk-001.mp4")
    assert status == 200 and len(body) > 90_000


class H2Client:
    """Just enough of an h2 client to open streams and cancel them (the h2 library)."""

    def __init__(self, server):
        self.server = server
        self.sock = tls_socket(server, "h2")
        self.connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.connection.initiate_connection()
        self.flush()

    def flush(self):
        self.sock.sendall(self.connection.data_to_send())

    def get(self, path):
        stream_id = self.connection.get_next_available_stream_id()
        authority = f"{self.server.host}:{self.server.port}"
        headers = [(":method", "GET"), (":scheme", "https"), (":authority", authority), (":path", path)]
        self.connection.send_headers(stream_id, headers, end_stream=True)
        self.flush()
        return stream_id

    def until(self, stream_id, wanted):
        """Events of the connection until one of type ``wanted`` on ``stream_id``; data
        received is acknowledged so that the server's window stays open."""
        body = b""
        while True:
            data = self.sock.recv(65536)
            assert data, "the server closed the connection"
            for event in self.connection.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    self.connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    if event.stream_id == stream_id:
                        body += event.data
                if isinstance(event, h2.events.StreamReset) and event.stream_id == stream_id:
                    raise AssertionError(f"the server reset stream {stream_id}")
                if isinstance(event, wanted) and getattr(event, "stream_id", None) == stream_id:
                    self.flush()
                    return body
            self.flush()

    def cancel(self, stream_id):
        self.connection.reset_stream(stream_id, error_code=h2.errors.ErrorCodes.CANCEL)
        self.flush()


def test_h2_stream_cancelled_mid_event_stream_and_mid_chunk_keeps_the_connection(h2_server):
    server = h2_server
    client = H2Client(server)
    events = client.get("/events?chunks=1000&pace_ms=100")
    client.until(events, h2.events.DataReceived)
    chunk = client.get(f"/chunks/chunk-000.mp4?{SLOW_BODY}")
    client.until(chunk, h2.events.DataReceived)
    assert open_streams(server) == 1
    client.cancel(events)
    client.cancel(chunk)
    # The same connection goes on: a whole chunk over it, then no stream left open.
    again = client.get("/chunks/chunk-001.mp4")
    assert len(client.until(again, h2.events.StreamEnded)) > 90_000
    assert wait_for(lambda: open_streams(server) == 0)
    reset(client.sock)


@pytest.mark.parametrize("mode", ["h1-tls", "h2"])
def test_a_request_sent_a_byte_at_a_time_does_not_hold_up_others(request, mode):
    server = request.getfixturevalue("h1_server" if mode == "h1-tls" else "h2_server")
    slow = tls_socket(server, "http/1.1")
    request = f"GET /chunks/chunk-002.mp4 HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n\r\n".encode()
    half = len(request) // 2
    for byte in request[:half]:
        slow.sendall(bytes([byte]))
    status, body = fetch(server, "/chunks/chunk-000.mp4")  # served while the slow one is half sent
    assert status == 200 and len(body) > 90_000
    for byte in request[half:]:
        slow.sendall(bytes([byte]))
    assert read_until(slow, b"\r\n\r\n").startswith(b"HTTP/1.1 200")
    reset(slow)
