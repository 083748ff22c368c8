"""One setup run N times (``--repeat N``), judged as one: the timing rules on the median of
each chunk across the repeats, the other rules on every repeat.

- loaded, protocol: broken if any repeat broke them (a chunk that never loaded or came over
  the wrong protocol once is a fact, not noise); the reason says in how many.
- queueing: for each chunk, how far each repeat's wait went past its own limit (which
  depends on what it waited for); the rule breaks when the median of that is over zero.
- load time: the median of each chunk's load time against max_load_ms.

The judged setup shows its median repeat (the one whose first chunk waited the median
time) and keeps every repeat, each with its own verdict, for the JSON, HAR and report.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from playgate.config import GateRules
from playgate.judging.gate import JudgedRun, Verdict, queueing_limit, summarise
from playgate.rules import ANY_REPEAT, ON_THE_MEDIAN, Broken, Rule, judged_over_repeats

# Rules that any one repeat breaks for all (the timing rules are judged on each chunk's median).
SINGLE_RUN_RULES = judged_over_repeats(ANY_REPEAT)


@dataclass(frozen=True)
class Spread:
    """One figure of one chunk across the repeats that gave it."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def __str__(self) -> str:
        if not self.values:
            return "-"
        return f"{min(self.values):.0f}/{self.median:.0f}/{max(self.values):.0f}"


def chunk_spreads(repeats: Sequence[JudgedRun], figure: str) -> list[Spread]:
    """``figure`` ("blocked_ms" or "load_ms") of each chunk index, over the repeats."""
    count = max((len(r.run.chunks) for r in repeats), default=0)
    spreads = []
    for index in range(count):
        values = []
        for judged in repeats:
            chunks = [c for c in judged.run.chunks if c.index == index]
            value = None
            if chunks:
                value = chunks[0].load_ms if figure == "load_ms" else chunks[0].net_ms(figure)
            if value is not None:
                values.append(float(value))
        spreads.append(Spread(tuple(values)))
    return spreads


def _median_repeat(repeats: Sequence[JudgedRun]) -> JudgedRun:
    def first_wait(judged: JudgedRun) -> float:
        blocked = judged.run.chunks[0].blocked_ms if judged.run.chunks else None
        return float("inf") if blocked is None else float(blocked)

    ordered = sorted(repeats, key=first_wait)
    return ordered[(len(ordered) - 1) // 2]


def _single_run_reasons(repeats: Sequence[JudgedRun]) -> list[Broken]:
    reasons = []
    for rule in SINGLE_RUN_RULES:
        broken = [b for j in repeats for b in j.verdict.broke(rule)]
        if broken:
            reasons.append(broken[0].adding(f" (in {len(broken)} of {len(repeats)} repeats)"))
    return reasons


def _queueing_reason(repeats: Sequence[JudgedRun], rules: GateRules) -> Broken | None:
    offenders = []
    for index, spread in enumerate(chunk_spreads(repeats, "blocked_ms")):
        excess = []
        for judged in repeats:
            for chunk in judged.run.chunks:
                if chunk.index == index:
                    blocked = chunk.blocked_ms
                    limit = queueing_limit(judged.wait_of(index), rules)
                    excess.append(float("inf") if blocked is None else blocked - limit)
        if excess and not spread.values:  # as one run says it, and no median to take
            offenders.append((index, f"has no queueing figure in any of {len(repeats)} repeats (no network timing)"))
        elif excess and statistics.median(excess) > 0:
            wait = _median_repeat(repeats).wait_of(index)
            why = f" {wait.explain()}" if wait is not None and wait.explain() else ""
            offenders.append(
                (
                    index,
                    f"waited a median {spread.median:.0f} ms before reaching the network over "
                    f"{len(repeats)} repeats (min/median/max {spread} ms){why}",
                )
            )
    return summarise(Rule.QUEUEING, offenders)


def _load_reason(repeats: Sequence[JudgedRun], rules: GateRules) -> Broken | None:
    offenders = [
        (
            index,
            f"took a median {spread.median:.0f} ms from its event to loadeddata over {len(repeats)} "
            f"repeats (min/median/max {spread} ms, limit {rules.max_load_ms:g} ms)",
        )
        for index, spread in enumerate(chunk_spreads(repeats, "load_ms"))
        if spread.values and spread.median > rules.max_load_ms
    ]
    return summarise(Rule.LOAD_TIME, offenders)


# How each timing rule is judged on the medians (rules.RULES says which rules those are).
MEDIAN_JUDGES: dict[Rule, Callable[[Sequence[JudgedRun], GateRules], Broken | None]] = {
    Rule.QUEUEING: _queueing_reason,
    Rule.LOAD_TIME: _load_reason,
}


def combine(repeats: Sequence[JudgedRun], rules: GateRules) -> JudgedRun:
    """The repeats of one setup in one browser, judged as one."""
    if not repeats:
        raise ValueError("no repeats to combine")
    if len(repeats) == 1:
        return repeats[0]
    timing = [MEDIAN_JUDGES[rule](repeats, rules) for rule in judged_over_repeats(ON_THE_MEDIAN)]
    broken = tuple(_single_run_reasons(repeats) + [r for r in timing if r is not None])
    median = _median_repeat(repeats)
    note = f"judged on {len(repeats)} repeats: timing rules on each chunk's median; shown: the median repeat"
    verdict = Verdict(passed=not broken, broken=broken, waits=median.verdict.waits, notes=(note, *median.verdict.notes))
    return JudgedRun(median.run, verdict, repeats=tuple(repeats))
