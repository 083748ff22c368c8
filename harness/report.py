"""What a person and a machine read: the chunk table, the verdict lines, the JSON result."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.crosscheck import largest_disagreement
from harness.gate import Verdict
from harness.records import ChunkRecord, RunRecord

JSON_FORMAT_VERSION = 1
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
    "wait",
    "receive",
    "load",
    "frame",
    "after dl",
)


@dataclass(frozen=True)
class JudgedRun:
    run: RunRecord
    verdict: Verdict


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _row(chunk: ChunkRecord) -> tuple[str, ...]:
    return (
        str(chunk.index),
        *(_text(chunk.net(f)) for f in ("protocol", "connection_id", "connection_reused", "status")),
        *(format_ms(chunk.net(f)) for f in ("blocked_ms", "queued_ms", "stalled_ms", "wait_ms", "receive_ms")),
        format_ms(chunk.load_ms),
        format_ms(chunk.first_frame_ms),
        format_ms(chunk.after_download_ms),
    )


def aligned(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells, right-aligned in columns: the tables playgate prints."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def chunk_table(run: RunRecord) -> str:
    """The evidence: one row per chunk, times in ms ('-' where the browser gave none)."""
    return aligned([COLUMNS, *(_row(c) for c in run.chunks)])


def run_heading(run: RunRecord) -> str:
    return f"{run.browser} {run.browser_version} | mode {run.mode} | pressure {run.pressure} | {run.url}"


def describe(judged: JudgedRun) -> str:
    run, verdict = judged.run, judged.verdict
    parts = [run_heading(run), chunk_table(run)]
    parts += [f"note: {note}" for note in run.notes]
    if (line := crosscheck_line(run)) is not None:
        parts.append(line)
    parts.append(f"verdict: {verdict.label.upper()}")
    parts += [f"  - {reason}" for reason in verdict.reasons]
    return "\n".join(parts)


def crosscheck_line(run: RunRecord) -> str | None:
    """How far the browser's network record and the page's Resource Timing disagree."""
    worst = largest_disagreement(run.chunks)
    if worst is None:
        return None
    gap, figure, index = worst
    return f"cross-check: network record and page Resource Timing agree within {gap:.1f} ms (chunk {index} {figure})"


def _crosscheck_json(run: RunRecord) -> dict[str, Any] | None:
    worst = largest_disagreement(run.chunks)
    if worst is None:
        return None
    gap, figure, index = worst
    return {"largest_disagreement_ms": round(gap, 1), "figure": figure, "chunk": index}


def run_to_json(judged: JudgedRun) -> dict[str, Any]:
    run = judged.run
    return {
        "browser": run.browser,
        "browser_version": run.browser_version,
        "mode": run.mode,
        "pressure": run.pressure,
        "url": run.url,
        "verdict": judged.verdict.label,
        "reasons": list(judged.verdict.reasons),
        "notes": list(run.notes),
        "crosscheck": _crosscheck_json(run),
        "chunks": [chunk.to_json() for chunk in run.chunks],
    }


def result_document(runs: Sequence[JudgedRun]) -> dict[str, Any]:
    return {"playgate": JSON_FORMAT_VERSION, "runs": [run_to_json(r) for r in runs]}


def file_safe(text: str) -> str:
    """``text`` as part of a file name: runs of anything but letters, digits, ``_.-`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def write_atomic(path: Path, text: str) -> None:
    """Write a file whole or not at all: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write_document(path: Path, document: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(document, indent=2) + "\n")


def write_json(path: Path, runs: Sequence[JudgedRun]) -> None:
    write_document(path, result_document(runs))
