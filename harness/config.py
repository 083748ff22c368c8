"""One config object for a gate run, built once from CLI flags or pytest options."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode, urlsplit

from playgate.errors import UsageError
from playgate.page_contract import CHUNK_PATTERN
from playgate.page_setup import PageSetup
from playgate.server.launcher import LOOPBACK
from playgate.server.network import NetworkProfile
from playgate.server.settings import (
    CHUNK_DELAY_MS,
    CHUNK_KIB_PER_S,
    CHUNKS,
    DEFAULT_H2_MAX_STREAMS,
    H2_MAX_STREAMS_RANGE,
    HOLD_MS,
    PACE_MS,
    SCENARIO_KNOBS,
    STALL_AT_S,
    STALL_MS,
    Mode,
    check_app_spec,
)

# What each pressure holds open, and so reproduces (the reference's catalogue page is made from this).
PRESSURE_KINDS = {
    "sse": "extra EventSources held open by the page (an app with several live feeds)",
    "tabs": "other tabs of the app in the same browser, each holding its event stream",
    "media": "video elements preloading a large file at 512 KiB/s (media still buffering)",
    "streams": "long-lived fetch() streams: over h2, streams of the one shared connection",
}
# What can press on a user's page (--url, --app): the others need the bundled page's routes.
PAGE_PRESSURE_KINDS = ("media", "tabs")
_PRESSURE_PART = re.compile(r"^(?P<kind>[a-z]+):(?P<count>\d+)$")
MAX_HOLDERS = 50
# How the bundled page plays (Scenario.player): a <video> per chunk (server/static/player.js), or
# a real player (server/static/players.js; its script from npm, server/players.py).
BUNDLED_PLAYERS = ("progressive", "hls", "dash", "shaka", "mpegts")
# As the browsers name them (CDP's response.protocol; BiDi's, normalised in capture.bidi).
PROTOCOLS = ("h3", "h2", "http/1.1")


@dataclass(frozen=True)
class Pressure:
    """Connection holders the page opens before the chunk stream: ``media:5+sse:1``."""

    parts: tuple[tuple[str, int], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Pressure:
        text = text.strip()
        if text in ("", "none"):
            return cls()
        parts = []
        for part in text.split("+"):
            match = _PRESSURE_PART.match(part.strip())
            if not match or match["kind"] not in PRESSURE_KINDS:
                kinds = ", ".join(f"{k}:N" for k in PRESSURE_KINDS)
                raise UsageError(f"unknown pressure {part!r}: use none, {kinds}, or a sum such as media:5+sse:1")
            count = int(match["count"])
            if not 1 <= count <= MAX_HOLDERS:
                raise UsageError(f"pressure {part!r}: N must be 1..{MAX_HOLDERS}")
            parts.append((match["kind"], count))
        return cls(tuple(parts))

    def __str__(self) -> str:
        return "+".join(f"{kind}:{count}" for kind, count in self.parts) or "none"

    def count(self, kind: str) -> int:
        return sum(n for k, n in self.parts if k == kind)


# --expect-transport: UDP with no relay (the fast path), TCP with no relay, through a TURN
# relay (whatever its protocol), or any path.
TRANSPORTS = ("udp", "tcp", "relay", "any")


@dataclass(frozen=True)
class GateRules:
    """What a run must meet. Defaults are the field's healthy setup."""

    # None: the mode's own, h3 for a setup that serves or advertises it, else h2 (see for_mode).
    expected_protocol: str | None = None
    # A wait for a connection or stream (see judging/attribution.py): regressions measure
    # about the hold (400 ms), but 67-99 ms when Firefox issues the chunk late, on a busy
    # 2-core machine. No healthy run has ever shown such a wait (hundreds of rounds,
    # bench/flake_bench.py), and a freed connection is reused within 2-9 ms: 50 ms
    # catches the late ones with room to spare.
    max_queued_ms: float = 50.0
    max_load_ms: float = 1000.0
    # A wait with no connection or stream contention seen is the browser's own (a busy
    # machine, a scheduler): not the regression, but still judged once it is big enough
    # to hurt playback.
    max_uncontended_ms: float = 300.0
    # Playback, as the page saw it (judging/playback.py): navigation to the first presented
    # frame; stalls after it (waiting for data: a healthy run has none), the longest one
    # where some are allowed; the share of frames dropped.
    max_startup_ms: float = 5000.0
    max_stalls: int = 0
    max_stall_ms: float = 1000.0
    max_dropped_ratio: float = 0.25
    # The page's event stream (judging/streams.py): its wait before the network on contention.
    # None: the chunks' limit (max_queued_ms, or max_uncontended_ms with no contention seen).
    max_stream_queued_ms: float | None = None
    # A page's WebRTC connection (judging/webrtc.py): the path its media must take, and the
    # limits on its first frame, freezes, jitter buffer and audio/video offset.
    expected_transport: str = "udp"
    max_first_frame_ms: float = 2000.0
    max_freezes: int = 0
    max_jitter_buffer_ms: float = 200.0
    max_av_offset_ms: float = 200.0

    def __post_init__(self) -> None:
        if self.expected_transport not in TRANSPORTS:
            raise UsageError(f"--expect-transport {self.expected_transport!r}: choose one of {', '.join(TRANSPORTS)}")
        if self.max_first_frame_ms <= 0 or self.max_freezes < 0 or self.max_jitter_buffer_ms <= 0:
            raise UsageError("--max-first-frame-ms, --max-freezes and --max-jitter-buffer-ms must not be negative")
        if self.max_av_offset_ms <= 0:
            raise UsageError("--max-av-offset-ms must be positive")
        if self.max_startup_ms <= 0 or self.max_stall_ms < 0 or self.max_stalls < 0:
            raise UsageError("--max-startup-ms, --max-stall-ms and --max-stalls must not be negative")
        if not 0 <= self.max_dropped_ratio <= 1:
            raise UsageError("--max-dropped-ratio is a share of frames: 0..1")
        if self.expected_protocol is not None and self.expected_protocol not in PROTOCOLS:
            raise UsageError(f"--expect-protocol {self.expected_protocol!r}: choose one of {', '.join(PROTOCOLS)}")
        if self.max_stream_queued_ms is not None and self.max_stream_queued_ms < 0:
            raise UsageError("--max-stream-queued-ms must not be negative")
        if self.max_queued_ms < 0 or self.max_load_ms <= 0 or self.max_uncontended_ms < 0:
            raise UsageError("gate limits must be positive numbers of milliseconds")

    def for_mode(self, mode: Mode | None) -> GateRules:
        """These rules with the expected protocol settled: as given, else the mode's own
        (``mode`` None: a page at a URL, h2)."""
        if self.expected_protocol is not None:
            return self
        return replace(self, expected_protocol="h3" if mode is not None and mode.holds_udp_port else "h2")


@dataclass(frozen=True)
class Scenario:
    """What the page does in one run."""

    # The knobs the reference server reads too: one definition each (server.settings).
    chunks: int = CHUNKS.default
    pressure: Pressure = field(default_factory=Pressure)
    pace_ms: int = PACE_MS.default
    hold_ms: int = HOLD_MS.default
    timeout_s: float = 30.0
    # Injected regressions of the reference server (ignored by other servers).
    chunk_delay_ms: int = CHUNK_DELAY_MS.default
    chunk_kib_per_s: int = CHUNK_KIB_PER_S.default
    missing_chunks: tuple[int, ...] = ()  # these chunks are announced at URLs that 404
    # --mode webrtc: the sender sends no video frame for this long, once, 1 s into the stream.
    stall_ms: int = 0
    # --whep: the bundled page plays the user's WHEP endpoint at this URL (the page's WebRTC).
    whep: str | None = None
    slow_chunks: tuple[int, ...] = ()  # the chunk delay and rate apply to these only (empty: all)
    # How the bundled page plays the chunks: a <video> per chunk event ("progressive"), or
    # the chunks as a stream through a real player over Media Source Extensions: hls.js on
    # HLS with MPEG-TS segments, dash.js on DASH, Shaka Player on HLS with fragmented MP4,
    # mpegts.js (worker mode) on the MPEG-TS segments.
    player: str = "progressive"

    def __post_init__(self) -> None:
        for knob in SCENARIO_KNOBS:
            if not knob.holds(getattr(self, knob.name)):
                raise UsageError(f"{knob.flag} must be {knob.low}..{knob.high}")
        if self.timeout_s <= 0:
            raise UsageError("--timeout must be positive")
        if self.player not in BUNDLED_PLAYERS:
            raise UsageError(f"--player {self.player!r}: choose one of {', '.join(BUNDLED_PLAYERS)}")
        if self.player != "progressive" and self.missing_chunks:
            raise UsageError("missing chunks are announced by the progressive player's event stream only")
        if any(not 0 <= i < self.chunks for i in self.missing_chunks):
            raise UsageError(f"missing chunk indices must be 0..{self.chunks - 1}")
        if self.whep is not None:
            check_http_url(self.whep, "--whep")
        if not STALL_MS.holds(self.stall_ms):
            raise UsageError(f"--stall-ms must be {STALL_MS.low}..{STALL_MS.high}")
        if self.stall_ms and STALL_AT_S.default + self.stall_ms / 1000 >= self.chunks:
            raise UsageError(
                f"--stall-ms {self.stall_ms} starts {STALL_AT_S.default} s in and must end before the stream's "
                f"{self.chunks} s do, or no frame comes after it: more --chunks"
            )
        if any(not 0 <= i < self.chunks for i in self.slow_chunks):
            raise UsageError(f"slow chunk indices must be 0..{self.chunks - 1}")
        if self.slow_chunks and not (self.chunk_delay_ms or self.chunk_kib_per_s):
            raise UsageError("slow chunks need --chunk-delay-ms or --chunk-kib-per-s: they say which chunks those slow")

    def page_query(self) -> str:
        query = f"chunks={self.chunks}&pace_ms={self.pace_ms}&hold_ms={self.hold_ms}&pressure={self.pressure}"
        if self.chunk_delay_ms:
            query += f"&chunk_delay_ms={self.chunk_delay_ms}"
        if self.chunk_kib_per_s:
            query += f"&chunk_kib_per_s={self.chunk_kib_per_s}"
        if self.missing_chunks:
            query += "&missing=" + ",".join(map(str, self.missing_chunks))
        if self.slow_chunks:
            query += "&slow=" + ",".join(map(str, self.slow_chunks))
        if self.player != "progressive":
            query += f"&player={self.player}"
        if self.stall_ms:
            query += f"&stall_ms={self.stall_ms}"
        if self.whep:
            query += "&" + urlencode({"whep": self.whep})
        return query


@dataclass(frozen=True)
class PageTarget:
    """How to find the chunks and the event stream on the user's page, and what to do to the
    page before measuring it."""

    chunk_pattern: str = CHUNK_PATTERN
    sse_pattern: str | None = None
    # The WebSocket(s) whose text messages announce chunks, as event stream messages do
    # (None: every WebSocket of the page).
    ws_pattern: str | None = None
    # The page plays WebRTC: its connection is watched this long after the first frame, and
    # no chunk is expected (None: a page of chunks).
    webrtc_s: float | None = None
    verify_tls: bool = True
    # --ca-cert: the CA (PEM file) that issued the page's certificate, trusted for the run
    # (capture.trust); the browsers then take the certificate as one they trust.
    ca_cert: str | None = None
    setup: PageSetup = field(default_factory=PageSetup)
    # --pressure media:N on the user's page: the media file (a URL, or a path of the page's
    # origin) its N idle video elements preload (capture/page_pressure.js).
    pressure_media: str | None = None

    def __post_init__(self) -> None:
        patterns = (("--chunk-pattern", self.chunk_pattern), ("--sse-pattern", self.sse_pattern))
        for flag, pattern in (*patterns, ("--ws-pattern", self.ws_pattern)):
            if pattern is None:
                continue
            try:
                re.compile(pattern)
            except re.error as exc:
                raise UsageError(f"{flag} {pattern!r} is not a regular expression: {exc}") from None
        if not self.chunk_pattern:
            raise UsageError("--chunk-pattern must not be empty: it would match every request")
        if self.webrtc_s is not None and not 0 < self.webrtc_s <= 3600:
            raise UsageError("--webrtc-s must be 0..3600 seconds")
        if self.pressure_media is not None and re.search(self.chunk_pattern, self.pressure_media):
            raise UsageError(
                f"--pressure-media {self.pressure_media!r} matches --chunk-pattern '{self.chunk_pattern}': its "
                "preloads would be counted as chunks; give a media file of the page that is not a chunk "
                "(an idle loop, a poster clip)"
            )


def check_http_url(url: str, name: str = "") -> str:
    """An http:// or https:// URL with a host; ``name`` (a flag) leads the error."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{name + ' ' if name else ''}{url!r} is not an http:// or https:// URL")
    return url


def check_h2_max_streams(value: int) -> int:
    if value not in H2_MAX_STREAMS_RANGE:
        raise UsageError(
            f"--h2-max-streams {value}: must be 1..{H2_MAX_STREAMS_RANGE[-1]} (browsers need at least 1 stream)"
        )
    return value


def parse_modes(text: str | list[str]) -> list[Mode]:
    """Modes from a comma list, each once, in the order given."""
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    modes: list[Mode] = []
    for item in (i.strip() for i in items):
        try:
            mode = Mode.parse(item)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if mode not in modes:
            modes.append(mode)
    return modes


MAX_REPEAT = 100


@dataclass(frozen=True)
class Shard:
    """``--shard i/n``: the i-th of n shares of a run's setups (1-based), the same split on
    every machine: setup k (in the order an unsharded run measures them) goes to shard
    ``k % n + 1``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, slash, count = text.partition("/")
        if not (slash and index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count):
            raise UsageError(f"--shard {text!r}: give i/n with 1 <= i <= n, as in --shard 2/3")
        return cls(int(index), int(count))

    def takes(self, setup: int) -> bool:
        return setup % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class RunConfig:
    browsers: tuple[str, ...]
    modes: tuple[Mode, ...]
    scenario: Scenario
    rules: GateRules
    headed: bool = False
    slow_mo: float = 0.0
    executables: tuple[tuple[str, str], ...] = ()  # (browser, path) overrides
    h2_max_streams: int = DEFAULT_H2_MAX_STREAMS  # the reference server's, over h2
    network: NetworkProfile | None = None  # the shaped path to the server (server.shaped_path)
    # The user's page instead of the bundled player: at a URL, or served from their app.
    url: str | None = None
    app: str | None = None
    app_path: str = "/"
    target: PageTarget = field(default_factory=PageTarget)
    live: bool = False
    keep_open: bool = False
    repeat: int = 1  # runs of each setup in each browser, judged together (judging.repeats)
    shard: Shard | None = None  # this machine's share of the setups (None: all of them)
    # (browser, ws:// endpoint): driven through a browser server elsewhere (capture.remote).
    endpoints: tuple[tuple[str, str], ...] = ()
    listen: str = LOOPBACK  # where the reference server (or --app) listens

    def setups(self) -> list[tuple[Mode | None, str]]:
        """Every (mode, browser) an unsharded run measures, in its order (mode None: at --url)."""
        modes: tuple[Mode | None, ...] = (None,) if self.url else self.modes
        return [(mode, browser) for mode in modes for browser in self.browsers]

    def takes(self, mode: Mode | None, browser: str) -> bool:
        """Whether this machine's shard measures that setup."""
        return self.shard is None or self.shard.takes(self.setups().index((mode, browser)))

    def __post_init__(self) -> None:
        check_h2_max_streams(self.h2_max_streams)
        if not 1 <= self.repeat <= MAX_REPEAT:
            raise UsageError(f"--repeat {self.repeat} must be between 1 and {MAX_REPEAT}")
        if self.url and self.app:
            raise UsageError("--url and --app each name the page to gate: give one")
        if self.headed and self.endpoints:
            served = ", ".join(name for name, _ in self.endpoints)
            raise UsageError(
                f"--headed shows the browser on this machine; {served} with --connect is launched, headless, by its "
                "browser server there: drop --headed, or --connect"
            )
        if self.keep_open and not self.headed:
            raise UsageError("--keep-open leaves the browser window open: it needs --headed")
        if self.app:
            check_app_spec(self.app)
        if self.app and not self.app_path.startswith("/"):
            raise UsageError(f"--app-path {self.app_path!r} must start with /")
