"""What the reference server is told: one frozen object, passed to its process as JSON."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from playgate.errors import UsageError
from playgate.fixtures.generate import MediaSet


class Mode(enum.StrEnum):
    """How the server speaks to browsers."""

    H2 = "h2"  # TLS, ALPN h2 and http/1.1: the healthy production setup
    H1_TLS = "h1-tls"  # TLS, ALPN http/1.1 only: the regression
    H1 = "h1"  # plain http: browsers never speak h2c, so HTTP/1.1
    # nginx in front: TLS without h2 to the browser, plain HTTP/1.1 to the app behind it
    NGINX_H1 = "nginx-h1"
    # HTTP/3 over QUIC on the UDP port of the same number, beside h2 over TCP. The
    # browser is told to use h3 for the origin from the first request.
    H3 = "h3"
    # The same server; the browser finds h3 as in production, from the Alt-Svc header of
    # its h2 responses.
    H3_DISCOVERY = "h3-discovery"
    # Regressions that hide h3: Alt-Svc advertises it but nothing answers on UDP (a
    # firewall that drops it); QUIC is served but never advertised.
    H3_UDP_BLOCKED = "h3-udp-blocked"
    H3_NO_ALT_SVC = "h3-no-alt-svc"
    # QUIC served, but Alt-Svc names only a draft (h3-29), as servers configured before
    # RFC 9114 still do: browsers that speak only h3 never take it up.
    H3_DRAFT_ALT_SVC = "h3-draft-alt-svc"
    # The avatar as WebRTC tracks (server/webrtc.py), signalled by WHEP over h2: served in a
    # network namespace of its own, so ICE pairs on addresses playgate made (root).
    WEBRTC = "webrtc"
    # Its regressions: UDP from the browser dropped (a firewall that lets TCP through), so
    # ICE goes through the TURN server over TCP; and the same with no TURN server answering.
    WEBRTC_UDP_BLOCKED = "webrtc-udp-blocked"
    WEBRTC_NO_TURN = "webrtc-no-turn"

    @property
    def plays_webrtc(self) -> bool:
        return self.value.startswith("webrtc")

    @property
    def blocks_udp(self) -> bool:
        """UDP from the browser's side of the path is dropped (server.turn)."""
        return self in (Mode.WEBRTC_UDP_BLOCKED, Mode.WEBRTC_NO_TURN)

    @property
    def runs_turn(self) -> bool:
        return self.plays_webrtc and self is not Mode.WEBRTC_NO_TURN

    @property
    def uses_tls(self) -> bool:
        """Whether the app process itself speaks TLS (behind nginx it does not)."""
        return self not in (Mode.H1, Mode.NGINX_H1)

    @property
    def behind_nginx(self) -> bool:
        return self is Mode.NGINX_H1

    @property
    def alpn_protocols(self) -> list[str]:
        """ALPN over TCP: h2 wherever the setup is not the HTTP/1.1 regression."""
        return ["http/1.1"] if self is Mode.H1_TLS else ["h2", "http/1.1"]

    @property
    def holds_udp_port(self) -> bool:
        """The UDP port of the same number is the server's (answered or, blocked, dropped)."""
        return self.value.startswith("h3")

    @property
    def serves_quic(self) -> bool:
        return self.holds_udp_port and self is not Mode.H3_UDP_BLOCKED

    @property
    def healthy(self) -> bool:
        """A setup the gate must pass (the others are regressions it must catch)."""
        return self in (Mode.H2, Mode.H3, Mode.H3_DISCOVERY)

    @property
    def forces_h3(self) -> bool:
        """The browser is told to speak h3 to the origin without waiting for Alt-Svc."""
        return self is Mode.H3

    @classmethod
    def parse(cls, text: str) -> Mode:
        try:
            return cls(text)
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown mode {text!r}: choose one of {choices}") from None


DEFAULT_H2_MAX_STREAMS = 100
# SETTINGS_MAX_CONCURRENT_STREAMS the reference server may be given (browsers need at least one).
H2_MAX_STREAMS_RANGE = range(1, 1001)
# aioquic's initial_max_streams_bidi, which Hypercorn keeps: an h3 connection's limit on
# requests in flight, the counterpart of h2's SETTINGS_MAX_CONCURRENT_STREAMS.
QUIC_MAX_STREAMS_BIDI = 128
APP_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")  # Hypercorn's default, and common in production


def check_app_spec(spec: str) -> str:
    """``spec`` if it names an ASGI app as module:attribute; else one error saying how."""
    if not APP_SPEC.match(spec):
        raise UsageError(f"--app {spec!r}: give module:attribute, e.g. myapp.main:app")
    return spec


@dataclass(frozen=True)
class Knob:
    """A setting of the bundled page's scenario, defined once: its default and its limits,
    for the harness's flag (config.Scenario) and the server's query parameter alike (the
    page passes the parameter on to the server: player.js)."""

    name: str  # the setting, and the page's and the server's query parameter
    default: int
    low: int
    high: int

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def holds(self, value: int) -> bool:
        return self.low <= value <= self.high


CHUNKS = Knob("chunks", 5, 1, 1000)
PACE_MS = Knob("pace_ms", 200, 0, 60_000)  # between chunk events
# Holders are released this long after the first chunk event (and the page keeps them at
# least this long after chunk 0 started loading: see player.js). Under media:5, Firefox
# holds back new video elements' loadeddata until the holders are torn down: a
# playback-side stall usually ~40 ms past the hold, up to ~390 ms on a busy 2-core machine.
# 400 ms keeps that wait 200 ms under the 1000 ms load limit while h1 queueing (~400 ms)
# stays eight times over the 50 ms queueing limit.
HOLD_MS = Knob("hold_ms", 400, 0, 600_000)
CHUNK_DELAY_MS = Knob("chunk_delay_ms", 0, 0, 60_000)  # the server waits this long before a chunk's headers
CHUNK_KIB_PER_S = Knob("chunk_kib_per_s", 0, 0, 1_000_000)  # chunk bodies at this rate (0: link speed)
# --mode webrtc: the sender sends no video frame for stall_ms, once, stall_at_s into the stream.
STALL_MS = Knob("stall_ms", 0, 0, 60_000)
STALL_AT_S = Knob("stall_at_s", 1, 0, 3600)
SCENARIO_KNOBS = (CHUNKS, PACE_MS, HOLD_MS, CHUNK_DELAY_MS, CHUNK_KIB_PER_S)


@dataclass(frozen=True)
class ServerSettings:
    mode: Mode
    media_folder: Path
    chunk_names: tuple[str, ...]
    preload_name: str
    chunk_seconds: float = 1.0
    # What /events does when the page's query does not say (the page passes the run's).
    chunk_count: int = CHUNKS.default
    pace_ms: int = PACE_MS.default
    heartbeat_s: float = 1.0
    preload_bytes_per_second: int = 512 * 1024
    hold_ms: int = HOLD_MS.default
    # SETTINGS_MAX_CONCURRENT_STREAMS announced over h2; below a page's need, h2 queues too.
    h2_max_streams: int = DEFAULT_H2_MAX_STREAMS
    # The user's own ASGI app ("module:attribute", imported from app_dir) instead of ours.
    app: str | None = None
    app_dir: str | None = None

    def __post_init__(self) -> None:
        if not self.chunk_names:
            raise ValueError("the media folder holds no chunks")
        if self.preload_bytes_per_second <= 0:
            raise ValueError("preload_bytes_per_second must be positive")
        if self.h2_max_streams not in H2_MAX_STREAMS_RANGE:
            raise ValueError(f"h2_max_streams must be 1..{H2_MAX_STREAMS_RANGE[-1]}")
        if self.app is not None:
            check_app_spec(self.app)

    @property
    def label(self) -> str:
        """How runs name this setup: the mode, and a lowered h2 stream limit if any."""
        label = self.mode.value
        if self.mode is Mode.H2 and self.h2_max_streams != DEFAULT_H2_MAX_STREAMS:
            label = f"h2 max-streams {self.h2_max_streams}"
        return f"{label} app {self.app}" if self.app else label

    def to_json(self) -> str:
        data = asdict(self)
        data["mode"] = self.mode.value
        data["media_folder"] = str(self.media_folder)
        data["chunk_names"] = list(self.chunk_names)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ServerSettings:
        data = json.loads(text)
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown server settings: {sorted(unknown)}")
        data["mode"] = Mode(data["mode"])
        data["media_folder"] = Path(data["media_folder"])
        data["chunk_names"] = tuple(data["chunk_names"])
        return cls(**data)


def settings_for(mode: Mode, media: MediaSet, **overrides: object) -> ServerSettings:
    """Server settings serving a generated media set; a user's ``app`` is imported from the
    working directory unless ``app_dir`` says otherwise (as ``python -m`` would find it)."""
    if overrides.get("app") and overrides.get("app_dir") is None:
        overrides["app_dir"] = str(Path.cwd())
    return ServerSettings(
        mode=mode,
        media_folder=media.folder,
        chunk_names=media.chunk_names,
        preload_name=media.preload_name,
        **overrides,  # type: ignore[arg-type]
    )
