"""The gate: judge a run against the rules, one readable reason per broken rule.

Rules, in order:
  loaded    every chunk asked for was announced and reached loadeddata, no media error
  protocol  every chunk came over the expected protocol, as the browser reported it
  queueing  no chunk waited longer than max_queued_ms before reaching the network
            (blocked: the browser's queue and, in Chromium, the stall after it)
  load time no chunk took longer than max_load_ms from its event to loadeddata

A figure the browser did not report cannot prove a rule holds, so it breaks the rule,
saying which figure was missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playgate.config import GateRules
from playgate.records import ChunkRecord, RunRecord


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        return "pass" if self.passed else "fail"


@dataclass(frozen=True)
class JudgedRun:
    """A run and the gate's verdict on it: what every report and assertion reads."""

    run: RunRecord
    verdict: Verdict


def _summarise(rule: str, offenders: list[tuple[ChunkRecord, str]]) -> str | None:
    if not offenders:
        return None
    chunk, text = offenders[0]
    more = f"; {len(offenders) - 1} more chunk(s) too" if len(offenders) > 1 else ""
    return f"{rule}: chunk {chunk.index} {text}{more}"


def check_loaded(run: RunRecord, rules: GateRules) -> str | None:
    offenders = []
    for chunk in run.chunks:
        if chunk.media_error:
            offenders.append((chunk, f"failed to play: {chunk.media_error}"))
        elif chunk.page.loadeddata_ms is None:
            offenders.append((chunk, "never reached loadeddata before the deadline"))
    reason = _summarise("loaded", offenders)
    if run.announced < run.expected:
        missing = f"loaded: only {run.announced} of {run.expected} chunks were announced before the deadline"
        reason = f"{missing}; {reason}" if reason else missing
    return reason


def check_protocol(run: RunRecord, rules: GateRules) -> str | None:
    offenders = []
    for chunk in run.chunks:
        protocol = chunk.net("protocol")
        if protocol is None:
            offenders.append((chunk, f"has no protocol reported by {run.browser}; expected {rules.expected_protocol}"))
        elif protocol != rules.expected_protocol:
            offenders.append((chunk, f"was served over {protocol}, expected {rules.expected_protocol}"))
    return _summarise("protocol", offenders)


def _where_it_waited(chunk: ChunkRecord) -> str:
    queued, stalled = chunk.net("queued_ms"), chunk.net("stalled_ms")
    if queued is None or stalled is None:
        return ""
    return f" ({queued:.0f} ms in the browser's request queue, {stalled:.0f} ms stalled for a connection or stream)"


def check_queueing(run: RunRecord, rules: GateRules) -> str | None:
    offenders = []
    for chunk in run.chunks:
        blocked = chunk.net("blocked_ms")
        if blocked is None:
            offenders.append((chunk, f"has no queueing figure from {run.browser} (no network timing)"))
        elif blocked > rules.max_queued_ms:
            text = f"waited {blocked:.0f} ms before reaching the network{_where_it_waited(chunk)}"
            offenders.append((chunk, f"{text} (limit {rules.max_queued_ms:g} ms)"))
    # The worst first: a missing figure, then the longest wait.
    offenders.sort(key=lambda o: -(o[0].net("blocked_ms") if o[0].net("blocked_ms") is not None else float("inf")))
    return _summarise("queueing", offenders)


# Where most of a slow load went, in the words of the regression it points to.
_LOAD_SHARES = (
    ("blocked_ms", "waiting before the network"),
    ("wait_ms", "waiting for the server's first byte: a slow origin"),
    ("receive_ms", "downloading: a slow link"),
)


def _where_the_load_went(chunk: ChunkRecord, load: float) -> str:
    for figure, words in _LOAD_SHARES:
        share = chunk.net(figure)
        if share is not None and share > load / 2:
            return f", {share:.0f} ms of it {words}"
    after = chunk.after_download_ms
    if after is not None and after > load / 2:
        return f", {after:.0f} ms of it after its download ended: a playback-side wait"
    return ""


def check_load_time(run: RunRecord, rules: GateRules) -> str | None:
    offenders = []
    for chunk in run.chunks:
        load = chunk.load_ms
        if load is None or load <= rules.max_load_ms:
            continue
        text = f"took {load:.0f} ms from its event to loadeddata (limit {rules.max_load_ms:g} ms)"
        offenders.append((chunk, text + _where_the_load_went(chunk, load)))
    return _summarise("load time", offenders)


RULES: tuple[Callable[[RunRecord, GateRules], str | None], ...] = (
    check_loaded,
    check_protocol,
    check_queueing,
    check_load_time,
)


def evaluate(run: RunRecord, rules: GateRules) -> Verdict:
    reasons = tuple(reason for rule in RULES if (reason := rule(run, rules)) is not None)
    return Verdict(passed=not reasons, reasons=reasons)
