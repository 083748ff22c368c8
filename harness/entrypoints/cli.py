"""The ``playgate`` command.

  playgate serve --mode h2 [--port N]          the reference server, in the foreground
  playgate run --browser all --mode h2,h1-tls  the gate: a table per run and a verdict
  playgate compare --pressure media:5          h1-tls against h2, the field report's table
  playgate demo                                compare, in both browsers, under media:5
  playgate diagnose URL                        a Python client's stages fetching one chunk
  playgate diagnose --network 4g               the same for the bundled server on a shaped path
  playgate doctor                              what this machine has for the gate

Exit status: EXIT_MEANINGS below, the one place the help, the docs and the code read.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlencode

from playgate.capture.browser_finder import BROWSERS, browser_names, parse_browser_paths
from playgate.capture.drivers import DRIVERS
from playgate.capture.quic import QuicOrigin
from playgate.capture.remote import BrowserServer
from playgate.config import check_h2_max_streams, parse_modes
from playgate.diagnose import report as diagnose_report
from playgate.diagnose.client import DEFAULT_PROTOCOLS, PROTOCOLS, DiagnoseOptions, Diagnoser
from playgate.diagnose.origin import probe_origin
from playgate.entrypoints import doctor
from playgate.entrypoints.cli_parser import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    EXIT_REGRESSION,
    EXIT_TERMINATED,
    build_parser,
)
from playgate.entrypoints.option_field import COMPARE, RUN
from playgate.entrypoints.options import OPTION_FIELDS, Options, layered
from playgate.entrypoints.pyproject_table import find_config_file
from playgate.errors import PlaygateError, RunsAborted, UsageError
from playgate.fixtures.generate import chunk_name, ensure_media
from playgate.judging.gate import JudgedRun
from playgate.reports.outputs import Outputs
from playgate.reports.shards import read_shards, write_shard
from playgate.reports.table import describe
from playgate.run.compare import run_compare
from playgate.run.runner import SetupStart, run_gate
from playgate.server.network import NetworkProfile, parse_network
from playgate.server.serving import Served, serve, stop_all
from playgate.server.settings import Mode, check_app_spec, settings_for

COMPARE_PRESSURE = "media:5"  # compare's default: the field's pressure


def _options(args: argparse.Namespace, command: str) -> Options:
    """Defaults, then [tool.playgate], then the flags given (-v: --live)."""
    if args.config is not None and not args.config.is_file():
        raise UsageError(f"--config {args.config} is not a file")
    path = args.config or find_config_file(Path.cwd())
    base = Options(pressure=COMPARE_PRESSURE) if command == COMPARE else Options()
    given = {k: v for k, v in vars(args).items() if k in OPTION_FIELDS}
    if args.verbose:
        given["live"] = True
    return layered(path, given, command, "command line", base)


def _serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0..65535)")
    mode = parse_modes(args.mode)
    if len(mode) != 1:
        raise UsageError("serve takes one --mode")
    terminated = _on_sigterm()
    check_h2_max_streams(args.h2_max_streams)
    if args.app:
        check_app_spec(args.app)
    settings = settings_for(
        mode[0],
        ensure_media(),
        h2_max_streams=args.h2_max_streams,
        app=args.app,
    )
    network = parse_network(args.network) if args.network else None
    with serve(settings, host=args.listen, port=args.port, network=network) as server:
        print(f"serving {server.base_url}/ ({server.label})", flush=True)
        if server.path is not None:
            print(f"  {server.path.note()}", flush=True)
        if settings.mode.plays_webrtc:
            query = urlencode({"transport": "webrtc", "ice_servers": json.dumps(list(server.ice_servers))})
            print(f"  the avatar over WebRTC: {server.base_url}/?{query}", flush=True)
        elif not args.app:
            print(f"  player under pressure: {server.base_url}/?pressure=media:5", flush=True)
        if settings.mode.holds_udp_port:
            print(f"  {_h3_how_to_reach(server)}", flush=True)
        while not terminated():
            if not server.running:
                raise PlaygateError("the server process stopped unexpectedly")
            time.sleep(0.5)
    return EXIT_PASS


def _on_sigterm() -> Callable[[], bool]:
    """From now on SIGTERM asks a serving loop to stop, which then stops what it started.

    The handler only records the signal. Setting a threading.Event from it can deadlock:
    the handler runs in the main thread, which may hold that event's lock inside its own
    wait(), and the process then ignores every later SIGTERM (seen in a test: `serve`
    still running minutes after it was told to stop)."""
    received: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
    return lambda: bool(received)


def _browser_server(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0..65535)")
    names = browser_names(args.browser)
    if len(names) != 1:
        raise UsageError(f"--browser {args.browser}: a browser server serves one browser, chromium or firefox")
    name = names[0]
    terminated = _on_sigterm()
    with BrowserServer(name, host=args.listen, port=args.port, executable=args.executable) as server:
        print(f"serving {name} at {server.endpoint}", flush=True)
        print(f"  on the gate's machine: playgate run --connect {name}={server.endpoint} ...", flush=True)
        while not terminated():
            if not server.running:
                raise PlaygateError(f"the {name} browser server stopped unexpectedly")
            time.sleep(0.5)
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
    settings = "\n".join(f"  {browser.quic_settings(origin)}" for browser in DRIVERS.values())
    return f"{what} ({server.app.host}:{origin.port})\n{settings}"


def _show_progress(start: SetupStart) -> None:
    """``[3/8] firefox h1-tls`` as each setup of a run of several starts (stderr stays one
    line per error)."""
    if start.total > 1:
        print(start, flush=True)


def _run(args: argparse.Namespace) -> int:
    options = _options(args, RUN)
    config = options.run_config(options.mode)
    outputs = options.outputs()
    if config.shard is not None and options.output is None:
        raise UsageError(f"--shard {config.shard} needs --output DIR: playgate merge joins the shards' folders")

    def show(judged: JudgedRun) -> None:
        if not (args.quiet and judged.verdict.passed):
            print(describe(judged) + "\n", flush=True)

    aborted: list[str] = []
    try:
        progress = (lambda _: None) if args.quiet else _show_progress
        results = run_gate(config, ensure_media(), on_run=show, on_setup=progress)
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
    ok = run_compare(
        options.run_config(options.modes),
        ensure_media(),
        outputs=options.outputs(),
        show_runs=not args.quiet,
        on_setup=(lambda _: None) if args.quiet else _show_progress,
    )
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
    if args.network:
        return _diagnose_behind_network(args, parse_network(args.network))
    if not args.url:
        raise UsageError("diagnose takes a chunk URL, or --network PROFILE to diagnose the bundled server on that path")
    verify: bool | str = True
    if args.insecure:
        verify = False
    elif args.cafile:
        if not args.cafile.is_file():
            raise UsageError(f"--cafile {args.cafile} is not a file")
        verify = str(args.cafile)
    _diagnose_url(args, args.url, verify, args.protocols or DEFAULT_PROTOCOLS)
    return EXIT_PASS


def _diagnose_behind_network(args: argparse.Namespace, network: NetworkProfile) -> int:
    """The bundled server (h1, h2 and h3 on one port) behind a shaped path, measured first,
    and its first chunk diagnosed over it with the server's own CA trusted."""
    if args.url:
        raise UsageError(
            f"--network shapes the path to the bundled server, not to {args.url}: leave the URL out, "
            "or serve your app behind it (playgate serve --app MODULE:APP --network PROFILE) and diagnose that URL"
        )
    if args.insecure or args.cafile:
        raise UsageError("--network trusts the bundled server's own certificate: leave out --insecure and --cafile")
    media = ensure_media()
    with serve(settings_for(Mode.H3, media), network=network) as server, tempfile.TemporaryDirectory() as folder:
        assert server.path is not None and server.app.ca_pem is not None
        cafile = Path(folder) / "ca.pem"
        cafile.write_bytes(server.app.ca_pem)
        print(server.path.note(), flush=True)
        _diagnose_url(args, f"{server.base_url}/chunks/{chunk_name(0)}", str(cafile), args.protocols or PROTOCOLS)
    return EXIT_PASS


def _diagnose_url(args: argparse.Namespace, url: str, verify: bool | str, protocols: tuple[str, ...]) -> None:
    if args.http3 and "h3" not in protocols:
        protocols += ("h3",)
    options = DiagnoseOptions(
        url=url,
        requests=args.requests,
        protocols=protocols,
        partial_mb=args.partial_mb,
        stream_start_kb=args.stream_start_kb,
        verify=verify,
        timeout_s=args.timeout,
    )
    diagnoser = Diagnoser(options)
    stages = diagnoser.run()
    # After the timed requests, never beside them; trusting the CA the requests trusted.
    origin = probe_origin(options.url, ca_cert=verify if isinstance(verify, str) else None)
    print(f"diagnose {options.url}  (times in ms; frame = request start -> first decoded frame)")
    print(diagnose_report.table(stages))
    for note in diagnoser.notes + [s.note for s in stages if s.note]:
        print(f"note: {note}")
    print(origin.describe())
    print(diagnose_report.finding(stages))
    if args.json:
        diagnose_report.write_json(args.json, options.url, stages, diagnoser.notes, origin)


def _doctor(args: argparse.Namespace) -> int:
    paths = parse_browser_paths(args.browser_path)
    # "all" here is every browser, an optional one not installed too: the doctor says how to add it.
    names = list(BROWSERS) if args.browser == "all" else browser_names(args.browser)
    findings = doctor.examine(names, launch_them=args.launch, paths=paths)
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
