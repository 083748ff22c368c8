"""Run one playback scenario in a browser and return what was observed.

A fresh browser context per run (no cache, no pooled connections), the browser's own
network instrumentation attached before the page loads, then the player page at the
server: it applies the pressure, follows the chunk stream and loads every chunk.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from playgate.capture.live import Watching
from playgate.capture.observer import observer_script
from playgate.capture.playback import PLAYBACK_SCRIPT, SETTLED_JS, read_playback
from playgate.capture.reading import PageReading, event_streams, observer_reading
from playgate.capture.recorders import NetworkRecorder, ignore_network, recorder_for
from playgate.config import Scenario
from playgate.errors import MeasurementError
from playgate.records import RESOURCES_JS, ChunkRecord, NetworkRecord, PageChunk, ResourceTiming, RunRecord, delivering
from playgate.server.players import ensure_player

# Tabs that cannot get a connection (more tabs than the browser's connections per host)
# are a valid setup: stop waiting for them after this long, as the page does for holders.
TABS_SETTLE_S = 3.0

NOT_WATCHED = Watching()

# After the page has every chunk, the browser's last network events may still be on
# their way to us; wait this long at most for them.
NETWORK_SETTLE_S = 5.0
NETWORK_POLL_MS = 20
# How often the chunks of a page that fetches them itself are read while it runs.
CHUNK_POLL_MS = 50

FIREFOX_NOTE = (
    "firefox: WebDriver BiDi gives no connection id, no connection reuse and no send time, "
    "and does not split the wait before the network (blocked) into queued and stalled"
)

# The bundled player's URLs, for the observer script under --live.
PLAYER_CHUNKS, PLAYER_EVENTS = r"/chunks/", r"/events\?"
# The page's own live stream when a real player plays (the pressure's streams are others).
PLAYER_FEED = r"/pressure/sse\?via=feed"

SNAPSHOT_JS = """() => ({
  chunks: window.playgate.chunks.filter(Boolean),
  expected: window.playgate.expected,
  finished: window.playgate.finished,
  pressure: window.playgate.pressure,
  errors: window.playgate.errors,
  time_origin: performance.timeOrigin,
})"""


def _first_entries(resources: list[dict[str, Any]]) -> dict[str, ResourceTiming]:
    entries: dict[str, ResourceTiming] = {}
    for raw in resources:
        entries.setdefault(raw["name"], ResourceTiming.from_page(raw))
    return entries


def join_chunks(
    page_chunks: list[PageChunk], network: list[NetworkRecord], page_entries: dict[str, ResourceTiming]
) -> tuple[ChunkRecord, ...]:
    """Each announced chunk with the request that brought it (records.delivering)."""
    joined = []
    for chunk in sorted(page_chunks, key=lambda c: c.index):
        matches = [record for record in network if record.url == chunk.url]
        joined.append(
            ChunkRecord(
                index=chunk.index,
                url=chunk.url,
                network=delivering(matches, media_element=chunk.kind == "element"),
                page=chunk,
                resource_timing=page_entries.get(chunk.url),
                request_count=len(matches),
            )
        )
    return tuple(joined)


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
            tab.wait_for_function("() => window.playgate?.tab?.opened_ms != null", timeout=remaining_ms)
        except PlaywrightTimeout:
            continue
        opened += 1
    return opened


RELEASED_JS = """() => {
  const player = window.playgate;
  const tab = player && player.tab;
  const at = tab ? tab.released_ms : player && player.pressure.released_ms;
  return { role: tab ? "tab" : "page", at: at == null ? null : performance.timeOrigin + at };
}"""


def holders_released(reports: list[dict[str, Any]]) -> float | None:
    """With idle tabs the connections free when the first tab lets go; else when the
    page does (epoch ms)."""
    tabs = [r["at"] for r in reports if r["role"] == "tab"]
    page = [r["at"] for r in reports if r["role"] == "page"]
    chosen = tabs if tabs else page
    if not chosen or None in chosen:
        return None
    return float(min(chosen))


PLAYER = PageReading(
    finished_js="() => window.playgate && window.playgate.finished",
    snapshot_js=SNAPSHOT_JS,
    chunks=lambda state, network, entries: [PageChunk.from_page(c) for c in state["chunks"]],
    released_js=RELEASED_JS,
    released=holders_released,
)


def measure_page(
    context: BrowserContext,
    browser: Browser,
    browser_name: str,
    url: str,
    reading: PageReading,
    *,
    label: str,
    pressure: str,
    expected: int,
    timeout_s: float,
    notes: list[str],
    watching: Watching = NOT_WATCHED,
    recorder: NetworkRecorder | None = None,
) -> RunRecord:
    """Open ``url`` in a new page of ``context`` with the browser's network record attached,
    wait until the page has every chunk, and return the run. ``recorder`` may already
    record other pages of the context. Closes ``context`` unless asked to leave it open
    (--keep-open)."""
    live = watching.live
    try:
        if watching.trace is not None:
            # Actions, console and network only: DOM snapshots and screenshots would cost
            # CPU in the middle of the measurement.
            context.tracing.start(screenshots=False, snapshots=False)
        context.add_init_script(script=PLAYBACK_SCRIPT)
        page = context.new_page()
        watching.mark("context and page")
        recorder = recorder or recorder_for(browser_name)
        if live is not None:
            live.attach(context, page)
        recorder.attach(context, page, live.network_event if live is not None else ignore_network)
        watching.mark("instrumentation")
        try:
            page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        except PlaywrightError as exc:
            raise MeasurementError(navigation_problem(browser_name, url, exc)) from exc
        watching.mark("navigation")
        if reading.finished_js is not None:
            finished = _wait_finished(page, f"() => ({reading.finished_js})() && {SETTLED_JS}", timeout_s, watching)
            state = page.evaluate(reading.snapshot_js)
        else:
            finished, state = _poll_finished(page, reading, recorder, timeout_s, watching)
        watching.mark("page until settled")
        playback = read_playback(page)
        page_chunks = reading.chunks(state, recorder.records({}), {})
        _wait_network_settled(page, recorder, {c.url for c in page_chunks})
        watching.mark("network records settled")
        if reading.finished is not None:
            # Read the page again: a frame presented, or an append ended, while the network
            # records settled belongs to the run (the poll's snapshot came before its check).
            state = page.evaluate(reading.snapshot_js)
        page_entries = _first_entries(page.evaluate(RESOURCES_JS))
        network = recorder.records(page_entries)
        page_chunks = reading.chunks(state, network, page_entries)
        released_at = None
        if reading.released_js is not None:
            released_at = reading.released([p.evaluate(reading.released_js) for p in context.pages])
        if live is not None:
            live.finish(page)
        watching.mark("reading the records")
    finally:
        if watching.trace is not None:
            _save_trace(context, watching.trace)
        if not watching.keep_open:
            context.close()
        watching.mark("closing")
    if not finished:
        notes.append(f"the page did not finish within {timeout_s:g} s")
    notes.extend(f"page: {error}" for error in state["errors"])
    return RunRecord(
        browser=browser_name,
        browser_version=browser.version,
        label=label,
        pressure=pressure,
        url=url,
        chunks=join_chunks(page_chunks, network, page_entries),
        announced=len(page_chunks),
        expected=expected,
        finished=finished,
        notes=tuple(notes),
        requests=tuple(network),
        page_time_origin_ms=state["time_origin"],
        holders_released_ms=None if released_at is None else released_at - state["time_origin"],
        playback=playback,
    )


def _save_trace(context: BrowserContext, path: Path) -> None:
    try:
        context.tracing.stop(path=path)
    except PlaywrightError as exc:  # a trace is evidence, not the measurement: never fail for it
        print(f"playgate: no Playwright trace at {path}: {exc.message.splitlines()[0]}", file=sys.stderr)


def navigation_problem(browser_name: str, url: str, exc: PlaywrightError) -> str:
    first = exc.message.splitlines()[0]
    if "CERT" in first.upper() or "SEC_ERROR" in first.upper() or "SSL_ERROR" in first.upper():
        return f"{browser_name} does not trust the certificate of {url} ({first}): use --insecure for a self-signed one"
    return f"{browser_name} could not open {url}: {first}"


def run_scenario(
    browser: Browser,
    browser_name: str,
    base_url: str,
    scenario: Scenario,
    label: str,
    watching: Watching = NOT_WATCHED,
) -> RunRecord:
    """The bundled player at the reference server, under the scenario's pressure; ``label``
    names the setup (a real player's name is added to it)."""
    context = browser.new_context(ignore_https_errors=True)
    if watching.live is not None:
        context.add_init_script(script=observer_script(PLAYER_CHUNKS, PLAYER_EVENTS, live=True))
    notes = [FIREFOX_NOTE] if browser_name == "firefox" else []
    recorder = recorder_for(browser_name)
    try:
        tabs = scenario.pressure.count("tabs")
        if tabs:
            opened = open_idle_tabs(context, base_url, tabs, scenario.timeout_s, recorder)
            if opened < tabs:
                notes.append(f"pressure: {tabs - opened} of {tabs} tabs got no connection within {TABS_SETTLE_S:g} s")
    except BaseException:
        context.close()
        raise
    url = f"{base_url}/?{scenario.page_query()}"
    reading, own_stream = PLAYER, PLAYER_EVENTS
    if scenario.player != "progressive":
        own_stream = PLAYER_FEED
        reading = real_player_reading(scenario)
        context.add_init_script(script=observer_script(PLAYER_SEGMENTS, None, live=watching.live is not None))
        label = f"{label} player {scenario.player}"
    run = measure_page(
        context,
        browser,
        browser_name,
        url,
        reading,
        label=label,
        pressure=str(scenario.pressure),
        expected=scenario.chunks,
        timeout_s=scenario.timeout_s,
        notes=notes,
        watching=watching,
        recorder=recorder,
    )
    return replace(run, event_streams=event_streams(run.requests, own_stream))


# The media segments the bundled page's real players fetch (server/app.py: /hls/, /dash/), not
# the init segment, which holds no media.
PLAYER_SEGMENTS = r"/(hls|dash)/(seg|frag)-\d+\.(ts|m4s)"


def real_player_reading(scenario: Scenario) -> PageReading:
    """The bundled page playing through a real player: its chunks are the segments the
    player fetched and appended (as on a user's page), its holders the page's own."""
    ensure_player(scenario.player)  # fetched by the setup; a missing npm is one error
    return replace(
        observer_reading(scenario.chunks, PLAYER_SEGMENTS), released_js=RELEASED_JS, released=holders_released
    )


# How often a run waiting for its page checks that what the page depends on is still there.
GONE_CHECK_S = 0.5


def _wait_finished(page: Page, finished_js: str, timeout_s: float, watching: Watching) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        _stop_if_gone(watching)
        remaining = deadline - time.monotonic()
        try:
            page.wait_for_function(finished_js, timeout=max(1.0, min(remaining, GONE_CHECK_S) * 1000))
        except PlaywrightTimeout:
            if remaining <= GONE_CHECK_S:
                return False
            continue
        return True


def _stop_if_gone(watching: Watching) -> None:
    gone = watching.gone()
    if gone is not None:
        raise MeasurementError(f"{gone} in the middle of the run")


def _poll_finished(
    page: Page, reading: PageReading, recorder: NetworkRecorder, timeout_s: float, watching: Watching
) -> tuple[bool, dict[str, Any]]:
    """Wait until the chunks, read from the page and the network record as they arrive, are
    settled and playback too: the page alone cannot tell (it does not see a worker's requests)."""
    assert reading.finished is not None
    deadline = time.monotonic() + timeout_s
    while True:
        _stop_if_gone(watching)
        state = page.evaluate(reading.snapshot_js)
        chunks = reading.chunks(state, recorder.records({}), {})
        if reading.finished(chunks) and page.evaluate(f"() => {SETTLED_JS}"):
            return True, state
        if time.monotonic() >= deadline:
            return False, state
        page.wait_for_timeout(CHUNK_POLL_MS)


def _wait_network_settled(page: Page, recorder: NetworkRecorder, urls: set[str]) -> None:
    # Events are delivered to us while Playwright waits, so wait in short steps.
    deadline = time.monotonic() + NETWORK_SETTLE_S
    while not recorder.settled(urls) and time.monotonic() < deadline:
        page.wait_for_timeout(NETWORK_POLL_MS)
