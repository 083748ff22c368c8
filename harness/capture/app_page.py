"""A page that is not the bundled player: the user's app, at ``--url`` or served from
``--app``. The observer script (observer.js) watches what the page's own code does; the
chunks are the media sources, and the requests of the page's code (fetch, XMLHttpRequest:
a Media Source Extensions player's segments), that match the chunk pattern, in the order
the page made them. Each chunk's event is the first event stream message that names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from playgate.capture.live import Watching
from playgate.capture.observer import observer_script
from playgate.capture.page_run import NOT_WATCHED, PageVisit, RunContext, measure_page
from playgate.capture.reading import event_streams, observer_reading
from playgate.capture.webrtc import webrtc_reading
from playgate.config import PageTarget, Pressure
from playgate.errors import MeasurementError
from playgate.page_contract import OBSERVER_STATE, PRESSURE_STATE, injected
from playgate.page_setup import PageSetup
from playgate.records import NetworkRecord, RunRecord
from playgate.server.settings import HOLD_MS

NO_PRESSURE = Pressure()
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
    pressure: Pressure = NO_PRESSURE,
    hold_ms: int = HOLD_MS.default,
    watching: Watching = NOT_WATCHED,
) -> RunRecord:
    """Open the user's page, do its setup (config.PageSetup), wait for ``chunks`` chunks to
    settle, and return the run. ``pressure``: media:N holders preloading the target's
    pressure media in the page, let go ``hold_ms`` after its first chunk, and tabs:N more
    tabs of the page opened before it."""
    prepare = _setup_step(target.setup, timeout_s)
    webrtc = target.webrtc_s is not None
    visit = PageVisit(
        url=url,
        reading=webrtc_reading(target.webrtc_s)
        if target.webrtc_s is not None
        else observer_reading(chunks, target.chunk_pattern),
        label=label,
        pressure=str(pressure) if pressure.parts else "the page's own",
        expected=0 if webrtc else chunks,
        timeout_s=timeout_s,
        prepare=prepare,
    )
    opened = RunContext.open(
        browser, browser_name, ignore_https_errors=not target.verify_tls, **target.setup.context_options()
    )
    with opened.preparing():
        opened.context.add_init_script(
            script=observer_script(
                target.chunk_pattern, target.sse_pattern, target.ws_pattern, live=watching.live is not None
            )
        )
        if pressure.count("tabs"):
            _open_tabs(opened, url, pressure.count("tabs"), timeout_s)
        if pressure.count("media"):
            assert target.pressure_media is not None, "options checked: media holders need a file"
            opened.context.add_init_script(script=page_pressure_script(target.pressure_media, pressure, hold_ms))
    run = measure_page(opened, visit, watching)
    notes = list(run.notes)
    unnamed = [c.index for c in run.chunks if c.page.event_ms is None]
    if unnamed:
        notes.append(NO_EVENT_NOTE.format(indices=", ".join(map(str, unnamed))))
    if not run.chunks and not webrtc:
        notes.append(nothing_matched(target.chunk_pattern, run.requests))
        if target.setup.function is None and _looks_like_a_login(run.requests, url):
            notes.append(
                "the page went to a login page: log in before measuring with --storage-state, or --setup "
                "MODULE:FUNCTION (pytest: the playgate_setup fixture)"
            )
    elif all(c.page.kind == "fetched" and c.page.loadeddata_ms is None for c in run.chunks):
        notes.append(
            f"{len(run.chunks)} request(s) matched --chunk-pattern '{target.chunk_pattern}', but no SourceBuffer "
            "append and no media element used them: does the pattern match a playlist or manifest "
            "rather than the media segments?"
        )
    return replace(
        run, notes=tuple(notes), event_streams=event_streams(run.requests, target.sse_pattern), webrtc_expected=webrtc
    )


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


def _setup_step(setup: PageSetup, timeout_s: float) -> Callable[[Page], None] | None:
    """The user's setup function as a step of the run: its failure is one line naming it."""
    function = setup.function
    if function is None:
        return None

    def prepare(page: Page) -> None:
        page.set_default_timeout(timeout_s * 1000)
        try:
            function(page)
        except PlaywrightError as exc:
            raise MeasurementError(f"setup {setup.name} failed on {page.url}: {exc.message.splitlines()[0]}") from exc
        except Exception as exc:  # the user's code: any failure is theirs to read, in one line
            raise MeasurementError(f"setup {setup.name} failed on {page.url}: {type(exc).__name__}: {exc}") from exc

    return prepare


def _open_tabs(run: RunContext, url: str, count: int, timeout_s: float) -> None:
    """``tabs:N`` on the user's page: N more tabs of it, idle as a tab left open is (the context's
    storage state and headers apply; the setup function does not run, so they play nothing
    that the measured page would then find in the cache), each holding what the page holds
    once opened: its event stream, its own preloads. Their requests are the run's too
    (attribution counts them), never its chunks."""
    for _ in range(count):
        tab = run.context.new_page()
        run.background_recorder().attach(run.context, tab)
        try:
            tab.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        except PlaywrightError as exc:
            raise MeasurementError(f"could not open a tab of {url}: {exc.message.splitlines()[0]}") from exc


def page_pressure_script(media: str, pressure: Pressure, hold_ms: int) -> str:
    """The media holders of ``--pressure media:N`` on the user's page (page_pressure.js)."""
    config = {
        "observer": OBSERVER_STATE,
        "state": PRESSURE_STATE,
        "media": media,
        "count": pressure.count("media"),
        "holdMs": hold_ms,
    }
    return injected(resources.files(__package__).joinpath("page_pressure.js").read_text(), config)


LOGIN_WORDS = re.compile(r"/(login|signin|sign-in|sign_in|auth|sso)\b", re.IGNORECASE)


def _looks_like_a_login(requests: tuple[NetworkRecord, ...], url: str) -> bool:
    """Whether the page's documents went to a login page it was not asked to open."""
    documents = [r.url for r in requests if (r.resource_type or "").lower() == "document"]
    return any(LOGIN_WORDS.search(urlsplit(d).path) for d in documents) and not LOGIN_WORDS.search(url)
