"""The HTML report: one self-contained file (inline CSS, no script, nothing fetched).

For every run, its verdict, notes and waterfall (waterfall.py). All runs share one time
scale, so an h1 run and an h2 run read side by side. Above them, a summary with the runs
side by side: per mode and pressure, a column per browser.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from playgate.judging.attribution import CAUSE_LEGEND
from playgate.judging.gate import JudgedRun
from playgate.records import RunRecord
from playgate.reports.files import write_atomic
from playgate.reports.table import (
    aligned,
    chunk_table,
    crosscheck_line,
    format_ms,
    repeats_table,
    run_heading,
    webrtc_line,
)
from playgate.reports.waterfall import BAR_PHASES, BLOCKED, time_span_ms, waterfall

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
.waterfall tr.playback.stalled td { background: #fce8e6; }
.waterfall tr.stream td { background: #e8f0fe; }
.held { position: absolute; top: 5px; height: 4px; background: #e37400; opacity: .6; min-width: 1px; }
.held.unknown { background: repeating-linear-gradient(90deg, #e37400 0 4px, transparent 4px 8px); }
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
        f"{html.escape(run.browser_version)} &middot; {html.escape(run.label)} &middot; pressure "
        f"{html.escape(run.pressure)}</h2>"
        f'<div class="meta">{html.escape(run_heading(run))}</div>'
        + (f'<ul class="reasons">{reasons}</ul>' if reasons else "")
        + "".join(f'<div class="note">note: {html.escape(n)}</div>' for n in notes)
        + waterfall(run, span_ms, verdict.waits)
        + webrtc_timeline(run)
        + f"<details><summary>chunk table (ms)</summary><pre>{table}</pre></details>"
        "</section>"
    )


def webrtc_timeline(run: RunRecord) -> str:
    """The page's WebRTC connection second by second: bitrate, jitter buffer, freezes, frames."""
    webrtc = run.webrtc
    if webrtc is None:
        return ""
    rows = [["second", "kbit/s", "jitter buffer ms", "freezes", "frames"]]
    for second in webrtc.timeline:
        rows.append(
            [
                str(second.at_s),
                format_ms(second.kbit),
                format_ms(second.jitter_buffer_ms),
                *map(_count, (second.freezes, second.frames)),
            ]
        )
    return (
        f'<div class="note">{html.escape(webrtc_line(webrtc))}</div>'
        f"<details open><summary>WebRTC, second by second</summary><pre>{html.escape(aligned(rows))}</pre></details>"
    )


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _first_chunk(run: RunRecord) -> str:
    if not run.chunks:
        return "no chunk"
    first = run.chunks[0]
    return f"first chunk: blocked {format_ms(first.blocked_ms)} ms, load {format_ms(first.load_ms)} ms"


def summary(runs: Sequence[JudgedRun]) -> str:
    """Runs side by side: a row per mode and pressure, a column per browser."""
    browsers = list(dict.fromkeys(j.run.browser for j in runs))
    setups = list(dict.fromkeys((j.run.label, j.run.pressure) for j in runs))
    cells: dict[tuple[str, str, str], list[JudgedRun]] = {}
    for judged in runs:
        cells.setdefault((judged.run.label, judged.run.pressure, judged.run.browser), []).append(judged)
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
    items += [("held", "a holder's life until its end"), ("held unknown", "its end not given: until the run's end")]
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
        f'{summary(runs)}{legend()}<p class="note">{html.escape(CAUSE_LEGEND)}</p>'
        f'<div class="runs">{sections}</div></body></html>\n'
    )


def write_report(path: Path, runs: Sequence[JudgedRun]) -> None:
    write_atomic(path, render(runs))
