"""The pages' records, read once and parsed into dataclasses: the only module that knows
the shape of the page globals (playgate.page_contract names them) and the JavaScript that
reads them. Past this boundary the harness handles typed snapshots, not dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

from playgate.capture.appends import Append
from playgate.page_contract import OBSERVER_STATE, PLAYER_STATE
from playgate.records import PageChunk


@dataclass(frozen=True)
class StreamMessage:
    """An event stream message as the page's listeners received it (page time, ms)."""

    ms: float
    type: str
    data: str


@dataclass(frozen=True)
class PageFetch:
    """A request the page's code (fetch, XMLHttpRequest) or its worker made for a chunk."""

    url: str
    ms: float


@dataclass(frozen=True)
class PageSnapshot:
    """What a page's script recorded so far; times in page time (ms), as its script reports.

    ``chunks`` are those the page knows itself: the bundled player's announced chunks, or
    the media elements the observer saw. A Media Source Extensions player's segments are
    found from ``fetches``, ``appends`` and the network record (capture.reading)."""

    time_origin_ms: float  # performance.timeOrigin: epoch ms of the page's time 0
    chunks: tuple[PageChunk, ...]
    errors: tuple[str, ...] = ()
    messages: tuple[StreamMessage, ...] = ()
    fetches: tuple[PageFetch, ...] = ()
    appends: tuple[Append, ...] = ()
    # Where the bundled player had got to, said when a run ends before the page finished.
    progress: str | None = None

    @classmethod
    def of_player(cls, data: dict[str, Any]) -> PageSnapshot:
        return cls(
            time_origin_ms=float(data["time_origin"]),
            chunks=tuple(PageChunk.from_page(raw) for raw in data["chunks"]),
            errors=tuple(map(str, data["errors"])),
            progress=player_progress(data["phase"], data["pressure"], data["stream"]),
        )

    @classmethod
    def of_observer(cls, data: dict[str, Any]) -> PageSnapshot:
        return cls(
            time_origin_ms=float(data["time_origin"]),
            chunks=tuple(PageChunk.from_page(raw) for raw in data["chunks"]),
            errors=tuple(map(str, data.get("errors") or ())),
            messages=tuple(StreamMessage(float(m["ms"]), str(m["type"]), str(m["data"])) for m in data["events"]),
            fetches=tuple(PageFetch(str(f["url"]), float(f["ms"])) for f in data.get("fetches") or ()),
            appends=tuple(Append.from_page(a) for a in data.get("appends") or ()),
        )


_PLAYER = f"window.{PLAYER_STATE}"
_OBSERVER = f"window.{OBSERVER_STATE}"

_PLAYER_SNAPSHOT_JS = f"""() => ({{
  chunks: {_PLAYER}.chunks.filter(Boolean),
  errors: {_PLAYER}.errors,
  time_origin: performance.timeOrigin,
  phase: {_PLAYER}.phase, pressure: {_PLAYER}.pressure, stream: {_PLAYER}.stream,
}})"""


def player_progress(phase: str, pressure: dict[str, Any], stream: dict[str, Any]) -> str:
    """The bundled player's phase, its holders and its event stream, in one line: what a
    run that never finished shows of where the page stopped."""
    opened = stream.get("opened_ms")
    parts = [f"the player was at '{phase}'"]
    if pressure.get("holders"):
        parts.append(f"{pressure.get('ready', 0)} of {pressure['holders']} holders had their connections")
    parts.append("its event stream " + ("never opened" if opened is None else f"opened at {opened:.0f} ms"))
    if stream.get("errors"):
        parts.append(f"{stream['errors']} event stream errors")
    if stream.get("done_ms") is not None:
        parts.append(f"'done' came at {stream['done_ms']:.0f} ms")
    return ", ".join(parts)


_OBSERVER_SNAPSHOT_JS = f"""() => ({{
  chunks: {_OBSERVER}.chunks, events: {_OBSERVER}.events, fetches: {_OBSERVER}.fetches,
  appends: {_OBSERVER}.appends, errors: {_OBSERVER}.errors, time_origin: performance.timeOrigin,
}})"""

# True once the bundled player has settled every chunk the stream announced.
PLAYER_FINISHED_JS = f"() => Boolean({_PLAYER} && {_PLAYER}.finished)"
# True once an idle tab of the bundled app (pressure ``tabs:N``) has its event stream open.
TAB_OPENED_JS = f"() => {_PLAYER}?.tab?.opened_ms != null"


def read_player(page: Page) -> PageSnapshot:
    """The bundled progressive player's record."""
    return PageSnapshot.of_player(page.evaluate(_PLAYER_SNAPSHOT_JS))


def read_observer(page: Page) -> PageSnapshot:
    """The observer's record, on any page that is not the bundled progressive player."""
    return PageSnapshot.of_observer(page.evaluate(_OBSERVER_SNAPSHOT_JS))


@dataclass(frozen=True)
class HolderRelease:
    """When a page of the bundled app let go of the connections it held: the page itself
    (``role`` "page") or an idle tab ("tab"); ``at_ms`` epoch ms, None while it holds them."""

    role: str
    at_ms: float | None


_RELEASE_JS = f"""() => {{
  const player = {_PLAYER};
  const tab = player && player.tab;
  const at = tab ? tab.released_ms : player && player.pressure.released_ms;
  return {{ role: tab ? "tab" : "page", at: at == null ? null : performance.timeOrigin + at }};
}}"""


def read_release(page: Page) -> HolderRelease:
    data = page.evaluate(_RELEASE_JS)
    return HolderRelease(str(data["role"]), None if data["at"] is None else float(data["at"]))


def holders_released(releases: list[HolderRelease]) -> float | None:
    """With idle tabs the connections free when the first tab lets go; else when the
    page does (epoch ms)."""
    tabs = [r.at_ms for r in releases if r.role == "tab"]
    page = [r.at_ms for r in releases if r.role == "page"]
    chosen = tabs if tabs else page
    if not chosen or None in chosen:
        return None
    return min(at for at in chosen if at is not None)
