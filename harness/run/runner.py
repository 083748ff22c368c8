"""Run the gate: servers per mode, browsers launched once, every run judged as it ends.

The CLI and the pytest plugin both come through here or through its parts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from playgate.capture.app_page import measure_app_page
from playgate.capture.browser_finder import find_executable
from playgate.capture.browsers import BrowserPool, browser_pool, check_display
from playgate.capture.drivers import driver
from playgate.capture.live import LiveLog, Watching
from playgate.capture.page_run import NOT_WATCHED
from playgate.capture.quic import QuicOrigin
from playgate.capture.scenario import PLAYER_CHUNKS, PLAYER_EVENTS, measure_player
from playgate.capture.trust import trusted_origin
from playgate.config import GateRules, RunConfig, Scenario
from playgate.diagnose.origin import probe_origin
from playgate.errors import MeasurementError, PlaygateError, RunsAborted, UsageError
from playgate.fixtures.generate import MediaSet
from playgate.judging.gate import JudgedRun, evaluate
from playgate.judging.protocols import alt_svc_protocols, h3_advertisements
from playgate.judging.repeats import combine
from playgate.origin import OriginProbe, origin_of
from playgate.records import RunRecord
from playgate.server.network import NetworkProfile
from playgate.server.server_log import exceptions_notes
from playgate.server.serving import Served, serve
from playgate.server.settings import Mode, settings_for


def judge(
    browser: Browser,
    browser_name: str,
    server: Served,
    scenario: Scenario,
    rules: GateRules,
    watching: Watching = NOT_WATCHED,
) -> JudgedRun:
    """The bundled player at a server of ours, measured and judged."""
    run = measure_player(
        browser,
        browser_name,
        server.base_url,
        scenario,
        server.label,
        watching,
        webrtc=server.mode.plays_webrtc or scenario.whep is not None,
        ice_servers=server.ice_servers,
    )
    judged = _judged_at(run, server, rules)
    watching.mark("probing and judging")
    return judged


def judge_page(
    browser: Browser,
    browser_name: str,
    url: str,
    config: RunConfig,
    label: str,
    watching: Watching = NOT_WATCHED,
    server: Served | None = None,
) -> JudgedRun:
    """The user's page (--url, --app), measured and judged. ``server``: ours, when it serves
    the page (--app), for its mode and stream limits; None at a URL, where they are not known."""
    scenario = config.scenario
    run = measure_app_page(
        browser,
        browser_name,
        url,
        config.target,
        chunks=scenario.chunks,
        timeout_s=scenario.timeout_s,
        label=label,
        pressure=scenario.pressure,
        hold_ms=scenario.hold_ms,
        watching=watching,
    )
    if server is None:
        h3_expected = config.rules.expected_protocol == "h3"
        run = with_origins(run, ca_cert=config.target.ca_cert, quic=h3_expected)
        return JudgedRun(run, evaluate(run, config.rules.for_mode(None)))
    return _judged_at(run, server, config.rules)


def _judged_at(run: RunRecord, server: Served, rules: GateRules) -> JudgedRun:
    """A run at a server of ours, with what we know of that server: its stream limits, its mode."""
    run = replace(
        run,
        mode=server.mode.value,
        server_max_streams=server.max_streams,
        server_max_quic_streams=server.max_quic_streams,
        notes=run.notes + (() if server.path is None else (server.path.note(),)),
    )
    run = with_origins(run, server.app.pid)
    return JudgedRun(run, evaluate(run, rules.for_mode(server.mode)))


def with_origins(
    run: RunRecord, server_pid: int | None = None, *, ca_cert: str | None = None, quic: bool = False
) -> RunRecord:
    """The run with the origins of its page and chunks probed, after the run; each probed
    once per process (and per server of ours: ``server_pid``). ``quic``: where a chunk of an
    origin came over another protocol than h3 that the origin advertised, its h3 port is
    tried too (the probe is then the run's own, not cached)."""
    origins = dict.fromkeys(origin_of(url) for url in (run.url, *(c.url for c in run.chunks)))
    probes = []
    for origin in origins:
        h3_port = _h3_not_reached(run, origin) if quic else None
        if h3_port is None:
            probes.append(_probe(origin, server_pid, ca_cert))
        else:
            probes.append(probe_origin(origin + "/", ca_cert=ca_cert, h3_port=h3_port))
    return replace(run, origins=tuple(probes))


def _h3_not_reached(run: RunRecord, origin: str) -> int | None:
    """The port ``origin`` advertised h3 on, where a chunk of it came over another protocol."""
    missed = any(c.protocol != "h3" for c in run.chunks if origin_of(c.url) == origin)
    if not missed:
        return None
    default_port = urlsplit(origin).port or 443
    for value in h3_advertisements(tuple(r for r in run.requests if origin_of(r.url) == origin)):
        for protocol, authority in alt_svc_protocols(value):
            host, _, port = authority.rpartition(":")
            if protocol == "h3" and not host and port.isdigit():  # on this host: what the browsers try
                return int(port) or default_port
    return None


@functools.lru_cache(maxsize=64)
def _probe(origin: str, server_pid: int | None, ca_cert: str | None = None) -> OriginProbe:
    return probe_origin(origin + "/", ca_cert=ca_cert)


def watching_for(
    config: RunConfig, browser_name: str, trace: Path | None = None, server: Served | None = None
) -> Watching:
    """Live lines if asked for, the page left open if asked for, a trace if given (Playwright's:
    none for a browser it does not drive); a run at ``server`` stops waiting for its page once
    the server has exited."""
    if not driver(browser_name).playwright_pages:
        trace = None
    live = None
    if config.live and (config.url or config.app):
        live = LiveLog(browser_name, config.target.chunk_pattern, config.target.sse_pattern)
    elif config.live:
        live = LiveLog(browser_name, PLAYER_CHUNKS, PLAYER_EVENTS)

    def gone() -> str | None:
        return "the server process exited" if server is not None and not server.running else None

    return Watching(live=live, keep_open=config.keep_open, trace=trace, gone=gone)


def run_gate(
    config: RunConfig,
    media: MediaSet,
    on_run: Callable[[JudgedRun], None] = lambda _: None,
    on_setup: Callable[[SetupStart], None] = lambda _: None,
) -> list[JudgedRun]:
    """Every mode x browser of the config (or every browser at ``config.url``); a server
    per mode, started and always stopped. ``on_setup`` hears of each setup as it starts
    (its place among this machine's setups: a progress line), ``on_run`` of each run judged.

    A run whose browser or server process goes away halfway is not judged: the other runs
    still run, then ``RunsAborted`` names it (and carries the judged ones).
    """
    results: list[JudgedRun] = []
    aborted: list[str] = []
    executables = dict(config.executables)
    endpoints = dict(config.endpoints)
    # Browsers first: a missing one is reported before any server starts.
    for name in config.browsers:
        check_driven(name, config, () if config.url else config.modes)
        if name not in endpoints:
            find_executable(name, executables.get(name))
    check_display(config.headed)

    planned = [(mode, name) for mode, name in config.setups() if config.takes(mode, name)]

    def judge_one_setup(name: str, server: Served | None = None) -> None:
        mode = server.mode if server is not None else None
        on_setup(SetupStart(planned.index((mode, name)) + 1, len(planned), name, mode.value if mode else "url"))
        try:
            judged = judge_repeats(pool, name, config, server)
        except SetupAborted as exc:
            aborted.append(str(exc))
            return  # a browser that went away is launched again for the next setup
        results.append(judged)
        on_run(judged)

    with browser_pool(
        headless=not config.headed, slow_mo=config.slow_mo, executables=executables, endpoints=endpoints
    ) as pool:
        if config.url:
            for name in config.browsers:
                if config.takes(None, name):
                    judge_one_setup(name)
            if config.keep_open:
                wait_for_enter("the browser stays open")
        else:
            for mode in config.modes:
                browsers = [name for name in config.browsers if config.takes(mode, name)]
                if not browsers:  # another shard's setups alone: no server for them here
                    continue
                with serve_mode(
                    mode,
                    media,
                    h2_max_streams=config.h2_max_streams,
                    app=config.app,
                    host=config.listen,
                    network=config.network,
                ) as server:
                    for name in browsers:
                        if not server.running:
                            aborted.append(f"{name}, {server.label}: not run, the server process had exited")
                            continue
                        judge_one_setup(name, server)
                    if config.keep_open:
                        wait_for_enter(f"{server.label}: the browser stays open with the server")
                    pool.done_with(server)
    if aborted:
        raise RunsAborted(results, aborted)
    return results


def serve_mode(
    mode: Mode,
    media: MediaSet,
    *,
    h2_max_streams: int,
    app: str | None,
    host: str,
    network: NetworkProfile | None = None,
) -> AbstractContextManager[Served]:
    """The server of one mode of a run (the reference server, or the user's --app), started
    on entry and always stopped: every entry point starts its servers here."""
    return serve(settings_for(mode, media, h2_max_streams=h2_max_streams, app=app), host=host, network=network)


class SetupAborted(Exception):
    """A setup whose browser or server went away in the middle of its runs: not the app's
    verdict. Its text names the setup and what went away."""


def check_driven(name: str, config: RunConfig, modes: tuple[Mode, ...]) -> None:
    """A browser whose pages are not Playwright's (WebKit over WebDriver) measures the bundled
    page alone, over h1 and h2: one error naming what the run asks of it that it cannot do.
    (WebRTC: its statistics come from the watcher injected before the page's scripts.)"""
    if driver(name).playwright_pages:
        return
    asked = [
        (bool(config.url), "--url"),
        (bool(config.app), "--app"),
        (bool(config.target.setup), "a setup (--setup, --storage-state, --header)"),
        (config.live, "--live"),
        (name in dict(config.endpoints), "--connect"),
        (any(mode.holds_udp_port for mode in modes), "the h3 modes"),
        (any(mode.plays_webrtc for mode in modes) or config.scenario.whep is not None, "WebRTC"),
    ]
    refused = [what for given, what in asked if given]
    if refused:
        raise UsageError(
            f"{name} measures the bundled page alone over HTTP/1.1 and HTTP/2 (it is driven over WebDriver, "
            f"which cannot put playgate's scripts into another page first): not {', '.join(refused)}; "
            "use chromium or firefox for those"
        )


def judge_repeats(
    pool: BrowserPool,
    name: str,
    config: RunConfig,
    server: Served | None = None,
    *,
    scenario: Scenario | None = None,
    watching: Callable[[], Watching] | None = None,
    held: bool = False,
) -> JudgedRun:
    """One setup: ``config.repeat`` runs in browser ``name`` (at ``server``, or at
    ``config.url``), measured, judged and combined as one; every entry point runs a setup
    through here. ``watching``: what each run is watched with (default: the config's live
    lines and keep-open); ``held``: the browser is a test's, never relaunched under it.
    Raises SetupAborted when the browser or the server went away in the middle."""
    check_driven(name, config, () if server is None else (server.mode,))
    endpoints = dict(config.endpoints)
    setup = server.label if server is not None else "url"
    origin = origin_to_reach(config, server)
    browser = pool.get(name, runs=config.repeat, origin=origin, relaunch=not held)
    watch = watching or (lambda: watching_for(config, name, server=server))
    try:
        repeats = [
            judge_setup(browser, watch(), browser_name=name, config=config, server=server, scenario=scenario)
            for _ in range(config.repeat)
        ]
    except (PlaywrightError, PlaygateError) as exc:  # PlaygateError: a page that could not open
        gone = what_went_away(browser, server)
        if gone is None and isinstance(exc, MeasurementError) and name in endpoints and server is not None:
            raise MeasurementError(
                f"{exc}; that browser runs at {endpoints[name]}, and this machine's server listens on "
                f"{config.listen}: give --listen an address of this machine that the browser's machine reaches"
            ) from exc
        if gone is None:
            raise
        raise SetupAborted(f"{name}, {setup}: {gone} in the middle of the run ({str(exc).splitlines()[0]})") from exc
    gone = what_went_away(browser, server)
    if gone is not None:  # a run that ended early because of it is not the app's verdict
        raise SetupAborted(f"{name}, {setup}: {gone} in the middle of the run")
    return combine(repeats, config.rules).ran_at(endpoints.get(name))


@dataclass(frozen=True)
class SetupStart:
    """A setup about to run: the ``index``-th (from 1) of the ``total`` this machine runs."""

    index: int
    total: int
    browser: str
    setup: str  # the mode, or "url"

    def __str__(self) -> str:
        return f"[{self.index}/{self.total}] {self.browser} {self.setup}"


def origin_to_reach(config: RunConfig, server: Served | None = None) -> QuicOrigin | None:
    """The origin a browser must be launched for (see capture.quic): an h3 server of ours,
    or a --url trusted through --ca-cert; None where the entry point's shared browser serves."""
    if server is not None:
        return QuicOrigin.of(server)
    if config.url is not None and config.target.ca_cert is not None:
        return trusted_origin(config.url, config.target.ca_cert)
    return None


def judge_setup(
    browser: Browser,
    watching: Watching = NOT_WATCHED,
    *,
    browser_name: str,
    config: RunConfig,
    server: Served | None = None,
    scenario: Scenario | None = None,
) -> JudgedRun:
    """One run of one setup, measured and judged, whichever entry point asked (the command line,
    the pytest plugin, playgate.gate()): the page at --url; else, at ``server``, the user's
    app (--app) or the bundled player (``scenario``: the config's, unless the entry point adds to it)."""
    if config.url is not None:
        return judge_page(browser, browser_name, config.url, config, "url", watching)
    assert server is not None, "a setup of the bundled player or --app runs at a server of ours"
    logged_from = server.app.log_offset()
    if config.app:
        url = server.base_url + config.app_path
        judged = judge_page(browser, browser_name, url, config, server.label, watching, server)
    else:
        judged = judge(browser, browser_name, server, scenario or config.scenario, config.rules, watching)
    return with_server_exceptions(judged, server.app.exceptions_since(logged_from))


def with_server_exceptions(judged: JudgedRun, exceptions: list[str]) -> JudgedRun:
    """The run with notes of what its server logged as unhandled (server.server_log): a
    request or a connection the server failed is seen from the page only as one that
    stopped, and the server's log goes with its folder."""
    notes = exceptions_notes(exceptions)
    if not notes:
        return judged
    return replace(judged, run=replace(judged.run, notes=(*judged.run.notes, *notes)))


def what_went_away(browser: Browser, server: Served | None) -> str | None:
    """What ended under a run: the browser's process, or the server's; None if neither."""
    if not browser.is_connected():
        return "the browser's process ended (killed, or crashed: see the system log)"
    if server is not None and not server.running:
        return "the server process exited"
    return None


def wait_for_enter(what: str) -> None:
    """--keep-open: hold here until the person looking says so."""
    print(f"playgate: {what}; press Enter to go on", flush=True)
    try:
        input()
    except EOFError:  # no terminal to answer: go on
        pass
