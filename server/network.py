"""The network a run's packets cross: a round trip, loss, jitter and bandwidth each way, as
named profiles of typical links or a custom form (``--network``). Applied per packet, to TCP
and UDP alike, by server.shaped_path.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from playgate.errors import UsageError


@dataclass(frozen=True)
class NetworkProfile:
    name: str
    rtt_ms: float  # the round trip the path adds: half of it each way
    loss: float = 0.0  # share of packets dropped, each way
    down_kbit: float | None = None  # server -> browser; None: not limited
    up_kbit: float | None = None  # browser -> server
    jitter_ms: float = 0.0  # each packet's one-way delay varies by up to this, in order

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        parts = [f"rtt={self.rtt_ms:g}ms"]
        if self.loss:
            parts.append(f"loss={self.loss * 100:g}%")
        if self.down_kbit:
            parts.append(f"down={self.down_kbit / 1000:g}mbit")
        if self.up_kbit:
            parts.append(f"up={self.up_kbit / 1000:g}mbit")
        if self.jitter_ms:
            parts.append(f"jitter={self.jitter_ms:g}ms")
        return f"{self.name} ({','.join(parts)})" if self.name != "custom" else ",".join(parts)


# No shaping at all: the path only puts the server in a namespace of its own (--mode webrtc
# without --network), every packet forwarded as it comes.
DIRECT = NetworkProfile("direct", rtt_ms=0)

# Typical links, as the browsers' own throttling presets and field measurements place them.
PROFILES = {
    "cable": NetworkProfile("cable", rtt_ms=20, down_kbit=50_000, up_kbit=10_000),
    "4g": NetworkProfile("4g", rtt_ms=80, loss=0.002, down_kbit=9_000, up_kbit=2_000, jitter_ms=5),
    "lossy": NetworkProfile("lossy", rtt_ms=100, loss=0.02, down_kbit=10_000, up_kbit=5_000),
}

_FIELD = re.compile(r"^(rtt|loss|down|up|jitter)=([0-9.]+)(ms|%|kbit|mbit)?$")
_UNITS = {"rtt": ("ms",), "jitter": ("ms",), "loss": ("%",), "down": ("kbit", "mbit"), "up": ("kbit", "mbit")}


def parse_network(text: str) -> NetworkProfile:
    """A profile's name, or ``rtt=80ms,loss=1%,down=9mbit,up=2mbit,jitter=5ms`` (rtt required)."""
    if text in PROFILES:
        return PROFILES[text]
    values: dict[str, float] = {}
    for part in text.split(","):
        match = _FIELD.match(part.strip())
        unit = match[3] if match else None
        if match is None or (unit or _UNITS[match[1]][0]) not in _UNITS[match[1]]:
            raise UsageError(
                f"--network {text!r}: give a profile ({', '.join(PROFILES)}) or "
                "rtt=80ms,loss=1%,down=9mbit,up=2mbit,jitter=5ms"
            )
        value = float(match[2])
        values[match[1]] = value * 1000 if unit == "mbit" else value / 100 if match[1] == "loss" else value
    if "rtt" not in values:
        raise UsageError(f"--network {text!r}: give the round trip, rtt=...ms")
    if not 0 <= values.get("loss", 0) < 0.5 or values["rtt"] > 5000 or values.get("jitter", 0) > values["rtt"]:
        raise UsageError(f"--network {text!r}: loss below 50 %, rtt up to 5000 ms, jitter at most the rtt")
    return NetworkProfile(
        "custom",
        rtt_ms=values["rtt"],
        loss=values.get("loss", 0.0),
        down_kbit=values.get("down") or None,
        up_kbit=values.get("up") or None,
        jitter_ms=values.get("jitter", 0.0),
    )
