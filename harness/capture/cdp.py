"""Chromium: network records from the DevTools protocol's Network domain.

Queueing is ``response.timing.requestTime - requestWillBeSent.timestamp`` (both in
seconds on one monotonic clock), what DevTools' HAR calls ``_blocked_queueing``.
Playwright's own ``request.timing`` starts at requestTime in Chromium and so hides it.
The phase offsets in ``response.timing`` are ms after requestTime, -1 when absent.
Blocked runs on to the first of DNS, connect or send, as DevTools' "Stalled" does: a
request waiting for a free h2 stream waits there, after requestTime, not in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from playgate.records import NO_RESPONSE, NetworkRecord

EVENTS = (
    "Network.requestWillBeSent",
    "Network.responseReceived",
    "Network.loadingFinished",
    "Network.loadingFailed",
)


@dataclass
class _Request:
    url: str
    issued_s: float
    resource_type: str | None
    response: dict[str, Any] | None = None
    finished_s: float | None = None
    ended_s: float | None = None  # finished or failed, on the same clock as issued_s
    encoded_total: int | None = None
    failure: str | None = None
    order: int = 0
    wall_time_s: float | None = None
    method: str | None = None


def _span(start: float, end: float) -> float | None:
    return end - start if start >= 0 and end >= 0 else None


def record_from_cdp(request: _Request) -> NetworkRecord:
    response = request.response or {}
    timing = response.get("timing")
    blocked = queued = dns = connect = tls = send = wait = receive = None
    if timing:
        started_s = timing["requestTime"]
        queued = (started_s - request.issued_s) * 1000
        if queued < 0:
            # Timing that starts before the request was issued is not this request's own: a
            # cross-origin request preflighted (CORS) carries the timing of its preflight.
            queued = None
        first_phase = next((timing[k] for k in ("dnsStart", "connectStart", "sendStart") if timing[k] >= 0), None)
        blocked = None if first_phase is None or queued is None else queued + first_phase
        dns = _span(timing["dnsStart"], timing["dnsEnd"])
        tls = _span(timing["sslStart"], timing["sslEnd"])
        tcp_end = timing["sslStart"] if timing["sslStart"] >= 0 else timing["connectEnd"]
        connect = _span(timing["connectStart"], tcp_end)
        send = _span(timing["sendStart"], timing["sendEnd"])
        wait = _span(timing["sendEnd"], timing["receiveHeadersEnd"])
        if request.finished_s is not None and timing["receiveHeadersEnd"] >= 0:
            receive = request.finished_s * 1000 - (started_s * 1000 + timing["receiveHeadersEnd"])
    body_bytes = None
    if request.encoded_total is not None and "encodedDataLength" in response:
        # loadingFinished counts headers and body; responseReceived, the headers so far.
        # A total below the headers is inconsistent: no figure rather than a clamped one.
        counted = request.encoded_total - int(response["encodedDataLength"])
        body_bytes = counted if counted >= 0 else None
    connection_id = response.get("connectionId")
    ended_at = None
    if request.wall_time_s is not None and request.ended_s is not None:
        # wallTime is the epoch time of issue; the other timestamps are on a monotonic clock.
        ended_at = request.wall_time_s + (request.ended_s - request.issued_s)
    return NetworkRecord(
        url=request.url,
        source="cdp",
        protocol=response.get("protocol") or None,
        connection_id=str(connection_id) if connection_id is not None else None,
        connection_reused=response.get("connectionReused"),
        status=response.get("status"),
        bytes=body_bytes,
        blocked_ms=blocked,
        queued_ms=queued,
        dns_ms=dns,
        connect_ms=connect,
        tls_ms=tls,
        send_ms=send,
        wait_ms=wait,
        receive_ms=receive,
        failure=request.failure or (None if request.response else NO_RESPONSE),
        resource_type=request.resource_type,
        started_at=request.wall_time_s,
        method=request.method,
        mime_type=response.get("mimeType") or None,
        ended_at=ended_at,
        alt_svc=_header(response.get("headers") or {}, "alt-svc"),
    )


def _header(headers: dict[str, str], name: str) -> str | None:
    """A response header by name: CDP keeps each name's case as the server sent it."""
    return next((value for key, value in headers.items() if key.lower() == name), None)


@dataclass
class CdpNetworkLog:
    """Collects Network events as they arrive; ``records()`` builds one record each."""

    _requests: dict[str, _Request] = field(default_factory=dict)
    _count: int = 0

    def handle(self, method: str, params: dict[str, Any]) -> None:
        request_id = params.get("requestId")
        if request_id is None:
            return
        if method == "Network.requestWillBeSent":
            # A redirect reuses the id: the request that counts is the last one issued.
            self._count += 1
            self._requests[request_id] = _Request(
                url=params["request"]["url"],
                issued_s=params["timestamp"],
                resource_type=params.get("type"),
                order=self._count,
                wall_time_s=params.get("wallTime"),
                method=params["request"].get("method"),
            )
            return
        request = self._requests.get(request_id)
        if request is None:
            return
        if method == "Network.responseReceived":
            request.response = params["response"]
        elif method == "Network.loadingFinished":
            request.finished_s = request.ended_s = params["timestamp"]
            request.encoded_total = params.get("encodedDataLength")
        elif method == "Network.loadingFailed":
            request.ended_s = params.get("timestamp")
            request.failure = params.get("errorText") or "failed"
            if params.get("canceled"):
                request.failure = f"canceled ({request.failure})"

    def feed(self, events: Iterable[tuple[str, dict[str, Any]]]) -> CdpNetworkLog:
        for method, params in events:
            self.handle(method, params)
        return self

    def settled(self, urls: set[str]) -> bool:
        """True once every URL has a request that finished or failed."""
        done = {r.url for r in self._requests.values() if r.finished_s is not None or r.failure is not None}
        return urls <= done

    def record(self, request_id: str) -> NetworkRecord | None:
        """One request's record as far as it has arrived (for live output)."""
        request = self._requests.get(request_id)
        return record_from_cdp(request) if request is not None else None

    def records(self) -> list[NetworkRecord]:
        ordered = sorted(self._requests.values(), key=lambda r: r.order)
        return [record_from_cdp(request) for request in ordered]
