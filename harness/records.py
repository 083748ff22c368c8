"""What was observed, as frozen records. Built once from each source; everything else
(the gate, the table, the JSON) reads these and derives no timings of its own.

A figure the browser did not give is ``None``. Never fill it in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from playgate.origin import OriginProbe, origin_of
from playgate.playback_record import Playback, round_ms
from playgate.webrtc_record import WebRtc

PHASES = ("blocked_ms", "queued_ms", "dns_ms", "connect_ms", "tls_ms", "send_ms", "wait_ms", "receive_ms")
# The failure of a request with no response yet: still in flight, or never answered.
NO_RESPONSE = "no response"
# Where a record came from: Chromium's DevTools protocol, Firefox's WebDriver BiDi, or
# Playwright's request events for a Chromium request no DevTools session saw (a worker's).
SOURCES = ("cdp", "bidi", "playwright", "resource-timing")
# Sub-millisecond disagreement between two readings of one clock is rounding, not data.
CLOCK_SLACK_MS = 1.0


def _check_duration(name: str, value: float | None) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value < -CLOCK_SLACK_MS:
        raise ValueError(f"{name} must be a finite duration >= 0, got {value}")


def delivering(records: list[NetworkRecord], *, media_element: bool = False) -> NetworkRecord | None:
    """Of the requests for one URL (in issue order), the one that brought it: the first
    answered that did not fail, else the first. A player that cancels a fetch and asks
    again appended the bytes of the request that completed, not those of the cancelled one.

    A media element (``media_element``) plays from the first answered request even where it
    cancelled that request afterwards: Chromium's media element cancels a preloading chunk
    once it has enough to play and asks for the rest later, and the first frame came from
    the first request, after that request's wait."""
    answered = [r for r in records if r.status is not None and (media_element or r.failure is None)]
    return answered[0] if answered else (records[0] if records else None)


def download_end_ms(
    record: NetworkRecord | None, entry: ResourceTiming | None, origin_ms: float | None
) -> float | None:
    """Page time a download ended: its Resource Timing entry's (the appends' clock), else its record's."""
    if entry is not None and entry.response_end > 0:
        return entry.response_end
    ended = record.ended_at if record is not None else None
    return None if ended is None or origin_ms is None else ended * 1000 - origin_ms


def cancelled_by_the_page(failure: str | None) -> bool:
    """The page (or its worker) cancelled the request itself. Chromium ends it with
    net::ERR_ABORTED (DevTools adds ``canceled``; Playwright's record of a worker's request,
    kept where the DevTools session missed that worker, does not), Firefox's channel with
    NS_BINDING_ABORTED. A reset or a cut body has its own error in both browsers."""
    return failure is not None and ("ERR_ABORTED" in failure or "NS_BINDING_ABORTED" in failure)


@dataclass(frozen=True)
class NetworkRecord:
    """One request as the browser's own network instrumentation saw it.

    ``blocked_ms`` runs from the page issuing the request to its first network phase
    (DNS, connect, or sending it): the whole wait before the network, HAR's ``blocked``.
    Both browsers give it. ``queued_ms`` is the part spent in the browser's own request
    queue (HAR's ``_blocked_queueing``), which only Chromium separates; the rest is
    ``stalled_ms``, where Chromium waits for a socket or, over h2, for a free stream.
    """

    url: str
    source: str  # one of SOURCES
    protocol: str | None  # as the browser names it: "h2", "http/1.1", "h3"
    connection_id: str | None
    connection_reused: bool | None
    status: int | None
    bytes: int | None  # response body bytes received
    blocked_ms: float | None
    queued_ms: float | None
    dns_ms: float | None
    connect_ms: float | None  # TCP only; TLS is tls_ms
    tls_ms: float | None
    send_ms: float | None
    wait_ms: float | None  # request sent -> first response byte
    receive_ms: float | None  # first -> last response byte
    failure: str | None = None
    resource_type: str | None = None
    started_at: float | None = None  # epoch seconds when the page issued the request
    method: str | None = None
    mime_type: str | None = None
    # Epoch seconds when the browser finished or gave up on it (None: not given, or never).
    ended_at: float | None = None
    # The response's Alt-Svc header, as received: how a server advertises HTTP/3.
    alt_svc: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}")
        for name in PHASES:
            _check_duration(name, getattr(self, name))
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status {self.status} is not an HTTP status")
        if self.bytes is not None and self.bytes < 0:
            raise ValueError(f"bytes must be >= 0, got {self.bytes}")
        blocked, queued = self.blocked_ms, self.queued_ms
        if blocked is not None and queued is not None and queued > blocked + CLOCK_SLACK_MS:
            raise ValueError(f"queued_ms {self.queued_ms} is part of blocked_ms {self.blocked_ms}, not more")

    @property
    def network_at(self) -> float | None:
        """Epoch seconds when it reached the network (issued, plus blocked)."""
        if self.started_at is None or self.blocked_ms is None:
            return None
        return self.started_at + self.blocked_ms / 1000

    @property
    def stalled_ms(self) -> float | None:
        """Blocked but no longer in the request queue (Chromium's "Stalled")."""
        if self.blocked_ms is None or self.queued_ms is None:
            return None
        return max(0.0, self.blocked_ms - self.queued_ms)


# A page function returning the page's Resource Timing entries, in ResourceTiming's terms:
# the same on the bundled player and on the user's page.
RESOURCES_JS = """() => performance.getEntriesByType("resource").map((e) => ({
  name: e.name, initiator_type: e.initiatorType, next_hop_protocol: e.nextHopProtocol,
  start_time: e.startTime, dns_start: e.domainLookupStart, dns_end: e.domainLookupEnd,
  connect_start: e.connectStart, secure_start: e.secureConnectionStart, connect_end: e.connectEnd,
  request_start: e.requestStart, response_start: e.responseStart, response_end: e.responseEnd,
  encoded_body_size: e.encodedBodySize, transfer_size: e.transferSize, status: e.responseStatus ?? 0,
  server_timing: Object.fromEntries((e.serverTiming || []).map((t) => [t.name, t.duration])),
}))"""


@dataclass(frozen=True)
class ResourceTiming:
    """The page's PerformanceResourceTiming entry for a URL: a cross-check, in page time."""

    name: str
    next_hop_protocol: str | None
    start_time: float
    request_start: float
    response_start: float
    response_end: float
    connect_start: float = 0.0  # equal to fetchStart when the connection was reused
    connect_end: float = 0.0
    server_timing: dict[str, float] = field(default_factory=dict)  # Server-Timing: name -> ms
    dns_start: float = 0.0
    dns_end: float = 0.0
    secure_start: float = 0.0  # 0: no TLS handshake on this request
    initiator_type: str | None = None  # "video", "fetch", "script", ...
    encoded_body_size: int = 0
    transfer_size: int = 0  # 0: nothing came over the network (cached, or opaque)
    status: int = 0  # responseStatus; 0: not given (older engines)

    @classmethod
    def from_page(cls, entry: dict[str, Any]) -> ResourceTiming:
        return cls(
            name=entry["name"],
            next_hop_protocol=entry.get("next_hop_protocol") or None,
            start_time=float(entry["start_time"]),
            request_start=float(entry["request_start"]),
            response_start=float(entry["response_start"]),
            response_end=float(entry["response_end"]),
            connect_start=float(entry.get("connect_start", 0.0)),
            connect_end=float(entry.get("connect_end", 0.0)),
            server_timing={str(k): float(v) for k, v in (entry.get("server_timing") or {}).items()},
            dns_start=float(entry.get("dns_start") or 0.0),
            dns_end=float(entry.get("dns_end") or 0.0),
            secure_start=float(entry.get("secure_start") or 0.0),
            initiator_type=entry.get("initiator_type") or None,
            encoded_body_size=int(entry.get("encoded_body_size") or 0),
            transfer_size=int(entry.get("transfer_size") or 0),
            status=int(entry.get("status") or 0),
        )

    @property
    def queued_ms(self) -> float | None:
        """requestStart - startTime: queueing plus any connection setup on this path."""
        return self.request_start - self.start_time if self.request_start > 0 else None

    @property
    def new_connection(self) -> bool:
        """The request opened its connection (a reused one shows connect start == end)."""
        return self.connect_end > self.connect_start > 0

    @property
    def blocked_ms(self) -> float | None:
        """startTime -> the first network phase: a new connection's DNS lookup or connect,
        else the request's start."""
        if self.request_start <= 0:
            return None
        first_phase = self.request_start
        if self.new_connection:
            looked_up = self.dns_end > self.dns_start > 0
            first_phase = self.dns_start if looked_up else self.connect_start
        return first_phase - self.start_time

    @property
    def wait_ms(self) -> float | None:
        """requestStart -> responseStart: sending and waiting for the first byte."""
        return self.response_start - self.request_start if self.response_start > 0 < self.request_start else None

    @property
    def receive_ms(self) -> float | None:
        return self.response_end - self.response_start if self.response_end > 0 < self.response_start else None


@dataclass(frozen=True)
class PageChunk:
    """What the player page saw of one announced chunk (performance.now() ms)."""

    index: int
    url: str
    event_ms: float | None  # None: no event stream message named the chunk (--url/--app)
    loadstart_ms: float | None
    loadeddata_ms: float | None
    first_frame_ms: float | None
    error: str | None
    size: int | None = None  # bytes, as the chunk event announced it
    # "element": a media element's source; "fetched": a request of the page's code
    # (fetch, XMLHttpRequest) whose bytes a SourceBuffer append carried: loadeddata_ms is
    # then the end of that append.
    kind: str = "element"
    # A fetched chunk: the media time its appends added, in seconds (None: not appended).
    media_start_s: float | None = None
    media_end_s: float | None = None

    @classmethod
    def from_page(cls, data: dict[str, Any]) -> PageChunk:
        return cls(
            index=int(data["index"]),
            url=data["url"],
            event_ms=None if data.get("event_ms") is None else float(data["event_ms"]),
            loadstart_ms=data.get("loadstart_ms"),
            loadeddata_ms=data.get("loadeddata_ms"),
            first_frame_ms=data.get("first_frame_ms"),
            error=data.get("error"),
            size=data.get("size"),
            kind=data.get("kind", "element"),
            media_start_s=data.get("media_start_s"),
            media_end_s=data.get("media_end_s"),
        )


def _since(start: float | None, end: float | None) -> float | None:
    return None if end is None or start is None else end - start


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk: its network record joined with the page's view of it."""

    index: int
    url: str
    network: NetworkRecord | None  # None: the browser reported no request for it
    page: PageChunk
    resource_timing: ResourceTiming | None
    request_count: int = 1

    def net_ms(self, figure: str) -> float | None:
        """A duration of the chunk's network record named by ``figure`` (one of PHASES, or
        stalled_ms), None without one: for code that goes through the figures by name. Read
        one figure as its attribute (``chunk.wait_ms``)."""
        if figure not in (*PHASES, "stalled_ms"):
            raise ValueError(f"{figure} is not a duration of a network record")
        value: float | None = getattr(self.network, figure) if self.network is not None else None
        return value

    # The network record's figures, None where the browser reported no request (NetworkRecord).
    @property
    def blocked_ms(self) -> float | None:
        """Issued -> reached the network: the wait the gate judges."""
        return self.network.blocked_ms if self.network is not None else None

    @property
    def queued_ms(self) -> float | None:
        return self.network.queued_ms if self.network is not None else None

    @property
    def stalled_ms(self) -> float | None:
        return self.network.stalled_ms if self.network is not None else None

    @property
    def send_ms(self) -> float | None:
        return self.network.send_ms if self.network is not None else None

    @property
    def wait_ms(self) -> float | None:
        return self.network.wait_ms if self.network is not None else None

    @property
    def receive_ms(self) -> float | None:
        return self.network.receive_ms if self.network is not None else None

    @property
    def protocol(self) -> str | None:
        return self.network.protocol if self.network is not None else None

    @property
    def load_ms(self) -> float | None:
        """Chunk event received -> loadeddata (for a fetched chunk: its bytes appended)."""
        return _since(self.page.event_ms, self.page.loadeddata_ms)

    @property
    def first_frame_ms(self) -> float | None:
        """Chunk event received -> first frame presented (requestVideoFrameCallback)."""
        return _since(self.page.event_ms, self.page.first_frame_ms)

    @property
    def after_download_ms(self) -> float | None:
        """Last byte received -> loadeddata, both in page time: the playback side's share.

        Negative when the element had its first frame before the download ended.
        """
        if self.resource_timing is None or self.page.loadeddata_ms is None:
            return None
        if self.resource_timing.response_end <= 0:
            return None
        return self.page.loadeddata_ms - self.resource_timing.response_end

    @property
    def media_error(self) -> str | None:
        return self.page.error

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"index": self.index, "url": self.url, "kind": self.page.kind}
        for figure in ("source", "protocol", "connection_id", "connection_reused", "status", "bytes"):
            row[figure] = getattr(self.network, figure) if self.network is not None else None
        for phase in PHASES:
            row[phase] = round_ms(self.net_ms(phase))
        row["stalled_ms"] = round_ms(self.stalled_ms)
        row.update(
            load_ms=round_ms(self.load_ms),
            first_frame_ms=round_ms(self.first_frame_ms),
            after_download_ms=round_ms(self.after_download_ms),
            media_error=self.media_error,
            request_count=self.request_count,
            page_protocol=self.resource_timing.next_hop_protocol if self.resource_timing else None,
            page_queued_ms=round_ms(self.resource_timing.queued_ms) if self.resource_timing else None,
        )
        return row


@dataclass(frozen=True)
class RunRecord:
    """One scenario in one browser against one server: what the gate judges."""

    browser: str
    browser_version: str
    label: str  # how a person names the setup: "h2", "h2 max-streams 4", "h1-tls player hls", "url"
    pressure: str
    url: str
    chunks: tuple[ChunkRecord, ...]
    announced: int  # chunks the page was told of
    expected: int  # chunks the scenario asked for
    finished: bool  # the page saw every chunk settle before the deadline
    notes: tuple[str, ...] = field(default=())
    # Every request of the page, chunks included, in the order the browser issued them.
    requests: tuple[NetworkRecord, ...] = field(default=())
    page_time_origin_ms: float | None = None  # performance.timeOrigin: epoch ms of page time 0
    # Page time when the pressure's holders were let go (the bundled player only): the
    # page's own release, or with tabs:N the first idle tab's, through the epoch clock.
    holders_released_ms: float | None = None
    # The server's h2 SETTINGS_MAX_CONCURRENT_STREAMS, where the run knows it (a server of ours).
    server_max_streams: int | None = None
    # The server's QUIC initial_max_streams_bidi, likewise: the h3 requests in flight at once.
    server_max_quic_streams: int | None = None
    # How the page's videos played (None: not watched).
    playback: Playback | None = None
    webrtc: WebRtc | None = None  # the page's WebRTC connection, where it made one
    # The setup streams WebRTC (--mode webrtc, --whep, --webrtc-s): a page without it is broken.
    webrtc_expected: bool = False
    # Where the browser ran, when not here: the browser server's endpoint (--connect).
    browser_endpoint: str | None = None
    # The page's own event stream(s) among the requests: judged on their wait too.
    event_streams: tuple[NetworkRecord, ...] = ()
    # The origins of the page and its chunks as the harness probed them (after the run).
    origins: tuple[OriginProbe, ...] = ()
    # The reference server's mode the run was served in ("h2", "h1-tls", ...); None at --url.
    mode: str | None = None

    def probe_of(self, url: str) -> OriginProbe | None:
        """The probe of ``url``'s origin, if it was probed."""
        origin = origin_of(url)
        return next((probe for probe in self.origins if probe.origin == origin), None)

    def stream_limit(self, protocol: str | None, url: str | None = None) -> int | None:
        """The server's limit on concurrent requests over one connection of ``protocol``: a
        server of ours says it; elsewhere, the probe of ``url``'s origin read it (h2)."""
        probe = self.probe_of(url) if url is not None else None
        probed = probe.stream_limit if probe is not None else None
        h2 = self.server_max_streams if self.server_max_streams is not None else probed
        return {"h2": h2, "h3": self.server_max_quic_streams}.get(protocol or "")
