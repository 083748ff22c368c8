"""Assertions for tests: a failure shows the verdict and the chunk table."""

from __future__ import annotations

from playgate.errors import GateFailure
from playgate.judging.gate import JudgedRun
from playgate.reports.table import describe
from playgate.rules import Rule


def assert_gate_passes(judged: JudgedRun) -> None:
    if not judged.verdict.passed:
        raise GateFailure("the playback gate failed\n" + describe(judged))


def assert_gate_fails(judged: JudgedRun, rule: str | Rule) -> str:
    """The run must break ``rule`` (a Rule, or its name: "queueing", "load time", ...);
    returns its reason. A name no rule has is a UsageError listing the rules."""
    named = Rule.named(rule)
    broken = judged.verdict.broke(named)
    if not broken:
        raise GateFailure(f"expected the gate to break the {named.value!r} rule\n" + describe(judged))
    return str(broken[0])
