"""h3 on a company's staging: Caddy with its own internal CA in front of the bundled
server, advertising h3, gated with --url. With --ca-cert both browsers take h3 up from
Alt-Svc and pass; with its UDP dropped the reason says UDP; with --insecure instead, the
reason says the certificate (browsers take h3 up only over one they trust)."""

import pytest

from playgate.entrypoints.assertions import assert_gate_fails, assert_gate_passes
from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for
from tests.tooling.caddy import staging

pytestmark = pytest.mark.browser

H3 = dict(expect_protocol="h3", chunks=3)


@pytest.fixture(scope="module")
def upstream(media):
    with ServerProcess(settings_for(Mode.H1, media)) as server:  # in the clear, behind Caddy
        yield server.base_url.removeprefix("http://").rstrip("/")


@pytest.fixture(scope="module")
def company_staging(upstream, tmp_path_factory):
    with staging(upstream, tmp_path_factory.mktemp("staging")) as served:
        yield served


@pytest.fixture(scope="module")
def staging_without_udp(upstream, tmp_path_factory):
    with staging(upstream, tmp_path_factory.mktemp("no-udp"), udp="dropped") as served:
        yield served


def protocol_reason(judged):
    assert_gate_fails(judged, "protocol")
    (reason,) = [r for r in judged.verdict.reasons if r.startswith("protocol:")]
    return reason


def test_with_its_ca_both_browsers_reach_h3_and_pass(playgate_run, company_staging):
    judged = playgate_run(url=company_staging.url, ca_cert=str(company_staging.ca_cert), **H3)
    assert_gate_passes(judged)
    assert {c.protocol for c in judged.run.chunks} == {"h3"}
    probe = judged.run.probe_of(company_staging.url)
    assert probe.trusted and probe.trusted_through == str(company_staging.ca_cert), probe


def test_with_its_udp_dropped_the_reason_says_udp(playgate_run, staging_without_udp):
    judged = playgate_run(url=staging_without_udp.url, ca_cert=str(staging_without_udp.ca_cert), **H3)
    reason = protocol_reason(judged)
    assert "got no answer over UDP" in reason, reason


def test_with_insecure_instead_the_reason_says_the_certificate(playgate_run, company_staging):
    judged = playgate_run(url=company_staging.url, insecure=True, **H3)
    reason = protocol_reason(judged)
    assert "is not one this machine trusts" in reason and "pass --ca-cert" in reason, reason
