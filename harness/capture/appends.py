"""Which SourceBuffer appends carried which chunk, for players that fetch segments themselves
(in the page or in a worker) and feed Media Source Extensions.

The page records every append (when it began and ended, and where the buffer it went to
ended before and after); the network record says when each chunk's download ended. Players
append in the order they downloaded, often in several pieces (an init segment, audio and
video apart, a segment split), so appends are matched to downloads in order: each append
goes to the oldest chunk whose download had ended and that no append has carried yet;
else it continues the chunk carried last. An init segment (the page finds a moov and no
moof or mdat in its bytes), which may have come from elsewhere (a data: URL, an init
request that is no chunk), takes no chunk; it continues the chunk carried last, if any. A
chunk is loaded at the end of its first append.

A download that ended within ``CLOCK_SLACK_MS`` (1 ms) after an append began counts as ended by
then: the two times come from different clocks (Resource Timing or the network record, set
against the page's ``performance.now()``), each coarsened (0.1 ms in Chromium, 1 ms in
Firefox). A player that appends a segment while it downloads (mpegts.js) makes its first
piece after the download's end a median 1.5 ms after it (Chromium, 2026-12-05, 30 runs;
0.0 ms in the closest), so a strict order could put every piece of the last segment before
its end, and no append would carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playgate.records import CLOCK_SLACK_MS


@dataclass(frozen=True)
class Append:
    """One SourceBuffer.appendBuffer call (page time, ms; media time, s)."""

    ms: float
    end_ms: float | None  # updateend; None: it never completed
    bytes: int
    # The media it added to its buffer (None: none, or it never completed): from where the
    # range it grew ended before (or the start of a range it made) to that range's end.
    start_s: float | None
    end_s: float | None
    init: bool = False  # an init segment: codec setup, no media

    @classmethod
    def from_page(cls, data: dict[str, Any]) -> Append:
        return cls(
            data["ms"],
            data.get("end_ms"),
            int(data.get("bytes") or 0),
            data.get("start_s"),
            data.get("end_s"),
            bool(data.get("init")),
        )


@dataclass(frozen=True)
class Carried:
    """What the appends did with one chunk."""

    appended_ms: float | None  # the end of its first append
    media_start_s: float | None
    media_end_s: float | None
    appends: int


def join_appends(downloads: dict[int, float | None], appends: list[Append]) -> dict[int, Carried]:
    """``downloads``: chunk index -> page time its download ended (None: never). Returns what
    the appends carried of each chunk that one of them carried."""
    order = sorted((end, index) for index, end in downloads.items() if end is not None)
    carried: dict[int, list[Append]] = {}
    last: int | None = None
    for append in sorted(appends, key=lambda a: a.ms):
        waiting = [index for end, index in order if end <= append.ms + CLOCK_SLACK_MS and index not in carried]
        target = waiting[0] if waiting and not append.init else last
        if target is None:  # before any chunk arrived: an init segment from elsewhere
            continue
        carried.setdefault(target, []).append(append)
        last = target
    return {index: _summary(pieces) for index, pieces in carried.items()}


def _summary(pieces: list[Append]) -> Carried:
    starts = [a.start_s for a in pieces if a.start_s is not None]
    ends = [a.end_s for a in pieces if a.end_s is not None]
    return Carried(
        appended_ms=pieces[0].end_ms,
        media_start_s=min(starts) if starts else None,
        media_end_s=max(ends) if ends else None,
        appends=len(pieces),
    )
