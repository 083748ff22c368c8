"""A page that is not the bundled player: the user's app, at ``--url`` or served from
``--app``. The observer script (observer.js) watches what the page's own code does; the
chunks are the media sources, and the requests of the page's code (fetch, XMLHttpRequest:
a Media Source Extensions player's segments), that match the chunk pattern, in the order
the page made them. Each chunk's event is the first event stream message that names it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser

from playgate.capture.appends import Append, join_appends
from playgate.capture.live import Watching
from playgate.capture.observer import observer_script
from playgate.capture.scenario import FIREFOX_NOTE, NOT_WATCHED, PageReading, measure_page
from playgate.config import PageTarget
from playgate.records import NO_RESPONSE, NetworkRecord, PageChunk, ResourceTiming, RunRecord

NO_EVENT_NOTE = (
    "no event stream message named chunk(s) {indices}: their load time (event -> loadeddata) is unknown, "
    "and the load time rule cannot judge them"
)


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
    fetched: list[NetworkRecord] = []
    for record in network:  # issue order
        if re.search(pattern, record.url) and record.url not in element_urls | {r.url for r in fetched}:
            fetched.append(record)
    downloads = {i: _download_end_ms(r, entries, origin) for i, r in enumerate(fetched)}
    carried = join_appends(downloads, [Append.from_page(a) for a in state.get("appends", [])])
    asked: dict[str, float] = {}
    for fetch in state.get("fetches", []):
        asked.setdefault(fetch["url"], fetch["ms"])
    raws = elements
    for i, record in enumerate(fetched):
        requested = asked.get(record.url, _page_ms(record.started_at, origin))
        appended = carried.get(i)
        # "no response": still in flight (or never answered): not a failure that settles it.
        failed = record.failure if record.failure not in (None, NO_RESPONSE) and appended is None else None
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
        finished_js="",
        snapshot_js="""() => ({
          chunks: window.__playgate.chunks, events: window.__playgate.events, fetches: window.__playgate.fetches,
          appends: window.__playgate.appends, errors: window.__playgate.errors, time_origin: performance.timeOrigin,
        })""",
        chunks=lambda state, network, entries: page_chunks(state, network, entries, pattern)[:expected],
        finished=lambda chunks: len(chunks) >= expected and all(settled(c) for c in chunks),
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
        observer_reading(chunks, target.chunk_pattern),
        mode=label,
        pressure="the page's own",
        expected=chunks,
        timeout_s=timeout_s,
        notes=notes,
        watching=watching,
    )
    notes = list(run.notes)
    unnamed = [c.index for c in run.chunks if c.page.event_ms is None]
    if unnamed:
        notes.append(NO_EVENT_NOTE.format(indices=", ".join(map(str, unnamed))))
    if not run.chunks:
        notes.append(nothing_matched(target.chunk_pattern, run.requests))
    elif all(c.page.kind == "fetched" and c.page.loadeddata_ms is None for c in run.chunks):
        notes.append(
            f"{len(run.chunks)} request(s) matched --chunk-pattern '{target.chunk_pattern}', but no SourceBuffer "
            "append and no media element used them: does the pattern match a playlist or manifest "
            "rather than the media segments?"
        )
    return replace(run, notes=tuple(notes))


# What a request carrying media, or a list of it, is sent as.
MEDIA_LIKE = re.compile(r"^(video/|audio/|application/(vnd\.apple\.mpegurl|x-mpegurl|dash\+xml|mp4|octet-stream)$)")


def nothing_matched(pattern: str, requests: tuple[NetworkRecord, ...]) -> str:
    """No chunk at all: the page's media-like requests, by type, to choose a pattern from."""
    by_type: dict[str, list[str]] = {}
    for request in requests:
        if request.mime_type and MEDIA_LIKE.match(request.mime_type):
            by_type.setdefault(request.mime_type, []).append(urlsplit(request.url).path)
    if not by_type:
        return f"no request matched --chunk-pattern '{pattern}', and the page made no media-like request"
    kinds = "; ".join(
        f"{mime}: {paths[0]}" + (f" and {len(paths) - 1} more" if len(paths) > 1 else "")
        for mime, paths in sorted(by_type.items(), key=lambda item: -len(item[1]))
    )
    return f"no request matched --chunk-pattern '{pattern}'; the page's media-like requests were {kinds}"
