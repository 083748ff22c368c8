"""``--live``: a line per event as it happens, so a person watching sees where time goes.

Page events (an event stream message, a chunk's loadstart, loadeddata, first frame)
come from the observer script (observer.py) through a binding; network events (a chunk requested,
its response with the wait before the network) from the browser's own instrumentation,
the same records the gate reads. Times are since the page was opened, as received here.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from playwright.sync_api import BrowserContext, Page

from playgate.capture.observer import LIVE_BINDING
from playgate.records import NetworkRecord


class Phases:
    """Where a run's wall time goes (the cost benchmark): moments marked by name as the run
    passes them; each phase is the time since the mark before it."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = [("start", time.perf_counter())]

    def mark(self, name: str) -> None:
        self.marks.append((name, time.perf_counter()))

    def spans_ms(self) -> dict[str, float]:
        return {name: (at - before) * 1000 for (_, before), (name, at) in zip(self.marks, self.marks[1:], strict=False)}


@dataclass(frozen=True)
class Watching:
    """What a run gives besides its record: live lines, the page left open (--keep-open),
    a Playwright trace written to ``trace`` (pytest, on failure), the phases timed (bench)."""

    live: LiveLog | None = None
    keep_open: bool = False
    trace: Path | None = None
    phases: Phases | None = None
    # What the page depends on, gone (the server's process exited): a reason, else None.
    # The run stops waiting for the page then rather than at its timeout.
    gone: Callable[[], str | None] = lambda: None

    def mark(self, phase: str) -> None:
        if self.phases is not None:
            self.phases.mark(phase)


def _blocked_text(record: NetworkRecord) -> str:
    parts = []
    if record.blocked_ms is not None:
        text = f"blocked {record.blocked_ms:.0f} ms"
        if record.queued_ms is not None and record.stalled_ms is not None:
            text += f" (queued {record.queued_ms:.0f}, stalled {record.stalled_ms:.0f})"
        parts.append(text)
    if record.protocol:
        parts.append(record.protocol)
    if record.connection_id:
        parts.append(f"connection {record.connection_id}")
    if record.wait_ms is not None:
        parts.append(f"first byte after {record.wait_ms:.0f} ms")
    if record.receive_ms is not None:
        parts.append(f"download {record.receive_ms:.0f} ms")
    return ", ".join(parts)


class LiveLog:
    """Prints the events of one run, chunks numbered in the order they were requested."""

    def __init__(self, browser: str, chunk_pattern: str, sse_pattern: str | None, out: TextIO = sys.stdout):
        self.browser = browser
        self.chunk_pattern = re.compile(chunk_pattern)
        self.sse_pattern = sse_pattern
        self.out = out
        self._start = time.monotonic()
        self._index: dict[str, int] = {}

    def _line(self, text: str) -> None:
        elapsed = (time.monotonic() - self._start) * 1000
        print(f"  +{elapsed:7.0f} ms  {self.browser:8}  {text}", file=self.out, flush=True)

    def _chunk(self, url: str) -> str | None:
        if not self.chunk_pattern.search(url):
            return None
        index = self._index.setdefault(url, len(self._index))
        return f"chunk {index}"

    def attach(self, context: BrowserContext, page: Page) -> None:
        """Expose the binding the observer script calls (added with ``live=True``)."""
        page.expose_function(LIVE_BINDING, self.page_event)
        self._start = time.monotonic()

    def page_event(self, kind: str, detail: dict[str, Any]) -> None:
        if kind == "sse":
            data = str(detail.get("data", ""))
            self._line(f"event stream: {detail.get('type')} {data[:80]}")
            return
        if kind == "ws":
            self._line(f"websocket message: {str(detail.get('data', ''))[:80]}")
            return
        if kind == "append":
            self._line(f"appended {detail.get('bytes')} bytes to a SourceBuffer")
            return
        name = self._chunk(str(detail.get("url", ""))) or "media"
        words = {"loadstart": "loadstart", "loadeddata": "loaded (loadeddata)", "frame": "first frame"}
        self._line(f"{name} {words.get(kind, kind)}" + (f": {detail['error']}" if detail.get("error") else ""))

    def network_event(self, kind: str, url: str, record: NetworkRecord | None) -> None:
        name = self._chunk(url)
        if name is None:
            return
        if kind == "requested":
            self._line(f"{name} requested {url}")
        elif record is not None and record.failure:
            self._line(f"{name} failed: {record.failure}")
        elif record is not None:
            self._line(f"{name} {'response' if kind == 'response' else 'downloaded'}: {_blocked_text(record)}")

    def finish(self, page: Page) -> None:
        self._line("every chunk settled; reading the records")
