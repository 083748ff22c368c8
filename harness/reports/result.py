"""What a machine reads: the JSON result of a gate run (``result.json``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playgate.judging.crosscheck import largest_disagreement
from playgate.judging.gate import JudgedRun
from playgate.records import RunRecord
from playgate.reports.files import write_document

JSON_FORMAT_VERSION = 1


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
        "notes": list(run.notes) + list(judged.verdict.notes),
        "crosscheck": _crosscheck_json(run),
        "chunks": [
            {**chunk.to_json(), "waited_for": None if wait is None else wait.to_json()}
            for chunk, wait in zip(run.chunks, judged.verdict.waits or [None] * len(run.chunks), strict=True)
        ],
    }


def result_document(runs: Sequence[JudgedRun]) -> dict[str, Any]:
    return {"playgate": JSON_FORMAT_VERSION, "runs": [run_to_json(r) for r in runs]}


def write_json(path: Path, runs: Sequence[JudgedRun]) -> None:
    write_document(path, result_document(runs))
