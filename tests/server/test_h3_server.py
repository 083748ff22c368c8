"""The reference server's h3 modes: QUIC beside TCP on one port number, Alt-Svc as each
mode says, and what the command line says of them."""

import asyncio
import socket
import ssl

import httpx
import pytest

from playgate.diagnose.h3 import H3Client
from playgate.diagnose.stages import StageClock
from playgate.errors import MeasurementError, ServerStartError
from playgate.server.launcher import ServerProcess, spki_sha256
from playgate.server.settings import QUIC_MAX_STREAMS_BIDI, Mode, settings_for

# mode -> (the protocol Alt-Svc names on TCP responses, QUIC answered)
H3_MODES = {
    Mode.H3: ("h3", True),
    Mode.H3_DISCOVERY: ("h3", True),
    Mode.H3_UDP_BLOCKED: ("h3", False),
    Mode.H3_NO_ALT_SVC: (None, True),
    Mode.H3_DRAFT_ALT_SVC: ("h3-29", True),
}


def h3_status(server, path="/health", timeout_s=1.0):
    with H3Client(verify=False, timeout_s=timeout_s) as client:
        response = client.send(f"{server.base_url}{path}", {}, StageClock())
        response.close()
        return response.status_code, response.headers


@pytest.mark.parametrize("mode", list(H3_MODES))
def test_each_mode_advertises_and_answers_as_it_says(media, mode):
    advertised, answered = H3_MODES[mode]
    with ServerProcess(settings_for(mode, media)) as server:
        with httpx.Client(http2=True, verify=server.client_ssl_context()) as client:
            response = client.get(f"{server.base_url}/health")
        assert response.http_version == "HTTP/2"  # h2 over TCP stays, as in production
        alt_svc = response.headers.get("alt-svc")
        assert alt_svc == (f'{advertised}=":{server.port}"; ma=3600' if advertised else None)
        if answered:
            status, headers = h3_status(server)
            assert status == 200
            assert ("alt-svc" in headers) == bool(advertised)
        else:
            with pytest.raises(MeasurementError, match="no QUIC handshake"):
                h3_status(server)


def test_chromium_is_given_the_hash_of_the_leaf_the_server_sends(media):
    with ServerProcess(settings_for(Mode.H3, media)) as server:
        sent = ssl.get_server_certificate(("127.0.0.1", server.port))
        assert server.leaf_spki_sha256 == spki_sha256(sent.encode())


def test_a_taken_udp_twin_of_a_chosen_port_is_one_error(media):
    # The port comes from a TCP socket, so that its TCP side was free a moment ago: one
    # chosen by UDP alone can have its TCP twin taken by the suite's own connections.
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        taken.bind(("127.0.0.1", port))
        tcp.close()
        with pytest.raises(ServerStartError, match=rf"UDP port {port} on 127\.0\.0\.1 is in use .* pick another port"):
            ServerProcess(settings_for(Mode.H3, media), port=port).start()


def test_the_quic_stream_limit_the_gate_assumes_is_the_one_the_server_sends(media):
    with ServerProcess(settings_for(Mode.H3, media)) as server, H3Client(verify=False, timeout_s=2.0) as client:
        client.send(f"{server.base_url}/health", {}, StageClock()).close()
        sent = client._protocol._quic._remote_max_streams_bidi  # the server's initial_max_streams_bidi
    assert sent == QUIC_MAX_STREAMS_BIDI


def test_quic_datagrams_are_queued_not_dropped_while_the_server_is_busy():
    from unittest.mock import MagicMock

    from hypercorn.asyncio import run as hypercorn_run

    from playgate.server import udp_queue

    udp_queue.install()
    assert hypercorn_run.UDPServer is udp_queue.RoomyUDPServer
    loop = asyncio.new_event_loop()
    try:
        server = udp_queue.RoomyUDPServer(MagicMock(), loop, MagicMock(), MagicMock(), MagicMock())
        for n in range(500):  # a burst the protocol has not read yet: Hypercorn's own queue kept 10
            server.datagram_received(b"x" * 1200, ("127.0.0.1", 40000 + n))
        assert server.protocol_queue.qsize() == 500
    finally:
        loop.close()
