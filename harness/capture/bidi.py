"""Firefox: network records from WebDriver BiDi, as Playwright exposes them.

Playwright builds ``request.timing`` from BiDi's ``network.responseStarted`` timings:
ms after the request's start, -1 when absent. The wait before the network shows there
(the first network phase starts late): ``blocked_ms`` is the time to the first of DNS,
connect or request start. Firefox does not say how much of it was its request queue.

What Firefox does not give stays None: queued_ms (the queue's share of blocked_ms), the
connection id, whether it was reused, and the send phase (``wait_ms`` runs from request
start, so it includes sending).

End: ``responseEnd`` (and so ``receive_ms`` and ``ended_at``) is taken only for a response
whose whole body arrived (as many bytes as its Content-Length). For the others Firefox's
figure is not when they ended: measured here, fetch() streams aborted at the pressure's
release (1268 ms) reported ending at 276-335 ms, event streams still open reported ending
a few ms after their headers, and preloading videos of 7.9 MB sent at 512 KB/s reported
ending 8-15 ms after they started. In Chromium, where these records stand in for requests
a DevTools session missed, the end is never taken (``record_from_bidi``): the run reads it
from the page's, or the worker's, Resource Timing instead.

Protocol: BiDi's ``response.protocol``, read through ``Response.http_version()``.
Playwright answers "HTTP/1.1" when the browser gave no protocol at all, so an HTTP/1.1
answer is only taken when the page's Resource Timing says ``http/1.1`` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playgate.records import NetworkRecord, ResourceTiming

PLAYWRIGHT_VERSION_NAMES = {"HTTP/2.0": "h2", "HTTP/3.0": "h3"}
AMBIGUOUS_HTTP1 = "HTTP/1.1"


@dataclass(frozen=True)
class BidiSnapshot:
    """What Playwright holds for one finished (or failed) Firefox request."""

    url: str
    timing: dict[str, float]
    http_version: str | None
    status: int | None
    body_size: int | None
    failure: str | None
    resource_type: str | None = None
    method: str | None = None
    mime_type: str | None = None
    content_length: int | None = None  # the response's Content-Length header
    alt_svc: str | None = None


def _span(start: float, end: float) -> float | None:
    """end - start; None where either is absent, or where the end comes before the start: Firefox
    has given a TLS start 1.5 ms before its connect start (2026-12-05), a phase it never had."""
    return end - start if 0 <= start <= end else None


def protocol_from_bidi(http_version: str | None, page_entry: ResourceTiming | None) -> str | None:
    if http_version is None:
        return None
    if http_version == AMBIGUOUS_HTTP1:
        page_protocol = page_entry.next_hop_protocol if page_entry else None
        return "http/1.1" if page_protocol == "http/1.1" else None
    return PLAYWRIGHT_VERSION_NAMES.get(http_version, http_version.lower())


def record_from_bidi(snapshot: BidiSnapshot, page_entry: ResourceTiming | None, source: str = "bidi") -> NetworkRecord:
    t = snapshot.timing
    first_phase = next((t[k] for k in ("domainLookupStart", "connectStart", "requestStart") if t.get(k, -1) >= 0), None)
    secure = t.get("secureConnectionStart", -1)
    tcp_end = secure if secure >= 0 else t.get("connectEnd", -1)
    response_end = t.get("responseEnd", -1)
    whole_body = snapshot.content_length is not None and snapshot.body_size == snapshot.content_length
    # Not the end (see above). Playwright's Chromium timings (``source`` "playwright": the
    # requests a DevTools session missed) count responseEnd from requestWillBeSent but
    # startTime and every other phase from the network's requestTime, so that end comes late
    # by the time between the two (DevTools' Queueing): measured 1-5 ms on an idle machine.
    if source == "playwright" or snapshot.failure is not None or not whole_body:
        response_end = -1
    started_at = t["startTime"] / 1000 if t.get("startTime", -1) > 0 else None  # epoch ms, absent as 0 or -1
    return NetworkRecord(
        url=snapshot.url,
        source=source,
        protocol=protocol_from_bidi(snapshot.http_version, page_entry),
        connection_id=None,
        connection_reused=None,
        status=snapshot.status,
        bytes=snapshot.body_size,
        blocked_ms=first_phase,
        queued_ms=None,
        dns_ms=_span(t.get("domainLookupStart", -1), t.get("domainLookupEnd", -1)),
        connect_ms=_span(t.get("connectStart", -1), tcp_end),
        tls_ms=_span(secure, t.get("connectEnd", -1)),
        send_ms=None,
        wait_ms=_span(t.get("requestStart", -1), t.get("responseStart", -1)),
        receive_ms=_span(t.get("responseStart", -1), response_end),
        failure=snapshot.failure,
        resource_type=snapshot.resource_type,
        started_at=started_at,
        method=snapshot.method,
        mime_type=snapshot.mime_type,
        alt_svc=snapshot.alt_svc,
        ended_at=started_at + response_end / 1000 if started_at is not None and response_end >= 0 else None,
    )


def snapshot_from_playwright(request: Any, *, ended: bool = True) -> BidiSnapshot:
    """Read one Playwright Request (sync API) after it finished or failed, or (``ended``
    False) one whose response came and whose body is still coming: an event stream, which
    never finishes while the page holds it. Its timing up to the response is known; its
    size and end are not (asking Playwright for its sizes would wait for an end).

    A request can fail after its response came: Firefox's media element cancels a 404 once
    it has the headers, and BiDi then reports the request's end as a fetch error. Its status
    and headers were received, and are kept with the failure.
    """
    failure = request.failure
    response = request.response()
    body_size = None
    http_version = None
    status = None
    mime_type = None
    content_length = None
    alt_svc = None
    if response is not None:
        status = response.status
        http_version = response.http_version()
        body_size = None if failure or not ended else request.sizes().get("responseBodySize")
        # Chromium's figure is the encoded length less the headers' size: below 0 for a
        # request that went over no network (a blob: script a worker imports). Unknown then.
        body_size = body_size if body_size is None or body_size >= 0 else None
        mime_type = (response.headers.get("content-type") or "").split(";")[0].strip() or None
        length = response.headers.get("content-length", "")
        content_length = int(length) if length.isdigit() else None
        alt_svc = response.headers.get("alt-svc")
    return BidiSnapshot(
        url=request.url,
        timing=dict(request.timing),
        http_version=http_version,
        status=status,
        body_size=body_size,
        failure=failure,
        resource_type=request.resource_type,
        method=request.method,
        mime_type=mime_type,
        content_length=content_length,
        alt_svc=alt_svc,
    )
