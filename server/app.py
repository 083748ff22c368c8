"""The reference avatar server: a Starlette app shaped like a realtime avatar backend.

Routes:
  GET /                  the player page (static/player.html + player.js)
  GET /events            Server-Sent Events: one ``chunk`` event per chunk, then ``done``
  GET /chunks/{name}     media from the media folder, with Range (206/416)
  GET /pressure/media    the large preload file at a bounded rate (``media:N``)
  GET /pressure/sse      an event stream of heartbeats only (``sse:N``, ``tabs:N``,
                         and read with fetch() for ``streams:N``)
  GET /health            {"status": "ok", "http_version": ..., "open_streams": ...}
  GET /hls/index.m3u8    the chunks as an HLS stream of MPEG-TS segments (``--player hls``,
                         ``mpegts``), ``?chunks=N`` long, each segment URL carrying the
                         page's fault injection
  GET /hls/fmp4.m3u8     the same of fragmented MP4 segments after an init (``shaka``)
  GET /dash/manifest.mpd the fragmented MP4 segments as a DASH manifest (``dash``); both
                         with ``?init=inline`` carry the init segment as a data: URL
  GET /hls/{name}, /dash/{name}
                         the segments, with the same faults as /chunks/
  GET /players/{name}    a real player's script, as fetched from npm (server/players.py)
  POST /whep, DELETE /whep/{session}
                         the avatar as WebRTC tracks, signalled by WHEP (server/webrtc.py)

``/events`` also sends a ``release`` event ``hold_ms`` after the first chunk event: the
page then lets go of its connection holders, as finished preloads would.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from playgate.fixtures.generate import MediaSet
from playgate.fixtures.segments import INIT_SEGMENT, PLAYLIST, HlsSet, ensure_hls, mpd_text, playlist_text
from playgate.page_contract import bundled_page_bootstrap, bundled_page_config
from playgate.server.media import MP4, MediaFileResponse, PacedFileResponse, ServerTimed, StaticFolder, media_file
from playgate.server.players import PLAYERS, player_folder
from playgate.server.settings import CHUNK_DELAY_MS, CHUNK_KIB_PER_S, CHUNKS, HOLD_MS, PACE_MS, Knob, ServerSettings
from playgate.server.sse import HEARTBEAT, NO_RECONNECT_MS, StreamCounter, event_stream, sse_message

if TYPE_CHECKING:
    from playgate.server.webrtc import Whep

STATIC_DIR = Path(__file__).parent / "static"
CONTRACT_PLACEHOLDER = "/* PLAYGATE_PAGE: written here by the server (playgate.page_contract) */"
BOOTSTRAP_PLACEHOLDER = "/* PLAYGATE_BOOTSTRAP: written here by the server (playgate.page_contract) */"


def player_page() -> str:
    """The player page with its side of the page contract written in."""
    html = (STATIC_DIR / "player.html").read_text()
    for placeholder in (CONTRACT_PLACEHOLDER, BOOTSTRAP_PLACEHOLDER):
        if placeholder not in html:
            raise RuntimeError(f"player.html has lost the place the server writes {placeholder!r} into")
    return html.replace(CONTRACT_PLACEHOLDER, bundled_page_config()).replace(
        BOOTSTRAP_PLACEHOLDER, bundled_page_bootstrap()
    )


PLAYER_PAGE = player_page()
NO_STORE = {"Cache-Control": "no-store"}
MAX_DELAY_MS = CHUNK_DELAY_MS.high
MAX_KIB_PER_S = CHUNK_KIB_PER_S.high
TS, M3U8, MPD = "video/mp2t", "application/vnd.apple.mpegurl", "application/dash+xml"
FMP4_PLAYLIST, MANIFEST = "fmp4.m3u8", "manifest.mpd"  # written per request, as PLAYLIST is
WHOLE_NUMBER = re.compile(r"-?[0-9]+")


class BadQuery(ValueError):
    pass


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not WHOLE_NUMBER.fullmatch(raw):  # int() would also take "+1", "1_0", " 1" and other digits
        raise BadQuery(f"query parameter {name}={raw[:40]!r} is not a whole number")
    value = _whole_number(raw)
    if value is None or not low <= value <= high:
        raise BadQuery(f"query parameter {name}={raw[:40]} is outside {low}..{high}")
    return value


def _query_knob(request: Request, knob: Knob, default: int | None = None) -> int:
    """A scenario knob from the page's query, within its one definition's limits."""
    return _query_int(request, knob.name, knob.default if default is None else default, knob.low, knob.high)


def _whole_number(digits: str) -> int | None:
    """A WHOLE_NUMBER's value; None past 18 digits (out of every range here, and int()
    refuses numbers of thousands of digits)."""
    magnitude = digits.lstrip("-").lstrip("0") or "0"
    if len(magnitude) > 18:
        return None
    return -int(magnitude) if digits.startswith("-") else int(magnitude)


def _query_indices(request: Request, name: str) -> frozenset[int]:
    raw = request.query_params.get(name, "")
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    indices = [_whole_number(part) if WHOLE_NUMBER.fullmatch(part) else None for part in parts]
    if None in indices:
        raise BadQuery(f"query parameter {name}={raw[:40]!r} must be comma-separated chunk indices")
    return frozenset(index for index in indices if index is not None)


@dataclass(frozen=True)
class StreamPlan:
    """One page's chunk stream, from its query: count, pacing, release, injected faults."""

    count: int
    pace_s: float
    hold_s: float
    chunk_delay_ms: int = 0
    chunk_kib_per_s: int = 0  # 0: as fast as the link goes
    missing: frozenset[int] = frozenset()
    slow: frozenset[int] = frozenset()  # the chunks the delay and rate apply to; empty: all

    def chunk_faults(self, index: int) -> str:
        """The fault-injection query chunk ``index``'s URL carries, "" for a healthy chunk."""
        if self.slow and index not in self.slow:
            return ""
        faults = {"delay_ms": self.chunk_delay_ms, "kib_per_s": self.chunk_kib_per_s}
        return "".join(f"&{name}={value}" for name, value in faults.items() if value)


def chunk_schedule(count: int, pace_s: float, hold_s: float) -> list[tuple[float, str, int]]:
    """(seconds after the stream opened, "chunk" or "release", chunk index), in order.

    The release comes ``hold_s`` after the first chunk event: it tells the page to let
    go of its connection holders, so the first chunk's queueing on HTTP/1.1 is known.
    """
    schedule = [(pace_s * (i + 1), "chunk", i) for i in range(count)]
    schedule.append((pace_s + hold_s, "release", -1))
    return sorted(schedule, key=lambda item: (item[0], item[1] == "release"))


class AvatarRoutes:
    """The reference server's routes, a method each, over one server's settings and state."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.counter = StreamCounter()
        self.media = settings.media_folder.resolve()
        # The HLS segments are made on the first request for them (once per media folder,
        # cached): a server that never serves them, or a folder of other media, never pays for it.
        self.hls_made: list[HlsSet] = []
        self.whep: Whep | None = None  # made on the first offer: aiortc is imported then

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        if self.whep is not None:
            await self.whep.close_all()

    async def whep_offer(self, request: Request) -> Response:
        if self.whep is None:
            try:
                from playgate.server.webrtc import Whep
            except ImportError as exc:
                return PlainTextResponse(
                    f"WebRTC needs aiortc ({exc}): pip install 'playgate[webrtc]'", status_code=501
                )
            self.whep = Whep([self.media / name for name in self.settings.chunk_names])
        return await self.whep.offer(request)

    async def whep_delete(self, request: Request) -> Response:
        if self.whep is None:
            return PlainTextResponse("no WHEP session", status_code=404)
        return await self.whep.delete(request)

    async def hls_set(self) -> HlsSet:
        if not self.hls_made:
            made = await asyncio.to_thread(
                ensure_hls, MediaSet(self.media, self.settings.chunk_names, self.settings.preload_name)
            )
            self.hls_made.append(made)
        return self.hls_made[0]

    async def player(self, request: Request) -> Response:
        return HTMLResponse(PLAYER_PAGE, headers=NO_STORE)

    async def health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "http_version": request.scope.get("http_version"),
                "open_streams": self.counter.open,
            }
        )

    async def chunk_events(self, stream: StreamPlan) -> AsyncIterator[bytes]:
        yield sse_message(None, retry_ms=NO_RECONNECT_MS)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for due, kind, index in chunk_schedule(stream.count, stream.pace_s, stream.hold_s):
            await asyncio.sleep(max(0.0, started + due - loop.time()))
            if kind == "release":
                yield sse_message("release", {"after_first_chunk_ms": round(stream.hold_s * 1000)})
                continue
            name = self.settings.chunk_names[index % len(self.settings.chunk_names)]
            url = f"/chunks/{name}?i={index}"
            if index in stream.missing:
                url = f"/chunks/missing-{index:03d}.mp4?i={index}"  # a regression: the chunk 404s
            else:
                url += stream.chunk_faults(index)
            announcement = {
                "index": index,
                "url": url,
                "size": (self.media / name).stat().st_size,
                "duration": self.settings.chunk_seconds,
            }
            yield sse_message("chunk", announcement)
        yield sse_message("done", {"count": stream.count})
        while True:  # a live app keeps the stream; the page closes it when finished
            await asyncio.sleep(self.settings.heartbeat_s)
            yield HEARTBEAT

    async def events(self, request: Request) -> Response:
        try:
            stream = StreamPlan(
                count=_query_knob(request, CHUNKS, self.settings.chunk_count),
                pace_s=_query_knob(request, PACE_MS, self.settings.pace_ms) / 1000,
                hold_s=_query_knob(request, HOLD_MS, self.settings.hold_ms) / 1000,
                chunk_delay_ms=_query_knob(request, CHUNK_DELAY_MS),
                chunk_kib_per_s=_query_knob(request, CHUNK_KIB_PER_S),
                missing=_query_indices(request, "missing"),
                slow=_query_indices(request, "slow"),
            )
        except BadQuery as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return event_stream(self.chunk_events(stream), self.counter)

    async def heartbeats(self) -> AsyncIterator[bytes]:
        yield sse_message("hold", {}, retry_ms=NO_RECONNECT_MS)
        while True:
            await asyncio.sleep(self.settings.heartbeat_s)
            yield HEARTBEAT

    async def sse_holder(self, request: Request) -> Response:
        return event_stream(self.heartbeats(), self.counter)

    async def media_holder(self, request: Request) -> Response:
        return PacedFileResponse(
            self.media / self.settings.preload_name,
            bytes_per_second=self.settings.preload_bytes_per_second,
            media_type=MP4,
            headers=NO_STORE,
        )

    def stream_query(self, request: Request, longest: int) -> StreamPlan:
        """A stream request's segment count and the faults its segment URLs carry."""
        return StreamPlan(
            count=_query_int(request, CHUNKS.name, self.settings.chunk_count, CHUNKS.low, longest),
            pace_s=0,
            hold_s=0,
            chunk_delay_ms=_query_knob(request, CHUNK_DELAY_MS),
            chunk_kib_per_s=_query_knob(request, CHUNK_KIB_PER_S),
            slow=_query_indices(request, "slow"),
        )

    async def manifest(self, request: Request) -> Response:
        made = await self.hls_set()
        shape = request.url.path.rsplit("/", 1)[-1]
        segments = made.fragment_names if shape != PLAYLIST else made.segment_names
        inline = request.query_params.get("init", "url")
        try:
            stream = self.stream_query(request, len(segments))
            if inline not in ("url", "inline"):
                raise BadQuery(f"query parameter init={inline[:40]!r} must be url or inline")
        except BadQuery as exc:
            return PlainTextResponse(str(exc), status_code=400)
        names = tuple(f"{name}?i={i}{stream.chunk_faults(i)}" for i, name in enumerate(segments[: stream.count]))
        init = INIT_SEGMENT if inline == "url" else made.init_data_url()
        if shape == MANIFEST:
            return Response(mpd_text(init, names, made.codecs, made.bandwidth), media_type=MPD, headers=NO_STORE)
        playlist = playlist_text(names, init=init if shape == FMP4_PLAYLIST else None)
        return Response(playlist, media_type=M3U8, headers=NO_STORE)

    async def player_script(self, request: Request) -> Response:
        name = request.path_params["name"]
        scripts = {Path(p.script).name: p for p in PLAYERS.values()}
        if name not in scripts:
            return PlainTextResponse("no such player", status_code=404)
        path = player_folder(scripts[name]) / name
        if not path.is_file():  # the harness fetches it before it opens the page
            return PlainTextResponse(f"{scripts[name].spec} is not fetched: run make setup", status_code=404)
        return FileResponse(path, media_type="text/javascript")

    async def chunk(self, request: Request) -> Response:
        return await self.media_response(request, self.media, MP4)

    async def segment(self, request: Request) -> Response:
        name = request.path_params["name"]
        return await self.media_response(request, (await self.hls_set()).folder, TS if name.endswith(".ts") else MP4)

    async def media_response(self, request: Request, folder: Path, media_type: str) -> Response:
        path = media_file(folder, request.path_params["name"])
        if path is None:
            return PlainTextResponse("no such chunk", status_code=404)
        try:
            delay_ms = _query_int(request, "delay_ms", 0, 0, MAX_DELAY_MS)
            kib_per_s = _query_int(request, "kib_per_s", 0, 0, MAX_KIB_PER_S)
        except BadQuery as exc:
            return PlainTextResponse(str(exc), status_code=400)
        if delay_ms:  # fault injection: a slow origin, before any response byte
            await asyncio.sleep(delay_ms / 1000)
        rate = kib_per_s * 1024 or None  # fault injection: a slow link
        return MediaFileResponse(path, media_type=media_type, headers=NO_STORE, bytes_per_second=rate)


def create_app(settings: ServerSettings) -> ServerTimed:
    routes = AvatarRoutes(settings)
    app = Starlette(
        routes=[
            Route("/", routes.player),
            Route("/health", routes.health),
            Route("/events", routes.events),
            Route("/chunks/{name}", routes.chunk),
            Route(f"/hls/{PLAYLIST}", routes.manifest),
            Route(f"/hls/{FMP4_PLAYLIST}", routes.manifest),
            Route(f"/dash/{MANIFEST}", routes.manifest),
            Route("/hls/{name}", routes.segment),
            Route("/dash/{name}", routes.segment),
            Route("/players/{name}", routes.player_script),
            Route("/pressure/media", routes.media_holder),
            Route("/pressure/sse", routes.sse_holder),
            Route("/whep", routes.whep_offer, methods=["POST", "OPTIONS"]),
            Route("/whep/{session}", routes.whep_delete, methods=["DELETE", "OPTIONS"]),
            Mount("/static", StaticFolder(directory=STATIC_DIR)),
        ],
        lifespan=routes.lifespan,
    )
    # No 307 from /chunks/x/ to /chunks/x: the redirect's Location is built from the
    # request's Host header, and a chunk URL either names a file or is 404.
    app.router.redirect_slashes = False
    return ServerTimed(app)
