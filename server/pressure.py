"""Connection holders: what fills the browser's six HTTP/1.1 connections per host.

A page asks for ``sse:N`` (event streams that only send heartbeats) or ``media:N``
(video elements preloading a large file sent at a bounded rate). Holders belong to a
page session; the server releases them ``hold_ms`` after it sends that session's first
chunk event, so the first chunk's queueing on HTTP/1.1 is known in advance.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class PageSession:
    first_chunk_sent: asyncio.Event = field(default_factory=asyncio.Event)
    members: int = 0

    async def released(self, hold_ms: int) -> None:
        """Completes ``hold_ms`` after the session's first chunk event was sent."""
        await self.first_chunk_sent.wait()
        await asyncio.sleep(hold_ms / 1000)


class PageSessions:
    """Sessions by the id a page chose; dropped once no stream of theirs is open."""

    def __init__(self) -> None:
        self._sessions: dict[str, PageSession] = {}

    @contextmanager
    def join(self, session_id: str) -> Iterator[PageSession]:
        session = self._sessions.setdefault(session_id, PageSession())
        session.members += 1
        try:
            yield session
        finally:
            session.members -= 1
            if session.members == 0:
                del self._sessions[session_id]

    def __len__(self) -> int:
        return len(self._sessions)
