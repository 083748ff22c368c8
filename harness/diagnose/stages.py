"""One request's stages, read from httpx's own trace events (``extensions={"trace": ...}``).

DNS is timed here, around the resolver call, because httpcore resolves inside its TCP
connect; the request then goes to the resolved address with the original name as SNI
and Host, so ``connect_ms`` holds the TCP handshake alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

# trace event -> the stage boundary it marks
_MARKS = {
    "connection.connect_tcp.started": "connect_start",
    "connection.connect_tcp.complete": "connect_end",
    "connection.start_tls.started": "tls_start",
    "connection.start_tls.complete": "tls_end",
    "http11.send_request_headers.started": "send_start",
    "http2.send_request_headers.started": "send_start",
    "http11.receive_response_headers.complete": "headers_end",
    "http2.receive_response_headers.complete": "headers_end",
}


@dataclass
class StageClock:
    """Collects monotonic marks for one request; pass ``trace`` as the httpx trace hook."""

    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, time.perf_counter())

    def trace(self, event: str, info: dict[str, Any]) -> None:
        name = _MARKS.get(event)
        if name:
            self.mark(name)

    def span_ms(self, start: str, end: str) -> float | None:
        if start not in self.marks or end not in self.marks:
            return None
        return (self.marks[end] - self.marks[start]) * 1000

    def since_start_ms(self, name: str) -> float | None:
        return None if name not in self.marks else (self.marks[name] - self.started) * 1000


@dataclass(frozen=True)
class RequestStages:
    """What one request cost, in ms; None where the stage did not happen (a pooled
    request has no DNS, connect or TLS) or could not be measured."""

    asked: str  # the protocol asked for: "http/1.1" or "h2"
    variant: str  # cold, pooled, partial, stream
    protocol: str  # as negotiated
    connection: int  # the connection's number within this diagnosis (1, 2, ...)
    reused: bool
    status: int
    bytes: int
    dns_ms: float | None
    connect_ms: float | None
    tls_ms: float | None
    ttfb_ms: float | None  # request headers sent -> response headers received
    transfer_ms: float | None  # response headers -> last byte read
    first_frame_ms: float | None  # request start -> first decoded video frame
    total_ms: float  # request start -> done (last byte, or first frame when decoding later)
    note: str | None = None

    @property
    def setup_ms(self) -> float:
        return sum(v for v in (self.dns_ms, self.connect_ms, self.tls_ms) if v is not None)
