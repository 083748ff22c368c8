"""playgate diagnose against the reference server, through a proxy that slows connection setup."""

import functools
import http.server
import json
import socket
import threading

import pytest

from playgate.diagnose.client import MB, DiagnoseOptions, Diagnoser
from playgate.diagnose.report import finding, summary
from playgate.diagnose.stages import RequestStages
from playgate.entrypoints.cli import main
from playgate.errors import MeasurementError
from playgate.fixtures.generate import ensure_media
from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for
from tests.servers import ca_file
from tests.tooling.delay_proxy import DelayProxy

SETUP_DELAY_S = 0.15


@pytest.fixture(scope="module")
def h2_server(media):
    with ServerProcess(settings_for(Mode.H2, media)) as server:
        yield server


@pytest.fixture(scope="module")
def cafile(h2_server, tmp_path_factory):
    return ca_file(h2_server, tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def slow_setup_run(h2_server, cafile):
    with DelayProxy(h2_server.port, delay_s=SETUP_DELAY_S) as proxy:
        options = DiagnoseOptions(
            f"https://localhost:{proxy.port}/chunks/preload.mp4", requests=2, verify=cafile, partial_mb=1
        )
        diagnoser = Diagnoser(options)
        stages = diagnoser.run()
        return stages, diagnoser.notes, proxy.connections


def of(stages, asked, variant):
    return [s for s in stages if s.asked == asked and s.variant == variant]


@pytest.mark.parametrize("asked", ["http/1.1", "h2"])
def test_cold_requests_pay_the_setup_delay_and_pooled_ones_do_not(slow_setup_run, asked):
    stages, notes, _ = slow_setup_run
    assert notes == []
    for cold in of(stages, asked, "cold"):
        assert cold.protocol == asked
        assert not cold.reused
        assert cold.dns_ms is not None  # localhost was resolved by us, timed
        assert cold.tls_ms >= SETUP_DELAY_S * 1000 - 5
        assert cold.setup_ms >= SETUP_DELAY_S * 1000 - 5
    first, second = of(stages, asked, "pooled")
    assert (first.reused, second.reused) == (False, True)
    assert first.tls_ms >= SETUP_DELAY_S * 1000 - 5
    assert (second.dns_ms, second.connect_ms, second.tls_ms) == (None, None, None)
    assert second.setup_ms == 0
    assert second.connection == first.connection


def test_every_new_connection_went_through_the_proxy(slow_setup_run):
    stages, _, proxy_connections = slow_setup_run
    # cold 2 + pooled 1 + partial 2 + stream 2, for each protocol
    assert proxy_connections == 14
    assert len({s.connection for s in stages}) == 14


def test_partial_download_decodes_the_first_frame_from_the_first_mb(slow_setup_run, media):
    stages, _, _ = slow_setup_run
    full_size = (media.folder / media.preload_name).stat().st_size
    for asked in ("http/1.1", "h2"):
        for partial in of(stages, asked, "partial"):
            assert partial.status == 206
            assert partial.bytes == MB
            assert partial.first_frame_ms is not None
            assert partial.note is None
        for cold in of(stages, asked, "cold"):
            assert cold.bytes == full_size
        for streamed in of(stages, asked, "stream"):
            assert 64 * 1024 <= streamed.bytes < full_size
            assert streamed.transfer_ms is None  # it stopped at the first frame


def test_http2_requests_share_one_connection_in_a_pool(h2_server, cafile):
    options = DiagnoseOptions(
        f"{h2_server.base_url}/chunks/chunk-000.mp4", requests=4, protocols=("h2",), verify=cafile
    )
    pooled = [s for s in Diagnoser(options).run() if s.variant == "pooled"]
    assert {s.connection for s in pooled} == {pooled[0].connection}
    assert [s.reused for s in pooled] == [False, True, True, True]
    assert {s.protocol for s in pooled} == {"h2"}


@pytest.fixture
def server_without_range(media):
    # Python's own file server answers 200 with the whole file to any Range.
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(media.folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


def test_server_ignoring_range_gets_a_note(server_without_range, media):
    url = f"{server_without_range}/chunk-001.mp4"
    options = DiagnoseOptions(url, requests=1, protocols=("http/1.1",), partial_mb=0.1)
    partial = [s for s in Diagnoser(options).run() if s.variant == "partial"]
    assert partial[0].status == 200
    assert partial[0].note == "the server ignored Range: read the first bytes of the full response"
    assert partial[0].bytes == int(0.1 * MB)
    assert partial[0].first_frame_ms is not None


def test_h1_tls_server_answers_http11_when_h2_is_asked(media, tmp_path):
    with ServerProcess(settings_for(Mode.H1_TLS, media)) as server:
        ca = tmp_path / "ca.pem"
        ca.write_bytes(server.ca_pem)
        url = f"{server.base_url}/chunks/chunk-000.mp4"
        diagnoser = Diagnoser(DiagnoseOptions(url, requests=1, protocols=("h2",), verify=str(ca)))
        stages = diagnoser.run()
    assert {s.protocol for s in stages} == {"http/1.1"}
    assert diagnoser.notes == ["h2 was asked for; the server answered over http/1.1"]


def test_json_output_field_by_field(h2_server, cafile, tmp_path, capsys):
    out = tmp_path / "diagnosis.json"
    url = f"{h2_server.base_url}/chunks/chunk-001.mp4"
    assert main(["diagnose", url, "--http2", "--requests", "2", "--cafile", cafile, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "protocol  variant  #  conn  reused" in printed
    document = json.loads(out.read_text())
    assert document["playgate_diagnose"] == 1
    assert document["url"] == url
    assert document["notes"] == []
    # The origin as probed after the timed requests: what it offers, for anyone asking.
    offered = "TLS, ALPN h2 (offered h2 and http/1.1), h2 max concurrent streams 100"
    assert f"origin {h2_server.base_url}: {offered}" in printed
    assert (document["origin"]["alpn"], document["origin"]["h2_max_concurrent_streams"]) == ("h2", 100)
    assert [(r["variant"], r["reused"]) for r in document["requests"]] == [
        ("cold", False),
        ("cold", False),
        ("pooled", False),
        ("pooled", True),
        ("partial", False),
        ("partial", False),
        ("stream", False),
        ("stream", False),
    ]
    first = document["requests"][0]
    assert set(first) == {
        "asked", "variant", "protocol", "connection", "reused", "status", "bytes", "dns_ms", "connect_ms",
        "tls_ms", "ttfb_ms", "transfer_ms", "first_frame_ms", "total_ms", "note", "setup_ms",
    }  # fmt: skip
    assert (first["asked"], first["protocol"], first["status"], first["dns_ms"]) == ("h2", "h2", 200, None)
    assert first["bytes"] == ensure_media().chunk_path(1).stat().st_size
    assert first["tls_ms"] > 0 and first["connect_ms"] > 0 and first["ttfb_ms"] > 0
    assert first["setup_ms"] == pytest.approx(first["connect_ms"] + first["tls_ms"], abs=0.11)
    assert first["first_frame_ms"] <= first["total_ms"]
    reused = document["requests"][3]
    assert (reused["connect_ms"], reused["tls_ms"], reused["setup_ms"]) == (None, None, 0)
    assert set(document["summary"]) == {"h2"}
    assert document["summary"]["h2"]["pooled_total_ms"] == reused["total_ms"]  # the median of one
    assert document["finding"].startswith("h2: connection setup is ")
    assert document["finding"] in printed


def stage(variant, total, setup=0.0, reused=False, frame=None):
    return RequestStages(
        asked="h2", variant=variant, protocol="h2", connection=1, reused=reused, status=200, bytes=1,
        dns_ms=None, connect_ms=setup or None, tls_ms=None, ttfb_ms=1.0, transfer_ms=1.0,
        first_frame_ms=frame, total_ms=total,
    )  # fmt: skip


def test_finding_sentence():
    stages = [
        stage("cold", 1400, setup=1162, frame=1400),
        stage("cold", 1500, setup=1245, frame=1500),
        stage("pooled", 1400, setup=1162, frame=1400),
        stage("pooled", 200, reused=True, frame=200),
        stage("partial", 600, setup=500, frame=600),
        stage("stream", 520, setup=500, frame=520),
    ]
    assert summary(stages)["h2"]["cold_total_ms"] == 1450
    assert finding(stages) == (
        "h2: connection setup is 83% of a cold request; a pooled connection takes the median from 1.45 s to 0.20 s; "
        "the first frame comes after 1.45 s with a full download, 0.60 s with a partial one and 0.52 s decoding "
        "while streaming."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagnose", "ftp://example.invalid/x"], "is not an http:// or https:// URL"),
        (["diagnose", "https://127.0.0.1:1/x", "--requests", "0"], "--requests must be 1..100"),
        (
            ["diagnose", "https://127.0.0.1:1/x", "--cafile", "/nonexistent.pem"],
            "--cafile /nonexistent.pem is not a file",
        ),
    ],
)
def test_bad_input_is_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_unreachable_404_tls_and_non_video_are_clear_errors(h2_server, cafile, capsys):
    closed = ["diagnose", "http://127.0.0.1:9/x.mp4", "--requests", "1"]
    assert main(closed) == 2
    assert "cannot connect to http://127.0.0.1:9/x.mp4" in capsys.readouterr().err
    assert main(["diagnose", f"{h2_server.base_url}/chunks/nope.mp4", "--cafile", cafile]) == 2
    assert "answered 404" in capsys.readouterr().err
    assert main(["diagnose", f"{h2_server.base_url}/chunks/chunk-000.mp4"]) == 2
    assert "pass --cafile with the server's CA, or --insecure" in capsys.readouterr().err
    assert main(["diagnose", f"{h2_server.base_url}/health", "--insecure"]) == 2
    assert "(application/json): the body is not a decodable video" in capsys.readouterr().err


DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there: a request sent to it fails


def test_a_proxy_the_environment_names_is_not_used_and_the_run_says_so(h2_server, cafile, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", DEAD_PROXY)
    diagnoser = Diagnoser(
        DiagnoseOptions(f"https://localhost:{h2_server.port}/chunks/chunk-000.mp4", requests=1, verify=cafile)
    )
    stages = diagnoser.run()
    assert {s.protocol for s in stages} == {"http/1.1", "h2"}
    assert diagnoser.notes == ["HTTPS_PROXY is set: the requests went straight to the origin, not through the proxy"]


def test_an_origin_not_reachable_directly_names_the_proxy_that_was_not_used(monkeypatch):
    monkeypatch.setenv("http_proxy", DEAD_PROXY)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    with pytest.raises(MeasurementError, match="not through the proxy http_proxy names"):
        Diagnoser(DiagnoseOptions(f"http://127.0.0.1:{port}/chunk.mp4", requests=1)).run()
