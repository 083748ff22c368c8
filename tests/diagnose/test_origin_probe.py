"""The probe of an origin: what it offers, asked by the harness (ALPN, certificate, h2
SETTINGS over TLS; h2c in the clear), and the reasons and stream limits that stand on it."""

import socket
import threading
from dataclasses import replace

import pytest

from playgate.config import GateRules
from playgate.diagnose.origin import probe_origin
from playgate.judging.gate import JudgedRun, Verdict, evaluate, waits_of
from playgate.origin import NO_STREAM_LIMIT, OriginProbe
from playgate.reports.table import describe
from playgate.server.launcher import ServerProcess
from playgate.server.proxy import NginxProxy
from playgate.server.settings import Mode, settings_for
from tests.factory import beside_an_event_stream, chunk, run


@pytest.mark.parametrize(
    ("mode", "max_streams", "alpn", "limit"),
    [(Mode.H2, 100, "h2", 100), (Mode.H2, 4, "h2", 4), (Mode.H1_TLS, 100, "http/1.1", None)],
)
def test_over_tls_the_alpn_choice_the_certificate_and_the_stream_limit(media, mode, max_streams, alpn, limit):
    with ServerProcess(settings_for(mode, media, h2_max_streams=max_streams)) as server:
        probe = probe_origin(server.base_url + "/")
    assert (probe.tls, probe.alpn, probe.stream_limit, probe.error) == (True, alpn, limit, None)
    assert probe.trusted is False and "issuer" in (probe.trust_error or "")  # the run's throwaway CA
    assert probe.certificate_issuer.startswith("OU=Testing CA") and "127.0.0.1" in probe.certificate_names


@pytest.mark.parametrize(("http2", "alpn", "limit"), [(True, "h2", 128), (False, "http/1.1", None)])
def test_behind_nginx_the_probe_reads_what_nginx_offers(media, http2, alpn, limit):
    """A third-party reverse proxy ends TLS: its ALPN, and the stream limit nginx sends
    (its http2_max_concurrent_streams, 128), not the app's."""
    with (
        ServerProcess(settings_for(Mode.H1, media)) as app,
        NginxProxy(app.port, http2=http2) as proxy,
    ):
        probe = probe_origin(proxy.base_url + "/")
    assert (probe.alpn, probe.stream_limit, probe.error) == (alpn, limit, None)


def test_in_the_clear_hypercorn_answers_h2c(media):
    with ServerProcess(settings_for(Mode.H1, media)) as server:
        probe = probe_origin(server.base_url + "/")
    assert (probe.tls, probe.h2c, probe.alpn, probe.error) == (False, True, None, None)


def test_in_the_clear_a_server_of_http1_alone_does_not(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def answer_once():
            conn, _ = listener.accept()
            with conn:
                conn.recv(1024)  # the HTTP/2 preface, taken for a malformed HTTP/1.1 request
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

        thread = threading.Thread(target=answer_once)
        thread.start()
        probe = probe_origin(f"http://127.0.0.1:{port}/")
        thread.join(timeout=10)
    assert (probe.h2c, probe.error) == (False, None)


def test_an_origin_that_cannot_be_reached_is_a_failed_probe_not_an_error():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, never listening: refused
        probe = probe_origin(f"https://127.0.0.1:{port}/")
    assert probe.error is not None and "refused" in probe.error.lower()


ORIGIN = "https://127.0.0.1:4443"


def http1_run(probe):
    """Two chunks over HTTP/1.1 from ``probe``'s origin, where h2 was expected."""
    record = run(chunk(0, protocol="http/1.1"), chunk(1, protocol="http/1.1"))
    chunks = tuple(replace(c, url=c.url.replace(ORIGIN, probe.origin)) for c in record.chunks)
    return replace(record, chunks=chunks, origins=(probe,))


@pytest.mark.parametrize(
    ("probe", "says"),
    [
        (
            OriginProbe("http://127.0.0.1:4443", tls=False, h2c=True),
            "served in the clear (http://): browsers speak HTTP/2 and HTTP/3 only over TLS; this server does "
            "answer HTTP/2 in the clear with prior knowledge (h2c), which is what curl --http2-prior-knowledge shows",
        ),
        (OriginProbe("http://127.0.0.1:4443", tls=False, h2c=False), "only over TLS: serve it over TLS with h2"),
        (OriginProbe(ORIGIN, tls=True, alpn="http/1.1"), "does not offer h2 in TLS (offered h2 and http/1.1, it chose"),
        (OriginProbe(ORIGIN, tls=True, alpn="h2"), "offers h2 over TLS (ALPN), yet chromium used HTTP/1.1"),
    ],
    ids=["h2c", "clear", "alpn-without-h2", "between"],
)
def test_the_protocol_reason_says_why_from_the_probe(probe, says):
    (reason,) = [r for r in evaluate(http1_run(probe), GateRules()).reasons if r.startswith("protocol:")]
    assert says in reason, reason


def test_a_failed_probe_adds_nothing_to_the_reason():
    probe = OriginProbe(ORIGIN, tls=True, error="ConnectionRefusedError")
    (reason,) = [r for r in evaluate(http1_run(probe), GateRules()).reasons if r.startswith("protocol:")]
    assert reason == "protocol: chunk 0 was served over http/1.1, expected h2; 1 more chunk(s) too"


def test_the_probed_stream_limit_replaces_an_unknown_one():
    healthy = beside_an_event_stream(chunk(0, blocked_ms=58.0))  # two streams on one h2 connection
    (unknown,) = waits_of(healthy)
    assert unknown.cause is None and "limit is unknown" in unknown.explain()
    for sent, limit in ((100, 100), (None, NO_STREAM_LIMIT)):
        probe = OriginProbe(ORIGIN, tls=True, alpn="h2", h2_settings_read=True, max_concurrent_streams=sent)
        (known,) = waits_of(replace(healthy, origins=(probe,)))
        assert (known.cause, known.limit) == ("none", limit)


@pytest.mark.parametrize(
    ("probe", "line"),
    [
        (
            OriginProbe(ORIGIN, tls=True, alpn="h2", h2_settings_read=True, max_concurrent_streams=128,
                        certificate_issuer="Staging CA", trusted=False, trust_error="self-signed certificate"),
            f"origin {ORIGIN}: TLS, ALPN h2 (offered h2 and http/1.1), h2 max concurrent streams 128, "
            "certificate from Staging CA (not trusted by this machine: self-signed certificate)",
        ),
        (
            OriginProbe(ORIGIN, tls=True, alpn="h2", h2_settings_read=True),
            f"origin {ORIGIN}: TLS, ALPN h2 (offered h2 and http/1.1), h2 max concurrent streams no limit sent",
        ),
        (
            OriginProbe("http://127.0.0.1:80", tls=False, h2c=True),
            "origin http://127.0.0.1:80: in the clear, answers h2c (no browser uses it)",
        ),
        (OriginProbe(ORIGIN, tls=True, error="TimeoutError"), f"origin {ORIGIN}: not probed (TimeoutError)"),
    ],
)  # fmt: skip
def test_the_probe_in_one_line_for_the_table_and_the_report(probe, line):
    assert probe.describe() == line
    assert line in describe(JudgedRun(replace(run(chunk(0)), origins=(probe,)), Verdict(True, ())))
