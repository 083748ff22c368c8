"""The settings of a WebRTC run: where the page's WebRTC comes from, the sender's fault, and
the limits of the WebRTC rules (judging.webrtc). Options takes them after its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playgate.config import GateRules
from playgate.entrypoints.option_field import RUN, opt

_rules = GateRules()


@dataclass(frozen=True)
class WebRtcOptions:
    whep: str | None = opt(
        None,
        "the bundled page plays this WHEP endpoint of yours (it must allow the page's origin: CORS) instead "
        "of the reference server's",
        (RUN,),
        metavar="URL",
    )
    webrtc_s: float | None = opt(
        None,
        "with --url/--app: the page plays WebRTC; watch its connection this long after the first frame "
        "(no chunks are expected)",
        (RUN,),
        metavar="SECONDS",
    )
    stall_ms: int = opt(0, "fault injection, --mode webrtc: the sender sends no video frame this long, 1 s in")
    expect_transport: str = opt(
        _rules.expected_transport, "WebRTC: the path media must take: udp, tcp (no relay), relay (TURN), any", (RUN,)
    )
    max_first_frame_ms: float = opt(
        _rules.max_first_frame_ms, "WebRTC: longest allowed connection -> first frame", (RUN,)
    )
    max_freezes: int = opt(_rules.max_freezes, "WebRTC: video freezes allowed (the browser's freezeCount)", (RUN,))
    max_jitter_buffer_ms: float = opt(_rules.max_jitter_buffer_ms, "WebRTC: longest mean jitter buffer delay", (RUN,))
    max_av_offset_ms: float = opt(_rules.max_av_offset_ms, "WebRTC: largest video/audio jitter buffer gap", (RUN,))

    def webrtc_rules(self) -> dict[str, Any]:
        """The WebRTC rules' limits, as GateRules takes them."""
        return {
            "expected_transport": self.expect_transport,
            "max_first_frame_ms": self.max_first_frame_ms,
            "max_freezes": self.max_freezes,
            "max_jitter_buffer_ms": self.max_jitter_buffer_ms,
            "max_av_offset_ms": self.max_av_offset_ms,
        }
