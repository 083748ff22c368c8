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
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from playwright.sync_api import Page

from playgate.capture.appends import join_appends
from playgate.capture.page_state import PageSnapshot, read_observer
from playgate.capture.resource_timing import PageEntries, entry_for
from playgate.records import (
    NO_RESPONSE,
    NetworkRecord,
    PageChunk,
    cancelled_by_the_page,
    delivering,
    download_end_ms,
)


@dataclass(frozen=True)
class PageReading:
    """How to read what a kind of page observed: its record, its chunks, and when it is done."""

    read: Callable[[Page], PageSnapshot]  # the page's record so far (capture.page_state)
    # The chunks from a snapshot, the network record so far and the page's Resource Timing.
    chunks: Callable[[PageSnapshot, list[NetworkRecord], PageEntries], list[PageChunk]]
    # When the page is done, one of two ways: a page function, true once every chunk
    # settled (the page knows its chunks), or ``finished`` (only the network record knows
    # every chunk: a worker's requests), checked on the chunks read so far.
    finished_js: str | None = None
    finished: Callable[[list[PageChunk]], bool] | None = None
    # The bundled app's pages say when they let go of their holders (capture.page_state).
    reports_release: bool = False

    def __post_init__(self) -> None:
        if (self.finished_js is None) == (self.finished is None):
            raise ValueError("a page reading says when it is done one way: finished_js or finished")


def named_in(url: str, data: str) -> bool:
    """Whether an event stream message names the chunk: its URL, path and query, or path."""
    parts = urlsplit(url)
    path_query = parts.path + (f"?{parts.query}" if parts.query else "")
    return any(form and form in data for form in (url, path_query, parts.path))


def page_chunks(
    snapshot: PageSnapshot, network: list[NetworkRecord], entries: PageEntries, pattern: str
) -> list[PageChunk]:
    """The page's chunks, in the order they were asked for: the media elements whose source
    matches the pattern (as the page saw them), and the other requests matching it, made by
    the page's code or a worker (as the browser's network record saw them), each loaded once
    a SourceBuffer append carried it (capture/appends.py). Each chunk's event is the first
    message naming it; for a fetched chunk no message named, its request."""
    origin = snapshot.time_origin_ms
    element_urls = {chunk.url for chunk in snapshot.chunks}
    by_url: dict[str, list[NetworkRecord]] = {}
    for record in network:  # issue order
        if re.search(pattern, record.url) and record.url not in element_urls:
            by_url.setdefault(record.url, []).append(record)
    fetched = [chosen for records in by_url.values() if (chosen := delivering(records)) is not None]
    downloads = {i: download_end_ms(r, entry_for(r, entries, origin), origin) for i, r in enumerate(fetched)}
    carried = join_appends(downloads, list(snapshot.appends))
    asked: dict[str, float] = {}
    for fetch in snapshot.fetches:
        asked.setdefault(fetch.url, fetch.ms)
    found = list(snapshot.chunks)
    for i, record in enumerate(fetched):
        requested = asked.get(record.url, _page_ms(record.started_at, origin))
        appended = carried.get(i)
        failed = _failure(record) if appended is None else None
        found.append(
            PageChunk(
                index=i,  # numbered below, with the elements
                url=record.url,
                event_ms=None,
                loadstart_ms=requested,
                loadeddata_ms=appended.appended_ms if appended else None,
                first_frame_ms=None,
                error=f"request failed: {failed}" if failed else None,
                kind="fetched",
                media_start_s=appended.media_start_s if appended else None,
                media_end_s=appended.media_end_s if appended else None,
            )
        )
    found.sort(key=lambda chunk: (chunk.loadstart_ms is None, chunk.loadstart_ms or 0.0))
    chunks = []
    for index, chunk in enumerate(found):
        event_ms = next((m.ms for m in snapshot.messages if named_in(chunk.url, m.data)), None)
        if event_ms is None and chunk.kind == "fetched":
            event_ms = chunk.loadstart_ms  # asked for by the page: its event is that request
        chunks.append(replace(chunk, index=index, event_ms=event_ms))
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


def settled(chunk: PageChunk) -> bool:
    return chunk.loadeddata_ms is not None or chunk.error is not None


def observer_reading(expected: int, pattern: str) -> PageReading:
    """The page's first ``expected`` chunks: a player goes on fetching segments ahead of
    playback, and a run judges the ones it asked for."""
    return PageReading(
        read=read_observer,
        chunks=lambda snapshot, network, entries: page_chunks(snapshot, network, entries, pattern)[:expected],
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
