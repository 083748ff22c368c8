"""HTTP/3 end to end in both browsers: chunks read as h3 from the browser and the page,
discovery from Alt-Svc reported as it happened, and the figures true over QUIC."""

import pytest

from playgate.entrypoints.assertions import assert_gate_passes
from playgate.judging.groundtruth import KIB_PER_S, bandwidth_scenario, check_bandwidth, check_delay, delay_scenario
from tests.e2e.test_ground_truth import assert_readings_agree, assert_within

pytestmark = pytest.mark.browser


def test_told_to_use_h3_every_request_is_h3_in_the_browser_and_the_page(playgate_run):
    judged = playgate_run(mode="h3", chunks=3)
    assert_gate_passes(judged)
    assert {r.protocol for r in judged.run.requests} == {"h3"}
    assert {c.resource_timing.next_hop_protocol for c in judged.run.chunks} == {"h3"}
    assert not any("protocol:" in note for note in judged.verdict.notes)  # nothing switched


def test_discovery_starts_on_h2_and_says_where_h3_took_over(playgate_run):
    judged = playgate_run(mode="h3-discovery", chunks=3)
    assert_gate_passes(judged)
    page = judged.run.requests[0]
    assert page.protocol == "h2" and page.alt_svc.startswith('h3=":')
    (switch,) = [note for note in judged.verdict.notes if note.startswith("protocol:")]
    assert switch.endswith("every chunk came over h3"), switch


@pytest.mark.alone
def test_wait_matches_the_injected_chunk_delay_over_h3(playgate_run):
    scenario = delay_scenario()
    judged = playgate_run(mode="h3", chunks=scenario.chunks, chunk_delay_ms=300, pace_ms=scenario.pace_ms)
    assert {c.protocol for c in judged.run.chunks} == {"h3"}
    assert_within(check_delay(chunk, 300) for chunk in judged.run.chunks)
    assert_readings_agree(judged)


@pytest.mark.alone
def test_receive_matches_the_injected_bandwidth_over_h3(playgate_run):
    scenario = bandwidth_scenario()
    judged = playgate_run(mode="h3", chunks=scenario.chunks, chunk_kib_per_s=KIB_PER_S, pace_ms=scenario.pace_ms)
    assert {c.protocol for c in judged.run.chunks} == {"h3"}
    assert_within(check_bandwidth(chunk, KIB_PER_S) for chunk in judged.run.chunks)
    assert_readings_agree(judged)


def test_the_users_app_is_served_and_judged_over_h3(playgate_run):
    judged = playgate_run(
        app="tests.tooling.sample_app:app", mode="h3", chunk_pattern="/media/seg-", sse_pattern="/live/", chunks=3
    )
    assert_gate_passes(judged)
    assert {c.protocol for c in judged.run.chunks} == {"h3"}
