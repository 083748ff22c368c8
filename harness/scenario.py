"""Run one playback scenario in a browser and return what was observed.

A fresh browser context per run (no cache, no pooled connections), the browser's own
network instrumentation attached before the page loads, then the player page at the
server: it applies the pressure, follows the chunk stream and loads every chunk.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from harness.bidi import BidiSnapshot, record_from_bidi, snapshot_from_playwright
from harness.cdp import EVENTS, CdpNetworkLog
from harness.config import Scenario
from harness.errors import MeasurementError
from harness.records import ChunkRecord, NetworkRecord, PageChunk, ResourceTiming, RunRecord

# Tabs that cannot get a connection (more tabs than the browser's connections per host)
# are a valid setup: stop waiting for them after this long, as the page does for holders.
TABS_SETTLE_S = 3.0

# After the page has every chunk, the browser's last network events may still be on
# their way to us; wait this long at most for them.
NETWORK_SETTLE_S = 5.0
NETWORK_POLL_MS = 20

FIREFOX_NOTE = (
    "firefox: WebDriver BiDi gives no connection id, no connection reuse and no send time, "
    "and does not split the wait before the network (blocked) into queued and stalled"
)

SNAPSHOT_JS = """() => ({
  chunks: window.playgate.chunks.filter(Boolean),
  expected: window.playgate.expected,
  finished: window.playgate.finished,
  pressure: window.playgate.pressure,
  errors: window.playgate.errors,
  resources: window.playgate.resources(),
  time_origin: performance.timeOrigin,
})"""


class NetworkRecorder(Protocol):
    def attach(self, context: BrowserContext, page: Page) -> None: ...

    def settled(self, urls: set[str]) -> bool: ...

    def records(self, page_entries: dict[str, ResourceTiming]) -> list[NetworkRecord]: ...


class CdpRecorder:
    """Chromium: a CDP session on the page, Network domain enabled before navigation."""

    def __init__(self) -> None:
        self.log = CdpNetworkLog()

    def attach(self, context: BrowserContext, page: Page) -> None:
        session = context.new_cdp_session(page)
        for method in EVENTS:
            session.on(method, lambda params, method=method: self.log.handle(method, params))
        session.send("Network.enable")

    def settled(self, urls: set[str]) -> bool:
        return self.log.settled(urls)

    def records(self, page_entries: dict[str, ResourceTiming]) -> list[NetworkRecord]:
        return self.log.records()


class BidiRecorder:
    """Firefox: Playwright's request events, which it builds from WebDriver BiDi."""

    def __init__(self) -> None:
        self._issued: list[Any] = []
        self._settled: dict[int, Any] = {}

    def attach(self, context: BrowserContext, page: Page) -> None:
        page.on("request", lambda request: self._issued.append(request))
        page.on("requestfinished", lambda request: self._settled.setdefault(id(request), request))
        page.on("requestfailed", lambda request: self._settled.setdefault(id(request), request))

    def settled(self, urls: set[str]) -> bool:
        done = {r.url for r in self._settled.values()}
        issued = {r.url for r in self._issued}
        return urls <= issued and urls <= done

    def records(self, page_entries: dict[str, ResourceTiming]) -> list[NetworkRecord]:
        records = []
        for request in self._issued:
            if id(request) in self._settled:
                snapshot = snapshot_from_playwright(request)
            else:
                snapshot = BidiSnapshot(request.url, {}, None, None, None, "no response", request.resource_type, request.method)
            records.append(record_from_bidi(snapshot, page_entries.get(request.url)))
        return records


def recorder_for(browser_name: str) -> NetworkRecorder:
    return CdpRecorder() if browser_name == "chromium" else BidiRecorder()


def _first_entries(resources: list[dict[str, Any]]) -> dict[str, ResourceTiming]:
    entries: dict[str, ResourceTiming] = {}
    for raw in resources:
        entries.setdefault(raw["name"], ResourceTiming.from_page(raw))
    return entries


def join_chunks(
    page_chunks: list[PageChunk], network: list[NetworkRecord], page_entries: dict[str, ResourceTiming]
) -> tuple[ChunkRecord, ...]:
    """Each announced chunk with the first request the browser issued for its URL."""
    joined = []
    for chunk in sorted(page_chunks, key=lambda c: c.index):
        matches = [record for record in network if record.url == chunk.url]
        joined.append(
            ChunkRecord(
                index=chunk.index,
                url=chunk.url,
                network=matches[0] if matches else None,
                page=chunk,
                resource_timing=page_entries.get(chunk.url),
                request_count=len(matches),
            )
        )
    return tuple(joined)


def open_idle_tabs(context: BrowserContext, base_url: str, count: int, timeout_s: float) -> int:
    """``tabs:N``: N more tabs of the app, each holding its event stream. Returns how
    many got their stream open before the settle time."""
    tabs = [context.new_page() for _ in range(count)]
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


def run_scenario(browser: Browser, browser_name: str, base_url: str, scenario: Scenario, mode: str) -> RunRecord:
    context = browser.new_context(ignore_https_errors=True)
    notes = [FIREFOX_NOTE] if browser_name == "firefox" else []
    try:
        tabs = scenario.pressure.count("tabs")
        if tabs:
            opened = open_idle_tabs(context, base_url, tabs, scenario.timeout_s)
            if opened < tabs:
                notes.append(f"pressure: {tabs - opened} of {tabs} tabs got no connection within {TABS_SETTLE_S:g} s")
        page = context.new_page()
        recorder = recorder_for(browser_name)
        recorder.attach(context, page)
        url = f"{base_url}/?{scenario.page_query()}"
        try:
            page.goto(url, wait_until="commit", timeout=scenario.timeout_s * 1000)
        except PlaywrightError as exc:
            raise MeasurementError(f"{browser_name} could not open {url}: {exc.message.splitlines()[0]}") from exc
        finished = _wait_finished(page, scenario.timeout_s)
        state = page.evaluate(SNAPSHOT_JS)
        page_chunks = [PageChunk.from_page(c) for c in state["chunks"]]
        _wait_network_settled(page, recorder, {c.url for c in page_chunks})
        page_entries = _first_entries(page.evaluate("() => window.playgate.resources()"))
        network = recorder.records(page_entries)
    finally:
        context.close()
    if not finished:
        notes.append(f"the page did not finish within {scenario.timeout_s:g} s")
    notes.extend(f"page: {error}" for error in state["errors"])
    return RunRecord(
        browser=browser_name,
        browser_version=browser.version,
        mode=mode,
        pressure=str(scenario.pressure),
        url=url,
        chunks=join_chunks(page_chunks, network, page_entries),
        announced=len(page_chunks),
        expected=scenario.chunks,
        finished=finished,
        notes=tuple(notes),
        requests=tuple(network),
        page_time_origin_ms=state["time_origin"],
    )


def _wait_finished(page: Page, timeout_s: float) -> bool:
    try:
        page.wait_for_function("() => window.playgate && window.playgate.finished", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        return False
    return True


def _wait_network_settled(page: Page, recorder: NetworkRecorder, urls: set[str]) -> None:
    # Events are delivered to us while Playwright waits, so wait in short steps.
    deadline = time.monotonic() + NETWORK_SETTLE_S
    while not recorder.settled(urls) and time.monotonic() < deadline:
        page.wait_for_timeout(NETWORK_POLL_MS)
