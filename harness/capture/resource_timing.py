"""A network record from the page's own Resource Timing, for a browser whose network
instrumentation playwright cannot reach (WebKit over WebDriver classic: capture.webkit).

What it gives: the protocol (``nextHopProtocol``), the wait before the network (start to
the first network phase), DNS, connect, TLS, waiting for the first byte and receiving, the
body size, and when each request started and ended. What it cannot: a request still open
(an entry is added when a response ends, so an event stream or a held preload is never
seen), the request queue's share of the wait, the connection, whether it was reused, the
status before WebKit 2.50's ``responseStatus``, the method, the sending time. Those stay None.
"""

from __future__ import annotations

from typing import Any

from playgate.capture.recorders import NetworkListener, ignore_network, in_issue_order
from playgate.records import NetworkRecord, ResourceTiming

RESOURCE_RECORDS_JS = """() => ({
  origin: performance.timeOrigin,
  entries: performance.getEntriesByType("resource").map((e) => ({
    name: e.name, initiator: e.initiatorType, protocol: e.nextHopProtocol, start: e.startTime,
    dns_start: e.domainLookupStart, dns_end: e.domainLookupEnd, connect_start: e.connectStart,
    secure_start: e.secureConnectionStart, connect_end: e.connectEnd, request_start: e.requestStart,
    response_start: e.responseStart, response_end: e.responseEnd, body: e.encodedBodySize,
    transfer: e.transferSize, status: e.responseStatus ?? null,
  })),
})"""

# Resource Timing's initiator types, as the other recorders name a request's resource type.
RESOURCE_TYPES = {"video": "media", "audio": "media", "xmlhttprequest": "xhr", "link": "other"}


def _span(start: float, end: float) -> float | None:
    return end - start if start > 0 and end >= start else None


def record_from_entry(entry: dict[str, Any], time_origin_ms: float) -> NetworkRecord:
    """One finished request from its Resource Timing entry (page time, ms since ``time_origin_ms``)."""
    start, request_start = entry["start"], entry["request_start"]
    new_connection = entry["connect_end"] > entry["connect_start"] > 0
    first_phase = entry["dns_start"] if new_connection and entry["dns_end"] > entry["dns_start"] > 0 else None
    first_phase = first_phase or (entry["connect_start"] if new_connection else request_start)
    secure = entry["secure_start"] if new_connection and entry["secure_start"] > 0 else None
    response_end = entry["response_end"]
    return NetworkRecord(
        url=entry["name"],
        source="resource-timing",
        protocol=entry["protocol"] or None,
        connection_id=None,
        connection_reused=None,
        status=entry["status"] or None,
        bytes=entry["body"] if entry["transfer"] > 0 else None,
        blocked_ms=_span(start, first_phase) if first_phase else None,
        queued_ms=None,
        dns_ms=_span(entry["dns_start"], entry["dns_end"]) if new_connection else None,
        connect_ms=_span(entry["connect_start"], secure or entry["connect_end"]) if new_connection else None,
        tls_ms=_span(secure, entry["connect_end"]) if secure else None,
        send_ms=None,
        wait_ms=_span(request_start, entry["response_start"]),
        receive_ms=_span(entry["response_start"], response_end),
        resource_type=RESOURCE_TYPES.get(entry["initiator"], entry["initiator"] or None),
        started_at=(time_origin_ms + start) / 1000,
        ended_at=(time_origin_ms + response_end) / 1000 if response_end > 0 else None,
    )


class ResourceTimingRecorder:
    """The pages' Resource Timing, read when asked: every request that has ended."""

    def __init__(self) -> None:
        self._pages: list[Any] = []

    def attach(self, context: Any, page: Any, listener: NetworkListener = ignore_network) -> None:
        self._pages.append(page)

    def settled(self, urls: set[str]) -> bool:
        return urls <= {record.url for record in self.records({})}

    def records(self, page_entries: dict[str, ResourceTiming]) -> list[NetworkRecord]:
        records: list[NetworkRecord] = []
        for page in self._pages:
            read = page.evaluate(RESOURCE_RECORDS_JS)
            records.extend(record_from_entry(entry, read["origin"]) for entry in read["entries"])
        return in_issue_order(records)
