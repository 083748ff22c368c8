"""The ground-truth verdict: systematic errors fail, one chunk's scheduling noise does not."""

from dataclasses import replace

import pytest

from playgate.capture.page_state import HolderRelease, holders_released
from playgate.judging.groundtruth import Check, check_hold, truth_failures
from tests.factory import chunk


def test_ground_truth_holds_a_run_to_its_median_and_each_chunk_to_the_gross_bound():
    def checks(*errors):
        return [Check("chunk delay", "wait_ms", i, None if e is None else 300 + e, 300.0) for i, e in enumerate(errors)]

    assert truth_failures(checks(2.0, 17.3, 3.0)) == []  # one chunk late from scheduling
    assert "median error +20.0" in truth_failures(checks(20.0, 21.0, 19.0))[0]  # every chunk off: systematic
    assert truth_failures(checks(2.0, 61.0, 3.0))[0].startswith("outside 50 ms")
    assert truth_failures(checks(2.0, None))[0].startswith("no figure")
    assert truth_failures(checks(-16.0)) != []  # a single check is held to the tolerance


def test_holders_are_let_go_by_the_first_idle_tab_else_by_the_page():
    page, tab = HolderRelease("page", 1000.0), HolderRelease("tab", 1012.0)
    assert holders_released([page]) == 1000.0
    assert holders_released([page, tab, HolderRelease("tab", 1008.0)]) == 1008.0
    assert holders_released([page, HolderRelease("tab", None)]) is None  # a tab never let go: no truth
    assert holders_released([HolderRelease("page", None)]) is None


def test_the_hold_has_no_truth_without_the_release_or_the_fetch_start():
    held = chunk(0, blocked_ms=690.0)
    released_at = held.resource_timing.start_time + 700.0
    assert check_hold(held, released_at).error_ms == -10.0
    with pytest.raises(ValueError, match="did not say when they let go"):
        check_hold(held, None)
    with pytest.raises(ValueError, match="no Resource Timing entry"):
        check_hold(replace(held, resource_timing=None), released_at)
