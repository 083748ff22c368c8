"""Every setting of a gate run, in one object, from three places.

``Options`` is the one definition: its fields are the CLI flags (``max_queued_ms`` is
``--max-queued-ms``), the pytest options (``--playgate-max-queued-ms``) and the keys of
``[tool.playgate]`` in pyproject.toml. Precedence, lowest first: the defaults here, the
file, then the command line (and in pytest, the marker and ``playgate_run`` overrides).
An unknown key or a value of the wrong type is a UsageError naming it.
"""

from __future__ import annotations

import difflib
from dataclasses import MISSING, dataclass, fields, replace
from pathlib import Path
from typing import Any

from playgate.capture.browser_finder import browser_names, parse_browser_paths
from playgate.capture.remote import parse_endpoints
from playgate.capture.trust import check_ca_cert
from playgate.config import (
    GateRules,
    PageTarget,
    Pressure,
    RunConfig,
    Scenario,
    Shard,
    check_http_url,
    parse_modes,
)
from playgate.entrypoints.option_checks import check_bundled_options, check_page_options
from playgate.entrypoints.option_field import COMPARE, RUN
from playgate.entrypoints.option_field import opt as _opt
from playgate.entrypoints.options_webrtc import WebRtcOptions
from playgate.entrypoints.pyproject_table import read_table
from playgate.errors import UsageError
from playgate.page_contract import CHUNK_PATTERN
from playgate.page_setup import (
    PageSetup,
    SetupFunction,
    check_setup_function,
    check_storage_state,
    load_setup_function,
    parse_header,
)
from playgate.reports.outputs import Outputs
from playgate.server.launcher import LOOPBACK
from playgate.server.network import parse_network
from playgate.server.settings import DEFAULT_H2_MAX_STREAMS, Mode

_scenario, _rules = Scenario(), GateRules()


@dataclass(frozen=True)
class _Settings:
    # What to drive and against what.
    browser: str = _opt("all", "chromium, firefox, webkit, all (webkit where installed), or a comma list")
    mode: str = _opt("h2", f"{', '.join(Mode)}, or a comma list", (RUN,))
    modes: str = _opt("h1-tls,h2", "regressed,healthy: the two setups compared", (COMPARE,))
    url: str | None = _opt(None, "gate a page that is already running at this URL (not the bundled app)", (RUN,))
    app: str | None = _opt(
        None, "serve your ASGI app (module:attribute) under the harness's server", (RUN,), metavar="MODULE:ATTRIBUTE"
    )
    app_path: str = _opt("/", "with --app: the page to open", (RUN,))
    chunk_pattern: str = _opt(CHUNK_PATTERN, "with --url/--app: regex a chunk URL matches", (RUN,))
    sse_pattern: str | None = _opt(None, "with --url/--app: regex the event stream URL matches (default: any)", (RUN,))
    ws_pattern: str | None = _opt(
        None, "with --url/--app: regex the URL of a WebSocket announcing chunks matches (default: any)", (RUN,)
    )
    storage_state: Path | None = _opt(
        None,
        "with --url/--app: a Playwright storage state (cookies, local storage) each browser context starts with, "
        "as context.storage_state(path=...) wrote it: a session already logged in",
        (RUN,),
        metavar="FILE",
    )
    header: tuple[str, ...] = _opt(
        (), "with --url/--app: an extra request header, 'Name: value'; repeat it for more", (RUN,), metavar="HEADER"
    )
    setup: str | None = _opt(
        None,
        "with --url/--app: a function of yours run on the opened page before measuring (log in, click start); "
        "it takes Playwright's Page",
        (RUN,),
        metavar="MODULE:FUNCTION",
    )
    pressure_media: str | None = _opt(
        None,
        "with --url/--app and --pressure media:N: a media file of the page's origin (URL or path) that the N "
        "idle video elements preload",
        (RUN,),
        metavar="URL",
    )
    insecure: bool = _opt(False, "with --url: accept a certificate the browser does not trust (self-signed)", (RUN,))
    ca_cert: str | None = _opt(
        None,
        "with --url: trust the CA in this PEM file for the run, as a company's own CA is trusted (unlike "
        "--insecure, the browsers can then take h3 up)",
        (RUN,),
        metavar="FILE",
    )
    connect: str | None = _opt(
        None,
        "drive browsers served by playgate browser-server on other machines instead of launching them here: "
        "chromium=ws://HOST:PORT/PATH,firefox=ws://...",
        metavar="BROWSER=WS_URL,...",
    )
    listen: str = _opt(
        LOOPBACK,
        "address the reference server (or --app) listens on: loopback, or with --connect an address of this "
        "machine the browser machine reaches",
        metavar="ADDRESS",
    )
    # The scenario.
    player: str = _opt(
        "progressive",
        "the bundled page's player: progressive (a <video> per chunk), or a real player over MSE: "
        "hls (hls.js), dash (dash.js), shaka (Shaka Player), mpegts (mpegts.js, worker mode)",
    )
    pressure: str = _opt(
        "none",
        "none, sse:N, tabs:N, media:N, streams:N or a sum like media:5+tabs:2 (with --url/--app: media:N, tabs:N)",
    )
    chunks: int = _opt(_scenario.chunks, "chunks to stream (with --url/--app: chunks to wait for)", metavar="N")
    pace_ms: int = _opt(_scenario.pace_ms, "ms between chunk events")
    hold_ms: int = _opt(
        _scenario.hold_ms, "holders released this long after the first chunk event (and chunk 0 started loading)"
    )
    timeout: float = _opt(_scenario.timeout_s, "seconds a run may take", metavar="SECONDS")
    chunk_delay_ms: int = _opt(0, "fault injection: the server delays each chunk's headers")
    chunk_kib_per_s: int = _opt(0, "fault injection: chunk bodies sent at this rate (0: no limit)", metavar="KIB_PER_S")
    h2_max_streams: int = _opt(DEFAULT_H2_MAX_STREAMS, "the server's h2 SETTINGS_MAX_CONCURRENT_STREAMS", metavar="N")
    network: str | None = _opt(
        None,
        "the path to the server, packet by packet (root): cable, 4g, lossy, or rtt=80ms,down=9mbit,up=2mbit,jitter=5ms",
    )
    shard: str | None = _opt(
        None, "run only share i of n of the setups (i/n), for CI jobs joined by playgate merge", (RUN,), metavar="I/N"
    )
    repeat: int = _opt(
        1, "run each setup N times, browser reused; timing rules judged on each chunk's median", metavar="N"
    )
    # The rules.
    expect_protocol: str | None = _opt(
        None, "protocol every chunk must use: h3, h2, http/1.1 (default: h3 in the h3 modes, else h2)", (RUN,)
    )
    max_queued_ms: float = _opt(_rules.max_queued_ms, "longest allowed wait before the network (blocked)", (RUN,))
    max_load_ms: float = _opt(_rules.max_load_ms, "longest allowed chunk event -> loadeddata", (RUN,))
    max_uncontended_ms: float = _opt(
        _rules.max_uncontended_ms, "longest allowed wait before the network with no contention seen", (RUN,)
    )
    max_stream_queued_ms: float | None = _opt(
        None,
        "longest allowed wait before the network for the page's event stream (default: the chunks' limits)",
        (RUN,),
        metavar="MS",
    )
    max_startup_ms: float = _opt(_rules.max_startup_ms, "longest allowed navigation -> first presented frame", (RUN,))
    max_stalls: int = _opt(_rules.max_stalls, "stalls allowed after the first frame (waiting for data)", (RUN,))
    max_stall_ms: float = _opt(_rules.max_stall_ms, "longest allowed stall, where stalls are allowed", (RUN,))
    max_dropped_ratio: float = _opt(
        _rules.max_dropped_ratio, "largest allowed share of frames dropped (0..1)", (RUN,), metavar="SHARE"
    )
    # What is written.
    output: Path | None = _opt(None, "write result.json, har/ and report.html into this folder", metavar="DIR")
    json: Path | None = _opt(None, "write the JSON result to this file", metavar="FILE")
    har: Path | None = _opt(None, "write a HAR file per run into this folder", metavar="DIR")
    report: Path | None = _opt(None, "write the HTML report to this file", metavar="FILE")
    # Watching it happen.
    headed: bool = _opt(False, "show the browser")
    slowmo: float = _opt(0.0, "slow Playwright actions by this many ms", metavar="MS")
    live: bool = _opt(False, "print a line per event as it happens (SSE event, chunk requested, loaded, first frame)")
    keep_open: bool = _opt(
        False, "with --headed: keep the browser and server up after each setup's runs until Enter", (RUN,)
    )
    browser_path: str | None = _opt(
        None, "the browsers to drive, where they are not found: chromium=PATH,firefox=PATH", metavar="BROWSER=PATH,..."
    )


@dataclass(frozen=True)
class Options(WebRtcOptions, _Settings):
    """Every setting (the fields of _Settings, then WebRtcOptions'), and what is built from them."""

    def updated(self, values: dict[str, Any], source: str) -> Options:
        """These values over this object's; an error names where they came from."""
        updated = replace(self, **check_values(values, source))
        if values:
            try:
                updated.scenario()
                updated.rules()
            except UsageError as exc:
                raise UsageError(f"{source}: {exc}") from None
        return updated

    # What the rest of the harness is built from.
    def scenario(self) -> Scenario:
        return Scenario(
            chunks=self.chunks,
            pressure=Pressure.parse(self.pressure),
            pace_ms=self.pace_ms,
            hold_ms=self.hold_ms,
            timeout_s=self.timeout,
            chunk_delay_ms=self.chunk_delay_ms,
            chunk_kib_per_s=self.chunk_kib_per_s,
            player=self.player,
            stall_ms=self.stall_ms,
            whep=self.whep,
        )

    def rules(self) -> GateRules:
        return GateRules(
            self.expect_protocol,
            self.max_queued_ms,
            self.max_load_ms,
            self.max_uncontended_ms,
            self.max_startup_ms,
            self.max_stalls,
            self.max_stall_ms,
            self.max_dropped_ratio,
            self.max_stream_queued_ms,
            **self.webrtc_rules(),
        )

    def run_config(self, modes: str, setup: SetupFunction | None = None) -> RunConfig:
        """The run these options describe; ``setup``: a function of the page given in Python
        (the pytest fixture ``playgate_setup``, ``gate(setup=...)``) rather than as --setup."""
        if self.insecure and not self.url:
            raise UsageError("--insecure is for --url (an app served with --app uses this run's own certificate)")
        if self.ca_cert and not self.url:
            raise UsageError("--ca-cert is for --url (an app served with --app uses this run's own certificate)")
        if self.ca_cert and self.insecure:
            raise UsageError(
                "--ca-cert trusts the CA that issued the page's certificate, --insecure any certificate: choose one"
            )
        if self.url or self.app:
            check_page_options(self, "--url" if self.url else "--app")
        else:
            check_bundled_options(self)
        return RunConfig(
            browsers=tuple(browser_names(self.browser, optional=not (self.url or self.app))),
            modes=tuple(parse_modes(modes)),
            scenario=self.scenario(),
            rules=self.rules(),
            headed=self.headed,
            slow_mo=self.slowmo,
            executables=tuple(self.executables().items()),
            h2_max_streams=self.h2_max_streams,
            network=parse_network(self.network) if self.network else None,
            url=check_http_url(self.url, "--url") if self.url else None,
            app=self.app,
            app_path=self.app_path,
            # --app is served with this run's throwaway certificate: nothing to verify.
            # --ca-cert: the harness verifies the page's certificate against the CA itself (capture.trust).
            target=PageTarget(
                self.chunk_pattern,
                self.sse_pattern,
                self.ws_pattern,
                verify_tls=not (self.insecure or self.app or self.ca_cert),
                ca_cert=check_ca_cert(self.ca_cert) if self.ca_cert else None,
                setup=self.page_setup(setup),
                pressure_media=self.pressure_media,
                webrtc_s=self.webrtc_s,
            ),
            live=self.live,
            keep_open=self.keep_open,
            repeat=self.repeat,
            shard=Shard.parse(self.shard) if self.shard else None,
            endpoints=tuple(parse_endpoints(self.connect).items()),
            listen=self.listen,
        )

    def page_setup(self, function: SetupFunction | None = None) -> PageSetup:
        """What is done to the user's page before measuring it (config.PageSetup)."""
        if function is not None and self.setup is not None:
            raise UsageError(f"setup is given twice: as {self.setup} and as a function of the page; keep one")
        name = self.setup or (getattr(function, "__qualname__", None) if function is not None else None)
        if self.setup is not None:
            function = load_setup_function(self.setup)
        elif function is not None:
            function = check_setup_function(function, str(name))
        return PageSetup(
            storage_state=check_storage_state(str(self.storage_state)) if self.storage_state else None,
            headers=tuple(parse_header(h) for h in self.header),
            function=function,
            name=name,
        )

    def outputs(self) -> Outputs:
        return Outputs.choose(self.output, self.json, self.har, self.report)

    def executables(self) -> dict[str, str]:
        return parse_browser_paths(self.browser_path)


OPTION_FIELDS = {f.name: f for f in fields(Options)}


def option_type(name: str) -> type:
    """The value type of a field: int, float, str, bool or Path."""
    annotation = str(OPTION_FIELDS[name].type)
    for name_, kind in (("bool", bool), ("int", int), ("float", float), ("Path", Path), ("str", str), ("tuple", tuple)):
        if annotation.startswith(name_):
            return kind
    raise AssertionError(f"option {name} has an unsupported type {annotation}")


def default(name: str) -> Any:
    value = OPTION_FIELDS[name].default
    return None if value is MISSING else value


def _unknown(key: str, source: str) -> UsageError:
    close = difflib.get_close_matches(key, OPTION_FIELDS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UsageError(f"{source}: unknown setting {key!r}{hint}; known: {', '.join(OPTION_FIELDS)}")


WANTED = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    Path: "a path",
    tuple: "a list of strings",
}


def _fits(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is Path:
        return isinstance(value, str | Path)
    if kind is str:
        return isinstance(value, str)
    if kind is tuple:
        return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
    if isinstance(value, bool):  # a bool is an int to Python, not to a user
        return False
    return isinstance(value, int) or (kind is float and isinstance(value, float))


def check_values(values: dict[str, Any], source: str) -> dict[str, Any]:
    """Values checked against the fields' types; keys may use - or _."""
    checked: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        if key not in OPTION_FIELDS:
            raise _unknown(raw_key, source)
        kind = option_type(key)
        if value is None and default(key) is None:
            checked[key] = None
            continue
        if not _fits(value, kind):
            raise UsageError(f"{source}: {raw_key} = {value!r} must be {WANTED[kind]}")
        checked[key] = Path(value) if kind is Path else float(value) if kind is float else value
        if kind is tuple:
            checked[key] = tuple(value)
    return checked


def file_values(path: Path | None) -> dict[str, Any]:
    """``[tool.playgate]`` of a pyproject.toml, checked ({} without a file or table)."""
    if path is None:
        return {}
    table, source = read_table(path)
    # Relative paths in the file are relative to the file, not to where playgate runs.
    checked = check_values(table, source)
    return {k: (path.parent / v if isinstance(v, Path) else v) for k, v in checked.items()}


def layered(
    path: Path | None, given: dict[str, Any], command: str, source: str, base: Options | None = None
) -> Options:
    """Defaults (or ``base``), then ``[tool.playgate]`` of ``path`` (the keys ``command``
    takes), then ``given``: what the command line and ``playgate.gate()`` run with."""
    in_file = {k: v for k, v in file_values(path).items() if command in OPTION_FIELDS[k].metadata["commands"]}
    return (base or Options()).updated(in_file, str(path)).updated(given, source)
