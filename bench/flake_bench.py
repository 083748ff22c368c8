"""False alarms and misses: the healthy and the regressed setup, many rounds, per pressure
and browser, optionally with busy processes competing for the cores.

Run by hand:  .venv/bin/python -m bench.flake_bench [--rounds 50] [--load 2] [--browser all]
                  [--pressure sse:5,media:5] [--player progressive,hls,dash,shaka,mpegts]
                  [--netns | --connect chromium=ws://...,firefox=ws://... --listen ADDRESS]
                  [--network 4g]

``--network PROFILE`` (root) serves every setup behind a shaped path of that profile
(server.shaped_path): the same rules, on a link with a round trip, loss and a bandwidth.

``--netns`` (root) serves the browsers from a network namespace made for the run, across a
veth pair (tests/tooling/browser_host.py), and drives them through their browser servers.

``--through-nginx`` gates the bundled page as a user's deployment with ``--url``: the server
in the clear behind Debian's nginx, a third-party reverse proxy ending TLS. Healthy: nginx
with http2; regressed: without (the browsers fall back to HTTP/1.1). The stream limit the
attribution counts against is then nginx's own, read by the origin probe.

Pressure ``none``: healthy runs only (with nothing holding a connection there is no
queueing for a regression to show): the false alarms of a plain run, a real player's end of
content among them.

For each pressure, the healthy setup (h2) and its regression: h1-tls for the pressures that
fill six HTTP/1.1 connections (sse:5, tabs:5, media:5), a 4-stream h2 server for streams:3.
A false alarm is a healthy run the gate failed; a miss is a regressed run whose queueing
rule did not break (h1-tls is also caught by the protocol rule, which is not what is being
measured). Every rule counts, the playback rules (startup, stalls, dropped frames) too: a
healthy run is judged whole. With ``--player`` the bundled page plays through each named
real player (``streams:3`` is the progressive page's only). Every red healthy run is
printed with its reasons as it happens. Also printed:
the longest wait of a healthy chunk, split by what it waited for, and the shortest wait of
a regressed chunk 0: the margins the limits sit between.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date

from playgate.capture.browser_finder import browser_names
from playgate.capture.browsers import BrowserPool, browser_pool
from playgate.capture.remote import parse_endpoints
from playgate.config import GateRules, PageTarget, Pressure, RunConfig, Scenario
from playgate.fixtures.generate import MediaSet, ensure_media
from playgate.judging.gate import JudgedRun
from playgate.reports.table import aligned
from playgate.run.runner import judge, judge_page
from playgate.server.launcher import ServerProcess
from playgate.server.network import parse_network
from playgate.server.proxy import NginxProxy
from playgate.server.serving import Served, serve
from playgate.server.settings import Mode, settings_for

PRESSURES = ("sse:5", "tabs:5", "media:5", "streams:3")
HEALTHY = ("h2", 100)
REGRESSED = {"streams:3": ("h2", 4)}  # the others: h1-tls
H1 = ("h1-tls", 100)
CHUNKS = 3


@dataclass
class Tally:
    healthy: int = 0
    false_alarms: int = 0
    regressed: int = 0
    misses: int = 0
    healthy_waits: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # cause -> longest blocked
    regressed_first: float = float("inf")  # shortest chunk-0 blocked of a regressed run
    healthy_load: float = 0.0  # longest chunk load of a healthy run


def busy_processes(count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def record_healthy(tally: Tally, judged: JudgedRun, label: str) -> None:
    tally.healthy += 1
    for chunk, wait in zip(judged.run.chunks, judged.verdict.waits, strict=True):
        blocked = chunk.blocked_ms
        if blocked is not None:
            cause = "unknown" if wait is None or wait.cause is None else wait.cause
            tally.healthy_waits[cause] = max(tally.healthy_waits[cause], blocked)
    loads = [c.load_ms for c in judged.run.chunks if c.load_ms is not None]
    tally.healthy_load = max([tally.healthy_load, *loads])
    if not judged.verdict.passed:
        tally.false_alarms += 1
        print(f"  FALSE ALARM {label}: " + " | ".join(judged.verdict.reasons), flush=True)


def record_regressed(tally: Tally, judged: JudgedRun, label: str) -> None:
    tally.regressed += 1
    first = judged.run.chunks[0].blocked_ms if judged.run.chunks else None
    if first is not None:
        tally.regressed_first = min(tally.regressed_first, first)
    if not any(reason.startswith("queueing:") for reason in judged.verdict.reasons):
        tally.misses += 1
        wait = judged.verdict.waits[0] if judged.verdict.waits else None
        seen = f"chunk 0 blocked {first} ms, waited for {wait.short if wait else '-'}; {page_timeline(judged)}"
        print(f"  MISS {label}: {seen}: " + (" | ".join(judged.verdict.reasons) or "passed"), flush=True)


def page_timeline(judged: JudgedRun) -> str:
    """Chunk 0 in page time, from its event: when the request was made, when the holders went."""
    if not judged.run.chunks:
        return "no chunk"
    chunk = judged.run.chunks[0]
    event = chunk.page.event_ms
    if event is None:
        return "no chunk event"
    timing = chunk.resource_timing
    made = f"{timing.start_time - event:.0f}" if timing else "-"
    released = judged.run.holders_released_ms
    gone = f"{released - event:.0f}" if released is not None else "-"
    return f"after its event: request made at {made} ms, holders released at {gone} ms"


def through_nginx(
    stack: ExitStack, pool: BrowserPool, media: MediaSet, listen: str, rules: GateRules
) -> Callable[[str, Scenario, bool], JudgedRun]:
    """The bundled page at a URL, through nginx with http2 (healthy) or without (regressed)."""
    upstream = stack.enter_context(ServerProcess(settings_for(Mode.H1, media), host=listen))
    assert upstream.port is not None
    proxies = {
        http2: stack.enter_context(NginxProxy(upstream.port, host=listen, http2=http2)) for http2 in (True, False)
    }
    target = PageTarget(r"/chunks/", r"/events\?", verify_tls=False)  # nginx's throwaway certificate

    def gate(name: str, scenario: Scenario, healthy: bool) -> JudgedRun:
        url = f"{proxies[healthy].base_url}/?{scenario.page_query()}"
        config = RunConfig(browsers=(name,), modes=(), scenario=scenario, rules=rules, url=url, target=target)
        return judge_page(pool.get(name), name, url, config, "url")

    return gate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--load", type=int, default=0, help="busy processes competing for the cores")
    parser.add_argument("--browser", default="all")
    parser.add_argument("--pressure", default=",".join(PRESSURES))
    parser.add_argument("--player", default="progressive", help="comma-separated: progressive, hls, dash, ...")
    parser.add_argument("--connect", help="browsers served elsewhere: chromium=ws://...,firefox=ws://...")
    parser.add_argument("--listen", default="127.0.0.1", help="where the servers listen (with --connect)")
    parser.add_argument("--netns", action="store_true", help="serve the browsers from a network namespace made here")
    parser.add_argument("--through-nginx", action="store_true", help="--url runs through nginx, http2 on and off")
    parser.add_argument("--network", help="a profile (cable, 4g, lossy) or rtt=..,loss=..: every setup behind it")
    args = parser.parse_args()
    if args.netns:
        from tests.tooling.browser_host import GATE_ADDRESS, browser_host, connect_flag, served_browsers

        with browser_host() as namespace, served_browsers(namespace) as endpoints:
            args.connect, args.listen = connect_flag(endpoints), GATE_ADDRESS
            measure(args)
    else:
        measure(args)


def measure(args: argparse.Namespace) -> None:
    players = args.player.split(",")
    browsers = browser_names(args.browser)
    pressures = args.pressure.split(",")
    media = ensure_media()
    rules = GateRules()
    network = parse_network(args.network) if args.network else None
    tallies: dict[tuple[str, str, str], Tally] = defaultdict(Tally)
    setups = {HEALTHY, H1, *REGRESSED.values()}
    load = busy_processes(args.load)
    started = time.monotonic()
    try:
        endpoints = parse_endpoints(args.connect)
        with browser_pool(headless=True, slow_mo=0, executables={}, endpoints=endpoints) as pool, ExitStack() as stack:
            gate: Callable[[str, Scenario, bool], JudgedRun]
            if args.through_nginx:
                gate = through_nginx(stack, pool, media, args.listen, rules)
            else:
                servers: dict[tuple[str, int], Served] = {
                    (mode, streams): stack.enter_context(
                        serve(
                            settings_for(Mode(mode), media, h2_max_streams=streams), host=args.listen, network=network
                        )
                    )
                    for mode, streams in setups
                }

                def gate(name: str, scenario: Scenario, healthy: bool) -> JudgedRun:
                    setup = HEALTHY if healthy else REGRESSED.get(str(scenario.pressure), H1)
                    return judge(pool.get(name), name, servers[setup], scenario, rules)

            for round_number in range(1, args.rounds + 1):
                for pressure, player in [(pressure, player) for pressure in pressures for player in players]:
                    scenario = Scenario(chunks=CHUNKS, pressure=Pressure.parse(pressure), player=player)
                    for name in browsers:
                        tally = tallies[(name, pressure, player)]
                        label = f"round {round_number} {name} {pressure} {player}"
                        record_healthy(tally, gate(name, scenario, True), f"{label} healthy")
                        if pressure != "none":
                            record_regressed(tally, gate(name, scenario, False), f"{label} regressed")
                if round_number % 5 == 0:
                    print(f"round {round_number}: {time.monotonic() - started:.0f} s", flush=True)
    finally:
        for process in load:
            process.kill()
            process.wait()
    where = f", browsers at {args.connect}" if args.connect else ""
    where += f", network {network}" if network else ""
    print(f"\n{date.today()}: {args.rounds} rounds, {args.load} busy processes, chunks {CHUNKS}{where}, ", end="")
    print(f"limits: contended {rules.max_queued_ms:g} ms, uncontended {rules.max_uncontended_ms:g} ms")
    rows = [
        (
            "browser",
            "pressure",
            "player",
            "healthy",
            "false alarms",
            "regressed",
            "misses",
            "healthy max (cause)",
            "regr. min",
            "healthy load max",
        )
    ]
    for (name, pressure, player), tally in sorted(tallies.items()):
        waits = ", ".join(f"{ms:.0f} {cause}" for cause, ms in sorted(tally.healthy_waits.items()))
        rows.append(
            (
                name,
                pressure,
                player,
                str(tally.healthy),
                str(tally.false_alarms),
                str(tally.regressed),
                str(tally.misses),
                waits or "-",
                f"{tally.regressed_first:.0f}",
                f"{tally.healthy_load:.0f}",
            )
        )
    print(aligned(rows))


if __name__ == "__main__":
    main()
