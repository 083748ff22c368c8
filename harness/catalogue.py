"""The catalogues: the pressures the gate is measured under, and the server
misconfigurations it must catch. The regression matrix test runs every entry in both
browsers; the reference's catalogue page is made from them, with the command that reproduces each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playgate.rules import Rule
from playgate.server.settings import DEFAULT_H2_MAX_STREAMS

# Each healthy-h2 pressure must pass; the healthy setup shares the connection among all.
HEALTHY_PRESSURES = ("sse:5", "tabs:5", "media:5", "streams:8", "media:5+tabs:2")
# Healthy h3 must pass under these (and so must h3 found from Alt-Svc).
HEALTHY_H3_PRESSURES = ("sse:5", "media:5")


@dataclass(frozen=True)
class Regression:
    """A realistic misconfiguration, the pressure that exposes it, and the rules that
    must name it."""

    name: str
    what: str
    mode: str
    caught_by: tuple[Rule, ...]  # gate rules, each of which must break
    names_it: str = ""  # words the reasons must hold, where the rule alone does not name the cause
    pressure: str = "none"
    h2_max_streams: int = DEFAULT_H2_MAX_STREAMS
    scenario: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> dict[str, Any]:
        """Keyword settings for ``playgate_run`` (and the marker)."""
        return {"mode": self.mode, "pressure": self.pressure, "h2_max_streams": self.h2_max_streams, **self.scenario}

    def command(self) -> str:
        """The ``playgate run`` line that reproduces it."""
        parts = [f"playgate run --mode {self.mode}"]
        if self.h2_max_streams != DEFAULT_H2_MAX_STREAMS:
            parts.append(f"--h2-max-streams {self.h2_max_streams}")
        if self.pressure != "none":
            parts.append(f"--pressure {self.pressure}")
        parts += [f"--{key.replace('_', '-')} {value}" for key, value in self.scenario.items()]
        return " ".join(parts)


REGRESSIONS = (
    Regression(
        "tls-removed",
        "TLS taken off: browsers never speak h2 in the clear, so HTTP/1.1 and its six connections",
        mode="h1",
        pressure="media:5",
        caught_by=(Rule.PROTOCOL, Rule.QUEUEING),
    ),
    Regression(
        "alpn-without-h2",
        "TLS kept but h2 dropped from ALPN (a TLS terminator's default): HTTP/1.1",
        mode="h1-tls",
        pressure="media:5",
        caught_by=(Rule.PROTOCOL, Rule.QUEUEING),
    ),
    Regression(
        "few-h2-streams",
        "h2 with max concurrent streams lowered to 4 while the page holds 3 streams and its event stream",
        mode="h2",
        pressure="streams:3",
        h2_max_streams=4,
        caught_by=(Rule.QUEUEING,),
    ),
    Regression(
        "slow-chunks",
        "chunk responses 1200 ms late (a slow origin or a cold cache)",
        mode="h2",
        scenario={"chunk_delay_ms": 1200},
        caught_by=(Rule.LOAD_TIME,),
    ),
    Regression(
        "nginx-h1",
        "nginx in front of the app with `listen ... ssl` and no `http2`: HTTP/1.1 to the browser",
        mode="nginx-h1",
        pressure="media:5",
        caught_by=(Rule.PROTOCOL, Rule.QUEUEING),
    ),
    Regression(
        "h3-udp-blocked",
        "Alt-Svc advertises h3, but UDP to its port is dropped (a firewall or security group): h2, after a QUIC try",
        mode="h3-udp-blocked",
        caught_by=(Rule.PROTOCOL,),
        names_it="h3 was advertised",
    ),
    Regression(
        "h3-not-advertised",
        "HTTP/3 served, but no Alt-Svc header says so (a proxy that strips it): nothing ever upgrades",
        mode="h3-no-alt-svc",
        caught_by=(Rule.PROTOCOL,),
        names_it="no response advertised h3",
    ),
    Regression(
        "h3-draft-only",
        "Alt-Svc names only the draft h3-29 (a configuration from before RFC 9114): browsers never take it up",
        mode="h3-draft-alt-svc",
        caught_by=(Rule.PROTOCOL,),
        names_it="offered only h3-29",
    ),
    Regression(
        "webrtc-udp-blocked",
        "a WebRTC avatar behind a firewall that drops UDP: ICE goes through the TURN server over TCP, and every "
        "lost packet waits for TCP",
        mode="webrtc-udp-blocked",
        caught_by=(Rule.TRANSPORT,),
        names_it="relayed over TURN/TCP",
    ),
    Regression(
        "webrtc-no-turn",
        "UDP dropped and no TURN server answering: the WebRTC connection cannot be made",
        mode="webrtc-no-turn",
        caught_by=(Rule.TRANSPORT,),
        names_it="no candidate pair was selected",
    ),
    Regression(
        "webrtc-sender-stall",
        "a WebRTC sender that stops sending video for 1.5 s (a stalled encoder or render loop): the avatar freezes",
        mode="webrtc",
        scenario={"stall_ms": 1500},
        caught_by=(Rule.FREEZES,),
    ),
)
# Healthy WebRTC must pass: the TURN server beside it, UDP open, in both browsers.
HEALTHY_WEBRTC_MODES = ("webrtc",)
