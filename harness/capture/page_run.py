"""Measure one page: open it in a fresh browser context with the browser's own network
instrumentation attached, wait until its chunks are settled, read the page's record and
the network record, and return the run. Which page, and how to read it, is the caller's
(capture.scenario: the bundled page; capture.app_page: the user's).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from playgate.capture.drivers import driver
from playgate.capture.live import Watching
from playgate.capture.page_state import PageSnapshot, holders_released, read_release
from playgate.capture.playback import PLAYBACK_SCRIPT, SETTLED_JS, read_playback
from playgate.capture.reading import PageReading
from playgate.capture.recorders import NetworkRecorder, ignore_network, in_issue_order
from playgate.capture.resource_timing import PageEntries, entry_for, first_entries, read_entries
from playgate.capture.webrtc import WEBRTC_SCRIPT, read_webrtc
from playgate.errors import MeasurementError
from playgate.playback_record import Playback
from playgate.records import ChunkRecord, NetworkRecord, PageChunk, RunRecord, delivering

NOT_WATCHED = Watching()

# After the page has every chunk, the browser's last network events may still be on
# their way to us; wait this long at most for them.
NETWORK_SETTLE_S = 5.0
NETWORK_POLL_MS = 20
# How often the chunks of a page that fetches them itself are read while it runs.
CHUNK_POLL_MS = 50
# How often a run waiting for its page checks that what the page depends on is still there.
GONE_CHECK_S = 0.5


@dataclass
class RunContext:
    """A fresh browser context for one run (no cache, no pooled connections), the network
    record of every page it opens, and the run's notes so far."""

    browser: Browser
    browser_name: str
    context: BrowserContext
    recorder: NetworkRecorder
    notes: list[str] = field(default_factory=list)
    # What other tabs of a user's page requested (tabs:N): they hold the same connections,
    # so they are in the run's requests, but a chunk is only ever the measured page's own.
    background: list[NetworkRecorder] = field(default_factory=list)

    def entries(self, page: Page) -> PageEntries:
        """The page's Resource Timing, and its workers' where the browser lets them be read."""
        return read_entries(page, with_workers=driver(self.browser_name).reads_workers)

    def background_recorder(self) -> NetworkRecorder:
        """A network record for another tab of the run, kept apart from the measured page's."""
        recorder = driver(self.browser_name).new_recorder()
        self.background.append(recorder)
        return recorder

    @classmethod
    def open(cls, browser: Browser, browser_name: str, *, ignore_https_errors: bool, **options: Any) -> RunContext:
        """``options``: more of what ``browser.new_context`` takes (a storage state, headers)."""
        context = browser.new_context(ignore_https_errors=ignore_https_errors, **options)
        browser_driver = driver(browser_name)
        notes = [browser_driver.cannot_report] if browser_driver.cannot_report else []
        return cls(browser, browser_name, context, browser_driver.new_recorder(), notes)

    @contextmanager
    def preparing(self) -> Iterator[None]:
        """The set-up before ``measure_page`` (scripts, other tabs): the context is closed if
        it fails; once measured, ``measure_page`` closes it."""
        try:
            yield
        except BaseException:
            self.context.close()
            raise


@dataclass(frozen=True)
class PageVisit:
    """The page a run opens, how to read it, and what the run is called."""

    url: str
    reading: PageReading
    label: str
    pressure: str
    expected: int  # chunks
    timeout_s: float
    # Run on the page once it is opened, before the chunks are waited for (config.PageSetup:
    # the user's login or start click); its time counts against the run's timeout.
    prepare: Callable[[Page], None] | None = None


@dataclass(frozen=True)
class _PageRead:
    """What was read from the page and the browser once the page was done."""

    snapshot: PageSnapshot
    chunks: list[PageChunk]
    network: list[NetworkRecord]
    entries: PageEntries
    released_at_ms: float | None  # epoch ms
    background: list[NetworkRecord]  # other tabs' requests (RunContext.background)


def measure_page(run: RunContext, visit: PageVisit, watching: Watching = NOT_WATCHED) -> RunRecord:
    """Open ``visit.url`` in a new page of the run's context, wait until the page has every
    chunk, and return the run. Closes the context unless asked to leave it open (--keep-open)."""
    deadline = time.monotonic() + visit.timeout_s
    try:
        page = _open_page(run, visit, watching)
        finished, snapshot = _wait_until_done(page, visit, run, watching)
        # A finished page's playback is read once the page is settled again (an unfinished
        # page's as it is: its time is up).
        playback, settled = _settled_playback(page, deadline if finished else 0.0, watching)
        finished = finished and settled
        watching.mark("page until settled")
        webrtc = read_webrtc(page)
        read = _read_page(page, run, visit.reading, snapshot, watching)
        if watching.live is not None:
            watching.live.finish(page)
        watching.mark("reading the records")
    finally:
        _close(run.context, watching)
    notes = list(run.notes)
    if not finished:
        progress = read.snapshot.progress
        notes.append(f"the page did not finish within {visit.timeout_s:g} s" + (f": {progress}" if progress else ""))
    notes.extend(f"page: {error}" for error in read.snapshot.errors)
    origin = read.snapshot.time_origin_ms
    return RunRecord(
        browser=run.browser_name,
        browser_version=run.browser.version,
        label=visit.label,
        pressure=visit.pressure,
        url=visit.url,
        chunks=join_chunks(read.chunks, read.network, read.entries, origin),
        announced=len(read.chunks),
        expected=visit.expected,
        finished=finished,
        notes=tuple(notes),
        requests=tuple(in_issue_order(read.network + read.background)),
        page_time_origin_ms=origin,
        holders_released_ms=None if read.released_at_ms is None else read.released_at_ms - origin,
        playback=playback,
        webrtc=webrtc,
    )


def _open_page(run: RunContext, visit: PageVisit, watching: Watching) -> Page:
    """A new page of the run's context, the network record and the playback watcher
    attached before it loads, navigated to the visit's URL."""
    if watching.trace is not None:
        # Actions, console and network only: DOM snapshots and screenshots would cost
        # CPU in the middle of the measurement.
        run.context.tracing.start(screenshots=False, snapshots=False)
    run.context.add_init_script(script=PLAYBACK_SCRIPT)
    run.context.add_init_script(script=WEBRTC_SCRIPT)
    page = run.context.new_page()
    watching.mark("context and page")
    live = watching.live
    if live is not None:
        live.attach(run.context, page)
    run.recorder.attach(run.context, page, live.network_event if live is not None else ignore_network)
    watching.mark("instrumentation")
    try:
        page.goto(visit.url, wait_until="commit", timeout=visit.timeout_s * 1000)
    except PlaywrightError as exc:
        raise MeasurementError(navigation_problem(run.browser_name, visit.url, exc)) from exc
    watching.mark("navigation")
    if visit.prepare is not None:
        _wait_for_document(page, visit)
        visit.prepare(page)
        watching.mark("the page's setup")
    return page


def _wait_for_document(page: Page, visit: PageVisit) -> None:
    """Wait until the page's document is parsed (DOMContentLoaded): its own scripts have run, so
    a setup step's click reaches the listener they add. Navigation returned at commit, before
    any of it (a page that streams its HTML shows a button before the script that handles it)."""
    try:
        page.wait_for_load_state("domcontentloaded", timeout=visit.timeout_s * 1000)
    except PlaywrightTimeout as exc:
        raise MeasurementError(
            f"{visit.url}: the page's document was not parsed within {visit.timeout_s:g} s, so its setup did not run"
        ) from exc


def _wait_until_done(page: Page, visit: PageVisit, run: RunContext, watching: Watching) -> tuple[bool, PageSnapshot]:
    """Whether the page finished within the visit's time, and its record then."""
    reading = visit.reading
    if reading.finished_js is not None:
        finished = _wait_for_page(page, f"() => ({reading.finished_js})() && {SETTLED_JS}", visit.timeout_s, watching)
        return finished, reading.read(page)
    return _poll_chunks(page, reading, run, visit.timeout_s, watching)


def _settled_playback(page: Page, deadline: float, watching: Watching) -> tuple[Playback | None, bool]:
    """The playback record once the page is settled again, and whether it was by the deadline.
    A video may start after the page was found settled with nothing playing (an autoplay once
    its appended data is enough, late on a busy machine): its record must then hold its first
    frame, or the run's end, not a play that the wait never saw."""
    while True:
        playback, settled = read_playback(page)
        remaining = deadline - time.monotonic()
        if settled or remaining <= 0:
            return playback, settled
        _wait_for_page(page, SETTLED_JS, remaining, watching)


def _read_page(
    page: Page, run: RunContext, reading: PageReading, snapshot: PageSnapshot, watching: Watching
) -> _PageRead:
    """The page's chunks joined with the settled network record and its Resource Timing."""
    chunks = reading.chunks(snapshot, run.recorder.records({}), {})
    _wait_network_settled(page, run.recorder, {c.url for c in chunks})
    watching.mark("network records settled")
    if reading.finished is not None:
        # Read the page again: a frame presented, or an append ended, while the network
        # records settled belongs to the run (the poll's snapshot came before its check).
        snapshot = reading.read(page)
    entries = run.entries(page)
    network = run.recorder.records(first_entries(entries))
    released = None
    if reading.reports_release:
        released = holders_released([read_release(p) for p in run.context.pages])
    background = [record for recorder in run.background for record in recorder.records({})]
    return _PageRead(snapshot, reading.chunks(snapshot, network, entries), network, entries, released, background)


def _close(context: BrowserContext, watching: Watching) -> None:
    if watching.trace is not None:
        _save_trace(context, watching.trace)
    if not watching.keep_open:
        context.close()
    watching.mark("closing")


def join_chunks(
    page_chunks: list[PageChunk], network: list[NetworkRecord], entries: PageEntries, origin_ms: float | None
) -> tuple[ChunkRecord, ...]:
    """Each announced chunk with the request that brought it (records.delivering) and that
    request's Resource Timing entry (``origin_ms``: the page's time origin, epoch ms)."""
    joined = []
    for chunk in sorted(page_chunks, key=lambda c: c.index):
        matches = [record for record in network if record.url == chunk.url]
        brought = delivering(matches, media_element=chunk.kind == "element")
        first = entries.get(chunk.url, (None,))[0]
        joined.append(
            ChunkRecord(
                index=chunk.index,
                url=chunk.url,
                network=brought,
                page=chunk,
                resource_timing=entry_for(brought, entries, origin_ms) if brought is not None else first,
                request_count=len(matches),
            )
        )
    return tuple(joined)


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


def _wait_for_page(page: Page, finished_js: str, timeout_s: float, watching: Watching) -> bool:
    """Wait for a page function to turn true; False once the time is up."""
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


def _poll_chunks(
    page: Page, reading: PageReading, run: RunContext, timeout_s: float, watching: Watching
) -> tuple[bool, PageSnapshot]:
    """Wait until the chunks, read from the page and the network record as they arrive, are
    settled and playback too: the page alone cannot tell (it does not see a worker's requests)."""
    assert reading.finished is not None
    deadline = time.monotonic() + timeout_s
    while True:
        _stop_if_gone(watching)
        snapshot = reading.read(page)
        chunks = reading.chunks(snapshot, run.recorder.records({}), run.entries(page))
        if reading.finished(chunks) and page.evaluate(f"() => {SETTLED_JS}"):
            return True, snapshot
        if time.monotonic() >= deadline:
            return False, snapshot
        page.wait_for_timeout(CHUNK_POLL_MS)


def _stop_if_gone(watching: Watching) -> None:
    gone = watching.gone()
    if gone is not None:
        raise MeasurementError(f"{gone} in the middle of the run")


def _wait_network_settled(page: Page, recorder: NetworkRecorder, urls: set[str]) -> None:
    # Events are delivered to us while Playwright waits, so wait in short steps.
    deadline = time.monotonic() + NETWORK_SETTLE_S
    while not recorder.settled(urls) and time.monotonic() < deadline:
        page.wait_for_timeout(NETWORK_POLL_MS)
