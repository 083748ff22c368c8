"""Media responses: files with RFC 9110 Range handling, and a paced stream for holders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import anyio
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

MP4 = "video/mp4"
PACED_BLOCK = 16 * 1024


class MediaFileResponse(FileResponse):
    """FileResponse (206 for a byte range, 416 past the end) with RFC 9110's rule for
    foreign range units: a server MUST ignore a Range whose unit it does not know
    (RFC 9110 14.2), where Starlette would answer 400. Malformed byte ranges get 400.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (name, value)
            for name, value in scope["headers"]
            if name != b"range" or value.strip().lower().startswith(b"bytes")
        ]
        await super().__call__({**scope, "headers": headers}, receive, send)


async def paced_file(path: Path, bytes_per_second: int, until: Awaitable[None]) -> AsyncIterator[bytes]:
    """The file's bytes at a bounded rate, as over a real link, ending early when
    ``until`` completes: a media element preloading it holds its connection that long."""
    release = asyncio.ensure_future(until)
    loop = asyncio.get_running_loop()
    started, sent = loop.time(), 0
    try:
        async with await anyio.open_file(path, "rb") as file:
            while block := await file.read(PACED_BLOCK):
                sent += len(block)
                delay = started + sent / bytes_per_second - loop.time()
                if delay > 0:
                    await asyncio.wait({release}, timeout=delay)
                if release.done():
                    return
                yield block
    finally:
        release.cancel()
