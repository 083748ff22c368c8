"""The diagnosis as a table, a one-sentence finding, and JSON."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from playgate.diagnose.stages import RequestStages
from playgate.origin import OriginProbe
from playgate.reports.files import write_document
from playgate.reports.table import aligned

JSON_FORMAT_VERSION = 1
COLUMNS = ("protocol", "variant", "#", "conn", "reused", "dns", "connect", "tls", "ttfb", "transfer", "frame", "total")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(stages: Sequence[RequestStages]) -> str:
    rows: list[tuple[str, ...]] = [COLUMNS]
    counters: dict[tuple[str, str], int] = {}
    for s in stages:
        number = counters[s.asked, s.variant] = counters.get((s.asked, s.variant), 0) + 1
        rows.append(
            (
                s.protocol if s.protocol == s.asked else f"{s.protocol} (asked {s.asked})",
                s.variant,
                str(number),
                str(s.connection),
                "yes" if s.reused else "no",
                _ms(s.dns_ms),
                _ms(s.connect_ms),
                _ms(s.tls_ms),
                _ms(s.ttfb_ms),
                _ms(s.transfer_ms),
                _ms(s.first_frame_ms),
                _ms(s.total_ms),
            )
        )
    return aligned(rows)


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summary(stages: Sequence[RequestStages]) -> dict[str, dict[str, float | None]]:
    """Medians per protocol: cold total and setup, pooled reuse, first frame per download way."""
    result: dict[str, dict[str, float | None]] = {}
    for asked in dict.fromkeys(s.asked for s in stages):
        mine = [s for s in stages if s.asked == asked]

        def pick(variant: str, mine: list[RequestStages] = mine) -> list[RequestStages]:
            return [s for s in mine if s.variant == variant]

        cold = pick("cold")
        reused = [s for s in pick("pooled") if s.reused]
        result[asked] = {
            "cold_total_ms": _median([s.total_ms for s in cold]),
            "cold_setup_ms": _median([s.setup_ms for s in cold]),
            "pooled_total_ms": _median([s.total_ms for s in reused]),
            "full_first_frame_ms": _median([s.first_frame_ms for s in cold]),
            "partial_first_frame_ms": _median([s.first_frame_ms for s in pick("partial")]),
            "stream_first_frame_ms": _median([s.first_frame_ms for s in pick("stream")]),
        }
    return result


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 100 else f"{ms:.0f} ms"


def finding(stages: Sequence[RequestStages]) -> str:
    """One sentence: the share of setup in a cold request, what pooling and partial do."""
    medians = summary(stages)
    asked = "h2" if "h2" in medians else next(iter(medians))
    m = medians[asked]
    parts = []
    if m["cold_total_ms"] and m["cold_setup_ms"] is not None:
        parts.append(f"connection setup is {100 * m['cold_setup_ms'] / m['cold_total_ms']:.0f}% of a cold request")
    if m["cold_total_ms"] and m["pooled_total_ms"]:
        parts.append(
            f"a pooled connection takes the median from {_seconds(m['cold_total_ms'])}"
            f" to {_seconds(m['pooled_total_ms'])}"
        )
    if m["full_first_frame_ms"] and m["partial_first_frame_ms"] and m["stream_first_frame_ms"]:
        parts.append(
            f"the first frame comes after {_seconds(m['full_first_frame_ms'])} with a full download,"
            f" {_seconds(m['partial_first_frame_ms'])} with a partial one"
            f" and {_seconds(m['stream_first_frame_ms'])} decoding while streaming"
        )
    return f"{asked}: " + "; ".join(parts) + "." if parts else f"{asked}: not enough requests to compare."


def document(
    url: str, stages: Sequence[RequestStages], notes: Sequence[str], origin: OriginProbe | None = None
) -> dict[str, Any]:
    return {
        "playgate_diagnose": JSON_FORMAT_VERSION,
        "url": url,
        "origin": None if origin is None else origin.to_json(),
        "requests": [
            {k: round(v, 1) if isinstance(v, float) else v for k, v in asdict(s).items()}
            | {"setup_ms": round(s.setup_ms, 1)}
            for s in stages
        ],
        "summary": {
            asked: {k: None if v is None else round(v, 1) for k, v in values.items()}
            for asked, values in summary(stages).items()
        },
        "finding": finding(stages),
        "notes": list(notes),
    }


def write_json(
    path: Path, url: str, stages: Sequence[RequestStages], notes: Sequence[str], origin: OriginProbe | None = None
) -> None:
    write_document(path, document(url, stages, notes, origin))
