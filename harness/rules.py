"""The gate's rules, each a named thing: what it checks and the settings that set its limit.

A verdict holds what broke as ``Broken`` values (the rule, the first offending chunk, the
words), each read as the sentence the reports print, the rule's name first ("queueing:
chunk 0 waited ..."). ``Rule.named`` turns a name given by a person
(``assert_gate_fails(judged, "queueing")``, the catalogue) into a rule, or into one error
that lists the rules. Adding a rule: a member here with its RuleSpec, and its check in
judging/ returning ``rule.broken(...)`` (a rule judged on the median across repeats needs
its median judge in judging/repeats.py too; a test fails until it has one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from playgate.errors import UsageError


class Rule(StrEnum):
    LOADED = "loaded"
    PROTOCOL = "protocol"
    QUEUEING = "queueing"
    LOAD_TIME = "load time"
    EVENT_STREAM = "event stream"
    STARTUP = "startup"
    STALLS = "stalls"
    DROPPED = "dropped"
    # A page's WebRTC connection, from the browser's statistics (judging/webrtc.py).
    TRANSPORT = "transport"
    FIRST_FRAME = "first frame"
    FREEZES = "freezes"
    JITTER_BUFFER = "jitter buffer"
    AV_SYNC = "av sync"

    @classmethod
    def named(cls, name: str) -> Rule:
        try:
            return cls(name)
        except ValueError:
            known = ", ".join(repr(rule.value) for rule in cls)
            raise UsageError(f"no gate rule is named {name!r}: the rules are {known}") from None

    def broken(self, text: str, chunk: int | None = None) -> Broken:
        """This rule, broken as ``text`` says ('chunk 0 waited ...'), first by ``chunk``."""
        return Broken(self, text, chunk)


@dataclass(frozen=True)
class Broken:
    """A rule a run broke: the rule, the first chunk that broke it (None: the run as a whole,
    or its event stream), and the words that say how. ``str()`` is the sentence the reports
    print: 'queueing: chunk 0 waited 690 ms before reaching the network ...'."""

    rule: Rule
    text: str
    chunk: int | None = None

    def __str__(self) -> str:
        return f"{self.rule.value}: {self.text}"

    def adding(self, words: str) -> Broken:
        """The same, with ``words`` added to what it says."""
        return replace(self, text=self.text + words)


# How a rule is judged over the repeats of a setup (--repeat N, judging.repeats).
ANY_REPEAT = "any repeat"  # broken if any repeat broke it: a fact, not noise
ON_THE_MEDIAN = "on the median"  # a timing rule, judged on each chunk's median across the repeats


@dataclass(frozen=True)
class RuleSpec:
    """Everything said of a rule, once: what it checks, the settings (flags, [tool.playgate]
    keys) that set its limits, and how it is judged over repeats. The reference's table of
    rules, the JSON Schema's list and the repeat handling read it."""

    checks: str
    settings: tuple[str, ...]
    over_repeats: str  # ANY_REPEAT or ON_THE_MEDIAN


RULES: dict[Rule, RuleSpec] = {
    Rule.LOADED: RuleSpec(
        "every chunk asked for was announced and reached loadeddata (or was appended), no media error", (), ANY_REPEAT
    ),
    Rule.PROTOCOL: RuleSpec(
        "every chunk came over the expected protocol, as the browser reported it; the reason says why not",
        ("expect-protocol",),
        ANY_REPEAT,
    ),
    Rule.QUEUEING: RuleSpec(
        "no chunk waited before reaching the network longer than the limit for a wait on a connection or "
        "stream, nor than the limit for a wait with no contention seen",
        ("max-queued-ms", "max-uncontended-ms"),
        ON_THE_MEDIAN,
    ),
    Rule.LOAD_TIME: RuleSpec(
        "no chunk took longer than the limit from its event to loadeddata", ("max-load-ms",), ON_THE_MEDIAN
    ),
    Rule.EVENT_STREAM: RuleSpec(
        "the page's event stream did not wait before reaching the network longer than its limit (default: "
        "the chunks' queueing limits)",
        ("max-stream-queued-ms",),
        ANY_REPEAT,
    ),
    Rule.STARTUP: RuleSpec("navigation to the first presented frame within the limit", ("max-startup-ms",), ANY_REPEAT),
    Rule.STALLS: RuleSpec(
        "no more stalls after the first frame than allowed, none longer than the limit where some are allowed; "
        "a wait at the end of the content is no stall",
        ("max-stalls", "max-stall-ms"),
        ANY_REPEAT,
    ),
    Rule.DROPPED: RuleSpec("no larger share of the frames dropped than allowed", ("max-dropped-ratio",), ANY_REPEAT),
    Rule.TRANSPORT: RuleSpec(
        "a WebRTC connection's media took the expected path (default: UDP, no TURN relay), as the selected "
        "candidate pair says; a relayed pair is recognised whatever type the browser gives it",
        ("expect-transport",),
        ANY_REPEAT,
    ),
    Rule.FIRST_FRAME: RuleSpec(
        "a WebRTC connection's first video frame within the limit of the connection being made",
        ("max-first-frame-ms",),
        ANY_REPEAT,
    ),
    Rule.FREEZES: RuleSpec(
        "no more video freezes than allowed, by the browser's own count (freezeCount)", ("max-freezes",), ANY_REPEAT
    ),
    Rule.JITTER_BUFFER: RuleSpec(
        "a WebRTC video's jitter buffer held each frame no longer than the limit, on average",
        ("max-jitter-buffer-ms",),
        ANY_REPEAT,
    ),
    Rule.AV_SYNC: RuleSpec(
        "a WebRTC connection's video and audio jitter buffers apart by no more than the limit",
        ("max-av-offset-ms",),
        ANY_REPEAT,
    ),
}


def judged_over_repeats(how: str) -> tuple[Rule, ...]:
    """The rules judged ``how`` (ANY_REPEAT or ON_THE_MEDIAN) over repeats, in Rule's order."""
    return tuple(rule for rule in Rule if RULES[rule].over_repeats == how)
