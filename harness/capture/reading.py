"""How the chunks of a page are read: the page's own observations (a snapshot of what its
script recorded) joined with the browser's network record.

``PageReading`` says, for one kind of page, when it is done and what its chunks are. The
bundled progressive player says so itself; any other page (the user's at --url or --app,
or the bundled page playing through a real player) is read by ``observer_reading``: its
chunks are the media elements and the requests that match the chunk pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playgate.capture.appends import Append, join_appends
from playgate.records import (
    NO_RESPONSE,
    NetworkRecord,
    PageChunk,
    ResourceTiming,
    cancelled_by_the_page,
    delivering,
)


@dataclass(frozen=True)
class PageReading:
    """How to read what a kind of page observed: when it is done, and its chunks."""

    # When the page is done, one of two ways: a page function, true once every chunk
    # settled (the page knows its chunks), or ``finished`` below (only the network does).
    finished_js: str | None
    snapshot_js: str  # a page function returning chunks, errors and time_origin
    # The chunks from a snapshot, the network record so far and the page's Resource Timing.
    chunks: Callable[[dict[str, Any], list[NetworkRecord], dict[str, ResourceTiming]], list[PageChunk]]
    # A page function run in every page of the context ({role, at}: epoch ms when that
    # page let go of its holders), and how to pick the moment the holders were let go.
    released_js: str | None = None
    released: Callable[[list[dict[str, Any]]], float | None] = lambda reports: None
    # Where only the network record knows every chunk (a worker's requests): true once the
    # chunks are settled, checked on the page's snapshot and the network record so far.
    finished: Callable[[list[PageChunk]], bool] | None = None

    def __post_init__(self) -> None:
        if (self.finished_js is None) == (self.finished is None):
            raise ValueError("a page reading says when it is done one way: finished_js or finished")


def named_in(url: str, data: str) -> bool:
    """Whether an event stream message names the chunk: its URL, path and query, or path."""
    parts = urlsplit(url)
    path_query = parts.path + (f"?{parts.query}" if parts.query else "")
    return any(form and form in data for form in (url, path_query, parts.path))


def page_chunks(
    state: dict[str, Any], network: list[NetworkRecord], entries: dict[str, ResourceTiming], pattern: str
) -> list[PageChunk]:
    """The page's chunks, in the order they were asked for: the media elements whose source
    matches the pattern (as the page saw them), and the other requests matching it, made by
    the page's code or a worker (as the browser's network record saw them), each loaded once
    a SourceBuffer append carried it (capture/appends.py). Each chunk's event is the first
    message naming it; for a fetched chunk no message named, its request."""
    origin = state["time_origin"]
    elements = [dict(raw, kind="element") for raw in state["chunks"]]
    element_urls = {raw["url"] for raw in elements}
    by_url: dict[str, list[NetworkRecord]] = {}
    for record in network:  # issue order
        if re.search(pattern, record.url) and record.url not in element_urls:
            by_url.setdefault(record.url, []).append(record)
    fetched = [chosen for records in by_url.values() if (chosen := delivering(records)) is not None]
    downloads = {i: _download_end_ms(r, entries, origin) for i, r in enumerate(fetched)}
    carried = join_appends(downloads, [Append.from_page(a) for a in state.get("appends", [])])
    asked: dict[str, float] = {}
    for fetch in state.get("fetches", []):
        asked.setdefault(fetch["url"], fetch["ms"])
    raws = elements
    for i, record in enumerate(fetched):
        requested = asked.get(record.url, _page_ms(record.started_at, origin))
        appended = carried.get(i)
        failed = _failure(record) if appended is None else None
        raws.append(
            {
                "url": record.url,
                "kind": "fetched",
                "requested_ms": requested,
                "loadstart_ms": requested,
                "loadeddata_ms": appended.appended_ms if appended else None,
                "first_frame_ms": None,
                "error": f"request failed: {failed}" if failed else None,
                "media_start_s": appended.media_start_s if appended else None,
                "media_end_s": appended.media_end_s if appended else None,
            }
        )
    raws.sort(key=lambda raw: (raw["loadstart_ms"] is None, raw["loadstart_ms"] or 0.0))
    events = state["events"]
    chunks = []
    for index, raw in enumerate(raws):
        event_ms = next((e["ms"] for e in events if named_in(raw["url"], e["data"])), None)
        if event_ms is None and raw["kind"] == "fetched":
            event_ms = raw["requested_ms"]
        chunks.append(PageChunk.from_page({**raw, "index": index, "event_ms": event_ms}))
    return chunks


def _failure(record: NetworkRecord) -> str | None:
    """Why a fetched chunk's request failed, settling the chunk; None where it has not. "no
    response" is a request still in flight (or never answered). A request the page
    cancelled after a successful answer is no failure by itself: mpegts.js's worker cancels
    each segment's fetch once it has read the whole body, before the append that carries
    it; the chunk waits for that append (and without one, the loaded rule says so)."""
    if record.failure in (None, NO_RESPONSE):
        return None
    answered = record.status is not None and 200 <= record.status < 300
    return None if answered and cancelled_by_the_page(record.failure) else record.failure


def _page_ms(epoch_s: float | None, origin_ms: float) -> float | None:
    return None if epoch_s is None else epoch_s * 1000 - origin_ms


def _download_end_ms(record: NetworkRecord, entries: dict[str, ResourceTiming], origin_ms: float) -> float | None:
    """Page time the download ended: the page's own Resource Timing where it has the entry
    (not for a worker's requests), else the browser's network record."""
    entry = entries.get(record.url)
    if entry is not None and entry.response_end > 0:
        return entry.response_end
    return _page_ms(record.ended_at, origin_ms)


def settled(chunk: PageChunk) -> bool:
    return chunk.loadeddata_ms is not None or chunk.error is not None


def observer_reading(expected: int, pattern: str) -> PageReading:
    """The page's first ``expected`` chunks: a player goes on fetching segments ahead of
    playback, and a run judges the ones it asked for."""
    return PageReading(
        finished_js=None,
        snapshot_js="""() => ({
          chunks: window.__playgate.chunks, events: window.__playgate.events, fetches: window.__playgate.fetches,
          appends: window.__playgate.appends, errors: window.__playgate.errors, time_origin: performance.timeOrigin,
        })""",
        chunks=lambda state, network, entries: page_chunks(state, network, entries, pattern)[:expected],
        finished=lambda chunks: len(chunks) >= expected and all(settled(c) for c in chunks),
    )


EVENT_STREAM_TYPES = {"eventsource"}  # CDP's "EventSource", Playwright's "eventsource"


def event_streams(requests: Sequence[NetworkRecord], pattern: str | None) -> tuple[NetworkRecord, ...]:
    """The page's event stream(s): the requests whose URL matches ``pattern``, or with no
    pattern every request the browser names an event stream or that answered as one."""
    if pattern is not None:
        matcher = re.compile(pattern)
        return tuple(r for r in requests if matcher.search(r.url))
    return tuple(
        r
        for r in requests
        if (r.resource_type or "").lower() in EVENT_STREAM_TYPES or r.mime_type == "text/event-stream"
    )
