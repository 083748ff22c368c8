"""The waterfall of one run, like DevTools' Network panel: a row per request, its bar split
into the phases the browser reported (queueing, stalled, DNS, connect, TLS, send, wait,
download), the chunks highlighted with their event and first-frame marks, what a waiting
chunk or event stream was held by drawn for its whole life, and the page's playback on the
same time axis. Styled by the report's STYLE (html.py)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from playgate.judging.attribution import Wait
from playgate.judging.gate import stream_waits
from playgate.records import ChunkRecord, NetworkRecord, RunRecord
from playgate.reports.table import format_ms

# (css class, label, figure): the order of the phases along a bar.
BAR_PHASES = (
    ("queueing", "Queueing", "queued_ms"),
    ("stalled", "Stalled", "stalled_ms"),
    ("dns", "DNS", "dns_ms"),
    ("connect", "Initial connection", "connect_ms"),
    ("tls", "SSL/TLS", "tls_ms"),
    ("send", "Request sent", "send_ms"),
    ("wait", "Waiting for server", "wait_ms"),
    ("receive", "Content download", "receive_ms"),
)
# Firefox gives the wait before the network as one figure: drawn as one "Blocked" phase.
BLOCKED = ("blocked", "Blocked (queueing and stalled, not split)", "blocked_ms")


@dataclass(frozen=True)
class Segment:
    css: str
    label: str
    start_ms: float  # from the report's time origin
    duration_ms: float


def request_segments(record: NetworkRecord, origin_ms: float) -> list[Segment]:
    """The phases of one request laid end to end from its start, as the browser gave them."""
    assert record.started_at is not None
    at = record.started_at * 1000 - origin_ms
    phases = BAR_PHASES if record.queued_ms is not None else (BLOCKED, *BAR_PHASES[2:])
    segments = []
    for css, label, figure in phases:
        value = getattr(record, figure)
        if value is None or value <= 0:
            continue
        segments.append(Segment(css, label, at, value))
        at += value
    return segments


def _start_ms(record: NetworkRecord, origin_ms: float) -> float:
    """Page time a drawn request was issued; only requests with a start are drawn."""
    assert record.started_at is not None, f"{record.url}: a request with no start is not drawn"
    return record.started_at * 1000 - origin_ms


def _end_ms(record: NetworkRecord, origin_ms: float) -> float:
    segments = request_segments(record, origin_ms)
    return segments[-1].start_ms + segments[-1].duration_ms if segments else _start_ms(record, origin_ms)


def run_end_ms(run: RunRecord) -> float:
    """The run's last moment on record (its last byte, end or chunk mark), in ms from its origin."""
    return time_span_ms([run]) / SPAN_MARGIN if run.requests or run.chunks else 0.0


def _held(record: NetworkRecord, origin_ms: float, span_ms: float, run_end: float) -> str:
    """A holder's life after its phases: to its end, or (the browser gave none) to the run's
    end, drawn as unknown; the connection or stream it held was busy all that while."""
    after = _end_ms(record, origin_ms)
    if record.ended_at is not None:
        end, css, what = record.ended_at * 1000 - origin_ms, "held", "held until it ended"
    else:
        end, css, what = run_end, "held unknown", "end not given by the browser: held at most until the run ended"
    if end <= after:
        return ""
    place = f"left:{_pct(after, span_ms)};width:{_pct(end - after, span_ms)}"
    return f'<div class="{css}" title="{what} at {end:.0f} ms" style="{place}"></div>'


def run_origin_ms(run: RunRecord) -> float:
    """Page time 0 (navigation start), else the first request's start, in epoch ms."""
    if run.page_time_origin_ms:
        return run.page_time_origin_ms
    starts = [r.started_at * 1000 for r in run.requests if r.started_at is not None]
    return min(starts, default=0.0)


def time_span_ms(runs: Sequence[RunRecord]) -> float:
    """The longest run, origin to last byte or chunk mark: the one scale of the report."""
    longest = 1.0
    for run in runs:
        origin = run_origin_ms(run)
        for record in run.requests:
            if record.started_at is not None:
                longest = max(longest, _end_ms(record, origin))
            if record.ended_at is not None:
                longest = max(longest, record.ended_at * 1000 - origin)
        for chunk in run.chunks:
            for mark in (chunk.page.event_ms, chunk.page.first_frame_ms):
                if mark is not None and run.page_time_origin_ms:
                    longest = max(longest, mark)
        if run.playback is not None and run.playback.stalls and run.page_time_origin_ms:
            longest = max(longest, run.playback.ended_ms)
    return longest * SPAN_MARGIN


SPAN_MARGIN = 1.05  # room after the last mark


def _pct(ms: float, span_ms: float) -> str:
    return f"{max(0.0, ms) / span_ms * 100:.3f}%"


# The lane is about 190 px in the narrowest panel: at most five ticks with short labels
# ("1.5 s", not "1500 ms") keep neighbouring labels apart.
MAX_TICKS = 5
# A label centred on a tick this close to the lane's end would stick out of the panel.
RIGHT_ANCHORED_FROM = 0.85


def _tick_step(span_ms: float) -> float:
    for step in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 60_000):
        if span_ms / step <= MAX_TICKS:
            return step
    return 120_000.0


def axis(span_ms: float) -> str:
    step = _tick_step(span_ms)
    ticks = []
    at = step
    while at < span_ms:
        label = f"{at / 1000:g} s" if step >= 100 else f"{at:g} ms"
        anchor = ' class="end"' if at / span_ms >= RIGHT_ANCHORED_FROM else ""
        ticks.append(f'<span{anchor} style="left:{_pct(at, span_ms)}">{label}</span>')
        at += step
    return f'<div class="axis">{"".join(ticks)}</div>'


def _release_mark(record: NetworkRecord, wait: Wait | None, origin_ms: float, span_ms: float) -> str:
    """Where the holder that let a chunk go ended, on the chunk's own lane."""
    reached = record.network_at
    if wait is None or wait.released_by is None or wait.released_gap_ms is None or reached is None:
        return ""
    at = reached * 1000 - wait.released_gap_ms - origin_ms
    what = f"{_request_name(wait.released_by)} ended, letting this chunk go {wait.released_gap_ms or 0:.0f} ms later"
    return f'<div class="mark release" title="{html.escape(what)}" style="left:{_pct(at, span_ms)}"></div>'


def bar(
    record: NetworkRecord,
    origin_ms: float,
    span_ms: float,
    chunk: ChunkRecord | None,
    run: RunRecord,
    wait: Wait | None = None,
    held: str = "",
) -> str:
    segments = request_segments(record, origin_ms)
    start = _start_ms(record, origin_ms)
    total = sum(s.duration_ms for s in segments)
    tip = "; ".join(f"{s.label} {s.duration_ms:.1f} ms" for s in segments) or "no network phases reported"
    spans = "".join(
        f'<span class="{s.css}" style="width:{s.duration_ms / total * 100 if total else 0:.3f}%"></span>'
        for s in segments
    )
    marks = ""
    if chunk is not None and run.page_time_origin_ms:
        page_offset = run.page_time_origin_ms - origin_ms
        page = chunk.page
        for css, at, what in (("event", page.event_ms, "chunk event"), ("frame", page.first_frame_ms, "first frame")):
            if at is not None:
                left = _pct(at + page_offset, span_ms)
                marks += f'<div class="mark {css}" title="{what} at {at:.0f} ms" style="left:{left}"></div>'
        marks += _release_mark(record, wait, origin_ms, span_ms)
    return (
        f'<div class="track">{marks}{held}<div class="bar" title="{html.escape(tip)}" '
        f'style="left:{_pct(start, span_ms)};width:{_pct(total, span_ms)}">{spans}</div></div>'
    )


def _status(record: NetworkRecord) -> str:
    """The status, and a failure after it (a holder cancelled at release: 200, failed)."""
    status = str(record.status) if record.status else ""
    if record.failure is None:
        return status or "-"
    failed = f'<span class="failed" title="{html.escape(record.failure)}">failed</span>'
    return f"{status} {failed}".strip()


def _request_name(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") or url


# The figure columns before the lane, each sized by its col-<css> rule in STYLE.
WATERFALL_COLUMNS = (
    ("request", "request"),
    ("protocol", "protocol"),
    ("conn", "conn"),
    ("status", "status"),
    ("blocked", "blocked ms"),
)


def waterfall(run: RunRecord, span_ms: float, waits: Sequence[Wait | None] = ()) -> str:
    """A row per request; a chunk that waited for a connection or stream names its cause,
    its holders are marked, and the end that let it go is a green mark on its lane."""
    origin = run_origin_ms(run)
    end = run_end_ms(run)
    chunk_of = {id(c.network): c for c in run.chunks if c.network is not None}
    wait_of = {id(c.network): w for c, w in zip(run.chunks, waits, strict=False) if c.network is not None}
    streams = {id(stream) for stream in run.event_streams}
    wait_of.update({id(s): w for s, w in zip(run.event_streams, stream_waits(run), strict=True)})
    holders = {url for w in wait_of.values() if w is not None and w.contended for url in w.holders}
    rows = [playback_row(run, origin, span_ms)] if run.playback is not None and run.playback.played else []
    for record in run.requests:
        chunk, wait = chunk_of.get(id(record)), wait_of.get(id(record))
        held = _held(record, origin, span_ms, end) if record.url in holders else ""
        lane = (
            bar(record, origin, span_ms, chunk, run, wait, held)
            if record.started_at is not None
            else "no start time reported"
        )
        name = _request_name(record.url)
        title = record.url + (f"\nwaited {wait.explain()}" if wait is not None and wait.explain() else "")
        cell = wait.cell(record.blocked_ms) if wait is not None and wait.contended else ""
        cell = cell if cell.startswith("(") else f"[{cell}]" if cell else ""  # (...): busy, not waited for
        cause = f'<span class="cause">{html.escape(cell)}</span> ' if cell else ""
        kind = _row_kind(chunk is not None, id(record) in streams, record.url in holders)
        rows.append(
            f'<tr class="{kind}">'
            f'<td class="name" title="{html.escape(title)}">{_row_label(chunk, kind)}'
            f"{cause}{html.escape(name)}</td>"
            f"<td>{html.escape(record.protocol or '-')}</td><td>{html.escape(record.connection_id or '-')}</td>"
            f"<td>{_status(record)}</td>"
            f'<td class="num">{format_ms(record.blocked_ms)}</td><td class="lane">{lane}</td></tr>'
        )
    colgroup = "".join(f'<col class="col-{css}">' for css, _ in WATERFALL_COLUMNS) + '<col class="col-lane">'
    headings = "".join(f"<th>{heading}</th>" for _, heading in WATERFALL_COLUMNS)
    head = f'<colgroup>{colgroup}</colgroup><tr>{headings}<th class="lane">{axis(span_ms)}</th></tr>'
    return f'<table class="waterfall">{head}{"".join(rows)}</table>'


def _row_kind(is_chunk: bool, is_stream: bool, is_holder: bool) -> str:
    """The row's classes: a chunk, the page's event stream, a holder (an event stream can
    hold a chunk's connection too), or another request."""
    if is_chunk:
        return "chunk"
    if is_stream:
        return "stream holder" if is_holder else "stream"
    return "holder" if is_holder else "request"


def _row_label(chunk: ChunkRecord | None, kind: str) -> str:
    if chunk is not None:
        return f"chunk {chunk.index} "
    return "event stream " if kind.startswith("stream") else ""


def playback_row(run: RunRecord, origin_ms: float, span_ms: float) -> str:
    """The page's playback on the same time axis: the first frame, and each stall as a band."""
    playback = run.playback
    assert playback is not None
    offset = (run.page_time_origin_ms or origin_ms) - origin_ms
    marks = ""
    if playback.first_frame_ms is not None:
        at = playback.first_frame_ms + offset
        title = f"first frame at {playback.first_frame_ms:.0f} ms"
        marks += f'<div class="mark frame" title="{title}" style="left:{_pct(at, span_ms)}"></div>'
    for stall in playback.stalls:
        end = stall.end_ms if stall.end_ms is not None else playback.ended_ms
        what = f"stall at {stall.position_s:.2f} s of media, {end - stall.start_ms:.0f} ms"
        marks += (
            f'<div class="stallband" title="{html.escape(what)}" '
            f'style="left:{_pct(stall.start_ms + offset, span_ms)};width:{_pct(end - stall.start_ms, span_ms)}"></div>'
        )
    label = f"playback: {len(playback.stalls)} stall(s)"
    blank = "<td></td>" * (len(WATERFALL_COLUMNS) - 1)
    lane = f'<td class="lane"><div class="track">{marks}</div></td>'
    css = "playback stalled" if playback.stalls else "playback"
    return f'<tr class="{css}"><td class="name">{label}</td>{blank}{lane}</tr>'
