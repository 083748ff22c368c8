"""Why a request waited before the network: what held the browser when it was issued.

Read from the run's records of every page of the browser context (the page, and the tabs
the run opened: they share the browser's connections per host). For a request issued at
``t`` that reached the network at ``t + blocked``:

- over HTTP/1.1, the requests to its origin holding a connection at ``t`` (issued before
  it, on the network by ``t``, not yet ended), against the browser's connections per host.
  At the limit, the cause is ``connections``; the holder that ended last before the request
  reached the network is the one that let it go (or, if none ended before, the first whose
  end was stamped up to 15 ms after: see STAMPED_LATE_S).
- over h2 and h3, the streams open at ``t`` on its connection (Chromium's connection id;
  Firefox gives none, so its streams to the origin over the same protocol, which Firefox
  carries on one connection), against the server's SETTINGS_MAX_CONCURRENT_STREAMS where
  it is known. At the limit, the cause is ``streams``; alone on its connection, ``none``
  whatever the limit.
- below the limit, ``none``: no contention was seen; the wait was inside the browser.

A request whose end the browser did not give (Firefox gives none for cancelled requests
and event streams) counts as still in flight, one without network timing as holding since
its issue, one whose protocol Firefox did not name as on the same connection, and one with
no issue time at all as holding: the count is an upper bound, so ``none`` is never claimed
where contention could have been.
A response that came without network timing (from the cache) held nothing. ``cause`` is None
when the records cannot say (no issue time or no blocked figure for the request itself, a
limit not known, or the upper bound at the limit only with requests of unknown issue time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playgate.origin import NO_STREAM_LIMIT, origin_of
from playgate.records import NetworkRecord

# Chromium: ClientSocketPoolManager's max sockets per group (6); Firefox:
# network.http.max-persistent-connections-per-server (6). Neither browser reports it.
H1_CONNECTIONS_PER_HOST = 6
# Clock readings of two requests may disagree by this much and still be "at the same time".
SAME_TIME_S = 0.002
# Chromium stamps a cancelled request's end (loadingFailed) in the page's process, when the
# page handles the cancellation; the network service, which stamps the chunk's start, may
# hand the freed connection or stream on first. So the chunk can reach the network a few
# ms before the end that let it go (measured: docs/explanations/why-chunks-wait.md). An end
# this close after the chunk, when none came before it, is taken as its release (and the
# gap shows it negative).
STAMPED_LATE_S = 0.015
H1 = "http/1.1"
# A request on the network this soon after its issue was handed a connection or stream
# that came free as it was issued: busy, but not waited for.
HANDED_OVER_MS = 10.0
CAUSE_LEGEND = (
    "waited for: 6/6 conn, 4/4 streams: busy of the limit when the request was issued, and it waited "
    "for one; ≤7/6: at most that many (the browser did not give every holder's end); (6/6 conn) in "
    f"parentheses: busy, but the request went within {HANDED_OVER_MS:g} ms; none: no contention seen; "
    "-: the records cannot say"
)


@dataclass(frozen=True)
class Wait:
    """What one request waited for before it reached the network."""

    cause: str | None  # "connections", "streams", "none", or None: the records cannot say
    origin: str
    unit: str | None  # what is counted: "connections" (HTTP/1.1) or "streams" (h2, h3)
    in_flight: int | None  # of those, busy when it was issued
    limit: int | None
    holders: tuple[str, ...] = ()  # URLs of what was in flight, in issue order
    released_by: str | None = None  # the holder whose end let it go
    released_gap_ms: float | None = None  # from that end to this request reaching the network
    # in_flight counts holders whose end or protocol the browser did not give (Firefox), or
    # more connections than a host has: it is at most that many.
    upper_bound: bool = False

    @property
    def contended(self) -> bool:
        return self.cause in ("connections", "streams")

    @property
    def short(self) -> str:
        """A few characters for the chunk table."""
        if self.cause is None:
            return "-"
        if self.cause == "none":
            return "none"
        at_most = "≤" if self.upper_bound else ""
        return f"{at_most}{self.in_flight}/{self.limit} {'conn' if self.unit == 'connections' else 'streams'}"

    def cell(self, blocked_ms: float | None) -> str:
        """The chunk table's "waited for": ``short``, in parentheses where what it counts was
        busy but the request did not wait for it (CAUSE_LEGEND)."""
        if self.contended and blocked_ms is not None and blocked_ms < HANDED_OVER_MS:
            return f"({self.short})"
        return self.short

    def to_json(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "origin": self.origin,
            "in_flight": self.in_flight,
            "limit": self.limit,
            "upper_bound": self.upper_bound,
            "holders": list(self.holders),
            "released_by": self.released_by,
            "released_gap_ms": None if self.released_gap_ms is None else round(self.released_gap_ms, 1),
        }

    def explain(self) -> str:
        """The wait in words: "for one of 6 connections to ORIGIN (held by ...); it went ...".
        Empty when the records say nothing of it."""
        if self.in_flight is None:
            return ""
        if self.cause is None:  # counted, but against a limit nobody knows
            unit = self.unit or ""
            in_flight = f"{self.in_flight} {unit.removesuffix('s') if self.in_flight == 1 else unit}"
            return f"with {in_flight} in flight to {self.origin} (the server's limit is unknown)"
        if self.cause == "none":
            of_limit = f"of {self.limit} " if self.limit is not None else ""
            if self.limit == NO_STREAM_LIMIT:  # the server sent no limit
                of_limit = "of unlimited "
            return (
                f"with no contention seen ({self.in_flight} {of_limit}{self.unit} to {self.origin} busy): "
                "a wait inside the browser"
            )
        text = f"for one of {self.limit} {self.unit} to {self.origin} (held by {held_by(self.holders)})"
        if self.released_by is not None and self.released_gap_ms is not None:
            if self.released_gap_ms >= 0:
                text += f"; it went {self.released_gap_ms:.0f} ms after {_path(self.released_by)} ended"
            else:
                text += (
                    f"; it went as {_path(self.released_by)} was cancelled (whose end the page stamped "
                    f"{-self.released_gap_ms:.0f} ms later)"
                )
        return text


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def held_by(holders: Sequence[str]) -> str:
    """'/events and 5 × /pressure/media': holders grouped by path, in first-seen order."""
    counts = Counter(urlsplit(url).path for url in holders)
    groups = [path if n == 1 else f"{n} × {path}" for path, n in counts.items()]
    return groups[0] if len(groups) == 1 else ", ".join(groups[:-1]) + " and " + groups[-1]


def _busy_at(other: NetworkRecord, moment: float) -> bool:
    """Issued by ``moment``, not ended before it (an unknown end counts as not ended)."""
    assert other.started_at is not None
    if other.started_at > moment + SAME_TIME_S:
        return False
    return other.ended_at is None or other.ended_at > moment + SAME_TIME_S


def _on_network_by(other: NetworkRecord, moment: float) -> bool:
    at = other.network_at
    if at is None:
        return other.status is None  # answered without network timing: the cache; else assume it held
    return at <= moment + SAME_TIME_S


def _same_connection(request: NetworkRecord, protocol: str, other: NetworkRecord) -> bool:
    if request.connection_id is not None:
        return other.connection_id == request.connection_id
    return other.protocol in (protocol, None)  # Firefox: one connection per origin and protocol


def _multiplexed(protocol: str | None) -> bool:
    return protocol is not None and protocol != H1


def attribute(
    request: NetworkRecord, everything: Sequence[NetworkRecord], max_streams: int | None, protocol: str | None = None
) -> Wait:
    """What ``request`` waited for, from ``everything`` the context's pages issued.
    ``protocol``: the one it used where the browser named none but the origin allows no
    other (gate._origin_protocol)."""
    origin = origin_of(request.url)
    issued, reached = request.started_at, request.network_at
    protocol = request.protocol or protocol
    if issued is None or reached is None or protocol is None:
        return Wait(None, origin, None, None, None)
    multiplexed = _multiplexed(protocol)
    unit = "streams" if multiplexed else "connections"
    same_origin = [r for r in everything if r is not request and origin_of(r.url) == origin]
    # A request the browser gave no issue time for (Firefox: an event stream it never
    # reported a response for) may have held anything: it counts toward the upper bound.
    unknown = [r for r in same_origin if r.started_at is None and (r.protocol is None or r.protocol == protocol)]
    limit = max_streams if multiplexed else H1_CONNECTIONS_PER_HOST
    holding = [
        r
        for r in same_origin
        if r.started_at is not None
        and _busy_at(r, issued)
        and _on_network_by(r, issued)
        and (_same_connection(request, protocol, r) if multiplexed else not _multiplexed(r.protocol))
    ]
    holders = tuple(r.url for r in holding)
    at_most = len(holding) + len(unknown)
    if limit is None and at_most == 0:  # alone on its connection: no stream limit held it
        return Wait("none", origin, unit, 0, None)
    if limit is None:
        return Wait(None, origin, unit, at_most, None, holders)
    if at_most < limit:
        return Wait("none", origin, unit, at_most, limit)
    if len(holding) < limit:  # the unknown ones could have made up the difference
        return Wait(None, origin, unit, None, limit, holders)
    ended = [r for r in holding if r.ended_at is not None and r.ended_at <= reached + SAME_TIME_S]
    released = max(ended, key=lambda r: r.ended_at or 0.0, default=None)
    if released is None:  # the end that let it go may have been stamped after it went
        stamped_late = [r for r in holding if r.ended_at is not None and r.ended_at <= reached + STAMPED_LATE_S]
        released = min(stamped_late, key=lambda r: r.ended_at or 0.0, default=None)
    gap = None if released is None or released.ended_at is None else (reached - released.ended_at) * 1000
    # Chromium gives every end; Firefox none for a response that did not arrive whole.
    uncertain = any((r.source == "bidi" and r.ended_at is None) or r.protocol is None for r in holding)
    upper_bound = uncertain or (not multiplexed and len(holding) > limit)
    released_by = released.url if released else None
    return Wait(unit, origin, unit, len(holding), limit, holders, released_by, gap, upper_bound)
