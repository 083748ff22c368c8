"""One setup run several times, judged as one: timing on the median, facts on every repeat."""

import pytest

from playgate.config import GateRules
from playgate.judging.gate import JudgedRun, Verdict, evaluate
from playgate.judging.repeats import combine
from playgate.reports.har import har_documents
from playgate.reports.result import result_document
from playgate.reports.table import describe
from playgate.rules import ANY_REPEAT, Rule
from playgate.rules import RULES as RULE_SPECS
from tests.factory import beside_an_event_stream, chunk, run

RULES = GateRules(max_queued_ms=100.0, max_uncontended_ms=300.0)


def repeat(blocked_ms, *, load_ms=40.0, protocol="h2"):
    """A run whose only chunk waited ``blocked_ms`` beside a stream, the stream limit unknown
    (judged by the strict limit)."""
    record = beside_an_event_stream(chunk(0, blocked_ms=blocked_ms, load_ms=load_ms, protocol=protocol))
    return JudgedRun(record, evaluate(record, RULES))


def test_one_slow_repeat_of_three_is_not_the_median_and_passes():
    judged = combine([repeat(150.0), repeat(50.0), repeat(60.0)], RULES)
    assert judged.verdict.passed, judged.verdict.reasons
    assert len(judged.repeats) == 3
    assert judged.run.chunks[0].blocked_ms == 60.0  # the median repeat is shown


def test_a_median_over_the_limit_fails_with_the_spread():
    judged = combine([repeat(150.0), repeat(160.0), repeat(50.0)], RULES)
    (reason,) = judged.verdict.reasons
    assert reason.startswith(
        "queueing: chunk 0 waited a median 150 ms before reaching the network over 3 repeats "
        "(min/median/max 50/150/160 ms)"
    )


def test_a_wrong_protocol_in_any_repeat_fails():
    judged = combine([repeat(5.0), repeat(5.0, protocol="http/1.1"), repeat(5.0)], RULES)
    assert judged.verdict.reasons == ("protocol: chunk 0 was served over http/1.1, expected h2 (in 1 of 3 repeats)",)


def test_load_time_is_judged_on_the_median():
    assert combine([repeat(5.0, load_ms=1500.0), repeat(5.0), repeat(5.0)], RULES).verdict.passed
    failed = combine([repeat(5.0, load_ms=1500.0), repeat(5.0, load_ms=1200.0), repeat(5.0)], RULES)
    assert failed.verdict.reasons == (
        "load time: chunk 0 took a median 1200 ms from its event to loadeddata over 3 repeats "
        "(min/median/max 40/1200/1500 ms, limit 1000 ms)",
    )


def test_a_single_repeat_is_the_run_itself():
    only = repeat(5.0)
    assert combine([only], RULES) is only


def test_every_repeat_is_kept_in_the_json_har_and_table():
    judged = combine([repeat(150.0), repeat(160.0), repeat(50.0)], RULES)
    (document,) = result_document([judged])["runs"]
    assert len(document["repeats"]) == 3
    assert [r["chunks"][0]["blocked_ms"] for r in document["repeats"]] == [150.0, 160.0, 50.0]
    assert document["spread"] == [
        {
            "index": 0,
            "blocked_ms": {"min": 50.0, "median": 150.0, "max": 160.0, "n": 3},
            "load_ms": {"min": 40.0, "median": 40.0, "max": 40.0, "n": 3},
        }
    ]
    assert len(har_documents([judged])) == 3
    text = describe(judged)
    assert "over 3 repeats (ms):" in text
    assert "50/150/160" in text


def test_compare_says_whether_the_setups_differ_more_than_chance():
    from playgate.run.compare import repeated_difference

    def setup(loads, mode):
        runs = []
        for load in loads:
            record = run(chunk(0, blocked_ms=load - 50, load_ms=load, protocol="h2"), mode=mode)
            runs.append(JudgedRun(record, evaluate(record, RULES)))
        return combine(runs, RULES)

    four = repeated_difference(setup([900, 930, 950, 960], "h1-tls"), setup([60, 70, 80, 100], "h2"))
    assert four[1] == (
        "    first chunk load: h1-tls 900/940/960 ms, h2 60/75/100 ms; p = 0.0286: a significant difference"
    )
    three = repeated_difference(setup([900, 930, 950], "h1-tls"), setup([60, 70, 80], "h2"))
    assert three[1].endswith("p = 0.1: not significant (could be chance) (with fewer than 4 repeats each it cannot be)")


def test_two_healthy_setups_hold_only_when_both_pass():
    from playgate.run.compare import gate_holds

    def judged(protocol):
        record = run(chunk(0, protocol=protocol))
        return JudgedRun(record, evaluate(record, RULES))

    passed, failed = judged("h2"), judged("http/1.1")
    assert gate_holds(passed, passed, both_healthy=True)
    assert not gate_holds(failed, passed, both_healthy=True)
    assert gate_holds(failed, passed) and not gate_holds(passed, passed)


def test_a_chunk_no_repeat_timed_is_said_so_rather_than_crashing():
    untimed = [JudgedRun(r, evaluate(r, RULES)) for r in [run(chunk(0, net=None))] * 3]
    reasons = combine(untimed, RULES).verdict.reasons
    assert "queueing: chunk 0 has no queueing figure in any of 3 repeats (no network timing)" in reasons, reasons


def test_every_rule_is_judged_over_repeats_one_way_or_the_other():
    """A rule added to Rule with its RuleSpec but judged nowhere over repeats would vanish
    from every --repeat run: each is judged on any repeat, or has a median judge."""
    from playgate.judging.repeats import MEDIAN_JUDGES, SINGLE_RUN_RULES
    from playgate.rules import ON_THE_MEDIAN, judged_over_repeats

    assert set(RULE_SPECS) == set(Rule)
    assert set(MEDIAN_JUDGES) == set(judged_over_repeats(ON_THE_MEDIAN))
    assert set(SINGLE_RUN_RULES) | set(MEDIAN_JUDGES) == set(Rule)
    assert not set(SINGLE_RUN_RULES) & set(MEDIAN_JUDGES)


@pytest.mark.parametrize("rule", [r for r in Rule if RULE_SPECS[r].over_repeats == ANY_REPEAT], ids=str)
def test_a_rule_any_repeat_broke_is_broken_for_the_setup(rule):
    healthy = repeat(5.0)
    broke = JudgedRun(
        healthy.run, Verdict(passed=False, broken=(rule.broken("it broke"),), waits=healthy.verdict.waits)
    )
    judged = combine([healthy, broke, healthy], RULES)
    assert [b.rule for b in judged.verdict.broken] == [rule]
    assert str(judged.verdict.broken[0]).endswith("(in 1 of 3 repeats)")
