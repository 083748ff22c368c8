"""The HTML report: one self-contained file (inline CSS, no script, nothing fetched).

For every run, a waterfall like DevTools' Network panel: a row per request, its bar
split into the phases the browser reported (queueing, stalled, DNS, connect, TLS,
send, wait, download), the chunks highlighted with their event and first-frame marks.
All runs share one time scale, so an h1 run and an h2 run read side by side. Above
them, a summary with the runs side by side: per mode and pressure, a column per browser.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from playgate.judging.attribution import Wait
from playgate.judging.gate import JudgedRun
from playgate.records import ChunkRecord, NetworkRecord, RunRecord
from playgate.reports.files import write_atomic
from playgate.reports.table import chunk_table, crosscheck_line, format_ms, repeats_table, run_heading

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

STYLE = """
:root { font: 13px/1.4 system-ui, sans-serif; color: #202124; }
body { margin: 16px 24px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 0 0 6px; }
.meta, .note { color: #5f6368; }
table { border-collapse: collapse; }
th, td { padding: 2px 8px; text-align: left; white-space: nowrap; }
.summary td, .summary th { border: 1px solid #dadce0; }
.pass { color: #188038; font-weight: 600; } .fail { color: #c5221f; font-weight: 600; }
span.failed { color: #c5221f; }
.runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(700px, 1fr)); gap: 16px; margin-top: 16px; }
.run { border: 1px solid #dadce0; border-radius: 6px; padding: 10px; overflow-x: auto; }
.run.failed { border-color: #c5221f; }
.reasons { margin: 4px 0 8px; padding-left: 18px; color: #c5221f; }
/* Fixed columns: whatever the fonts and figures, the table is exactly its panel's width
   and the lane takes what is left (at least ~200 px in the narrowest panel). */
.waterfall { width: 100%; table-layout: fixed; }
.waterfall th, .waterfall td { overflow: hidden; text-overflow: ellipsis; }
col.col-request { width: 160px; } col.col-protocol { width: 80px; } col.col-conn { width: 56px; }
col.col-status { width: 90px; } col.col-blocked { width: 104px; }
.waterfall td { border-bottom: 1px solid #f1f3f4; font-variant-numeric: tabular-nums; }
.waterfall td.num { text-align: right; }
.waterfall tr.chunk td { background: #fef7e0; }
.lane { position: relative; padding: 0; }
.track { position: relative; height: 14px; margin: 2px 0; overflow: hidden; }
.bar { position: absolute; top: 2px; height: 10px; display: flex; min-width: 1px; }
.bar span { display: block; height: 100%; }
.mark { position: absolute; top: 0; width: 2px; height: 14px; }
.mark.event { background: #1a73e8; } .mark.frame { background: #d93025; }
.mark.release { background: #188038; }
.stallband { position: absolute; top: 1px; height: 12px; background: #d93025; opacity: .55; min-width: 2px; }
.waterfall tr.playback td { background: #fce8e6; }
.waterfall tr.holder td.name { box-shadow: inset 3px 0 #e37400; }
.cause { color: #b06000; font-size: 90%; }
.legend span.holder-key { background: #e37400; width: 3px; }
.axis { position: relative; height: 14px; color: #5f6368; font-size: 11px; overflow: hidden; }
.axis span { position: absolute; transform: translateX(-50%); }
.axis span.end { transform: translateX(-100%); }
.queueing { background: #fff; box-shadow: inset 0 0 0 1px #9aa0a6; }
.stalled, .blocked { background: #bdc1c6; } .dns { background: #009688; }
.connect { background: #f29900; } .tls { background: #a142f4; }
.send { background: #34a853; } .wait { background: #1e8e3e; } .receive { background: #1a73e8; }
.legend span.swatch { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 12px; vertical-align: middle; }
details pre { font-size: 12px; }
"""


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


def _end_ms(record: NetworkRecord, origin_ms: float) -> float:
    segments = request_segments(record, origin_ms)
    return segments[-1].start_ms + segments[-1].duration_ms if segments else record.started_at * 1000 - origin_ms  # type: ignore[operator]


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
        for chunk in run.chunks:
            for mark in (chunk.page.event_ms, chunk.page.first_frame_ms):
                if mark is not None and run.page_time_origin_ms:
                    longest = max(longest, mark)
        if run.playback is not None and run.playback.stalls and run.page_time_origin_ms:
            longest = max(longest, run.playback.ended_ms)
    return longest * 1.05


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
) -> str:
    segments = request_segments(record, origin_ms)
    start = record.started_at * 1000 - origin_ms  # type: ignore[operator]
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
        f'<div class="track">{marks}<div class="bar" title="{html.escape(tip)}" '
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
    chunk_of = {id(c.network): c for c in run.chunks if c.network is not None}
    wait_of = {id(c.network): w for c, w in zip(run.chunks, waits, strict=False) if c.network is not None}
    holders = {url for w in waits if w is not None and w.contended for url in w.holders}
    rows = [playback_row(run, origin, span_ms)] if run.playback is not None and run.playback.played else []
    for record in run.requests:
        chunk, wait = chunk_of.get(id(record)), wait_of.get(id(record))
        lane = (
            bar(record, origin, span_ms, chunk, run, wait)
            if record.started_at is not None
            else "no start time reported"
        )
        name = _request_name(record.url)
        title = record.url + (f"\nwaited {wait.explain()}" if wait is not None and wait.explain() else "")
        cause = (
            f'<span class="cause">[{html.escape(wait.short)}]</span> ' if wait is not None and wait.contended else ""
        )
        kind = "chunk" if chunk else "holder" if record.url in holders else "request"
        rows.append(
            f'<tr class="{kind}">'
            f'<td class="name" title="{html.escape(title)}">{"chunk " + str(chunk.index) + " " if chunk else ""}'
            f"{cause}{html.escape(name)}</td>"
            f"<td>{html.escape(record.protocol or '-')}</td><td>{html.escape(record.connection_id or '-')}</td>"
            f"<td>{_status(record)}</td>"
            f'<td class="num">{format_ms(record.blocked_ms)}</td><td class="lane">{lane}</td></tr>'
        )
    colgroup = "".join(f'<col class="col-{css}">' for css, _ in WATERFALL_COLUMNS) + '<col class="col-lane">'
    headings = "".join(f"<th>{heading}</th>" for _, heading in WATERFALL_COLUMNS)
    head = f'<colgroup>{colgroup}</colgroup><tr>{headings}<th class="lane">{axis(span_ms)}</th></tr>'
    return f'<table class="waterfall">{head}{"".join(rows)}</table>'


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
    return f'<tr class="playback"><td class="name">{label}</td>{blank}{lane}</tr>'


def run_section(judged: JudgedRun, span_ms: float) -> str:
    run, verdict = judged.run, judged.verdict
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in verdict.reasons)
    notes = [*run.notes, *verdict.notes, *(probe.describe() for probe in run.origins)]
    if (line := crosscheck_line(run)) is not None:
        notes.append(line)
    table = html.escape(chunk_table(run, verdict.waits))
    if judged.repeats:
        table += "\n\n" + html.escape(repeats_table(judged))
    return (
        f'<section class="run{"" if verdict.passed else " failed"}">'
        f'<h2><span class="{verdict.label}">{verdict.label.upper()}</span> {html.escape(run.browser)} '
        f"{html.escape(run.browser_version)} &middot; {html.escape(run.mode)} &middot; pressure "
        f"{html.escape(run.pressure)}</h2>"
        f'<div class="meta">{html.escape(run_heading(run))}</div>'
        + (f'<ul class="reasons">{reasons}</ul>' if reasons else "")
        + "".join(f'<div class="note">note: {html.escape(n)}</div>' for n in notes)
        + waterfall(run, span_ms, verdict.waits)
        + f"<details><summary>chunk table (ms)</summary><pre>{table}</pre></details>"
        "</section>"
    )


def _first_chunk(run: RunRecord) -> str:
    if not run.chunks:
        return "no chunk"
    first = run.chunks[0]
    return f"first chunk: blocked {format_ms(first.net('blocked_ms'))} ms, load {format_ms(first.load_ms)} ms"


def summary(runs: Sequence[JudgedRun]) -> str:
    """Runs side by side: a row per mode and pressure, a column per browser."""
    browsers = list(dict.fromkeys(j.run.browser for j in runs))
    setups = list(dict.fromkeys((j.run.mode, j.run.pressure) for j in runs))
    cells: dict[tuple[str, str, str], list[JudgedRun]] = {}
    for judged in runs:
        cells.setdefault((judged.run.mode, judged.run.pressure, judged.run.browser), []).append(judged)
    rows = []
    for mode, pressure in setups:
        tds = []
        for browser in browsers:
            found = cells.get((mode, pressure, browser), [])
            tds.append(
                "<td>"
                + "<br>".join(
                    f'<span class="{j.verdict.label}">{j.verdict.label.upper()}</span> {_first_chunk(j.run)}'
                    for j in found
                )
                + "</td>"
            )
        rows.append(f"<tr><th>{html.escape(mode)} &middot; {html.escape(pressure)}</th>{''.join(tds)}</tr>")
    head = "<tr><th>mode &middot; pressure</th>" + "".join(f"<th>{html.escape(b)}</th>" for b in browsers) + "</tr>"
    return f'<table class="summary">{head}{"".join(rows)}</table>'


def legend() -> str:
    items = [(css, label) for css, label, _ in (*BAR_PHASES, BLOCKED)]
    items += [("mark event", "chunk event received"), ("mark frame", "first frame")]
    items += [("mark release", "the end that let a waiting chunk go"), ("holder-key", "held what a chunk waited for")]
    items += [("stallband", "playback stalled")]
    swatches = "".join(
        f'<span class="swatch {css}" style="position:static"></span>{html.escape(label)}' for css, label in items
    )
    return f'<div class="legend">{swatches}</div>'


def render(runs: Sequence[JudgedRun], title: str = "playgate report") -> str:
    span = time_span_ms([j.run for j in runs])
    passed = sum(j.verdict.passed for j in runs)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    sections = "".join(run_section(j, span) for j in runs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<div class="meta">{passed} of {len(runs)} runs passed &middot; generated {generated} &middot; '
        "every waterfall on one time scale, from page navigation; figures are the browsers' own</div>"
        f'{summary(runs)}{legend()}<div class="runs">{sections}</div></body></html>\n'
    )


def write_report(path: Path, runs: Sequence[JudgedRun]) -> None:
    write_atomic(path, render(runs))
