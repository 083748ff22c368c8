"""What a machine reads: the JSON result of a gate run (``result.json``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playgate.judging.crosscheck import largest_disagreement
from playgate.judging.gate import JudgedRun, stream_waits
from playgate.judging.repeats import Spread, chunk_spreads
from playgate.records import RunRecord
from playgate.reports.files import write_document
from playgate.version import VERSION

JSON_FORMAT_VERSION = 2  # 2: mode is the server mode (null at a URL); label names the setup


def _crosscheck_json(run: RunRecord) -> dict[str, Any] | None:
    worst = largest_disagreement(run.chunks)
    if worst is None:
        return None
    gap, figure, index = worst
    return {"largest_disagreement_ms": round(gap, 1), "figure": figure, "chunk": index}


def run_to_json(judged: JudgedRun) -> dict[str, Any]:
    """One run; a repeated setup also keeps every repeat and each chunk's spread."""
    document = _one_run(judged)
    if judged.repeats:
        document["repeats"] = [_one_run(r) for r in judged.repeats]
        blocked, load = chunk_spreads(judged.repeats, "blocked_ms"), chunk_spreads(judged.repeats, "load_ms")
        document["spread"] = [
            {"index": i, "blocked_ms": _spread_json(b), "load_ms": _spread_json(s)}
            for i, (b, s) in enumerate(zip(blocked, load, strict=True))
        ]
    return document


def _spread_json(spread: Spread) -> dict[str, Any] | None:
    if not spread.values:
        return None
    values = spread.values
    return {
        "min": round(min(values), 1),
        "median": round(spread.median, 1),
        "max": round(max(values), 1),
        "n": len(values),
    }


def _one_run(judged: JudgedRun) -> dict[str, Any]:
    run = judged.run
    return {
        "browser": run.browser,
        "browser_version": run.browser_version,
        "browser_endpoint": run.browser_endpoint,
        "mode": run.mode,
        "label": run.label,
        "pressure": run.pressure,
        "url": run.url,
        "verdict": judged.verdict.label,
        "reasons": list(judged.verdict.reasons),
        "broken": [{"rule": b.rule.value, "chunk": b.chunk, "text": b.text} for b in judged.verdict.broken],
        "notes": list(run.notes) + list(judged.verdict.notes),
        "crosscheck": _crosscheck_json(run),
        "playback": None if run.playback is None else run.playback.to_json(),
        "webrtc": None if run.webrtc is None else run.webrtc.to_json(),
        "origins": [probe.to_json() for probe in run.origins],
        "event_streams": [
            {
                "url": stream.url,
                "protocol": stream.protocol,
                "blocked_ms": None if stream.blocked_ms is None else round(stream.blocked_ms, 1),
                "waited_for": wait.to_json(),
            }
            for stream, wait in zip(run.event_streams, stream_waits(run), strict=True)
        ],
        "chunks": [
            {**chunk.to_json(), "waited_for": None if wait is None else wait.to_json()}
            for chunk, wait in zip(run.chunks, judged.verdict.waits or [None] * len(run.chunks), strict=True)
        ],
    }


def result_document(runs: Sequence[JudgedRun]) -> dict[str, Any]:
    return {"playgate": JSON_FORMAT_VERSION, "version": VERSION, "runs": [run_to_json(r) for r in runs]}


def write_json(path: Path, runs: Sequence[JudgedRun]) -> None:
    write_document(path, result_document(runs))
