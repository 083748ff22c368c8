"""The regression matrix: every catalogued misconfiguration caught in both browsers by
the rules that name it, and the healthy h2 setup passing under every pressure."""

import pytest

from playgate.catalogue import HEALTHY_H3_PRESSURES, HEALTHY_PRESSURES, HEALTHY_WEBRTC_MODES, REGRESSIONS
from playgate.entrypoints.assertions import assert_gate_passes

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("regression", REGRESSIONS, ids=lambda r: r.name)
def test_regression_is_caught_by_the_rules_that_name_it(playgate_run, regression):
    judged = playgate_run(chunks=3, **regression.settings())
    missing = [rule.value for rule in regression.caught_by if not judged.verdict.broke(rule)]
    assert not missing, f"{regression.name}: {missing} did not break; the verdict was {judged.verdict.reasons}"
    assert regression.names_it in " ".join(judged.verdict.reasons), judged.verdict.reasons


@pytest.mark.parametrize("pressure", HEALTHY_PRESSURES)
def test_healthy_h2_passes_under_pressure(playgate_run, pressure):
    judged = playgate_run(mode="h2", chunks=3, pressure=pressure)
    assert_gate_passes(judged)
    assert {c.protocol for c in judged.run.chunks} == {"h2"}
    # No chunk waited for a connection or a stream: none of the server's 100 h2 streams ran out.
    assert [w.cause for w in judged.verdict.waits] == ["none"] * 3
    assert all(w.limit == 100 and w.in_flight < 100 for w in judged.verdict.waits)
    assert not server_failures(judged)


def server_failures(judged):
    """The run's notes of exceptions its server logged as unhandled: a healthy run has none."""
    return [note for note in judged.run.notes if "unhandled exception" in note]


# Told to use h3 under each pressure; found from Alt-Svc under the heaviest (the switch
# itself is tested on its own in tests/e2e/test_h3.py).
H3_SETUPS = [("h3", pressure) for pressure in HEALTHY_H3_PRESSURES] + [("h3-discovery", "media:5")]


@pytest.mark.parametrize(("mode", "pressure"), H3_SETUPS)
def test_healthy_h3_passes_under_pressure(playgate_run, mode, pressure):
    judged = playgate_run(mode=mode, chunks=3, pressure=pressure)
    assert_gate_passes(judged)
    assert {c.protocol for c in judged.run.chunks} == {"h3"}
    # What Hypercorn logs over h3 for the preloads the page lets go is told apart (server_log).
    assert not server_failures(judged)


@pytest.mark.alone  # judged on freezes: real-time video
@pytest.mark.parametrize("mode", HEALTHY_WEBRTC_MODES)
def test_healthy_webrtc_passes_on_udp_with_the_turn_server_beside_it(playgate_run, mode):
    judged = playgate_run(mode=mode, chunks=3)
    assert_gate_passes(judged)
    webrtc = judged.run.webrtc
    assert webrtc.pair.transport == "udp" and not webrtc.pair.relayed
    assert webrtc.freezes == 0 and webrtc.frames_decoded >= 3 * 25 * 0.9
    assert webrtc.ice_servers  # the TURN server was offered, and not needed
