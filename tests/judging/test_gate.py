"""Every gate rule, both ways, on records built by hand."""

import dataclasses

import pytest

from playgate.config import GateRules
from playgate.judging.gate import JudgedRun, Verdict, evaluate
from playgate.rules import Rule
from tests.factory import beside_an_event_stream, chunk, run

RULES = GateRules(max_queued_ms=50.0)  # the figures below were written for a 50 ms limit


def test_healthy_run_passes_with_no_reasons():
    verdict = evaluate(run(chunk(0), chunk(1), chunk(2)), RULES)
    assert verdict.passed
    assert verdict.reasons == ()
    assert verdict.label == "pass"


def test_protocol_rule_names_chunk_and_protocol():
    verdict = evaluate(run(chunk(0, protocol="http/1.1"), chunk(1, protocol="http/1.1"), chunk(2)), RULES)
    assert not verdict.passed
    assert verdict.reasons == ("protocol: chunk 0 was served over http/1.1, expected h2; 1 more chunk(s) too",)


def test_protocol_rule_accepts_another_expected_protocol():
    rules = GateRules(expected_protocol="http/1.1")
    assert evaluate(run(chunk(0, protocol="http/1.1")), rules).passed
    assert not evaluate(run(chunk(0, protocol="h2")), rules).passed


def test_unreported_protocol_breaks_the_rule_rather_than_passing():
    verdict = evaluate(run(chunk(0, protocol=None), browser="firefox"), RULES)
    assert verdict.reasons == ("protocol: chunk 0 has no protocol reported by firefox; expected h2",)


def test_queueing_rule_names_the_worst_chunk_and_figure():
    chunks = (chunk(0, blocked_ms=50.0), chunk(1, blocked_ms=702.4), chunk(2, blocked_ms=310.0))
    verdict = evaluate(beside_an_event_stream(*chunks), RULES)
    assert verdict.reasons == (
        "queueing: chunk 1 waited 702 ms before reaching the network (702 ms in the browser's request queue, "
        "0 ms stalled for a connection or stream) with 1 stream in flight to https://127.0.0.1:4443 "
        "(the server's limit is unknown) (limit 50 ms); 1 more chunk(s) too",
    )


def test_a_stall_for_a_free_h2_stream_breaks_the_queueing_rule():
    verdict = evaluate(beside_an_event_stream(chunk(0, blocked_ms=697.0, queued_ms=1.0)), RULES)
    assert verdict.reasons == (
        "queueing: chunk 0 waited 697 ms before reaching the network (1 ms in the browser's request queue, "
        "696 ms stalled for a connection or stream) with 1 stream in flight to https://127.0.0.1:4443 "
        "(the server's limit is unknown) (limit 50 ms)",
    )


def test_firefox_queueing_reason_does_not_split_what_it_cannot():
    verdict = evaluate(
        beside_an_event_stream(chunk(0, blocked_ms=680.0, source="bidi"), source="bidi", browser="firefox"), RULES
    )
    assert verdict.reasons == (
        "queueing: chunk 0 waited 680 ms before reaching the network with 1 stream in flight to "
        "https://127.0.0.1:4443 (the server's limit is unknown) (limit 50 ms)",
    )


def test_queueing_at_the_limit_passes():
    assert evaluate(run(chunk(0, blocked_ms=50.0)), RULES).passed


def test_missing_queueing_figure_breaks_the_rule():
    verdict = evaluate(run(chunk(0, blocked_ms=None)), RULES)
    assert verdict.reasons == ("queueing: chunk 0 has no queueing figure from chromium (no network timing)",)


def test_chunk_without_any_request_breaks_protocol_and_queueing():
    verdict = evaluate(run(chunk(0, net=None)), RULES)
    assert [r.split(":")[0] for r in verdict.reasons] == ["protocol", "queueing"]


def test_load_time_rule_both_ways():
    assert evaluate(run(chunk(0, load_ms=1000.0)), RULES).passed
    verdict = evaluate(run(chunk(0, load_ms=1268.0, download_end_ms=1210.0)), RULES)
    assert verdict.reasons == ("load time: chunk 0 took 1268 ms from its event to loadeddata (limit 1000 ms)",)


def test_load_time_names_a_playback_side_wait():
    verdict = evaluate(run(chunk(0, load_ms=1100.0, download_end_ms=12.0)), RULES)
    (reason,) = verdict.reasons
    assert reason.endswith("1088 ms of it after its download ended: a playback-side wait")


def test_loaded_rule_media_error_and_missing_loadeddata():
    verdict = evaluate(run(chunk(0, error="media error 4: not supported"), chunk(1, load_ms=None)), RULES)
    assert verdict.reasons == ("loaded: chunk 0 failed to play: media error 4: not supported; 1 more chunk(s) too",)


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ("net::ERR_HTTP2_PROTOCOL_ERROR", "; its request failed: net::ERR_HTTP2_PROTOCOL_ERROR"),
        ("no response", "; its request had no response"),
        (None, ""),
    ],
)
def test_a_chunk_that_failed_to_play_says_how_its_request_failed(failure, said):
    error = "media error 4: MEDIA_ELEMENT_ERROR: Format error"
    verdict = evaluate(run(chunk(0, error=error, failure=failure, status=None)), RULES)
    assert verdict.reasons[0] == f"loaded: chunk 0 failed to play: {error}{said}"


def test_loaded_rule_counts_chunks_never_announced():
    verdict = evaluate(run(chunk(0), expected=5, finished=False), RULES)
    assert verdict.reasons == ("loaded: only 1 of 5 chunks were announced before the deadline",)


def test_several_broken_rules_give_one_reason_each_in_rule_order():
    verdict = evaluate(run(chunk(0, protocol="http/1.1", blocked_ms=700.0, load_ms=1500.0)), RULES)
    assert [r.split(":")[0] for r in verdict.reasons] == ["protocol", "queueing", "load time"]


def test_slow_load_reason_names_a_slow_origin():
    verdict = evaluate(run(chunk(0, load_ms=1300.0, wait_ms=1204.0)), RULES)
    assert verdict.reasons == (
        "load time: chunk 0 took 1300 ms from its event to loadeddata (limit 1000 ms), "
        "1204 ms of it waiting for the server's first byte: a slow origin",
    )


def test_slow_load_reason_names_a_slow_link():
    verdict = evaluate(run(chunk(0, load_ms=1300.0, receive_ms=1100.0)), RULES)
    assert verdict.reasons[0].endswith("1100 ms of it downloading: a slow link")


def test_default_limits_judge_contention_tightly_and_scheduling_noise_loosely():
    assert (GateRules().max_queued_ms, GateRules().max_uncontended_ms) == (50.0, 300.0)

    # No other stream in flight, the server's stream limit known: a wait in the browser
    # itself, judged by the 300 ms limit.
    def alone(blocked_ms):
        return dataclasses.replace(run(chunk(0, blocked_ms=blocked_ms)), server_max_streams=100)

    assert evaluate(alone(100.0), GateRules()).passed
    assert not evaluate(alone(310.0), GateRules()).passed
    # Not known, another stream open: nothing says the wait was not for a stream, so the
    # contention limit holds.
    assert not evaluate(beside_an_event_stream(chunk(0, blocked_ms=100.0)), GateRules()).passed


def test_a_rule_is_named_or_the_error_lists_the_rules():
    from playgate.errors import UsageError
    from playgate.rules import Rule

    assert Rule.named("load time") is Rule.LOAD_TIME
    with pytest.raises(UsageError, match=r"no gate rule is named 'queueng': the rules are 'loaded', 'protocol'"):
        Rule.named("queueng")


def test_assert_gate_fails_refuses_a_misspelt_rule_rather_than_failing_for_it():
    from playgate.entrypoints.assertions import assert_gate_fails
    from playgate.errors import UsageError

    judged = JudgedRun(run(chunk(0)), Verdict(False, (Rule.QUEUEING.broken("chunk 0 waited 400 ms", 0),)))
    assert assert_gate_fails(judged, "queueing") == "queueing: chunk 0 waited 400 ms"
    with pytest.raises(UsageError, match="no gate rule is named 'queueng'"):
        assert_gate_fails(judged, "queueng")
