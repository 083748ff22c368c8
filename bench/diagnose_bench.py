"""Benchmark: pooled vs cold, and partial vs full first-frame time, on the large fixture.

Run by hand:  .venv/bin/python -m bench.diagnose_bench [--delay-ms 100] [--rate-mbps 80]

The reference server (h2 mode) is reached through a loopback proxy that adds a fixed
connection-setup delay and bounds the download rate, as a real network would; without
them loopback hides both effects. Prints one table per protocol and the finding.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from datetime import date
from pathlib import Path

from playgate.diagnose import report
from playgate.diagnose.client import DiagnoseOptions, Diagnoser
from playgate.fixtures.generate import ensure_media
from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for
from tests.tooling.delay_proxy import DelayProxy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=100.0, help="setup delay per new connection")
    parser.add_argument("--rate-mbps", type=float, default=80.0, help="download rate, megabits per second")
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    media = ensure_media()
    size_mb = (media.folder / media.preload_name).stat().st_size / 1024 / 1024
    with ServerProcess(settings_for(Mode.H2, media)) as server, tempfile.TemporaryDirectory() as folder:
        ca = Path(folder) / "ca.pem"
        ca.write_bytes(server.ca_pem or b"")
        rate = int(args.rate_mbps * 1_000_000 / 8)
        with DelayProxy(server.port, delay_s=args.delay_ms / 1000, bytes_per_second=rate) as proxy:
            options = DiagnoseOptions(
                f"https://localhost:{proxy.port}/chunks/{media.preload_name}", requests=args.requests, verify=str(ca)
            )
            stages = Diagnoser(options).run()
    print(f"# {date.today()} {platform.node()} {platform.machine()}, large fixture {size_mb:.1f} MB")
    print(
        f"# proxy: +{args.delay_ms:g} ms per new connection, {args.rate_mbps:g} Mbit/s;"
        f" {args.requests} requests per variant"
    )
    print(report.table(stages))
    print()
    print("| protocol | cold total | pooled total | full first frame | partial (1 MB) | streaming (64 KB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for asked, m in report.summary(stages).items():
        cells = [m[k] for k in ("cold_total_ms", "pooled_total_ms", "full_first_frame_ms",
                                "partial_first_frame_ms", "stream_first_frame_ms")]  # fmt: skip
        print(f"| {asked} | " + " | ".join("-" if v is None else f"{v:.0f} ms" for v in cells) + " |")
    print()
    print(report.finding(stages))


if __name__ == "__main__":
    main()
