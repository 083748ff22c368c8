"""The field report, reproduced: h1-tls against h2 under media:5 pressure, per browser.

The field saw 9.2 s for the first chunk on HTTP/1.1 and 0.17 s after moving to HTTP/2.
Here the holders are released after ``hold_ms``, so the figures are smaller, but the
mechanism is the same: on HTTP/1.1 the chunk waits in the browser's queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fixtures.generate import ensure_media
from harness.browsers import find_executable
from harness.config import GateRules, Scenario
from harness.report import JudgedRun, describe, write_json
from harness.runner import browser_pool, judge
from server.launcher import ServerProcess
from server.settings import Mode, settings_for

COMPARED = (Mode.H1_TLS, Mode.H2)
PLAYBACK_NOTE_MS = 100  # below this a playback-side share is not worth a sentence


def _load_range(run: JudgedRun) -> str:
    later = [c.load_ms for c in run.run.chunks[1:] if c.load_ms is not None]
    return f"{min(later):.0f}-{max(later):.0f} ms" if later else "-"


def _first(run: JudgedRun, attribute: str) -> float | None:
    if not run.run.chunks:
        return None
    chunk = run.run.chunks[0]
    if attribute == "blocked_ms":
        return chunk.net("blocked_ms")  # type: ignore[no-any-return]
    return getattr(chunk, attribute)  # type: ignore[no-any-return]


def _explain(h1: JudgedRun, h2: JudgedRun) -> list[str]:
    lines = []
    blocked = _first(h1, "blocked_ms")
    if blocked is not None:
        lines.append(f"  on h1-tls the first chunk waited {blocked:.0f} ms in the browser for a connection")
    load, after = _first(h2, "load_ms"), _first(h2, "after_download_ms")
    if load and after is not None and after > max(load / 2, PLAYBACK_NOTE_MS):
        lines.append(
            f"  on h2 {after:.0f} ms of its {load:.0f} ms load came after the download ended: "
            "a playback-side wait while the other videos preload, not the network"
        )
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def comparison(browser: str, h1: JudgedRun, h2: JudgedRun) -> str:
    first_h1, first_h2 = _first(h1, "load_ms"), _first(h2, "load_ms")
    factor = f"{first_h1 / first_h2:.1f}x" if first_h1 and first_h2 else "-"
    rows = [
        ("", "h1-tls", "h2"),
        ("first chunk load", _ms(first_h1), _ms(first_h2)),
        ("later chunks load", _load_range(h1), _load_range(h2)),
        ("first chunk blocked", _ms(_first(h1, "blocked_ms")), _ms(_first(h2, "blocked_ms"))),
        ("first chunk after dl", _ms(_first(h1, "after_download_ms")), _ms(_first(h2, "after_download_ms"))),
        ("gate", h1.verdict.label.upper(), h2.verdict.label.upper()),
    ]
    lines = [f"{browser} {h2.run.browser_version}: {h2.run.pressure} pressure, {len(h2.run.chunks)} chunks"]
    lines += [f"  {a:<20}{b:>14}{c:>14}" for a, b, c in rows]
    lines.append(f"  first chunk {factor} faster on h2")
    lines += _explain(h1, h2)
    return "\n".join(lines)


def gate_holds(h1: JudgedRun, h2: JudgedRun) -> bool:
    caught = any(r.startswith("queueing:") for r in h1.verdict.reasons)
    return h2.verdict.passed and caught


def run_demo(
    browsers: Sequence[str],
    scenario: Scenario,
    *,
    headed: bool,
    slow_mo: float,
    json_path: Path | None,
    executables: dict[str, str] | None = None,
) -> bool:
    executables = executables or {}
    for name in browsers:
        find_executable(name, executables.get(name))
    media = ensure_media()
    rules = GateRules()
    runs: dict[tuple[str, Mode], JudgedRun] = {}
    with browser_pool(headless=not headed, slow_mo=slow_mo, executables=executables) as pool:
        for mode in COMPARED:
            with ServerProcess(settings_for(mode, media)) as server:
                for name in browsers:
                    runs[name, mode] = judge(pool.get(name), name, server, scenario, rules)
                    print(describe(runs[name, mode]) + "\n", flush=True)
    if json_path:
        write_json(json_path, list(runs.values()))
    all_hold = True
    for name in browsers:
        h1, h2 = runs[name, Mode.H1_TLS], runs[name, Mode.H2]
        holds = gate_holds(h1, h2)
        all_hold &= holds
        print(comparison(name, h1, h2))
        verdict = "passed h2 and caught h1-tls" if holds else "did NOT both pass h2 and catch h1-tls"
        print(f"  the gate {verdict}\n", flush=True)
    print("playgate demo: " + ("the gate holds in every browser" if all_hold else "the gate does not hold"))
    return all_hold
