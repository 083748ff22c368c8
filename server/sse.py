"""Server-Sent Events: message framing and a response that counts itself open."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.responses import StreamingResponse

# No hop-by-hop headers (Connection, Keep-Alive): they are forbidden in HTTP/2.
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
HEARTBEAT = b": heartbeat\n\n"
NO_RECONNECT_MS = 3_600_000  # the page closes streams itself; a drop must not replay


@dataclass
class StreamCounter:
    """How many event streams are open right now: lets tests see that none leak."""

    open: int = 0


def sse_message(event: str | None, data: object | None = None, *, retry_ms: int | None = None) -> bytes:
    lines = []
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}")
    if event is not None:
        lines.append(f"event: {event}")
    if data is not None:
        lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return ("\n".join(lines) + "\n\n").encode()


def event_stream(events: AsyncIterator[bytes], counter: StreamCounter) -> StreamingResponse:
    """An SSE response, counted open until its generator ends or the client leaves.

    Hypercorn announces ASGI spec 2.1, so Starlette listens for the disconnect and
    cancels the generator: a closed tab leaves no task behind.
    """

    async def counted() -> AsyncIterator[bytes]:
        counter.open += 1
        try:
            async for payload in events:
                yield payload
        finally:
            counter.open -= 1

    return StreamingResponse(counted(), media_type="text/event-stream", headers=SSE_HEADERS)
