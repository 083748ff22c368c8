"""A page that is not the bundled player: the user's app, at ``--url`` or served from
``--app``. The observer script (observer.js) watches what the page's own code does; the
chunks are the media sources that match the chunk pattern, in the order the page
loaded them, and each chunk's event is the first event stream message that names it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser

from playgate.capture.live import Watching
from playgate.capture.observer import observer_script
from playgate.capture.scenario import FIREFOX_NOTE, NOT_WATCHED, PageReading, measure_page
from playgate.config import PageTarget
from playgate.records import PageChunk, RunRecord

NO_EVENT_NOTE = (
    "no event stream message named chunk(s) {indices}: their load time (event -> loadeddata) is unknown, "
    "and the load time rule cannot judge them"
)


def named_in(url: str, data: str) -> bool:
    """Whether an event stream message names the chunk: its URL, path and query, or path."""
    parts = urlsplit(url)
    path_query = parts.path + (f"?{parts.query}" if parts.query else "")
    return any(form and form in data for form in (url, path_query, parts.path))


def chunks_from_observer(state: dict[str, Any]) -> list[PageChunk]:
    events = state["events"]
    chunks = []
    for raw in state["chunks"]:
        event_ms = next((e["ms"] for e in events if named_in(raw["url"], e["data"])), None)
        chunks.append(PageChunk.from_page({**raw, "event_ms": event_ms}))
    return chunks


def observer_reading(expected: int) -> PageReading:
    return PageReading(
        finished_js=f"() => window.__playgate && window.__playgate.settled() >= {int(expected)}",
        snapshot_js="""() => ({
          chunks: window.__playgate.chunks, events: window.__playgate.events,
          errors: window.__playgate.errors, time_origin: performance.timeOrigin,
        })""",
        chunks=chunks_from_observer,
    )


def run_app_page(
    browser: Browser,
    browser_name: str,
    url: str,
    target: PageTarget,
    *,
    chunks: int,
    timeout_s: float,
    label: str,
    watching: Watching = NOT_WATCHED,
) -> RunRecord:
    """Open the user's page, wait for ``chunks`` chunks to settle, return the run."""
    context = browser.new_context(ignore_https_errors=not target.verify_tls)
    context.add_init_script(
        script=observer_script(target.chunk_pattern, target.sse_pattern, live=watching.live is not None)
    )
    notes = [FIREFOX_NOTE] if browser_name == "firefox" else []
    run = measure_page(
        context,
        browser,
        browser_name,
        url,
        observer_reading(chunks),
        mode=label,
        pressure="the page's own",
        expected=chunks,
        timeout_s=timeout_s,
        notes=notes,
        watching=watching,
    )
    unnamed = [c.index for c in run.chunks if c.page.event_ms is None]
    if unnamed:
        note = NO_EVENT_NOTE.format(indices=", ".join(map(str, unnamed)))
        run = replace(run, notes=(*run.notes, note))
    return run
