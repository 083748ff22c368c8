"""Media responses: files with RFC 9110 Range handling, and paced ones for holders."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from starlette.responses import FileResponse, PlainTextResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from playgate.server.ranges import WHOLE_FILE, MalformedRange, parse_byte_ranges, range_to_serve, range_unit

MP4 = "video/mp4"
PACED_BLOCK = 16 * 1024


def paced(send: Send, bytes_per_second: int) -> Send:
    """``send`` with body bytes leaving at a bounded rate, as over a real link.

    Headers go at once; the body block that ends at byte ``n`` leaves ``n / rate``
    seconds after the response started, so the whole body takes ``size / rate``.
    """
    loop = asyncio.get_running_loop()
    started, sent = loop.time(), 0

    async def paced_send(message: Message) -> None:
        nonlocal sent
        if message["type"] == "http.response.body":
            sent += len(message.get("body", b""))
            delay = started + sent / bytes_per_second - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        await send(message)

    return paced_send


NAME_MAX_BYTES = 255  # the longest file name Linux file systems hold


def media_file(folder: Path, name: str) -> Path | None:
    """The file ``name`` directly inside ``folder`` (a resolved path), or None.

    None for anything that is not a plain file name of that folder: a separator or a
    NUL in it, a name too long for the file system, a symlink leading out of the folder,
    a folder, or nothing there. Checked before the file system is asked, so that no
    name can raise (a NUL or an over-long name would, and answer 500).
    """
    if not name or "/" in name or "\\" in name or "\0" in name or name in {".", ".."}:
        return None
    if len(name.encode("utf-8", "surrogateescape")) > NAME_MAX_BYTES:
        return None
    try:
        path = (folder / name).resolve()
        return path if path.parent == folder and path.is_file() else None
    except (OSError, ValueError):  # a file system that still refuses the name
        return None


class ServerTimed:
    """ASGI middleware: every response carries ``Server-Timing: app;dur=MS``, the app's
    time from receiving the request to handing over the response headers.

    The page reads it from Resource Timing (``serverTiming``): the ground truth for a
    chunk's wait. An injected delay is stretched on a busy machine (a late wake-up, the
    thread hop that opens the file); this is the delay as actually served.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        received = loop.time()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                duration = f"app;dur={(loop.time() - received) * 1000:.1f}".encode()
                message = {**message, "headers": [*message.get("headers", []), (b"server-timing", duration)]}
            await send(message)

        await self.app(scope, receive, timed_send)


class MediaFileResponse(FileResponse):
    """FileResponse (206 for a byte range, 416 past the end) with the Range header
    sorted first by RFC 9110's grammar (see ranges.py): a unit it does not know ignored,
    a malformed byte range 400.

    ``bytes_per_second`` sends the body at that rate (fault injection: a slow link).
    """

    chunk_size = PACED_BLOCK

    def __init__(self, path: Path, *, bytes_per_second: int | None = None, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.bytes_per_second = bytes_per_second

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = []
        for name, value in scope["headers"]:
            if name == b"range":
                text = value.decode("latin-1")
                if range_unit(text) != "bytes":
                    continue  # a unit not known here, or no unit: ignored
                try:
                    ranges = parse_byte_ranges(text)
                except MalformedRange as exc:
                    await PlainTextResponse(f"{exc}", status_code=400)(scope, receive, send)
                    return
                served = range_to_serve(ranges, os.stat(self.path).st_size)
                if served == WHOLE_FILE:
                    continue
                value = value if served is None else served.encode()
            headers.append((name, value))
        if self.bytes_per_second:
            send = paced(send, self.bytes_per_second)
        await super().__call__({**scope, "headers": headers}, receive, _unit_on_unsatisfiable(send))


def _unit_on_unsatisfiable(send: Send) -> Send:
    """``send`` with a 416's ``Content-Range: */SIZE`` given its unit, ``bytes */SIZE``, as
    RFC 9110 (14.4) has it: Starlette before 0.47 leaves the unit out."""

    async def with_unit(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 416:
            headers = [
                (name, b"bytes " + value if name == b"content-range" and value.startswith(b"*/") else value)
                for name, value in message.get("headers", [])
            ]
            message = {**message, "headers": headers}
        await send(message)

    return with_unit


class StaticFolder(StaticFiles):
    """StaticFiles where a name the file system refuses (a NUL in it) is 404, as in newer
    Starlette; before 0.47 the ValueError escaped and answered 500."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        try:
            return super().lookup_path(path)
        except ValueError:
            return "", None


class PacedFileResponse(FileResponse):
    """A whole media file, not seekable, whose body leaves at a bounded rate.

    Bounded rate, as over a real link: a video element preloading it keeps its
    connection instead of finishing at loopback speed. Not seekable (200 to any Range,
    no Accept-Ranges): a browser cannot drop the connection once its read-ahead is full
    and resume later with a Range request, as Firefox does with seekable media, so the
    connection stays held until the page lets go of the element.
    """

    chunk_size = PACED_BLOCK

    def __init__(self, path: Path, *, bytes_per_second: int, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        del self.headers["accept-ranges"]
        self.bytes_per_second = bytes_per_second

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        whole_file = [(name, value) for name, value in scope["headers"] if name != b"range"]
        await super().__call__({**scope, "headers": whole_file}, receive, paced(send, self.bytes_per_second))
