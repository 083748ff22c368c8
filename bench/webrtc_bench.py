"""False alarms and misses of the WebRTC rules: the healthy WebRTC avatar (--mode webrtc,
the TURN server beside it and UDP open) many rounds per browser, and its regressions every
few rounds: UDP blocked (a miss: the transport rule did not break) and a sender that stalls
1.5 s (a miss: the freezes rule did not break).

Run by hand (root):  .venv/bin/python -m bench.webrtc_bench [--rounds 50] [--regressed-every 5]
                         [--browser chromium,firefox] [--network 4g] [--load 2]

Every red healthy run is printed with its reasons as it happens. Also printed, per browser:
the largest healthy figures the limits sit above (time to first frame, jitter buffer,
audio/video offset) and the freezes seen.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date

from bench.flake_bench import busy_processes
from playgate.capture.browser_finder import browser_names
from playgate.capture.browsers import browser_pool
from playgate.config import GateRules, Scenario
from playgate.fixtures.generate import ensure_media
from playgate.judging.gate import JudgedRun
from playgate.reports.table import aligned
from playgate.rules import Rule
from playgate.run.runner import judge
from playgate.server.network import parse_network
from playgate.server.serving import serve
from playgate.server.settings import Mode, settings_for

CHUNKS = 3
STALL_MS = 1500


@dataclass
class Tally:
    healthy: int = 0
    false_alarms: int = 0
    regressed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_frame_ms: float = 0.0
    jitter_buffer_ms: float = 0.0
    av_offset_ms: float = 0.0
    freezes: int = 0


def record_healthy(tally: Tally, judged: JudgedRun, label: str) -> None:
    tally.healthy += 1
    webrtc, playback = judged.run.webrtc, judged.run.playback
    if webrtc is not None:
        if playback is not None and playback.first_frame_ms is not None:
            tally.first_frame_ms = max(tally.first_frame_ms, playback.first_frame_ms - webrtc.created_ms)
        tally.jitter_buffer_ms = max(tally.jitter_buffer_ms, webrtc.jitter_buffer_ms or 0.0)
        tally.av_offset_ms = max(tally.av_offset_ms, abs(webrtc.av_offset_ms or 0.0))
        tally.freezes += webrtc.freezes or 0
    if not judged.verdict.passed:
        tally.false_alarms += 1
        print(f"  FALSE ALARM {label}: " + " | ".join(judged.verdict.reasons), flush=True)


def record_regressed(tally: Tally, judged: JudgedRun, name: str, rule: Rule, label: str) -> None:
    tally.regressed[name] += 1
    if not judged.verdict.broke(rule):
        tally.misses[name] += 1
        print(f"  MISS {label}: " + (" | ".join(judged.verdict.reasons) or "passed"), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--regressed-every", type=int, default=5, help="run the regressions every N rounds")
    parser.add_argument("--browser", default="chromium,firefox")
    parser.add_argument("--network", help="a profile (cable, 4g, lossy) or rtt=..: every setup behind it")
    parser.add_argument("--load", type=int, default=0, help="busy processes competing for the cores")
    args = parser.parse_args()
    browsers = browser_names(args.browser)
    media = ensure_media()
    rules = GateRules()
    network = parse_network(args.network) if args.network else None
    tallies: dict[str, Tally] = defaultdict(Tally)
    load = busy_processes(args.load)
    started = time.monotonic()
    healthy, stalled = Scenario(chunks=CHUNKS), Scenario(chunks=CHUNKS, stall_ms=STALL_MS)
    try:
        with browser_pool(headless=True, slow_mo=0, executables={}) as pool, ExitStack() as stack:
            open_udp = stack.enter_context(serve(settings_for(Mode.WEBRTC, media), network=network))
            blocked = stack.enter_context(serve(settings_for(Mode.WEBRTC_UDP_BLOCKED, media), network=network))
            for round_number in range(1, args.rounds + 1):
                for name in browsers:
                    label = f"round {round_number} {name}"
                    record_healthy(tallies[name], judge(pool.get(name), name, open_udp, healthy, rules), label)
                    if round_number % args.regressed_every:
                        continue
                    judged = judge(pool.get(name), name, blocked, healthy, rules)
                    record_regressed(tallies[name], judged, "udp blocked", Rule.TRANSPORT, label)
                    judged = judge(pool.get(name), name, open_udp, stalled, rules)
                    record_regressed(tallies[name], judged, f"stall {STALL_MS} ms", Rule.FREEZES, label)
                print(f"round {round_number}/{args.rounds} done, {time.monotonic() - started:.0f} s", flush=True)
    finally:
        for process in load:
            process.kill()
    where = f", network {network}" if network else ""
    print(f"\nwebrtc bench {date.today()}: {args.rounds} rounds{where}, {args.load} busy processes")
    header = ["browser", "healthy", "false alarms", "regressed", "misses", "first frame", "jitter buf", "av offset"]
    rows = [header]
    for name, tally in tallies.items():
        regressed = ", ".join(f"{k} {v}" for k, v in tally.regressed.items())
        misses = sum(tally.misses.values())
        rows.append(
            [
                name,
                str(tally.healthy),
                str(tally.false_alarms),
                regressed,
                str(misses),
                f"{tally.first_frame_ms:.0f} ms",
                f"{tally.jitter_buffer_ms:.0f} ms",
                f"{tally.av_offset_ms:.0f} ms",
            ]
        )
    print(aligned(rows))
    print(
        "(first frame, jitter buf, av offset: the largest of the healthy runs; their limits: "
        f"{rules.max_first_frame_ms:g}, {rules.max_jitter_buffer_ms:g}, {rules.max_av_offset_ms:g} ms)"
    )


if __name__ == "__main__":
    main()
