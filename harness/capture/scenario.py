"""Run the bundled player page at the reference server under a scenario's pressure:
it applies the pressure, follows the chunk stream and loads every chunk, with the
progressive player or through a real one (capture.page_run measures the page).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from playgate.capture.live import Watching
from playgate.capture.observer import observer_script
from playgate.capture.page_run import NOT_WATCHED, PageVisit, RunContext, measure_page
from playgate.capture.page_state import PLAYER_FINISHED_JS, TAB_OPENED_JS, read_player
from playgate.capture.reading import PageReading, event_streams, observer_reading
from playgate.capture.recorders import NetworkRecorder
from playgate.config import Scenario
from playgate.errors import MeasurementError
from playgate.page_contract import CHUNK_PATTERN, SEGMENT_PATTERN
from playgate.records import RunRecord
from playgate.server.players import ensure_player

# Tabs that cannot get a connection (more tabs than the browser's connections per host)
# are a valid setup: stop waiting for them after this long, as the page does for holders.
TABS_SETTLE_S = 3.0

# The bundled player's URLs, for the observer script under --live.
PLAYER_CHUNKS, PLAYER_EVENTS = CHUNK_PATTERN, r"/events\?"
# The page's own live stream when a real player plays (the pressure's streams are others).
PLAYER_FEED = r"/pressure/sse\?via=feed"

# The progressive player knows its chunks and says when it has every one.
PLAYER = PageReading(
    read=read_player,
    chunks=lambda snapshot, network, entries: list(snapshot.chunks),
    finished_js=PLAYER_FINISHED_JS,
    reports_release=True,
)


def open_idle_tabs(
    context: BrowserContext, base_url: str, count: int, timeout_s: float, recorder: NetworkRecorder
) -> int:
    """``tabs:N``: N more tabs of the app, each holding its event stream and recorded by
    ``recorder`` (their requests hold the same connections). Returns how many got their
    stream open before the settle time."""
    tabs = [context.new_page() for _ in range(count)]
    for tab in tabs:
        recorder.attach(context, tab)
    for tab in tabs:
        try:
            tab.goto(f"{base_url}/?role=tab", wait_until="commit", timeout=timeout_s * 1000)
        except PlaywrightError as exc:
            raise MeasurementError(f"could not open a tab of {base_url}: {exc.message.splitlines()[0]}") from exc
    deadline = time.monotonic() + TABS_SETTLE_S
    opened = 0
    for tab in tabs:
        remaining_ms = max(1.0, (deadline - time.monotonic()) * 1000)
        try:
            tab.wait_for_function(TAB_OPENED_JS, timeout=remaining_ms)
        except PlaywrightTimeout:
            continue
        opened += 1
    return opened


def measure_player(
    browser: Browser,
    browser_name: str,
    base_url: str,
    scenario: Scenario,
    label: str,
    watching: Watching = NOT_WATCHED,
    *,
    webrtc: bool = False,
    ice_servers: tuple[dict[str, Any], ...] = (),
) -> RunRecord:
    """The bundled player at the reference server, under the scenario's pressure; ``label``
    names the setup (a real player's name is added to it). ``webrtc``: the avatar comes as
    WebRTC tracks (server/webrtc.py), and no chunk is loaded."""
    # The reading first: a real player that cannot be had is an error before any context opens.
    reading, own_stream = PLAYER, PLAYER_EVENTS
    if scenario.player != "progressive":
        reading, own_stream = real_player_reading(scenario), PLAYER_FEED
        label = f"{label} player {scenario.player}"
    visit = PageVisit(
        url=f"{base_url}/?{scenario.page_query()}" + (_webrtc_query(ice_servers) if webrtc else ""),
        reading=reading,
        label=label,
        pressure=str(scenario.pressure),
        expected=0 if webrtc else scenario.chunks,
        timeout_s=scenario.timeout_s,
    )
    run = RunContext.open(browser, browser_name, ignore_https_errors=True)
    with run.preparing():
        if watching.live is not None:
            run.context.add_init_script(script=observer_script(PLAYER_CHUNKS, PLAYER_EVENTS, live=True))
        tabs = scenario.pressure.count("tabs")
        if tabs:
            opened = open_idle_tabs(run.context, base_url, tabs, scenario.timeout_s, run.recorder)
            if opened < tabs:
                missed = f"{tabs - opened} of {tabs} tabs"
                run.notes.append(f"pressure: {missed} got no connection within {TABS_SETTLE_S:g} s")
        if reading is not PLAYER:
            live = watching.live is not None
            run.context.add_init_script(script=observer_script(SEGMENT_PATTERN, None, live=live))
    record = measure_page(run, visit, watching)
    return replace(record, event_streams=event_streams(record.requests, own_stream), webrtc_expected=webrtc)


def _webrtc_query(ice_servers: tuple[dict[str, Any], ...]) -> str:
    query = {"transport": "webrtc"}
    if ice_servers:
        query["ice_servers"] = json.dumps(list(ice_servers))
    return "&" + urlencode(query)


def real_player_reading(scenario: Scenario) -> PageReading:
    """The bundled page playing through a real player: its chunks are the segments the
    player fetched and appended (as on a user's page), its holders the page's own."""
    ensure_player(scenario.player)  # fetched by the setup; a missing npm is one error
    return replace(observer_reading(scenario.chunks, SEGMENT_PATTERN), reports_release=True)
