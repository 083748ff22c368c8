"""A page that is not the bundled player: the user's app, at ``--url`` or served from
``--app``. The observer script (observer.js) watches what the page's own code does; the
chunks are the media sources, and the requests of the page's code (fetch, XMLHttpRequest:
a Media Source Extensions player's segments), that match the chunk pattern, in the order
the page made them. Each chunk's event is the first event stream message that names it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

from playwright.sync_api import Browser

from playgate.capture.live import Watching
from playgate.capture.observer import observer_script
from playgate.capture.page_run import NOT_WATCHED, PageVisit, RunContext, measure_page
from playgate.capture.reading import event_streams, observer_reading
from playgate.config import PageTarget
from playgate.records import NetworkRecord, RunRecord

NO_EVENT_NOTE = (
    "no event stream message named chunk(s) {indices}: their load time (event -> loadeddata) is unknown, "
    "and the load time rule cannot judge them"
)


def measure_app_page(
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
    visit = PageVisit(
        url=url,
        reading=observer_reading(chunks, target.chunk_pattern),
        label=label,
        pressure="the page's own",
        expected=chunks,
        timeout_s=timeout_s,
    )
    opened = RunContext.open(browser, browser_name, ignore_https_errors=not target.verify_tls)
    with opened.preparing():
        opened.context.add_init_script(
            script=observer_script(target.chunk_pattern, target.sse_pattern, live=watching.live is not None)
        )
    run = measure_page(opened, visit, watching)
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
    return replace(run, notes=tuple(notes), event_streams=event_streams(run.requests, target.sse_pattern))


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
