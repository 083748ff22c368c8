"""The harness's figures against faults injected with a known size, in both browsers.

A run's figures must land within 15 ms or 5% of what was injected (the median of its
chunks; each chunk within 50 ms or 15%: playgate.judging.groundtruth says why), and the browser's
network record must agree with the page's own Resource Timing of the same load.
"""

import pytest

from playgate.judging.crosscheck import largest_disagreement
from playgate.judging.groundtruth import (
    KIB_PER_S,
    bandwidth_scenario,
    check_bandwidth,
    check_delay,
    check_hold,
    delay_scenario,
    hold_scenario,
    truth_failures,
)

pytestmark = [pytest.mark.browser, pytest.mark.alone]

# Two readings of one load disagreeing by more than this means one of them is wrong.
# Measured: Chromium within 3 ms; Firefox's wait and receive within 5 ms. Firefox's
# blocked is not compared: its BiDi request starts when the network channel opens,
# 0-30 ms after the page's fetch start depending on load (docs/measurements.md, "Measurement you can
# trust"); the hold test checks that figure against the injected truth instead.
MAX_DISAGREEMENT_MS = {"chromium": 10.0, "firefox": 10.0}
COMPARED = {"chromium": ("blocked_ms", "wait_ms", "receive_ms"), "firefox": ("wait_ms", "receive_ms")}


def assert_released_at_the_injected_hold(judged, hold_ms):
    """The truth is the pages' own release; it must itself come when the hold said."""
    assert judged.run.holders_released_ms is not None
    release_after_event = judged.run.holders_released_ms - judged.run.chunks[0].page.event_ms
    assert release_after_event == pytest.approx(hold_ms, abs=150)


def assert_within(checks):
    failures = truth_failures(checks)
    assert not failures, "\n".join(failures)


def assert_readings_agree(judged):
    worst = largest_disagreement(judged.run.chunks, COMPARED[judged.run.browser])
    assert worst is not None, "nothing to compare: no Resource Timing entries"
    gap, figure, index = worst
    limit = MAX_DISAGREEMENT_MS[judged.run.browser]
    chunk = judged.run.chunks[index]
    assert gap <= limit, (
        f"chunk {index} {figure}: network and page disagree by {gap:.1f} ms\n"
        f"network: {chunk.network}\npage: {chunk.resource_timing}\npage chunk: {chunk.page}"
    )


@pytest.mark.parametrize("delay_ms", [300, 900])
def test_wait_matches_the_injected_chunk_delay(playgate_run, delay_ms):
    scenario = delay_scenario(delay_ms)
    judged = playgate_run(mode="h2", chunks=scenario.chunks, chunk_delay_ms=delay_ms, pace_ms=scenario.pace_ms)
    for chunk in judged.run.chunks:  # the server reports the delay it served
        assert chunk.resource_timing.server_timing["app"] == pytest.approx(delay_ms, abs=100)
    assert_within(check_delay(chunk, delay_ms) for chunk in judged.run.chunks)
    assert_readings_agree(judged)


# Holders whose release frees the connection at once. A preloading video (media:N) is
# torn down by the browser in its own time (10-60 ms measured): real wait, but not one
# the server injected, so media:N is checked by the matrix, not here.
@pytest.mark.parametrize(("pressure", "hold_ms"), [("sse:5", 700), ("tabs:5", 700)])
def test_first_chunk_blocked_matches_the_injected_hold(playgate_run, pressure, hold_ms):
    scenario = hold_scenario(pressure, hold_ms)
    judged = playgate_run(mode="h1-tls", chunks=scenario.chunks, pressure=pressure, hold_ms=hold_ms)
    assert_released_at_the_injected_hold(judged, hold_ms)
    assert_within([check_hold(judged.run.chunks[0], judged.run.holders_released_ms)])
    assert_readings_agree(judged)


def test_stall_for_a_free_h2_stream_matches_the_injected_hold(playgate_run):
    judged = playgate_run(mode="h2", h2_max_streams=4, chunks=2, pressure="streams:3", hold_ms=700)
    assert_released_at_the_injected_hold(judged, 700)
    assert_within([check_hold(judged.run.chunks[0], judged.run.holders_released_ms)])
    assert judged.run.chunks[0].protocol == "h2"


def test_receive_matches_the_injected_bandwidth(playgate_run):
    scenario = bandwidth_scenario()  # each chunk downloads alone
    judged = playgate_run(mode="h2", chunks=scenario.chunks, chunk_kib_per_s=KIB_PER_S, pace_ms=scenario.pace_ms)
    assert_within(check_bandwidth(chunk, KIB_PER_S) for chunk in judged.run.chunks)
    assert_readings_agree(judged)
