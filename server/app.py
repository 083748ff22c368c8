"""The reference avatar server: a Starlette app shaped like a realtime avatar backend.

Routes:
  GET /                  the player page (static/player.html + player.js)
  GET /events            Server-Sent Events: one ``chunk`` event per chunk, then ``done``
  GET /chunks/{name}     media from the media folder, with Range (206/416)
  GET /pressure/media    the large preload file at a bounded rate (``media:N``)
  GET /pressure/sse      an event stream of heartbeats only (``sse:N``)
  GET /health            {"status": "ok", "http_version": ..., "open_streams": ...}

``/events`` and the holders take ``session`` (an id the page chose) so the server can
release a page's holders ``hold_ms`` after that page's first chunk event.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.media import MP4, MediaFileResponse, paced_file
from server.pressure import PageSessions
from server.settings import ServerSettings
from server.sse import HEARTBEAT, NO_RECONNECT_MS, StreamCounter, event_stream, sse_message

STATIC_DIR = Path(__file__).parent / "static"
NO_STORE = {"Cache-Control": "no-store"}
MAX_CHUNKS_PER_STREAM = 1000
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BadQuery(ValueError):
    pass


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(f"query parameter {name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise BadQuery(f"query parameter {name}={value} is outside {low}..{high}")
    return value


def _session_id(request: Request) -> str:
    session = request.query_params.get("session", "default")
    if not SESSION_ID.match(session):
        raise BadQuery("query parameter session must be 1-64 letters, digits, '-' or '_'")
    return session


def create_app(settings: ServerSettings) -> Starlette:
    counter = StreamCounter()
    sessions = PageSessions()
    media = settings.media_folder.resolve()

    async def player(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "player.html", headers=NO_STORE)

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "http_version": request.scope.get("http_version"),
                "open_streams": counter.open,
                "sessions": len(sessions),
            }
        )

    async def chunk_events(session_id: str, count: int, pace_s: float) -> AsyncIterator[bytes]:
        with sessions.join(session_id) as session:
            yield sse_message(None, retry_ms=NO_RECONNECT_MS)
            for index in range(count):
                await asyncio.sleep(pace_s)
                name = settings.chunk_names[index % len(settings.chunk_names)]
                announcement = {
                    "index": index,
                    "url": f"/chunks/{name}?i={index}",
                    "size": (media / name).stat().st_size,
                    "duration": settings.chunk_seconds,
                }
                yield sse_message("chunk", announcement)
                session.first_chunk_sent.set()
            yield sse_message("done", {"count": count})
            while True:  # a live app keeps the stream; the page closes it when finished
                await asyncio.sleep(settings.heartbeat_s)
                yield HEARTBEAT

    async def events(request: Request) -> Response:
        try:
            session_id = _session_id(request)
            count = _query_int(request, "chunks", settings.chunk_count, 1, MAX_CHUNKS_PER_STREAM)
            pace_ms = _query_int(request, "pace_ms", settings.pace_ms, 0, 60_000)
        except BadQuery as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return event_stream(chunk_events(session_id, count, pace_ms / 1000), counter)

    async def heartbeats(session_id: str, hold_ms: int) -> AsyncIterator[bytes]:
        with sessions.join(session_id) as session:
            yield sse_message("hold", {}, retry_ms=NO_RECONNECT_MS)
            release = asyncio.ensure_future(session.released(hold_ms))
            try:
                while not release.done():
                    await asyncio.wait({release}, timeout=settings.heartbeat_s)
                    if not release.done():
                        yield HEARTBEAT
            finally:
                release.cancel()

    async def media_bytes(session_id: str, hold_ms: int) -> AsyncIterator[bytes]:
        with sessions.join(session_id) as session:
            path = media / settings.preload_name
            async for block in paced_file(path, settings.preload_bytes_per_second, session.released(hold_ms)):
                yield block

    def holder_query(request: Request) -> tuple[str, int]:
        return _session_id(request), _query_int(request, "hold_ms", settings.hold_ms, 0, 600_000)

    async def sse_holder(request: Request) -> Response:
        try:
            session_id, hold_ms = holder_query(request)
        except BadQuery as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return event_stream(heartbeats(session_id, hold_ms), counter)

    async def media_holder(request: Request) -> Response:
        # No Content-Length and no Range: the stream may end early, when released.
        try:
            session_id, hold_ms = holder_query(request)
        except BadQuery as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return StreamingResponse(media_bytes(session_id, hold_ms), media_type=MP4, headers=NO_STORE)

    async def chunk(request: Request) -> Response:
        path = (media / request.path_params["name"]).resolve()
        if path.parent != media or not path.is_file():
            return PlainTextResponse("no such chunk", status_code=404)
        return MediaFileResponse(path, media_type=MP4, headers=NO_STORE)

    return Starlette(
        routes=[
            Route("/", player),
            Route("/health", health),
            Route("/events", events),
            Route("/chunks/{name}", chunk),
            Route("/pressure/media", media_holder),
            Route("/pressure/sse", sse_holder),
            Mount("/static", StaticFiles(directory=STATIC_DIR)),
        ]
    )
