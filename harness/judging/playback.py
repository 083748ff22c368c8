"""Playback rules: how the page's videos played, and each stall tied to the chunk it waited for.

  startup   navigation to the first presented frame within max_startup_ms; a page that
            played a video and never presented a frame breaks it
  stalls    no more than max_stalls stalls after the first frame, none longer than
            max_stall_ms where some are allowed
  dropped   no more than max_dropped_ratio of the frames dropped

A page that never played a video (none was told to play) is not judged on them.
"""

from __future__ import annotations

from playgate.config import GateRules
from playgate.playback_record import Playback, Stall
from playgate.records import ChunkRecord, RunRecord, download_end_ms
from playgate.rules import Broken, Rule


def stalled_chunk(
    stall: Stall, chunks: tuple[ChunkRecord, ...], time_origin_ms: float | None = None
) -> ChunkRecord | None:
    """The chunk the stall waited for: the one whose source the stalled video played; else
    (a Media Source) one not yet appended when the stall began whose media reaches past the
    stalled position: of those, the first whose download ended during the stall (its arrival
    ended it; the player may fetch more before it plays again; and a remuxer that holds a
    segment's last frame back until the next segment comes, as mpegts.js's does, appends
    the earlier one late too), else the first. (Audio and video
    buffers end apart, by up to a frame, so the position alone cannot tell the end of one
    chunk from the next.) ``time_origin_ms``: the page's, to read download ends in page time."""
    for chunk in chunks:
        if stall.src is not None and chunk.url == stall.src:
            return chunk
    waiting = [
        chunk
        for chunk in chunks
        if chunk.page.kind == "fetched"
        and (chunk.page.loadeddata_ms is None or chunk.page.loadeddata_ms > stall.start_ms)
    ]
    candidates = [c for c in waiting if c.page.media_end_s is None or c.page.media_end_s > stall.position_s]
    if waiting and waiting[0] not in candidates:
        return None  # the first chunk it could wait for was in already: nothing covers the position
    arrived = [c for c in candidates if _arrived_during(c, stall, time_origin_ms)]
    return arrived[0] if arrived else (candidates[0] if candidates else None)


def _arrived_during(chunk: ChunkRecord, stall: Stall, time_origin_ms: float | None) -> bool:
    ended_ms = download_end_ms(chunk.network, chunk.resource_timing, time_origin_ms)
    return ended_ms is not None and stall.end_ms is not None and stall.start_ms < ended_ms <= stall.end_ms


def describe_stall(
    stall: Stall, chunks: tuple[ChunkRecord, ...], ended_ms: float, time_origin_ms: float | None = None
) -> str:
    """'a 1.2 s stall at 3.0 s: chunk 3 waited 1150 ms before reaching the network, ...'"""
    length = stall.duration_ms
    how_long = (
        f"a {length / 1000:.2f} s stall"
        if length is not None
        else f"a stall still open after {(ended_ms - stall.start_ms) / 1000:.2f} s"
    )
    text = f"{how_long} at {stall.position_s:.2f} s"
    chunk = stalled_chunk(stall, chunks, time_origin_ms)
    if chunk is None:
        return text + ": no chunk of the run covers that position"
    figures = []
    for name, words in (
        ("blocked_ms", "before reaching the network"),
        ("wait_ms", "for its first byte"),
        ("receive_ms", "downloading"),
    ):
        value = chunk.net_ms(name)
        if value is not None:
            figures.append(f"{value:.0f} ms {words}")
    return f"{text}: chunk {chunk.index} " + (", ".join(figures) if figures else "has no network figures")


def check_startup(playback: Playback, rules: GateRules) -> Broken | None:
    startup = playback.startup_ms
    if startup is None:
        return Rule.STARTUP.broken("a video was told to play but presented no frame before the deadline")
    if startup > rules.max_startup_ms:
        return Rule.STARTUP.broken(
            f"the first frame came {startup:.0f} ms after navigation (limit {rules.max_startup_ms:g} ms)"
        )
    return None


def check_stalls(run: RunRecord, playback: Playback, rules: GateRules) -> Broken | None:
    stalls = playback.stalls
    too_long = [s for s in stalls if (s.duration_ms is None or s.duration_ms > rules.max_stall_ms)]
    if len(stalls) <= rules.max_stalls and not (too_long and rules.max_stalls > 0):
        return None
    worst = max(stalls, key=lambda s: s.duration_ms if s.duration_ms is not None else float("inf"))
    count = f"{len(stalls)} stall(s) after the first frame (limit {rules.max_stalls})"
    if len(stalls) <= rules.max_stalls:
        count = f"a stall longer than {rules.max_stall_ms:g} ms"
    longest = describe_stall(worst, run.chunks, playback.ended_ms, run.page_time_origin_ms)
    return Rule.STALLS.broken(f"{count}, {playback.stalled_ms:.0f} ms in all; the longest, {longest}")


def check_dropped(playback: Playback, rules: GateRules) -> Broken | None:
    ratio = playback.dropped_ratio
    if ratio is None or ratio <= rules.max_dropped_ratio:
        return None
    return Rule.DROPPED.broken(
        f"{playback.dropped_frames} of {playback.frames} frames dropped ({ratio:.0%}; "
        f"limit {rules.max_dropped_ratio:.0%})"
    )


def check_playback(run: RunRecord, rules: GateRules) -> tuple[Broken, ...]:
    playback = run.playback
    if playback is None or not playback.played:
        return ()
    checked = (check_startup(playback, rules), check_stalls(run, playback, rules), check_dropped(playback, rules))
    return tuple(reason for reason in checked if reason is not None)
