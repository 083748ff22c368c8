"""The ``playgate`` command.

  playgate serve --mode h2 [--port N]          the reference server, in the foreground
  playgate run --browser all --mode h2,h1-tls  the gate: a table per run and a verdict
  playgate compare --pressure media:5          h1-tls against h2, the field report's table
  playgate demo                                compare, in both browsers, under media:5
  playgate diagnose URL                        a Python client's stages fetching one chunk
  playgate doctor                              what this machine has for the gate

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
from typing import Any

from playgate.capture.browser_finder import browser_names, parse_browser_paths
from playgate.capture.quic import QuicOrigin
from playgate.capture.remote import BrowserServer
from playgate.config import check_h2_max_streams, parse_modes
from playgate.diagnose import report as diagnose_report
from playgate.diagnose.client import DEFAULT_PROTOCOLS, DiagnoseOptions, Diagnoser
from playgate.diagnose.origin import probe_origin
from playgate.entrypoints import doctor
from playgate.entrypoints.options import (
    COMPARE,
    OPTION_FIELDS,
    RUN,
    Options,
    default,
    layered,
    option_type,
)
from playgate.entrypoints.pyproject_table import find_config_file
from playgate.errors import PlaygateError, RunsAborted, UsageError
from playgate.fixtures.generate import ensure_media
from playgate.judging.gate import JudgedRun
from playgate.reports.outputs import Outputs
from playgate.reports.shards import read_shards, write_shard
from playgate.reports.table import describe
from playgate.run.compare import run_compare
from playgate.run.runner import run_gate
from playgate.server.launcher import LOOPBACK
from playgate.server.serving import Served, serve, stop_all
from playgate.server.settings import DEFAULT_H2_MAX_STREAMS, Mode, check_app_spec, settings_for
from playgate.version import VERSION

COMPARE_PRESSURE = "media:5"  # compare's default: the field's pressure
EXIT_PASS, EXIT_REGRESSION, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
EXIT_MEANINGS = {  # the reference's table of exit codes is made from this
    EXIT_PASS: "every run passed (compare: the healthy setup passed and the regressed one was caught in every "
    "browser); doctor: everything the default run needs is here",
    EXIT_REGRESSION: "the gate caught a regression (the chunk table and the broken rules are printed)",
    EXIT_ERROR: "a usage or environment error: one line on stderr saying what is wrong and what to do",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); the servers and browsers are stopped",
    EXIT_TERMINATED: "terminated (SIGTERM, as a cancelled CI job sends); the servers and browsers are stopped",
}
MODE_CHOICES = ", ".join(m.value for m in Mode)


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--h2-max-streams",
        type=int,
        default=DEFAULT_H2_MAX_STREAMS,
        help="the server's h2 SETTINGS_MAX_CONCURRENT_STREAMS (default: %(default)s)",
    )


def _add_options(parser: argparse.ArgumentParser, command: str) -> None:
    """The flags of ``command``, one per field of Options. A flag not given stays out of
    the namespace, so [tool.playgate] and the defaults fill in below it."""
    for name, spec in OPTION_FIELDS.items():
        if command not in spec.metadata["commands"]:
            continue
        kind, value = option_type(name), default(name)
        shown = "" if value in (None, False) else f" (default: {value})"
        arguments: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS, "help": spec.metadata["help"] + shown}
        if kind is bool:
            arguments["action"] = argparse.BooleanOptionalAction
        elif kind is tuple:  # a flag given once per value
            arguments["action"] = "append"
            arguments["metavar"] = spec.metadata["metavar"] or name.upper()
        else:
            arguments["type"] = kind
            arguments["metavar"] = spec.metadata["metavar"] or name.split("_")[-1].upper()
        parser.add_argument("--" + name.replace("_", "-"), **arguments)
    parser.add_argument(
        "--config", type=Path, help="a pyproject.toml with [tool.playgate] (default: the nearest one up from here)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playgate", description="Protocol regression gate for browser video playback."
    )
    parser.add_argument("--version", action="version", version=f"playgate {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the reference avatar server in the foreground")
    serve.add_argument("--mode", default="h2", help=f"{MODE_CHOICES} (default: h2)")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    serve.add_argument(
        "--listen", default=LOOPBACK, metavar="ADDRESS", help=f"address to listen on (default: {LOOPBACK})"
    )
    serve.add_argument("--app", metavar="MODULE:ATTRIBUTE", help="serve your ASGI app instead of the bundled one")
    _add_server_options(serve)

    run = commands.add_parser("run", help="run the gate in real browsers")
    _add_options(run, RUN)

    diagnose = commands.add_parser("diagnose", help="where a Python client's time goes fetching one chunk URL")
    diagnose.add_argument("url", help="an http:// or https:// URL of a video chunk")
    diagnose.add_argument("--requests", type=int, default=3, help="requests per variant (default: 3)")
    which = diagnose.add_mutually_exclusive_group()
    which.add_argument("--http1", action="store_const", dest="protocols", const=("http/1.1",), help="HTTP/1.1 only")
    which.add_argument("--http2", action="store_const", dest="protocols", const=("h2",), help="HTTP/2 only")
    which.add_argument("--both", action="store_const", dest="protocols", const=DEFAULT_PROTOCOLS, help="both (default)")
    diagnose.add_argument(
        "--http3", action="store_true", help="HTTP/3 too, beside the others (QUIC on the URL's UDP port)"
    )
    diagnose.add_argument("--partial-mb", type=float, default=1.0, help="Range download size (default: 1)")
    diagnose.add_argument("--stream-start-kb", type=int, default=64, help="decode once this much arrived (64)")
    trust = diagnose.add_mutually_exclusive_group()
    trust.add_argument("--cafile", type=Path, help="trust this CA bundle (a self-signed server)")
    trust.add_argument("--insecure", action="store_true", help="do not verify the certificate")
    diagnose.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: 30)")
    diagnose.add_argument("--json", type=Path, help="write the JSON result here")

    compare = commands.add_parser("compare", help="two setups under one pressure, side by side, per browser")
    _add_options(compare, COMPARE)

    browser_server = commands.add_parser(
        "browser-server", help="serve one of this machine's browsers to gate runs elsewhere (--connect there)"
    )
    browser_server.add_argument("--browser", required=True, help="chromium or firefox")
    browser_server.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    browser_server.add_argument(
        "--listen", default=LOOPBACK, metavar="ADDRESS", help=f"address to listen on (default: {LOOPBACK})"
    )
    browser_server.add_argument("--executable", metavar="PATH", help="the browser's executable (default: found)")

    merge = commands.add_parser("merge", help="join the --output folders of a run's shards (--shard i/n) into one")
    merge.add_argument("output", type=Path, help="the folder to write result.json, har/, report.html, junit.xml into")
    merge.add_argument("shards", type=Path, nargs="+", metavar="SHARD_DIR", help="each shard's --output folder")

    demo = commands.add_parser("demo", help="compare h1-tls and h2 under media:5 pressure, in both browsers")
    _add_options(demo, COMPARE)

    doctor = commands.add_parser("doctor", help="what this machine has for the gate, and how to add what is missing")
    doctor.add_argument("--browser", default="all", help="chromium, firefox, all, or a comma list (default: all)")
    doctor.add_argument(
        "--no-launch", dest="launch", action="store_false", help="find the browsers but do not launch them"
    )
    doctor.add_argument(
        "--browser-path", metavar="BROWSER=PATH,...", help="check these browsers rather than the ones found"
    )
    return parser


def _options(args: argparse.Namespace, command: str) -> Options:
    """Defaults, then [tool.playgate], then the flags given."""
    if args.config is not None and not args.config.is_file():
        raise UsageError(f"--config {args.config} is not a file")
    path = args.config or find_config_file(Path.cwd())
    base = Options(pressure=COMPARE_PRESSURE) if command == COMPARE else Options()
    given = {k: v for k, v in vars(args).items() if k in OPTION_FIELDS}
    return layered(path, given, command, "command line", base)


def _serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0..65535)")
    mode = parse_modes(args.mode)
    if len(mode) != 1:
        raise UsageError("serve takes one --mode")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    check_h2_max_streams(args.h2_max_streams)
    if args.app:
        check_app_spec(args.app)
    settings = settings_for(
        mode[0],
        ensure_media(),
        h2_max_streams=args.h2_max_streams,
        app=args.app,
    )
    with serve(settings, host=args.listen, port=args.port) as server:
        print(f"serving {server.base_url}/ ({server.label})", flush=True)
        if not args.app:
            print(f"  player under pressure: {server.base_url}/?pressure=media:5", flush=True)
        if settings.mode.holds_udp_port:
            print(f"  {_h3_how_to_reach(server)}", flush=True)
        while not stop.wait(0.5):
            if not server.running:
                raise PlaygateError("the server process stopped unexpectedly")
    return EXIT_PASS


def _browser_server(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0..65535)")
    names = browser_names(args.browser)
    if len(names) != 1:
        raise UsageError(f"--browser {args.browser}: a browser server serves one browser, chromium or firefox")
    name = names[0]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with BrowserServer(name, host=args.listen, port=args.port, executable=args.executable) as server:
        print(f"serving {name} at {server.endpoint}", flush=True)
        print(f"  on the gate's machine: playgate run --connect {name}={server.endpoint} ...", flush=True)
        while not stop.wait(0.5):
            if not server.running:
                raise PlaygateError(f"the {name} browser server stopped unexpectedly")
    return EXIT_PASS


def _h3_how_to_reach(server: Served) -> str:
    """What the UDP port does in this h3 mode, and what reaches it from each browser."""
    what = {
        Mode.H3: "HTTP/3 on UDP, advertised by Alt-Svc",
        Mode.H3_DISCOVERY: "HTTP/3 on UDP, advertised by Alt-Svc",
        Mode.H3_UDP_BLOCKED: "Alt-Svc advertises HTTP/3, but UDP is held and never answered",
        Mode.H3_NO_ALT_SVC: "HTTP/3 on UDP, never advertised",
        Mode.H3_DRAFT_ALT_SVC: "HTTP/3 on UDP, but Alt-Svc names only the draft h3-29",
    }[server.mode]
    origin = QuicOrigin.of(server)
    assert origin is not None
    return (
        f"{what} ({server.app.host}:{origin.port})\n"
        f"  Chromium flags: {origin.describe('chromium')}\n"
        f"  Firefox preferences: {origin.describe('firefox')}"
    )


def _run(args: argparse.Namespace) -> int:
    options = _options(args, RUN)
    config = options.run_config(options.mode)
    outputs = options.outputs()
    if config.shard is not None and options.output is None:
        raise UsageError(f"--shard {config.shard} needs --output DIR: playgate merge joins the shards' folders")

    def show(judged: JudgedRun) -> None:
        print(describe(judged) + "\n", flush=True)

    aborted: list[str] = []
    try:
        results = run_gate(config, ensure_media(), on_run=show)
    except RunsAborted as exc:  # the runs that finished are still reported and written
        results, aborted = exc.completed, exc.reasons
    for path in outputs.write(results):
        print(f"wrote {path}")
    if config.shard is not None and options.output is not None:
        print(f"wrote {write_shard(options.output, config, results)} (shard {config.shard})")
    failed = [r for r in results if not r.verdict.passed]
    summary = f"playgate: {len(results) - len(failed)} passed, {len(failed)} failed"
    print(summary + (f", {len(aborted)} could not finish" if aborted else ""))
    for reason in aborted:
        print(f"playgate: error: {reason}", file=sys.stderr)
    if aborted:
        return EXIT_ERROR
    return EXIT_REGRESSION if failed else EXIT_PASS


def _merge(args: argparse.Namespace) -> int:
    runs = read_shards(args.shards)
    for path in Outputs.choose(args.output).write(runs):
        print(f"wrote {path}")
    failed = sum(not judged.verdict.passed for judged in runs)
    print(
        f"playgate merge: {len(runs)} runs from {len(args.shards)} shards, {len(runs) - failed} passed, {failed} failed"
    )
    return EXIT_REGRESSION if failed else EXIT_PASS


def _compare(args: argparse.Namespace) -> int:
    options = _options(args, COMPARE)
    ok = run_compare(options.run_config(options.modes), ensure_media(), outputs=options.outputs())
    return EXIT_PASS if ok else EXIT_REGRESSION


def _interrupt(signum: int, frame: object) -> None:
    # Ctrl-C or SIGTERM (a CI job cancelled). A KeyboardInterrupt raised inside
    # Playwright's event dispatch can leave its teardown waiting forever; stop the
    # servers ourselves (their folders with keys go with them) and leave at once. The
    # Playwright driver sees our end of its pipe close and closes the browsers.
    terminated = signum == signal.SIGTERM
    print(f"playgate: {'terminated' if terminated else 'interrupted'}", file=sys.stderr, flush=True)
    stop_all()
    os._exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


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
        protocols=(args.protocols or DEFAULT_PROTOCOLS) + (("h3",) if args.http3 else ()),
        partial_mb=args.partial_mb,
        stream_start_kb=args.stream_start_kb,
        verify=verify,
        timeout_s=args.timeout,
    )
    diagnoser = Diagnoser(options)
    stages = diagnoser.run()
    origin = probe_origin(options.url)  # after the timed requests, never beside them
    print(f"diagnose {options.url}  (times in ms; frame = request start -> first decoded frame)")
    print(diagnose_report.table(stages))
    for note in diagnoser.notes + [s.note for s in stages if s.note]:
        print(f"note: {note}")
    print(origin.describe())
    print(diagnose_report.finding(stages))
    if args.json:
        diagnose_report.write_json(args.json, options.url, stages, diagnoser.notes, origin)
    return EXIT_PASS


def _doctor(args: argparse.Namespace) -> int:
    paths = parse_browser_paths(args.browser_path)
    findings = doctor.examine(browser_names(args.browser), launch_them=args.launch, paths=paths)
    print(doctor.render(findings))
    return EXIT_PASS if all(f.ok for f in findings if f.needed) else EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {
        "serve": _serve,
        "run": _run,
        "compare": _compare,
        "demo": _compare,
        "diagnose": _diagnose,
        "doctor": _doctor,
        "merge": _merge,
        "browser-server": _browser_server,
    }
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)  # serve replaces it: it stops on its own
    try:
        return handlers[args.command](args)
    except PlaygateError as exc:
        print(f"playgate: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
