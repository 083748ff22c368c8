"""playgate diagnose over HTTP/3, against the reference server's h3 modes."""

import threading

import pytest

from playgate.diagnose.client import MB, DiagnoseOptions, Diagnoser
from playgate.diagnose.h3 import H3_THREAD_NAME
from playgate.entrypoints.cli import main
from playgate.errors import MeasurementError
from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for
from tests.servers import ca_file
from tests.tooling.udp_delay_proxy import UdpDelayProxy

HANDSHAKE_DELAY_S = 0.15
CHUNK = "chunk-000.mp4"  # 97 KB: aioquic in Python moves a few MB/s, so a small file keeps this quick
PARTIAL_MB = 0.05


@pytest.fixture(scope="module")
def h3_server(media):
    with ServerProcess(settings_for(Mode.H3, media)) as server:
        yield server


@pytest.fixture(scope="module")
def cafile(h3_server, tmp_path_factory):
    return ca_file(h3_server, tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def slow_handshake_run(h3_server, cafile):
    with UdpDelayProxy(h3_server.port, delay_s=HANDSHAKE_DELAY_S) as proxy:
        url = f"https://127.0.0.1:{proxy.port}/chunks/{CHUNK}"
        options = DiagnoseOptions(url, requests=2, protocols=("h3",), verify=cafile, partial_mb=PARTIAL_MB)
        diagnoser = Diagnoser(options)
        return diagnoser.run(), diagnoser.notes, proxy.connections


def of(stages, variant):
    return [s for s in stages if s.variant == variant]


def test_cold_requests_pay_the_quic_handshake_and_pooled_ones_do_not(slow_handshake_run):
    stages, notes, _ = slow_handshake_run
    assert notes == []
    assert {s.protocol for s in stages} == {"h3"}
    for cold in of(stages, "cold"):
        assert not cold.reused
        assert cold.connect_ms >= HANDSHAKE_DELAY_S * 1000 - 5  # the handshake holds TLS: one stage
        assert cold.tls_ms is None
        assert cold.ttfb_ms < HANDSHAKE_DELAY_S * 1000  # the delay stayed in the handshake
    first, second = of(stages, "pooled")
    assert (first.reused, second.reused) == (False, True)
    assert first.connect_ms >= HANDSHAKE_DELAY_S * 1000 - 5
    assert (second.dns_ms, second.connect_ms, second.tls_ms, second.setup_ms) == (None, None, None, 0)
    assert second.connection == first.connection


def test_every_new_quic_connection_went_through_the_relay(slow_handshake_run):
    stages, _, relayed = slow_handshake_run
    assert relayed == 7  # cold 2 + pooled 1 + partial 2 + stream 2
    assert len({s.connection for s in stages}) == 7


def test_partial_and_streamed_downloads_stop_early_and_decode_a_frame(slow_handshake_run, media):
    stages, _, _ = slow_handshake_run
    whole = (media.folder / CHUNK).stat().st_size
    part = int(PARTIAL_MB * MB)
    assert whole > part
    assert all(s.bytes == whole and s.first_frame_ms is not None for s in of(stages, "cold"))
    assert all(s.bytes == part and s.status == 206 and s.first_frame_ms is not None for s in of(stages, "partial"))
    assert all(s.bytes < whole and s.first_frame_ms is not None for s in of(stages, "stream"))


def test_cli_http3_adds_h3_beside_the_others(h3_server, cafile, capsys):
    url = f"{h3_server.base_url}/chunks/chunk-000.mp4"
    assert main(["diagnose", url, "--http3", "--requests", "1", "--cafile", cafile]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert {row[0] for row in rows if len(row) > 2 and row[1] == "cold"} == {"http/1.1", "h2", "h3"}


@pytest.mark.parametrize("mode", [Mode.H3_UDP_BLOCKED, Mode.H2])
def test_no_quic_answer_is_one_error_and_nothing_is_left(media, mode, capsys):
    with ServerProcess(settings_for(mode, media)) as server:
        url = f"{server.base_url}/chunks/chunk-000.mp4"
        assert main(["diagnose", url, "--http3", "--http2", "--insecure", "--timeout", "1", "--requests", "1"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("playgate: error: no QUIC handshake with 127.0.0.1:")
    assert "is HTTP/3 served on that UDP port, and is UDP let through?" in error
    # The client's event loop thread ended (counting all threads raced other tests' ending).
    assert not [t for t in threading.enumerate() if t.name == H3_THREAD_NAME]


def test_untrusted_certificate_over_quic_says_what_to_pass(h3_server):
    options = DiagnoseOptions(f"{h3_server.base_url}/chunks/chunk-000.mp4", requests=1, protocols=("h3",))
    with pytest.raises(MeasurementError, match=r"QUIC handshake with 127\.0\.0\.1:\d+ failed .*--cafile"):
        Diagnoser(options).run()


def test_http3_needs_https():
    options = DiagnoseOptions("http://127.0.0.1:9/chunk.mp4", requests=1, protocols=("h3",))
    with pytest.raises(MeasurementError, match="HTTP/3 needs an https URL"):
        Diagnoser(options).run()
