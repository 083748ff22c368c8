"""The ``playgate`` command line's parser: every command and flag, its help with examples,
and the exit codes, defined once (the docs' reference is made from these)."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from playgate.diagnose.client import DEFAULT_PROTOCOLS
from playgate.entrypoints.option_field import COMPARE, RUN
from playgate.entrypoints.options import OPTION_FIELDS, default, option_type
from playgate.server.launcher import LOOPBACK
from playgate.server.settings import DEFAULT_H2_MAX_STREAMS, Mode
from playgate.version import VERSION

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
        # 0 is a default worth showing (--max-stalls 0); nothing, off and empty are not.
        shown = "" if value is None or value is False or value == () else f" (default: {value})"
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
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="print only the failed runs' tables and the summary line"
    )
    loudness.add_argument(
        "-v", "--verbose", action="store_true", help="also print each event as it happens (as --live does)"
    )


EXAMPLES = {
    "run": [
        ("the bundled avatar server, both browsers, h2 and the HTTP/1.1 regression", "--browser all --mode h2,h1-tls"),
        (
            "your ASGI app, its clips under /clips/",
            "--app myapp.main:app --chunk-pattern /clips/ --output gate-results",
        ),
        ("a deployment, after signing in", "--url https://staging.example.com/avatar --setup tests.login:sign_in"),
    ],
    "compare": [
        ("the field report's table: h1-tls against h2 under five preloads", "--browser all --pressure media:5")
    ],
    "diagnose": [
        ("one chunk URL from Python, h1 and h2, cold and pooled", "https://cdn.example.com/chunks/0.mp4"),
        ("the bundled server's chunk over h1, h2 and h3 on a 4G-like path", "--network 4g"),
    ],
    "doctor": [("what this machine has, without launching the browsers", "--no-launch")],
}


def _epilog(command: str | None) -> str:
    """Examples of ``command`` (or every command's) and the exit codes, from one place."""
    examples = EXAMPLES.get(command, []) if command else [e for c in EXAMPLES for e in EXAMPLES[c][:1]]
    lines = []
    if examples:
        lines.append("examples:")
        for what, args in examples:
            name = command or next(c for c in EXAMPLES if (what, args) in EXAMPLES[c])
            lines += [f"  # {what}", f"  playgate {name} {args}"]
        lines.append("")
    lines.append("exit status:")
    for code, meaning in EXIT_MEANINGS.items():
        lines += textwrap.wrap(meaning, 88, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
    return "\n".join(lines)


def _command(commands: Any, name: str, help: str) -> argparse.ArgumentParser:
    """A command whose help ends with its examples and the exit codes."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help, epilog=_epilog(name), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playgate",
        description="Protocol regression gate for browser video playback.",
        epilog=_epilog(None),
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    serve.add_argument(
        "--network",
        metavar="PROFILE",
        help="behind a shaped path (root): cable, 4g, lossy, or rtt=80ms,loss=1%%,down=9mbit; then diagnose its URL",
    )
    _add_server_options(serve)

    run = _command(commands, "run", "run the gate in real browsers")
    _add_options(run, RUN)

    diagnose = _command(commands, "diagnose", "where a Python client's time goes fetching one chunk URL")
    diagnose.add_argument("url", nargs="?", help="an http:// or https:// URL of a video chunk")
    diagnose.add_argument(
        "--network",
        metavar="PROFILE",
        help="instead of a URL: the bundled server's chunk over h1, h2 and h3 on a shaped path (root), "
        "cable, 4g, lossy, or rtt=80ms,loss=1%%,down=9mbit",
    )
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

    compare = _command(commands, "compare", "two setups under one pressure, side by side, per browser")
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

    doctor = _command(commands, "doctor", "what this machine has for the gate, and how to add what is missing")
    doctor.add_argument("--browser", default="all", help="chromium, firefox, all, or a comma list (default: all)")
    doctor.add_argument(
        "--no-launch", dest="launch", action="store_false", help="find the browsers but do not launch them"
    )
    doctor.add_argument(
        "--browser-path", metavar="BROWSER=PATH,...", help="check these browsers rather than the ones found"
    )
    return parser
