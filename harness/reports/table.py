"""What a person reads: the chunk table, the heading of a run, and the verdict with its reasons."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlsplit

from playgate.judging.attribution import Wait
from playgate.judging.crosscheck import largest_disagreement
from playgate.judging.gate import JudgedRun, stream_waits
from playgate.judging.repeats import chunk_spreads
from playgate.playback_record import Playback
from playgate.records import ChunkRecord, NetworkRecord, RunRecord
from playgate.webrtc_record import WebRtc

# blocked: issue -> first network phase; queued + stalled split it where the browser does.
COLUMNS = (
    "chunk",
    "protocol",
    "conn",
    "reused",
    "status",
    "blocked",
    "queued",
    "stalled",
    "waited for",  # the attribution: "6/6 conn", "4/4 streams", "none", "-"
    "wait",
    "receive",
    "load",
    "frame",
    "after dl",
)


def format_ms(value: float | None) -> str:
    return "-" if value is None else str(round(value))  # never "-0"


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _row(chunk: ChunkRecord, wait: Wait | None) -> tuple[str, ...]:
    net = chunk.network
    connection = (net.connection_id, net.connection_reused, net.status) if net is not None else (None, None, None)
    return (
        str(chunk.index),
        _text(chunk.protocol),
        *(_text(figure) for figure in connection),
        *(format_ms(figure) for figure in (chunk.blocked_ms, chunk.queued_ms, chunk.stalled_ms)),
        "-" if wait is None else wait.cell(chunk.blocked_ms),
        format_ms(chunk.wait_ms),
        format_ms(chunk.receive_ms),
        format_ms(chunk.load_ms),
        format_ms(chunk.first_frame_ms),
        format_ms(chunk.after_download_ms),
    )


def aligned(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells, right-aligned in columns: the tables playgate prints."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def chunk_table(run: RunRecord, waits: Sequence[Wait | None] = ()) -> str:
    """The evidence: one row per chunk, times in ms ('-' where the browser gave none), and
    what each chunk waited for (``waits``, the verdict's, in chunk order; '-' without)."""
    waits = list(waits) or [None] * len(run.chunks)
    return aligned([COLUMNS, *(_row(c, w) for c, w in zip(run.chunks, waits, strict=True))])


def repeats_table(judged: JudgedRun) -> str:
    """Each chunk over the repeats: min/median/max of its wait and load, and what it waited for."""
    blocked, load = chunk_spreads(judged.repeats, "blocked_ms"), chunk_spreads(judged.repeats, "load_ms")
    rows = [("chunk", "blocked min/med/max", "load min/med/max", "waited for")]
    for index, (waited, loaded) in enumerate(zip(blocked, load, strict=True)):
        waits = [repeat.wait_of(index) for repeat in judged.repeats]
        causes = Counter(w.short if w is not None else "-" for w in waits)
        rows.append((str(index), str(waited), str(loaded), ", ".join(f"{n}× {cause}" for cause, n in causes.items())))
    return f"over {len(judged.repeats)} repeats (ms):\n" + aligned(rows)


def run_heading(run: RunRecord) -> str:
    where = f" at {run.browser_endpoint}" if run.browser_endpoint else ""
    return f"{run.browser} {run.browser_version}{where} | mode {run.label} | pressure {run.pressure} | {run.url}"


def describe(judged: JudgedRun) -> str:
    run, verdict = judged.run, judged.verdict
    parts = [run_heading(run)]
    if run.chunks or not run.webrtc_expected:  # a WebRTC page loads no chunk: no empty table
        parts.append(chunk_table(run, verdict.waits))
    if judged.repeats:
        parts.append(repeats_table(judged))
    if run.playback is not None and run.playback.played:
        parts.append(playback_line(run.playback))
    if run.webrtc is not None:
        parts.append(webrtc_line(run.webrtc))
    parts += [f"note: {note}" for note in (*run.notes, *verdict.notes)]
    parts += [probe.describe() for probe in run.origins]
    parts += [stream_line(stream, wait) for stream, wait in zip(run.event_streams, stream_waits(run), strict=True)]
    if (line := crosscheck_line(run)) is not None:
        parts.append(line)
    parts.append(f"verdict: {verdict.label.upper()}")
    parts += [f"  - {reason}" for reason in verdict.reasons]
    return "\n".join(parts)


def stream_line(stream: NetworkRecord, wait: Wait) -> str:
    """'event stream /events: 3702 ms before the network, waited for 6/6 conn (http/1.1)'"""
    blocked = "no figure" if stream.blocked_ms is None else f"{stream.blocked_ms:.0f} ms"
    waited = f", waited for {wait.cell(stream.blocked_ms)}" if wait.contended else ""
    protocol = stream.protocol or "protocol not given"
    if stream.protocol is None and wait.unit == "connections":  # judged by the origin's (gate._origin_protocol)
        protocol = "protocol not given; http/1.1, all its origin speaks"
    return f"event stream {urlsplit(stream.url).path}: {blocked} before the network{waited} ({protocol})"


def playback_line(playback: Playback) -> str:
    """'playback: first frame 845 ms after navigation, 1 stall (1210 ms), 0 of 7 frames dropped'"""
    first = (
        "no frame presented"
        if playback.startup_ms is None
        else f"first frame {playback.startup_ms:.0f} ms after navigation"
    )
    stalls = f"{len(playback.stalls)} stall(s)"
    if playback.stalls:
        stalls += f" ({playback.stalled_ms:.0f} ms in all)"
    frames = "" if playback.frames is None else f", {playback.dropped_frames} of {playback.frames} frames dropped"
    return f"playback: {first}, {stalls}{frames}"


def webrtc_line(webrtc: WebRtc) -> str:
    """'webrtc: UDP host to 10.253.7.2:41234, connected after 95 ms, 0 freezes, jitter buffer 41 ms
    (audio 58 ms), 1020 kbit/s, 0 packets lost'"""
    path = "no candidate pair selected" if webrtc.pair is None else webrtc.pair.describe()
    parts = [f"webrtc: {path}"]
    if webrtc.connected_ms is not None:
        parts.append(f"connected after {webrtc.connected_ms - webrtc.created_ms:.0f} ms")
    else:
        parts.append(f"connection {webrtc.state}")

    def figure(value: float | None, words: str) -> str:
        return words.format("?" if value is None else f"{value:.0f}")

    parts.append(figure(webrtc.freezes, "{} freezes") + (f" ({webrtc.frozen_ms:.0f} ms)" if webrtc.freezes else ""))
    audio = "" if webrtc.audio_jitter_buffer_ms is None else f" (audio {webrtc.audio_jitter_buffer_ms:.0f} ms)"
    parts.append(figure(webrtc.jitter_buffer_ms, "jitter buffer {} ms") + audio)
    parts.append(figure(webrtc.kbit, "{} kbit/s"))
    parts.append(figure(webrtc.packets_lost, "{} packets lost"))
    return ", ".join(parts)


def crosscheck_line(run: RunRecord) -> str | None:
    """How far the browser's network record and the page's Resource Timing disagree."""
    worst = largest_disagreement(run.chunks)
    if worst is None:
        return None
    gap, figure, index = worst
    return f"cross-check: network record and page Resource Timing agree within {gap:.1f} ms (chunk {index} {figure})"
