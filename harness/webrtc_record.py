"""What a page's WebRTC connection did, as the browser's own statistics say (getStats, read
by capture/webrtc.js): the record the WebRTC rules judge (judging.webrtc) and the reports show.

Figures a browser does not give are None, never 0: a rule cannot be proven by a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playgate.playback_record import round_ms


@dataclass(frozen=True)
class Candidate:
    """One end of a candidate pair, or a candidate the browser gathered."""

    type: str | None  # host, srflx, prflx, relay
    protocol: str | None  # udp or tcp: to the remote end, or (relayed) from the relay on
    relay_protocol: str | None  # udp, tcp or tls: the browser's leg to its TURN server
    address: str | None
    port: int | None
    url: str | None  # the ICE server it came from (Firefox leaves it empty)

    @classmethod
    def from_page(cls, data: dict[str, Any] | None) -> Candidate | None:
        return None if data is None else cls(**data)

    @property
    def where(self) -> str:
        return f"{self.address}:{self.port}" if self.address else "an address the browser did not give"


@dataclass(frozen=True)
class Pair:
    """The selected candidate pair: the path the media took."""

    local: Candidate | None
    remote: Candidate | None
    relay: Candidate | None  # the local relay candidate it goes through, however it is typed
    rtt_ms: float | None

    @property
    def relayed(self) -> bool:
        return self.relay is not None

    @property
    def transport(self) -> str | None:
        """How the media left the browser: udp or tcp directly, or turn/udp, turn/tcp, turn/tls."""
        if self.relay is not None:
            return f"turn/{self.relay.relay_protocol or 'unknown'}"
        return self.local.protocol if self.local is not None else None

    def describe(self) -> str:
        if self.relay is not None:
            return f"relayed over TURN/{(self.relay.relay_protocol or '?').upper()} via {self.relay.where}"
        kind = self.local.type if self.local is not None else "?"
        return f"{(self.transport or '?').upper()} {kind} to {self.remote.where if self.remote else '?'}"


def _relay_of(local: Candidate | None, gathered: tuple[Candidate, ...]) -> Candidate | None:
    """The relay candidate a pair's local end is, whatever type the browser reports: a relayed
    pair's local candidate can read ``prflx`` in Chromium; its address and port are the relay's."""
    if local is None:
        return None
    if local.type == "relay" or local.relay_protocol:
        return local
    return next((c for c in gathered if c.type == "relay" and (c.address, c.port) == (local.address, local.port)), None)


@dataclass(frozen=True)
class Second:
    """One second of the timeline: what arrived and how it played."""

    at_s: int  # seconds since the connection was made
    kbit: float | None  # video received
    jitter_buffer_ms: float | None  # video, per frame emitted in that second
    freezes: int | None  # new in that second
    frames: int | None  # decoded in that second


@dataclass(frozen=True)
class WebRtc:
    """The page's WebRTC connection (the first that connected, else the first made)."""

    connections: int  # RTCPeerConnections the page made
    state: str  # its last connectionState
    created_ms: float  # page time
    connected_ms: float | None
    pair: Pair | None
    gathered: tuple[Candidate, ...]  # the browser's local candidates
    ice_servers: tuple[str, ...]
    # ICE servers the browser could not use, as its icecandidateerror events said: "url: code text".
    candidate_errors: tuple[str, ...]
    frames_decoded: int | None
    frames_dropped: int | None
    freezes: int | None
    frozen_ms: float | None
    jitter_buffer_ms: float | None  # video: mean delay per emitted frame
    audio_jitter_buffer_ms: float | None
    concealed_ratio: float | None  # audio samples concealed over received
    packets_lost: int | None
    kbit: float | None  # video, mean over the samples
    timeline: tuple[Second, ...]

    @classmethod
    def from_page(cls, data: dict[str, Any]) -> WebRtc | None:
        peers = data.get("peers") or []
        if not peers:
            return None
        peer = next((p for p in peers if p.get("connected_ms") is not None), peers[0])
        samples = [s for s in peer.get("samples") or [] if s.get("video") or s.get("audio")]
        last_video: dict[str, Any] = next((s["video"] for s in reversed(samples) if s.get("video")), {})
        last_audio: dict[str, Any] = next((s["audio"] for s in reversed(samples) if s.get("audio")), {})
        gathered = tuple(c for c in map(Candidate.from_page, peer.get("local_candidates") or []) if c is not None)
        raw_pair = peer.get("pair")
        pair = None
        if raw_pair:
            local = Candidate.from_page(raw_pair.get("local"))
            pair = Pair(
                local, Candidate.from_page(raw_pair.get("remote")), _relay_of(local, gathered), raw_pair.get("rtt_ms")
            )
        received, concealed = last_audio.get("totalSamplesReceived"), last_audio.get("concealedSamples")
        return cls(
            connections=len(peers),
            state=peer.get("state") or "new",
            created_ms=peer["created_ms"],
            connected_ms=peer.get("connected_ms"),
            pair=pair,
            gathered=gathered,
            ice_servers=tuple(peer.get("ice_servers") or ()),
            candidate_errors=tuple(dict.fromkeys(_error_text(e) for e in peer.get("candidate_errors") or [])),
            frames_decoded=last_video.get("framesDecoded"),
            frames_dropped=last_video.get("framesDropped"),
            freezes=last_video.get("freezeCount"),
            frozen_ms=None
            if last_video.get("totalFreezesDuration") is None
            else last_video["totalFreezesDuration"] * 1000,
            jitter_buffer_ms=_per_emitted_ms(last_video),
            audio_jitter_buffer_ms=_per_emitted_ms(last_audio),
            concealed_ratio=concealed / received if received and concealed is not None else None,
            packets_lost=last_video.get("packetsLost"),
            kbit=_kbit(samples),
            timeline=_timeline(samples, peer.get("connected_ms") or peer["created_ms"]),
        )

    @property
    def av_offset_ms(self) -> float | None:
        """How much later video plays out than audio, by their jitter buffers (+: video late)."""
        if self.jitter_buffer_ms is None or self.audio_jitter_buffer_ms is None:
            return None
        return self.jitter_buffer_ms - self.audio_jitter_buffer_ms

    def to_json(self) -> dict[str, Any]:
        def candidate(c: Candidate | None) -> dict[str, Any] | None:
            return None if c is None else c.__dict__.copy()

        return {
            "connections": self.connections,
            "state": self.state,
            "connected_ms": round_ms(None if self.connected_ms is None else self.connected_ms - self.created_ms),
            "transport": None if self.pair is None else self.pair.transport,
            "relayed": None if self.pair is None else self.pair.relayed,
            "pair": None
            if self.pair is None
            else {
                "local": candidate(self.pair.local),
                "remote": candidate(self.pair.remote),
                "rtt_ms": round_ms(self.pair.rtt_ms),
            },
            "gathered": [candidate(c) for c in self.gathered],
            "ice_servers": list(self.ice_servers),
            "candidate_errors": list(self.candidate_errors),
            "frames_decoded": self.frames_decoded,
            "frames_dropped": self.frames_dropped,
            "freezes": self.freezes,
            "frozen_ms": round_ms(self.frozen_ms),
            "jitter_buffer_ms": round_ms(self.jitter_buffer_ms),
            "audio_jitter_buffer_ms": round_ms(self.audio_jitter_buffer_ms),
            "av_offset_ms": round_ms(self.av_offset_ms),
            "concealed_ratio": None if self.concealed_ratio is None else round(self.concealed_ratio, 4),
            "packets_lost": self.packets_lost,
            "kbit": None if self.kbit is None else round(self.kbit, 1),
            "timeline": [second.__dict__.copy() for second in self.timeline],
        }


def _error_text(error: dict[str, Any]) -> str:
    words = " ".join(str(part) for part in (error.get("code"), error.get("text")) if part not in (None, ""))
    return f"{error.get('url') or 'an ICE server'}: {words or 'no reason given'}"


def _per_emitted_ms(stat: dict[str, Any]) -> float | None:
    delay, emitted = stat.get("jitterBufferDelay"), stat.get("jitterBufferEmittedCount")
    return None if delay is None or not emitted else delay / emitted * 1000


def _kbit(samples: list[dict[str, Any]]) -> float | None:
    video = [s for s in samples if s.get("video") and s["video"].get("bytesReceived") is not None]
    if len(video) < 2 or video[-1]["t"] <= video[0]["t"]:
        return None
    sent = float(video[-1]["video"]["bytesReceived"] - video[0]["video"]["bytesReceived"])
    return sent * 8 / float(video[-1]["t"] - video[0]["t"])  # bytes per ms * 8 = kbit/s


def _timeline(samples: list[dict[str, Any]], since_ms: float) -> tuple[Second, ...]:
    """Per second since ``since_ms``: the last video sample of each second, against the one before."""
    last_of_second: dict[int, dict[str, Any]] = {}
    for sample in samples:
        if sample.get("video") and sample["t"] >= since_ms:
            last_of_second[int((sample["t"] - since_ms) // 1000)] = sample
    seconds, before = [], None
    for at_s in sorted(last_of_second):
        now = last_of_second[at_s]
        seconds.append(_second(at_s, before, now))
        before = now
    return tuple(seconds)


def _second(at_s: int, before: dict[str, Any] | None, now: dict[str, Any]) -> Second:
    def change(name: str) -> float | None:
        value = now["video"].get(name)
        if value is None:
            return None
        previous = before["video"].get(name) if before is not None else 0
        return None if previous is None else value - previous

    span_ms = now["t"] - before["t"] if before is not None else None
    sent, delay, emitted = change("bytesReceived"), change("jitterBufferDelay"), change("jitterBufferEmittedCount")
    freezes, frames = change("freezeCount"), change("framesDecoded")
    return Second(
        at_s=at_s,
        kbit=None if sent is None or not span_ms else round(sent * 8 / span_ms, 1),
        jitter_buffer_ms=None if delay is None or not emitted else round(delay / emitted * 1000, 1),
        freezes=None if freezes is None else int(freezes),
        frames=None if frames is None else int(frames),
    )


def webrtc_figures(webrtc: WebRtc | None) -> dict[str, Any]:
    """A WebRTC connection's key figures, as a CI dashboard shows them (JUnit properties); none
    without one."""
    if webrtc is None:
        return {}
    return {
        "webrtc_transport": None if webrtc.pair is None else webrtc.pair.transport,
        "webrtc_freezes": webrtc.freezes,
        "webrtc_frozen_ms": round_ms(webrtc.frozen_ms),
        "webrtc_jitter_buffer_ms": round_ms(webrtc.jitter_buffer_ms),
        "webrtc_av_offset_ms": round_ms(webrtc.av_offset_ms),
        "webrtc_kbit": None if webrtc.kbit is None else round(webrtc.kbit, 1),
    }
