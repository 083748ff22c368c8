"""A network record from the page's own Resource Timing, for a browser whose network
instrumentation playwright cannot reach (WebKit over WebDriver classic: capture.webkit).

What it gives: the protocol (``nextHopProtocol``), the wait before the network (start to
the first network phase), DNS, connect, TLS, waiting for the first byte and receiving, the
body size, and when each request started and ended. What it cannot: a request still open
(an entry is added when a response ends, so an event stream or a held preload is never
seen), the request queue's share of the wait, the connection, whether it was reused, the
status before WebKit 2.50's ``responseStatus``, the method, the sending time. Those stay None.

Every run also reads the page's entries (``read_entries``), for when each chunk's download
ended in page time, and, where the browser lets a worker be read, its workers' entries too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from playwright.sync_api import Error as PlaywrightError

from playgate.capture.recorders import NetworkListener, ignore_network, in_issue_order
from playgate.records import RESOURCES_JS, NetworkRecord, ResourceTiming

# The page's entries, read as every run reads them (records.RESOURCES_JS), with its time origin.
RESOURCE_RECORDS_JS = f"() => ({{ origin: performance.timeOrigin, entries: ({RESOURCES_JS})() }})"

# Resource Timing's initiator types, as the other recorders name a request's resource type.
RESOURCE_TYPES = {"video": "media", "audio": "media", "xmlhttprequest": "xhr", "link": "other"}

# An entry's times (ms from its time origin); 0 is "not given". The rest is sizes and names.
ENTRY_TIMES = (
    "start_time",
    "request_start",
    "response_start",
    "response_end",
    "connect_start",
    "connect_end",
    "dns_start",
    "dns_end",
    "secure_start",
)


# Each URL's entries in page time, in the order they started: a URL asked for twice (a
# player that let a request go and asked again) has two, and only one brought the chunk.
PageEntries = dict[str, tuple[ResourceTiming, ...]]


def read_entries(page: Any, *, with_workers: bool) -> PageEntries:
    """The page's entries, then (``with_workers``) those of the page's dedicated workers for
    URLs the page has none of. A player that fetches its segments in a worker has them in
    the worker's timeline only; they are moved onto the page's time origin, so that when a
    segment ended can be set against the page's SourceBuffer appends. A worker that went
    before it was read leaves its requests to the network record."""
    read = page.evaluate(RESOURCE_RECORDS_JS)
    entries = by_url(read["entries"])
    for worker in page.workers if with_workers else ():
        try:
            seen = worker.evaluate(RESOURCE_RECORDS_JS)
        except PlaywrightError:  # it ended in the meantime
            continue
        later_ms = seen["origin"] - read["origin"]
        for url, found in by_url(seen["entries"]).items():
            entries.setdefault(url, tuple(moved(entry, later_ms) for entry in found))
    return entries


def by_url(resources: list[dict[str, Any]]) -> PageEntries:
    entries: dict[str, list[ResourceTiming]] = {}
    for raw in resources:
        entries.setdefault(raw["name"], []).append(ResourceTiming.from_page(raw))
    return {url: tuple(found) for url, found in entries.items()}


def first_entries(entries: PageEntries) -> dict[str, ResourceTiming]:
    """Each URL's first entry: what the recorders read a URL's protocol from."""
    return {url: found[0] for url, found in entries.items()}


def entry_for(record: NetworkRecord, entries: PageEntries, origin_ms: float | None) -> ResourceTiming | None:
    """The entry of the request ``record`` is, among its URL's: the one that ended nearest to
    when it ended, else (no end in the record) that started nearest to when it started. The
    two clocks differ by a few ms (Firefox's BiDi start by up to 60), far less than a request
    let go at once and the one asked after it."""
    found = entries.get(record.url, ())
    if len(found) <= 1 or origin_ms is None:
        return found[0] if found else None
    if record.ended_at is not None:
        ended_ms = record.ended_at * 1000 - origin_ms
        return min(found, key=lambda entry: abs(entry.response_end - ended_ms))
    if record.started_at is not None:
        started_ms = record.started_at * 1000 - origin_ms
        return min(found, key=lambda entry: abs(entry.start_time - started_ms))
    return found[0]


def moved(entry: ResourceTiming, later_ms: float) -> ResourceTiming:
    """The entry in the page's clock, its own time origin being ``later_ms`` after the page's."""
    return replace(entry, **{name: value + later_ms for name in ENTRY_TIMES if (value := getattr(entry, name)) > 0})


def _span(start: float, end: float) -> float | None:
    return end - start if start > 0 and end >= start else None


def record_from_entry(timing: ResourceTiming, time_origin_ms: float) -> NetworkRecord:
    """One finished request from its Resource Timing entry (page time, ms since
    ``time_origin_ms``): the wait, wait for the first byte and receive as ResourceTiming
    reads them for every browser's cross-check; the connection's phases where it opened one."""
    new = timing.new_connection
    secure = timing.secure_start if new and timing.secure_start > 0 else None
    return NetworkRecord(
        url=timing.name,
        source="resource-timing",
        protocol=timing.next_hop_protocol,
        connection_id=None,
        connection_reused=None,
        status=timing.status or None,
        bytes=timing.encoded_body_size if timing.transfer_size > 0 else None,
        blocked_ms=timing.blocked_ms,
        queued_ms=None,
        dns_ms=_span(timing.dns_start, timing.dns_end) if new else None,
        connect_ms=_span(timing.connect_start, secure or timing.connect_end) if new else None,
        tls_ms=_span(secure, timing.connect_end) if secure else None,
        send_ms=None,
        wait_ms=timing.wait_ms,
        receive_ms=timing.receive_ms,
        resource_type=RESOURCE_TYPES.get(timing.initiator_type or "", timing.initiator_type),
        started_at=(time_origin_ms + timing.start_time) / 1000,
        ended_at=(time_origin_ms + timing.response_end) / 1000 if timing.response_end > 0 else None,
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
            entries = (ResourceTiming.from_page(entry) for entry in read["entries"])
            records.extend(record_from_entry(entry, read["origin"]) for entry in entries)
        return in_issue_order(records)
