"""The browser's network record against the page's own Resource Timing of the same load.

Two readings of one request, taken by different parts of the browser: the network
instrumentation (CDP or BiDi) and the page's PerformanceResourceTiming. Where they
disagree, one of them is wrong, so the ground-truth tests and the benchmark report the
largest disagreement. In Chromium the two are separate code paths; in Firefox both
come from the same network timings, so agreement there proves less. In WebKit the network
record is the Resource Timing itself: there is nothing to compare.

Compared: blocked (to the first network phase), wait (request start -> first byte,
which includes sending) and receive (first -> last byte).
"""

from __future__ import annotations

from collections.abc import Iterable

from playgate.records import ChunkRecord

COMPARED = ("blocked_ms", "wait_ms", "receive_ms")


def _network_wait(chunk: ChunkRecord) -> float | None:
    wait: float | None = chunk.wait_ms
    send: float | None = chunk.send_ms
    if wait is None:
        return None
    return wait + (send or 0.0)  # Resource Timing's requestStart is before sending


def disagreements(chunk: ChunkRecord) -> dict[str, float]:
    """|network - page| per compared figure, in ms, where both sides have it."""
    page = chunk.resource_timing
    if page is None or chunk.network is None or chunk.network.source == "resource-timing":
        return {}
    pairs = {
        "blocked_ms": (chunk.blocked_ms, page.blocked_ms),
        "wait_ms": (_network_wait(chunk), page.wait_ms),
        "receive_ms": (chunk.receive_ms, page.receive_ms),
    }
    return {name: abs(a - b) for name, (a, b) in pairs.items() if a is not None and b is not None}


def largest_disagreement(
    chunks: Iterable[ChunkRecord], figures: tuple[str, ...] = COMPARED
) -> tuple[float, str, int] | None:
    """(ms, figure, chunk index) of the worst disagreement, None when nothing compared."""
    worst: tuple[float, str, int] | None = None
    for chunk in chunks:
        for name, gap in disagreements(chunk).items():
            if name in figures and (worst is None or gap > worst[0]):
                worst = (gap, name, chunk.index)
    return worst
