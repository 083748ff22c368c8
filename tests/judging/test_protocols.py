"""HTTP/3 in the verdict: the expected protocol per mode, why chunks missed h3, where the
page switched to it, and how an origin is opened to h3 in each browser."""

import pytest

from playgate.capture.drivers import driver
from playgate.capture.quic import DECOY_PORT, QuicOrigin
from playgate.config import GateRules
from playgate.errors import UsageError
from playgate.judging.gate import evaluate
from playgate.judging.protocols import alt_svc_protocols, switch_note, why_not_h3
from playgate.server.settings import Mode
from tests.factory import chunk, network, run

PAGE = "https://127.0.0.1:4443/?chunks=3"
ADVERTISED = 'h3=":4443"; ma=3600'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('h3=":443"; ma=86400', [("h3", ":443")]),
        ('h3-29=":443", h3=":8443"; ma=60; persist=1', [("h3-29", ":443"), ("h3", ":8443")]),
        ('h2="alt.example:443"', [("h2", "alt.example:443")]),
        ("clear", []),
        ("h3=:443", []),  # the authority must be quoted: browsers ignore this one
    ],
)
def test_alt_svc_alternatives_are_read_as_rfc_7838_writes_them(value, expected):
    assert alt_svc_protocols(value) == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(Mode.H2, "h2"), (Mode.H1_TLS, "h2"), (Mode.NGINX_H1, "h2"), (None, "h2")]
    + [(mode, "h3") for mode in (Mode.H3, Mode.H3_DISCOVERY, Mode.H3_UDP_BLOCKED, Mode.H3_NO_ALT_SVC)],
)
def test_the_expected_protocol_is_the_modes_own_unless_given(mode, expected):
    assert GateRules().for_mode(mode).expected_protocol == expected
    assert GateRules(expected_protocol="http/1.1").for_mode(mode).expected_protocol == "http/1.1"


def test_an_unknown_expected_protocol_is_one_error():
    with pytest.raises(UsageError, match=r"--expect-protocol 'http/2': choose one of h3, h2, http/1.1"):
        GateRules(expected_protocol="http/2")


def h2_run_with(alt_svc):
    page = network(PAGE, alt_svc=alt_svc, started_at=1_789_999_999.0)
    chunks = (chunk(0), chunk(1))
    return run(*chunks, requests=(page, *(c.network for c in chunks)), mode="h3-udp-blocked")


def test_h3_advertised_but_never_reached_is_named_as_a_blocked_or_failing_quic():
    verdict = evaluate(h2_run_with(ADVERTISED), GateRules(expected_protocol="h3"))
    assert verdict.reasons == (
        "protocol: chunk 0 was served over h2, expected h3; 1 more chunk(s) too; h3 was advertised "
        f"(Alt-Svc: {ADVERTISED}) but chromium never reached it: UDP to that port dropped (a firewall), "
        "or the QUIC handshake failing; it fell back",
    )


def test_h3_never_advertised_is_named_as_such():
    assert why_not_h3(h2_run_with(None)) == (
        "no response advertised h3 (no Alt-Svc header): the browser has no way to find it"
    )


def test_only_a_draft_advertised_is_named_as_such():
    assert why_not_h3(h2_run_with('h3-29=":4443"')) == (
        "Alt-Svc offered only h3-29, not h3 (drafts such as h3-29 are no longer spoken by browsers)"
    )


def test_the_h3_reason_is_added_only_where_h3_was_expected():
    verdict = evaluate(h2_run_with(None), GateRules(expected_protocol="h2"))
    assert verdict.passed
    h1 = run(chunk(0, protocol="http/1.1"))
    (reason,) = evaluate(h1, GateRules(expected_protocol="h2")).reasons
    assert "Alt-Svc" not in reason


def test_discovery_says_which_request_moved_to_h3_and_which_chunks_it_carried():
    page = network(PAGE, started_at=1_789_999_998.0, alt_svc=ADVERTISED)
    script = network("https://127.0.0.1:4443/static/player.js", started_at=1_789_999_998.5, protocol="h3")
    chunks = (chunk(0, protocol="h3"), chunk(1, protocol="h3"))
    switched = run(*chunks, requests=(page, script, *(c.network for c in chunks)))
    assert switch_note(switched) == (
        "protocol: the first 1 request(s) went over h2; h3 from request 2 (/static/player.js) on: "
        "every chunk came over h3"
    )
    verdict = evaluate(switched, GateRules(expected_protocol="h3"))
    assert verdict.passed and switch_note(switched) in verdict.notes


def test_a_switch_during_the_chunks_names_the_first_chunk_over_h3():
    chunks = (chunk(0), chunk(1, protocol="h3"), chunk(2, protocol="h3"))
    late = run(*chunks)
    assert switch_note(late) == (
        "protocol: the first 1 request(s) went over h2; h3 from request 2 (a chunk) on: "
        "chunks 1, 2 came over h3, from chunk 1"
    )
    assert (
        evaluate(late, GateRules(expected_protocol="h3"))
        .reasons[0]
        .startswith("protocol: chunk 0 was served over h2, expected h3")
    )


@pytest.mark.parametrize("protocols", [("h2", "h2"), ("h3", "h3")])
def test_no_switch_no_note(protocols):
    assert switch_note(run(*(chunk(i, protocol=p) for i, p in enumerate(protocols)))) is None


def test_forced_h3_names_the_real_port_and_discovery_a_decoy():
    forced = QuicOrigin("127.0.0.1", 4443, "c2hh", forced=True)
    found = QuicOrigin("127.0.0.1", 4443, "c2hh", forced=False)
    assert forced.chromium_args() == [
        "--origin-to-force-quic-on=127.0.0.1:4443",
        "--ignore-certificate-errors-spki-list=c2hh",
    ]
    assert found.chromium_args()[0] == f"--origin-to-force-quic-on=127.0.0.1:{DECOY_PORT}"
    assert forced.firefox_prefs()["network.http.http3.alt-svc-mapping-for-testing"] == "127.0.0.1;h3=:4443"
    assert "network.http.http3.alt-svc-mapping-for-testing" not in found.firefox_prefs()
    assert found.firefox_prefs()["network.http.http3.disable_when_third_party_roots_found"] is False


def test_each_driver_keeps_the_launch_options_there_and_adds_the_origins():
    origin = QuicOrigin("::1", 4443, "c2hh", forced=True)
    chromium = driver("chromium").reaching(origin, {"headless": True, "args": ["--mute-audio"]})
    assert chromium == {"headless": True, "args": ["--mute-audio", *origin.chromium_args()]}
    assert origin.chromium_args()[0] == "--origin-to-force-quic-on=[::1]:4443"
    firefox = driver("firefox").reaching(origin, {"firefox_user_prefs": {"media.autoplay.default": 0}})
    assert firefox["firefox_user_prefs"] == {"media.autoplay.default": 0, **origin.firefox_prefs()}
