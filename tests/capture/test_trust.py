"""--ca-cert: the page's certificate verified against the CA before the run, the browsers
launched for that origin, and the h3 reasons that stand on the probe (certificate, UDP,
handshake), on the reference server and on canned records."""

import socket
from dataclasses import replace

import pytest

from playgate.capture.trust import check_ca_cert, trusted_origin
from playgate.config import GateRules
from playgate.diagnose.origin import QUIC_TIMEOUT_S, probe_origin, quic_handshake
from playgate.entrypoints.options import Options
from playgate.errors import UsageError
from playgate.judging.gate import evaluate
from playgate.origin import QUIC_COMPLETED, QUIC_UNANSWERED, OriginProbe
from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for
from tests.factory import chunk, network, run
from tests.servers import ca_file

ORIGIN = "https://127.0.0.1:4443"


@pytest.fixture(scope="module")
def h2_server(media):
    with ServerProcess(settings_for(Mode.H2, media)) as server:
        yield server


def test_the_origin_verified_against_its_ca_is_launched_for_with_its_leaf_pinned(h2_server, tmp_path):
    origin = trusted_origin(h2_server.base_url + "/", ca_file(h2_server, tmp_path))
    assert (origin.host, origin.port, origin.forced) == ("127.0.0.1", h2_server.port, False)
    assert origin.leaf_spki_sha256 == h2_server.leaf_spki_sha256
    assert "--origin-to-force-quic-on=127.0.0.1:9" in origin.chromium_args()  # h3 found from Alt-Svc, not forced


def test_a_certificate_another_ca_issued_is_one_error_before_anything_runs(h2_server, media, tmp_path):
    with ServerProcess(settings_for(Mode.H2, media)) as other:  # each server has a CA of its own
        wrong_ca = ca_file(other, tmp_path)
    with pytest.raises(UsageError, match=r"does not verify against the CA in .*: pass the CA that issued it"):
        trusted_origin(h2_server.base_url + "/?other", wrong_ca)


def test_the_probe_says_the_certificate_was_trusted_through_the_ca(h2_server, tmp_path):
    probe = probe_origin(h2_server.base_url + "/", ca_cert=ca_file(h2_server, tmp_path))
    assert probe.trusted and probe.trusted_through.endswith("ca.pem"), probe
    assert "trusted through --ca-cert" in probe.describe()


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (dict(url="https://x/", ca_cert="/nonexistent.pem"), "--ca-cert /nonexistent.pem: no such file"),
        (dict(app="tests.tooling.sample_app:app", ca_cert="ca.pem"), "--ca-cert is for --url"),
        (dict(url="https://x/", ca_cert="ca.pem", insecure=True), "choose one"),
    ],
)
def test_bad_ca_cert_settings_are_one_line(settings, says):
    with pytest.raises(UsageError, match=says):
        Options(**settings).run_config("h2")


def test_a_file_that_is_not_a_pem_certificate(tmp_path):
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate")
    with pytest.raises(UsageError, match="not a PEM certificate"):
        check_ca_cert(str(junk))


def test_a_quic_handshake_nobody_answers_is_unanswered():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:  # holds the port, never reads
        holder.bind(("127.0.0.1", 0))
        assert quic_handshake("127.0.0.1", holder.getsockname()[1], timeout_s=QUIC_TIMEOUT_S) == QUIC_UNANSWERED


def h2_where_h3_was_advertised(probe):
    page = network(f"{ORIGIN}/", alt_svc='h3=":4443"; ma=86400')
    chunks = (chunk(0), chunk(1))
    return replace(run(*chunks, requests=(page, *(c.network for c in chunks))), origins=(probe,))


@pytest.mark.parametrize(
    ("probe", "says"),
    [
        (
            OriginProbe(
                ORIGIN, tls=True, alpn="h2", trusted=False, certificate_issuer="Staging CA", quic=QUIC_COMPLETED
            ),
            "the certificate of https://127.0.0.1:4443 (from Staging CA) is not one this machine trusts",
        ),
        (
            OriginProbe(ORIGIN, tls=True, alpn="h2", trusted=True, quic=QUIC_UNANSWERED),
            "a QUIC handshake with that port got no answer over UDP from here either",
        ),
        (
            OriginProbe(ORIGIN, tls=True, alpn="h2", trusted=True, quic="failed (no common ALPN)"),
            "a QUIC handshake with that port failed (no common ALPN) from here too",
        ),
        (
            OriginProbe(ORIGIN, tls=True, alpn="h2", trusted=True, quic=QUIC_COMPLETED),
            "a QUIC handshake with that port completes from here, so the browser gave it up itself",
        ),
        (OriginProbe(ORIGIN, tls=True, alpn="h2", trusted=False), "UDP to that port dropped (a firewall), or the QUIC"),
    ],
    ids=["certificate", "udp", "handshake", "browser", "not-tried"],
)
def test_why_h3_was_not_reached_from_the_probe(probe, says):
    verdict = evaluate(h2_where_h3_was_advertised(probe), GateRules(expected_protocol="h3"))
    (reason,) = [r for r in verdict.reasons if r.startswith("protocol:")]
    assert 'h3 was advertised (Alt-Svc: h3=":4443"; ma=86400) but chromium never reached it: ' + says in reason, reason
