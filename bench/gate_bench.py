"""Benchmark: what the gate itself costs, and how far its figures are from the truth.

Run by hand:  .venv/bin/python -m bench.gate_bench [--runs 5] [--suite]

Per browser, with the browser launched once and reused across scenarios (as the CLI
and the pytest plugin do):
  browser start      launch to ready, median of --runs fresh launches
  overhead           a scenario's wall time less what its content needs (the page's
                     own time from navigation to its last chunk settling): context,
                     instrumentation, navigation, reading the records, closing
  phases             the same runs' wall time, phase by phase: context and page, instrumentation,
                     navigation, the page until settled, network records settled, reading
                     the records, closing, probing and judging
  errors             |reported - injected| for chunk delay (wait_ms), hold (blocked_ms
                     of the first chunk, sse:5 on h1-tls) and bandwidth (receive_ms),
                     median and max over --runs runs of the ground-truth tests' scenarios
With --trace, the overhead and the errors again with a Playwright trace recorded (as the
pytest plugin records one per run, kept for a failed test), side by side in one run.
Also the server's start (h2, and nginx-h1 with nginx in front) and, with --suite, the
wall time of the whole test suite (`python -m pytest`, what `make test` runs).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import replace
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright

from playgate.capture.browser_finder import BROWSERS, find_browser
from playgate.capture.browsers import BrowserPool, browser_pool, launch, launch_options
from playgate.capture.live import Phases, Watching
from playgate.capture.page_run import NOT_WATCHED
from playgate.config import GateRules, Pressure, Scenario
from playgate.fixtures.generate import MediaSet, ensure_media
from playgate.judging.groundtruth import (
    DELAY_MS,
    KIB_PER_S,
    Check,
    bandwidth_scenario,
    check_bandwidth,
    check_delay,
    check_hold,
    delay_scenario,
    hold_scenario,
)
from playgate.records import RunRecord
from playgate.reports.table import aligned
from playgate.run.runner import judge
from playgate.server.serving import Served, serve
from playgate.server.settings import Mode, settings_for

SCENARIOS = {
    "h2, no pressure": (Mode.H2, Scenario(chunks=5)),
    "h2, media:5": (Mode.H2, Scenario(chunks=5, pressure=Pressure.parse("media:5"))),
    "h1-tls, media:5": (Mode.H1_TLS, Scenario(chunks=5, pressure=Pressure.parse("media:5"))),
}


def _median_max(values: Iterable[float]) -> str:
    values = list(values)
    return f"{statistics.median(values):.1f} / {max(values):.1f}" if values else "-"


def browser_start_ms(name: str, runs: int) -> list[float]:
    found = find_browser(name)
    times = []
    with sync_playwright() as playwright:
        for _ in range(runs):
            started = time.perf_counter()
            browser = launch(playwright, name, launch_options(found))
            times.append((time.perf_counter() - started) * 1000)
            browser.close()
    return times


def server_start_ms(mode: Mode, media: MediaSet, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with ExitStack() as stack:  # the start alone is timed, not the stop
            started = time.perf_counter()
            stack.enter_context(serve(settings_for(mode, media)))
            times.append((time.perf_counter() - started) * 1000)
    return times


PHASES: dict[str, dict[str, list[float]]] = {}  # browser -> phase -> ms, over every overhead run


def overhead_ms(pool: BrowserPool, name: str, server: Served, scenario: Scenario, watching: Watching) -> float:
    phases = Phases()
    watching = replace(watching, phases=phases)
    started = time.perf_counter()
    judged = judge(pool.get(name), name, server, scenario, GateRules(), watching)
    wall = (time.perf_counter() - started) * 1000
    for phase, ms in phases.spans_ms().items():
        PHASES.setdefault(name, {}).setdefault(phase, []).append(ms)
    settled = [c.page.loadeddata_ms for c in judged.run.chunks if c.page.loadeddata_ms is not None]
    if not judged.run.finished or not settled:
        raise RuntimeError(f"{name}: the scenario did not finish; no overhead to measure")
    return wall - max(settled)


def ground_truth(
    pool: BrowserPool, name: str, servers: dict[Mode, Served], runs: int, watching: Watching
) -> dict[str, list[Check]]:
    """The ground-truth tests' scenarios, repeated; outliers are printed as they come."""
    checks: dict[str, list[Check]] = {"chunk delay": [], "hold": [], "bandwidth": []}
    browser = pool.get(name)

    def measure(mode: Mode, scenario: Scenario) -> RunRecord:
        return judge(browser, name, servers[mode], scenario, GateRules(), watching).run

    for _ in range(runs):
        checks["chunk delay"] += [check_delay(c, DELAY_MS) for c in measure(Mode.H2, delay_scenario()).chunks]
        held = measure(Mode.H1_TLS, hold_scenario())
        checks["hold"].append(check_hold(held.chunks[0], held.holders_released_ms))
        checks["bandwidth"] += [check_bandwidth(c, KIB_PER_S) for c in measure(Mode.H2, bandwidth_scenario()).chunks]
    for check in (c for group in checks.values() for c in group if not c.within):
        print(f"  {name}: outside tolerance: {check}", flush=True)
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per figure (default: 5)")
    parser.add_argument("--browser", default="chromium,firefox")
    parser.add_argument("--suite", action="store_true", help="also time the whole test suite (minutes)")
    parser.add_argument("--trace", action="store_true", help="also measure with a Playwright trace recorded")
    args = parser.parse_args()
    browsers = [b for b in args.browser.split(",") if b in BROWSERS]
    media = ensure_media()
    traces = tempfile.TemporaryDirectory(prefix="playgate-bench-")
    print(f"playgate gate benchmark, {date.today()}, {platform.node()}, {platform.machine()}, runs={args.runs}\n")

    rows = [("server start (ms, median / max)", "")]
    for mode in (Mode.H2, Mode.NGINX_H1):
        rows.append((f"  {mode.value}", _median_max(server_start_ms(mode, media, args.runs))))
    print(aligned(rows) + "\n")

    header = ("figure (ms, median / max)", *browsers)
    table: dict[str, dict[str, str]] = {}
    for name in browsers:
        column = table.setdefault(name, {})
        column["browser start"] = _median_max(browser_start_ms(name, args.runs))
        with (
            browser_pool() as pool,
            serve(settings_for(Mode.H2, media)) as h2,
            serve(settings_for(Mode.H1_TLS, media)) as h1,
        ):
            servers = {Mode.H2: h2, Mode.H1_TLS: h1}
            pool.get(name)  # launched before timing: overhead is per scenario, browser reused
            variants = [("", NOT_WATCHED)]
            if args.trace:
                variants.append((" (traced)", Watching(trace=Path(traces.name) / "trace.zip")))
            for suffix, watching in variants:
                for label, (mode, scenario) in SCENARIOS.items():
                    column[f"overhead: {label}{suffix}"] = _median_max(
                        overhead_ms(pool, name, servers[mode], scenario, watching) for _ in range(args.runs)
                    )
                for fault, checks in ground_truth(pool, name, servers, args.runs, watching).items():
                    errors = [abs(c.error_ms) for c in checks if c.error_ms is not None]
                    missing = sum(c.error_ms is None for c in checks)
                    column[f"error: {fault}{suffix}"] = _median_max(errors) + (f" ({missing} null)" if missing else "")
    figures = list(next(iter(table.values())))
    print(aligned([header, *((figure, *(table[b][figure] for b in browsers)) for figure in figures)]))
    phases = list(next(iter(PHASES.values())))
    print("\nwhere a run's wall time goes, every scenario above (ms, median / max; 'page until settled' holds")
    print("the page's own time, the content it loads):")
    rows = [("phase", *browsers)] + [(phase, *(_median_max(PHASES[b][phase]) for b in browsers)) for phase in phases]
    print(aligned(rows))

    if args.suite:
        print("\nrunning the whole test suite (python -m pytest) ...", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], capture_output=True)
        elapsed = time.perf_counter() - started
        last = result.stdout.decode(errors="replace").strip().splitlines()[-1:]
        print(f"test suite: {elapsed:.0f} s wall ({' '.join(last)})")


if __name__ == "__main__":
    main()
