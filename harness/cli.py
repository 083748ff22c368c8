"""The ``playgate`` command.

  playgate serve --mode h2 [--port N]          the reference server, in the foreground
  playgate run --browser all --mode h2,h1-tls  the gate: a table per run and a verdict
  playgate compare --pressure media:5          h1-tls against h2, the field report's table
  playgate demo                                compare, in both browsers, under media:5
  playgate diagnose URL                        a Python client's stages fetching one chunk

Exit status: 0 every run passed (compare: the healthy setup passed and the regressed one
was caught), 1 the gate caught a regression, 2 a usage or environment error, 130
interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from fixtures.generate import ensure_media
from harness.browsers import BROWSERS, browser_names
from harness.compare import COMPARED, run_compare
from harness.config import PRESSURE_KINDS, GateRules, Pressure, RunConfig, Scenario, check_h2_max_streams, parse_modes
from harness.diagnose import report as diagnose_report
from harness.diagnose.client import PROTOCOLS, DiagnoseOptions, Diagnoser
from harness.errors import PlaygateError, UsageError
from harness.report import JudgedRun, describe, write_json
from harness.runner import run_gate
from server.launcher import LOOPBACK
from server.serving import serve, stop_all
from server.settings import DEFAULT_H2_MAX_STREAMS, Mode, settings_for

EXIT_PASS, EXIT_REGRESSION, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
MODE_CHOICES = ", ".join(m.value for m in Mode)
PRESSURE_HELP = "none, " + ", ".join(f"{kind}:N" for kind in PRESSURE_KINDS) + ", or a sum like media:5+tabs:2"


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--h2-max-streams",
        type=int,
        default=DEFAULT_H2_MAX_STREAMS,
        help="the server's h2 SETTINGS_MAX_CONCURRENT_STREAMS (default: %(default)s)",
    )


def _add_scenario_options(parser: argparse.ArgumentParser) -> None:
    scenario = Scenario()
    parser.add_argument("--browser", default="all", help="chromium, firefox, all, or a comma list (default: all)")
    parser.add_argument("--chunks", type=int, default=scenario.chunks, help="chunks to stream (default: %(default)s)")
    parser.add_argument("--pace-ms", type=int, default=scenario.pace_ms, help="ms between chunk events")
    parser.add_argument(
        "--hold-ms", type=int, default=scenario.hold_ms, help="holders released this long after the first chunk event"
    )
    parser.add_argument("--timeout", type=float, default=scenario.timeout_s, help="seconds a run may take")
    parser.add_argument(
        "--chunk-delay-ms", type=int, default=0, help="fault injection: the server delays each chunk's headers"
    )
    parser.add_argument(
        "--chunk-kib-per-s", type=int, default=0, help="fault injection: chunk bodies sent at this rate (0: no limit)"
    )
    parser.add_argument("--headed", action="store_true", help="show the browser")
    parser.add_argument("--slowmo", type=float, default=0, help="slow Playwright actions by this many ms")
    parser.add_argument("--json", type=Path, help="write the JSON result here")
    for name, spec in BROWSERS.items():
        parser.add_argument(
            f"--{name}-executable", metavar="PATH", help=f"{name} to drive (default: {spec.env_var} or found on PATH)"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playgate", description="Protocol regression gate for browser video playback."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the reference avatar server in the foreground")
    serve.add_argument("--mode", default="h2", help=f"{MODE_CHOICES} (default: h2)")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    _add_server_options(serve)

    run = commands.add_parser("run", help="run the gate in real browsers")
    run.add_argument("--mode", default="h2", help=f"{MODE_CHOICES}, or a comma list (default: h2)")
    run.add_argument("--pressure", default="none", help=PRESSURE_HELP)
    rules = GateRules()
    run.add_argument("--expect-protocol", default=rules.expected_protocol, help="protocol every chunk must use")
    run.add_argument("--max-queued-ms", type=float, default=rules.max_queued_ms, help="longest allowed queueing")
    run.add_argument("--max-load-ms", type=float, default=rules.max_load_ms, help="longest allowed event->loadeddata")
    _add_scenario_options(run)
    _add_server_options(run)

    diagnose = commands.add_parser("diagnose", help="where a Python client's time goes fetching one chunk URL")
    diagnose.add_argument("url", help="an http:// or https:// URL of a video chunk")
    diagnose.add_argument("--requests", type=int, default=3, help="requests per variant (default: 3)")
    which = diagnose.add_mutually_exclusive_group()
    which.add_argument("--http1", action="store_const", dest="protocols", const=("http/1.1",), help="HTTP/1.1 only")
    which.add_argument("--http2", action="store_const", dest="protocols", const=("h2",), help="HTTP/2 only")
    which.add_argument("--both", action="store_const", dest="protocols", const=PROTOCOLS, help="both (default)")
    diagnose.add_argument("--partial-mb", type=float, default=1.0, help="Range download size (default: 1)")
    diagnose.add_argument("--stream-start-kb", type=int, default=64, help="decode once this much arrived (64)")
    trust = diagnose.add_mutually_exclusive_group()
    trust.add_argument("--cafile", type=Path, help="trust this CA bundle (a self-signed server)")
    trust.add_argument("--insecure", action="store_true", help="do not verify the certificate")
    diagnose.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: 30)")
    diagnose.add_argument("--json", type=Path, help="write the JSON result here")

    compared = ",".join(m.value for m in COMPARED)
    compare = commands.add_parser("compare", help="two setups under one pressure, side by side, per browser")
    compare.add_argument("--modes", default=compared, help=f"regressed,healthy (default: {compared})")
    compare.add_argument("--pressure", default="media:5", help=f"{PRESSURE_HELP} (default: media:5)")
    _add_scenario_options(compare)
    _add_server_options(compare)

    demo = commands.add_parser("demo", help="compare h1-tls and h2 under media:5 pressure, in both browsers")
    _add_scenario_options(demo)
    _add_server_options(demo)
    return parser


def _scenario(args: argparse.Namespace, pressure: Pressure) -> Scenario:
    return Scenario(
        chunks=args.chunks,
        pressure=pressure,
        pace_ms=args.pace_ms,
        hold_ms=args.hold_ms,
        timeout_s=args.timeout,
        chunk_delay_ms=args.chunk_delay_ms,
        chunk_kib_per_s=args.chunk_kib_per_s,
    )


def _run_config(args: argparse.Namespace, modes: str, pressure: str, rules: GateRules) -> RunConfig:
    return RunConfig(
        browsers=tuple(browser_names(args.browser)),
        modes=tuple(parse_modes(modes)),
        scenario=_scenario(args, Pressure.parse(pressure)),
        rules=rules,
        headed=args.headed,
        slow_mo=args.slowmo,
        executables=tuple(_executables(args).items()),
        h2_max_streams=args.h2_max_streams,
    )


def _executables(args: argparse.Namespace) -> dict[str, str]:
    chosen = {name: getattr(args, f"{name}_executable") for name in BROWSERS}
    return {name: path for name, path in chosen.items() if path}


def _serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0..65535)")
    mode = parse_modes(args.mode)
    if len(mode) != 1:
        raise UsageError("serve takes one --mode")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    check_h2_max_streams(args.h2_max_streams)
    settings = settings_for(mode[0], ensure_media(), h2_max_streams=args.h2_max_streams)
    with serve(settings, host=LOOPBACK, port=args.port) as server:
        print(f"serving {server.base_url}/ ({server.label})", flush=True)
        print(f"  player under pressure: {server.base_url}/?pressure=media:5", flush=True)
        while not stop.wait(0.5):
            if not server.app.running:
                raise PlaygateError("the server process stopped unexpectedly")
    return EXIT_PASS


def _run(args: argparse.Namespace) -> int:
    rules = GateRules(args.expect_protocol, args.max_queued_ms, args.max_load_ms)
    config = _run_config(args, args.mode, args.pressure, rules)

    def show(judged: JudgedRun) -> None:
        print(describe(judged) + "\n", flush=True)

    results = run_gate(config, ensure_media(), on_run=show)
    if args.json:
        write_json(args.json, results)
    failed = [r for r in results if not r.verdict.passed]
    print(f"playgate: {len(results) - len(failed)} passed, {len(failed)} failed")
    return EXIT_REGRESSION if failed else EXIT_PASS


def _compare(args: argparse.Namespace) -> int:
    compared = ",".join(m.value for m in COMPARED)
    config = _run_config(args, getattr(args, "modes", compared), getattr(args, "pressure", "media:5"), GateRules())
    ok = run_compare(config, ensure_media(), json_path=args.json)
    return EXIT_PASS if ok else EXIT_REGRESSION


def _interrupt(signum: int, frame: object) -> None:
    # A KeyboardInterrupt raised inside Playwright's event dispatch can leave its
    # teardown waiting forever; stop the servers ourselves and leave at once. The
    # Playwright driver sees our end of its pipe close and closes the browsers.
    print("playgate: interrupted", file=sys.stderr, flush=True)
    stop_all()
    os._exit(EXIT_INTERRUPTED)


def _diagnose(args: argparse.Namespace) -> int:
    verify: bool | str = True
    if args.insecure:
        verify = False
    elif args.cafile:
        if not args.cafile.is_file():
            raise UsageError(f"--cafile {args.cafile} is not a file")
        verify = str(args.cafile)
    options = DiagnoseOptions(
        url=args.url,
        requests=args.requests,
        protocols=args.protocols or PROTOCOLS,
        partial_mb=args.partial_mb,
        stream_start_kb=args.stream_start_kb,
        verify=verify,
        timeout_s=args.timeout,
    )
    diagnoser = Diagnoser(options)
    stages = diagnoser.run()
    print(f"diagnose {options.url}  (times in ms; frame = request start -> first decoded frame)")
    print(diagnose_report.table(stages))
    for note in diagnoser.notes + [s.note for s in stages if s.note]:
        print(f"note: {note}")
    print(diagnose_report.finding(stages))
    if args.json:
        diagnose_report.write_json(args.json, options.url, stages, diagnoser.notes)
    return EXIT_PASS


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"serve": _serve, "run": _run, "compare": _compare, "demo": _compare, "diagnose": _diagnose}
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return handlers[args.command](args)
    except PlaygateError as exc:
        print(f"playgate: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
