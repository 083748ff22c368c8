"""Assertions for tests: a failure shows the verdict and the chunk table."""

from __future__ import annotations

from playgate.errors import GateFailure
from playgate.judging.gate import JudgedRun
from playgate.reports.table import describe


def assert_gate_passes(judged: JudgedRun) -> None:
    if not judged.verdict.passed:
        raise GateFailure("the playback gate failed\n" + describe(judged))


def assert_gate_fails(judged: JudgedRun, rule: str) -> str:
    """The run must break ``rule`` (loaded, protocol, queueing, load time); returns its reason."""
    reasons = [r for r in judged.verdict.reasons if r.startswith(f"{rule}:")]
    if not reasons:
        raise GateFailure(f"expected the gate to break the {rule!r} rule\n" + describe(judged))
    return reasons[0]
