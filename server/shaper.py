"""The packet shaper: ``python -m playgate.server.shaper PROFILE_JSON UP_FD DOWN_FD STATS_PATH``.

Started by server.shaped_path with two TUN devices' file descriptors: UP_FD carries the
browser's packets towards the server, DOWN_FD the server's back. Each IP packet read from one
is written to the other after what the profile says: dropped at the loss rate, queued behind
the packets before it at the bandwidth, then delayed by half the round trip (and the jitter,
never reordering). Packets, not requests: TCP's handshakes, slow start and retransmissions
and QUIC's alike pay it, as on a real link.

It stops on SIGTERM or when its stdin closes (the parent went away), writing what it did to
STATS_PATH: per direction, packets and octets forwarded, packets dropped by the loss rate and
by a full queue.
"""

from __future__ import annotations

import collections
import json
import os
import random
import select
import signal
import sys
import time
from dataclasses import asdict, dataclass, field

# A link's buffer, as time to drain it: a packet that would wait longer is dropped, as a
# router's full queue drops it.
QUEUE_S = 1.0
# Jitter moves the delay to a new value this often: packets close together share one (a
# delay drawn per packet would reorder them, or, kept in order, only ever grow).
JITTER_PERIOD_S = 0.05
MAX_PACKET = 65_536


@dataclass
class Lane:
    """One direction of the path."""

    out_fd: int
    kbit: float | None
    one_way_s: float
    jitter_s: float
    loss: float
    rng: random.Random
    forwarded: int = 0
    octets: int = 0
    lost: int = 0
    queue_full: int = 0
    _link_free: float = 0.0
    _last_due: float = 0.0
    _jitter: float = 0.0
    _jitter_until: float = 0.0
    _queue: collections.deque[tuple[float, bytes]] = field(default_factory=collections.deque)

    def offer(self, packet: bytes, now: float) -> None:
        if self.loss and self.rng.random() < self.loss:
            self.lost += 1
            return
        departs = now
        if self.kbit:
            start = max(now, self._link_free)
            if start - now > QUEUE_S:
                self.queue_full += 1
                return
            self._link_free = start + len(packet) * 8 / (self.kbit * 1000)
            departs = self._link_free
        if self.jitter_s and now >= self._jitter_until:
            self._jitter = self.rng.uniform(-self.jitter_s, self.jitter_s)
            self._jitter_until = now + JITTER_PERIOD_S
        due = max(departs + max(self.one_way_s + self._jitter, 0.0), self._last_due)
        self._last_due = due
        self._queue.append((due, packet))

    def next_due(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def release(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            _, packet = self._queue.popleft()
            try:
                os.write(self.out_fd, packet)
            except OSError:  # the device is going away, or its queue is full: a lost packet
                self.lost += 1
                continue
            self.forwarded += 1
            self.octets += len(packet)

    def stats(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k in ("forwarded", "octets", "lost", "queue_full")}


def _read_all(fd: int, lane: Lane, now: float) -> None:
    while True:
        try:
            packet = os.read(fd, MAX_PACKET)
        except BlockingIOError:
            return
        except OSError:
            return
        lane.offer(packet, now)


def run(profile: dict[str, float | None], up_fd: int, down_fd: int, stats_path: str) -> None:
    rng = random.Random(0x9A7E)  # the same losses run after run, for a given traffic
    one_way = float(profile["rtt_ms"] or 0) / 2000
    jitter = float(profile.get("jitter_ms") or 0) / 1000
    loss = float(profile.get("loss") or 0)
    lanes = {
        up_fd: Lane(down_fd, profile.get("up_kbit"), one_way, jitter, loss, rng),
        down_fd: Lane(up_fd, profile.get("down_kbit"), one_way, jitter, loss, rng),
    }
    for fd in lanes:
        os.set_blocking(fd, False)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    watched = [*lanes, sys.stdin.fileno()]
    try:
        while not stopping:
            now = time.monotonic()
            dues = [due for lane in lanes.values() if (due := lane.next_due()) is not None]
            timeout = max(0.0, min(dues) - now) if dues else 0.5
            try:
                ready, _, _ = select.select(watched, [], [], timeout)
            except InterruptedError:
                continue
            now = time.monotonic()
            for fd in ready:
                if fd == sys.stdin.fileno():
                    if not os.read(fd, 1024):
                        stopping = True  # the parent closed our stdin, or died
                    continue
                _read_all(fd, lanes[fd], now)
            for lane in lanes.values():
                lane.release(time.monotonic())
    finally:
        stats = {"up": lanes[up_fd].stats(), "down": lanes[down_fd].stats()}
        with open(stats_path, "w") as out:
            json.dump(stats, out)


if __name__ == "__main__":
    run(json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
