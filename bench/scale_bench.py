"""What scaling out costs on one machine: the same matrix run locally, as two shards run one
after the other and merged, and through browser servers in a network namespace.

Run by hand (root, for the namespace):  .venv/bin/python -m bench.scale_bench [--runs 3]

The matrix is the catalogue's regressions under media:5 and the healthy setup, in both
browsers: --mode h2,h1-tls,h1,nginx-h1 --pressure media:5 --chunks 3. Each way is timed as a
whole process (wall time, median over --runs); the verdicts of every way are checked to be
the unsharded local run's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from playgate.reports.table import aligned
from tests.tooling.browser_host import GATE_ADDRESS, browser_host, connect_flag, served_browsers

MATRIX = ["run", "--browser", "all", "--mode", "h2,h1-tls,h1,nginx-h1", "--pressure", "media:5", "--chunks", "3"]


def playgate(*args: str) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "playgate", *args], capture_output=True, text=True, timeout=900)
    return time.monotonic() - started


def verdicts(folder: Path) -> list[tuple[str, str, str]]:
    runs = json.loads((folder / "result.json").read_text())["runs"]
    return [(r["browser"], r["mode"], r["verdict"]) for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"local": [], "2 shards + merge": [], "browser servers (netns)": []}
    with tempfile.TemporaryDirectory() as scratch, browser_host() as namespace, served_browsers(namespace) as served:
        work = Path(scratch)
        for run in range(args.runs):
            local = work / f"local-{run}"
            times["local"].append(playgate(*MATRIX, "--output", str(local)))
            shards = [work / f"shard-{run}-{i}" for i in (1, 2)]
            sharded = sum(
                playgate(*MATRIX, "--shard", f"{i}/2", "--output", str(f)) for i, f in enumerate(shards, start=1)
            )
            merged = work / f"merged-{run}"
            sharded += playgate("merge", str(merged), *map(str, shards))
            times["2 shards + merge"].append(sharded)
            remote = work / f"remote-{run}"
            times["browser servers (netns)"].append(
                playgate(*MATRIX, "--connect", connect_flag(served), "--listen", GATE_ADDRESS, "--output", str(remote))
            )
            assert verdicts(merged) == verdicts(local), (verdicts(merged), verdicts(local))
            assert verdicts(remote) == verdicts(local), (verdicts(remote), verdicts(local))
    base = statistics.median(times["local"])
    rows = [("way", "median s", "min s", "max s", "vs local")]
    for way, values in times.items():
        median = statistics.median(values)
        rows.append((way, f"{median:.1f}", f"{min(values):.1f}", f"{max(values):.1f}", f"{median / base:.2f}x"))
    print(f"{date.today()}: {' '.join(MATRIX)}; {args.runs} runs each; verdicts identical in every way")
    print(aligned(rows))


if __name__ == "__main__":
    main()
