"""The gate: judge a run against the rules, one readable reason per broken rule.

Rules, in order:
  loaded    every chunk asked for was announced and reached loadeddata, no media error
  protocol  every chunk came over the expected protocol, as the browser reported it
  queueing  no chunk waited longer than max_queued_ms before reaching the network
            (blocked: the browser's queue and, in Chromium, the stall after it) for a
            connection or a stream (see attribution), nor longer than max_uncontended_ms
            with no contention seen; a wait the records cannot explain has max_queued_ms
  load time no chunk took longer than max_load_ms from its event to loadeddata
  event stream  the page's event stream did not wait longer before reaching the network
            than max_stream_queued_ms (default: the chunks' queueing limits): a stream
            queued behind the page's other requests delays every chunk it announces,
            and no chunk's own figures show it
  startup, stalls, dropped   how the videos played (see judging/playback.py)
  transport, first frame, freezes, jitter buffer, av sync   a WebRTC connection, where the
            page made one (see judging/webrtc.py)

A figure the browser did not report cannot prove a rule holds, so it breaks the rule,
saying which figure was missing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from playgate.config import GateRules
from playgate.judging.attribution import H1, Wait, attribute
from playgate.judging.playback import check_playback
from playgate.judging.protocols import switch_note, why_http1, why_not_h3
from playgate.judging.webrtc import check_webrtc
from playgate.origin import origin_of
from playgate.records import NO_RESPONSE, ChunkRecord, NetworkRecord, RunRecord
from playgate.rules import Broken, Rule


@dataclass(frozen=True)
class Verdict:
    passed: bool
    broken: tuple[Broken, ...]  # the rules broken, in the order they are checked
    # What each chunk waited for, in the order of the run's chunks (None: no network record).
    waits: tuple[Wait | None, ...] = ()
    notes: tuple[str, ...] = ()  # figures worth seeing that broke no rule

    @property
    def label(self) -> str:
        return "pass" if self.passed else "fail"

    @property
    def reasons(self) -> tuple[str, ...]:
        """What broke, as the sentences the reports print."""
        return tuple(map(str, self.broken))

    def broke(self, rule: Rule) -> list[Broken]:
        return [broken for broken in self.broken if broken.rule is rule]


@dataclass(frozen=True)
class JudgedRun:
    """A run and the gate's verdict on it: what every report and assertion reads. A setup
    run several times (``--repeat``) is one JudgedRun: its median repeat, the verdict on
    all of them, and every repeat with its own verdict."""

    run: RunRecord
    verdict: Verdict
    repeats: tuple[JudgedRun, ...] = ()

    def ran_at(self, endpoint: str | None) -> JudgedRun:
        """This judged run, and its repeats, marked as measured by the browser at ``endpoint``."""
        if endpoint is None:
            return self
        return replace(
            self,
            run=replace(self.run, browser_endpoint=endpoint),
            repeats=tuple(repeat.ran_at(endpoint) for repeat in self.repeats),
        )

    def wait_of(self, index: int) -> Wait | None:
        """What chunk ``index`` waited for (None: no such chunk, or no network record)."""
        return next((w for c, w in zip(self.run.chunks, self.verdict.waits, strict=False) if c.index == index), None)


def summarise(rule: Rule, offenders: list[tuple[int, str]]) -> Broken | None:
    """One reason for a rule: the first offending chunk in words, and how many more."""
    if not offenders:
        return None
    index, text = offenders[0]
    more = f"; {len(offenders) - 1} more chunk(s) too" if len(offenders) > 1 else ""
    return rule.broken(f"chunk {index} {text}{more}", index)


def _summarise(rule: Rule, offenders: list[tuple[ChunkRecord, str]]) -> Broken | None:
    return summarise(rule, [(chunk.index, text) for chunk, text in offenders])


def request_failure(chunk: ChunkRecord) -> str:
    """'; its request failed: net::ERR_CONNECTION_RESET': why the network failed the chunk, in
    the browser's words (a media element reports a request that failed before any data as
    a format error, whatever the cause). Empty when the request did not fail or is unknown."""
    failure = chunk.network.failure if chunk.network is not None else None
    if failure is None:
        return ""
    if failure == NO_RESPONSE:
        return "; its request had no response"
    return f"; its request failed: {failure}"


def check_loaded(run: RunRecord, rules: GateRules) -> Broken | None:
    offenders = []
    for chunk in run.chunks:
        if chunk.media_error:
            offenders.append((chunk, f"failed to play: {chunk.media_error}{request_failure(chunk)}"))
        elif chunk.page.loadeddata_ms is None and chunk.page.kind == "fetched":
            offenders.append((chunk, "was fetched, but no SourceBuffer append carried it before the deadline"))
        elif chunk.page.loadeddata_ms is None:
            offenders.append((chunk, "never reached loadeddata before the deadline"))
    reason = _summarise(Rule.LOADED, offenders)
    if run.announced < run.expected:
        missing = f"only {run.announced} of {run.expected} chunks were announced before the deadline"
        return Rule.LOADED.broken(missing + (f"; {reason}" if reason else ""), reason.chunk if reason else None)
    return reason


def check_protocol(run: RunRecord, rules: GateRules) -> Broken | None:
    offenders = []
    for chunk in run.chunks:
        protocol = chunk.protocol
        if protocol is None:
            offenders.append((chunk, f"has no protocol reported by {run.browser}; expected {rules.expected_protocol}"))
        elif protocol != rules.expected_protocol:
            offenders.append((chunk, f"was served over {protocol}, expected {rules.expected_protocol}"))
    reason = _summarise(Rule.PROTOCOL, offenders)
    if reason and rules.expected_protocol == "h3" and any(c.protocol not in (None, "h3") for c in run.chunks):
        reason = reason.adding(f"; {why_not_h3(run)}")
    over_http1 = next((c for c in run.chunks if c.protocol == "http/1.1"), None)
    if reason and rules.expected_protocol == "h2" and over_http1 is not None:
        why = why_http1(run, over_http1.url)
        reason = reason.adding(f"; {why}") if why else reason
    return reason


def _where_it_waited(chunk: ChunkRecord) -> str:
    queued, stalled = chunk.queued_ms, chunk.stalled_ms
    if queued is None or stalled is None:
        return ""
    return f" ({queued:.0f} ms in the browser's request queue, {stalled:.0f} ms stalled for a connection or stream)"


def waits_of(run: RunRecord) -> tuple[Wait | None, ...]:
    return tuple(
        None
        if c.network is None
        else attribute(c.network, run.requests, run.stream_limit(c.network.protocol, c.network.url))
        for c in run.chunks
    )


def queueing_limit(wait: Wait | None, rules: GateRules) -> float:
    uncontended = wait is not None and wait.cause == "none"
    return rules.max_uncontended_ms if uncontended else rules.max_queued_ms


def check_queueing(run: RunRecord, rules: GateRules, waits: tuple[Wait | None, ...]) -> Broken | None:
    offenders = []
    for chunk, wait in zip(run.chunks, waits, strict=True):
        blocked = chunk.blocked_ms
        limit = queueing_limit(wait, rules)
        if blocked is None:
            offenders.append((chunk, f"has no queueing figure from {run.browser} (no network timing)"))
        elif blocked > limit:
            why = wait.explain() if wait is not None else ""
            text = f"waited {blocked:.0f} ms before reaching the network{_where_it_waited(chunk)}"
            text += f" {why}" if why else ""
            offenders.append((chunk, f"{text} (limit {limit:g} ms)"))
    # The worst first: a missing figure, then the longest wait.
    offenders.sort(key=lambda o: -(o[0].blocked_ms if o[0].blocked_ms is not None else float("inf")))
    return _summarise(Rule.QUEUEING, offenders)


def uncontended_notes(run: RunRecord, rules: GateRules, waits: tuple[Wait | None, ...]) -> tuple[str, ...]:
    """Waits over max_queued_ms that no contention explains, but under their own limit."""
    notes = []
    for chunk, wait in zip(run.chunks, waits, strict=True):
        blocked = chunk.blocked_ms
        if wait is not None and wait.cause == "none" and blocked is not None and blocked > rules.max_queued_ms:
            notes.append(
                f"chunk {chunk.index} waited {blocked:.0f} ms before reaching the network {wait.explain()}; "
                f"not the regression (limit for such waits {rules.max_uncontended_ms:g} ms)"
            )
    return tuple(notes)


# Where most of a slow load went, in the words of the regression it points to.
_LOAD_SHARES = (
    ("blocked_ms", "waiting before the network"),
    ("wait_ms", "waiting for the server's first byte: a slow origin"),
    ("receive_ms", "downloading: a slow link"),
)


def _where_the_load_went(chunk: ChunkRecord, load: float) -> str:
    for figure, words in _LOAD_SHARES:
        share = chunk.net_ms(figure)
        if share is not None and share > load / 2:
            return f", {share:.0f} ms of it {words}"
    after = chunk.after_download_ms
    if after is not None and after > load / 2:
        return f", {after:.0f} ms of it after its download ended: a playback-side wait"
    return ""


def check_load_time(run: RunRecord, rules: GateRules) -> Broken | None:
    offenders = []
    for chunk in run.chunks:
        load = chunk.load_ms
        if load is None or load <= rules.max_load_ms:
            continue
        text = f"took {load:.0f} ms from its event to loadeddata (limit {rules.max_load_ms:g} ms)"
        offenders.append((chunk, text + _where_the_load_went(chunk, load)))
    return _summarise(Rule.LOAD_TIME, offenders)


def stream_waits(run: RunRecord) -> tuple[Wait, ...]:
    """What each of the page's event streams waited for, in the order of ``run.event_streams``."""
    return tuple(
        attribute(stream, run.requests, run.stream_limit(stream.protocol, stream.url), _origin_protocol(run, stream))
        for stream in run.event_streams
    )


def _origin_protocol(run: RunRecord, request: NetworkRecord) -> str | None:
    """The protocol ``request`` must have used when its browser named none (Firefox gives
    none for an event stream that never ends): HTTP/1.1 where the probed origin speaks
    nothing else and none of the run's requests to it went over another protocol."""
    if request.protocol is not None:
        return None
    probe = run.probe_of(request.url)
    if probe is None or not probe.http1_only:
        return None
    origin = origin_of(request.url)
    others = {r.protocol for r in run.requests if r.protocol is not None and origin_of(r.url) == origin}
    return H1 if others <= {H1} else None


def check_event_stream(run: RunRecord, rules: GateRules) -> Broken | None:
    offenders = []
    for stream, wait in zip(run.event_streams, stream_waits(run), strict=True):
        blocked = stream.blocked_ms
        limit = rules.max_stream_queued_ms
        if limit is None:
            limit = queueing_limit(wait, rules)
        if blocked is not None and blocked > limit:
            why = f" {wait.explain()}" if wait.explain() else ""
            offenders.append(
                f"{urlsplit(stream.url).path} waited {blocked:.0f} ms before reaching the network{why} "
                f"(limit {limit:g} ms): every chunk it announces comes that much later"
            )
    if not offenders:
        return None
    more = f"; {len(offenders) - 1} more event stream(s) too" if len(offenders) > 1 else ""
    return Rule.EVENT_STREAM.broken(f"the page's event stream {offenders[0]}{more}")


def evaluate(run: RunRecord, rules: GateRules) -> Verdict:
    """The verdict on ``run``; ``rules`` with their expected protocol settled (GateRules.for_mode),
    else h2 is expected."""
    rules = rules.for_mode(None)
    waits = waits_of(run)
    checked = (
        check_loaded(run, rules),
        check_protocol(run, rules),
        check_queueing(run, rules, waits),
        check_load_time(run, rules),
        check_event_stream(run, rules),
    )
    webrtc = check_webrtc(run, rules, expected=run.webrtc_expected)
    broken = tuple(reason for reason in checked if reason is not None) + check_playback(run, rules) + webrtc
    switched = switch_note(run)
    notes = uncontended_notes(run, rules, waits) + ((switched,) if switched else ())
    return Verdict(passed=not broken, broken=broken, waits=waits, notes=notes)
