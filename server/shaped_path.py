"""A shaped network path between this machine's browsers and a server: the server listens in
a network namespace of its own, reached through two TUN devices, and every IP packet between
them crosses the shaper (server.shaper), which gives it the profile's loss, bandwidth and
delay. TCP and UDP alike, both directions.

Why this way, measured on the machines playgate runs on: the kernel's ``netem`` (delay and
loss) is absent from many CI kernels and containers, ``tbf`` shapes rate only, and a
userspace TCP proxy can neither lose a packet nor carry QUIC. A TUN device hands whole IP
packets to a process; a namespace gives the server an address only that path reaches.
Needs root (or CAP_NET_ADMIN) and /dev/net/tun.
"""

from __future__ import annotations

import ctypes
import fcntl
import itertools
import json
import math
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from playgate.errors import EnvironmentProblem
from playgate.server.network import NetworkProfile

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
CLONE_NEWNET = 0x40000000
# The namespace a server process enters first (its name), as the launcher tells it.
NAMESPACE_ENV = "PLAYGATE_NETNS"
SUBNET = "10.253"  # a /24 of 10.253.0.0/16 per path: the browser's side .1, the server's .2
STOP_TIMEOUT_S = 5.0

_instances = itertools.count()
T = TypeVar("T")


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise EnvironmentProblem(
            f"--network could not set up its path (ip {' '.join(args)}: {done.stderr.strip()}): it needs root or "
            "CAP_NET_ADMIN, network namespaces and /dev/net/tun"
        )


def _open_tun(name: str) -> int:
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
    except OSError as exc:
        raise EnvironmentProblem(
            f"--network needs /dev/net/tun ({exc.strerror}): run as root, with it present"
        ) from None
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    except OSError as exc:
        os.close(fd)
        raise EnvironmentProblem(f"--network could not make a TUN device ({exc.strerror}): it needs root") from None
    return fd


def _remove_stale_namespaces() -> None:
    """Namespaces of playgate processes that are gone (killed before they could remove them):
    their devices and shaper went with the process; the namespace's mount stays until removed."""
    try:
        names = os.listdir("/var/run/netns")
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "playgate" and parts[1].isdigit() and not Path(f"/proc/{parts[1]}").exists():
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def _nft() -> str:
    found = shutil.which("nft") or ("/usr/sbin/nft" if Path("/usr/sbin/nft").exists() else None)
    if found is None:
        raise EnvironmentProblem("a WebRTC path needs nft: apt-get install nftables (make setup does)")
    return found


def _remove_stale_nat_tables() -> None:
    """The source-address tables (ShapedPath's masquerade) of playgate processes that are gone."""
    if not (shutil.which("nft") or Path("/usr/sbin/nft").exists()):
        return
    listed = subprocess.run([_nft(), "list", "tables", "ip"], capture_output=True, text=True).stdout
    for line in listed.splitlines():
        name = line.split()[-1] if line.startswith("table ip ") else ""
        parts = name.split("_")
        if len(parts) == 3 and parts[0] == "playgate" and parts[1].isdigit() and not Path(f"/proc/{parts[1]}").exists():
            subprocess.run([_nft(), "delete", "table", "ip", name], capture_output=True)


def _free_subnet() -> int:
    """A /24 of SUBNET no interface of this machine uses."""
    used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True).stdout
    for third in range(os.getpid() % 200, os.getpid() % 200 + 250):
        if f" {SUBNET}.{third % 250}." not in used:
            return third % 250
    raise EnvironmentProblem(f"--network found no free /24 in {SUBNET}.0.0/16")


def enter_namespace(name: str) -> None:
    """Move the calling thread (at a process's start: the process) into namespace ``name``."""
    with open(f"/var/run/netns/{name}") as handle:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")


class ShapedPath:
    """The namespace, its two devices and the shaper; a context manager. ``host`` is the
    server's address on the path; ``in_namespace`` runs a function (a socket's bind) there."""

    def __init__(self, profile: NetworkProfile, *, masquerade: bool = False) -> None:
        self.profile = profile
        n = next(_instances)
        self.namespace = f"playgate-{os.getpid()}-{n}"
        # masquerade: every packet the browser's side sends into the path leaves from the path's
        # address, whatever address its socket has (Firefox's WebRTC sockets hold the machine's
        # default one, which the namespace has no route back to; the path's is all it knows).
        self._nat_table = f"playgate_{os.getpid()}_{n}" if masquerade else None
        self._made_nat_table = False
        self._devices = (f"pg{os.getpid() % 100000}u{n}", f"pg{os.getpid() % 100000}d{n}")
        third = _free_subnet()
        self.browser_side, self.host = f"{SUBNET}.{third}.1", f"{SUBNET}.{third}.2"
        self.stats: dict[str, dict[str, int]] | None = None  # what the shaper did, once closed
        self.measured: PathFigures | None = None
        self._fds: list[int] = []
        self._shaper: subprocess.Popen[bytes] | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="playgate-path-")
        self._made_namespace = False

    def __enter__(self) -> ShapedPath:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add_nat_table(self, outside: str) -> None:
        nft, table = _nft(), self._nat_table
        assert table is not None
        for command in (
            ["add", "table", "ip", table],
            ["add", "chain", "ip", table, "out", "{ type nat hook postrouting priority srcnat; }"],
            ["add", "rule", "ip", table, "out", "oifname", outside, "masquerade"],
        ):
            done = subprocess.run([nft, *command], capture_output=True, text=True)
            self._made_nat_table = True
            if done.returncode != 0:
                raise EnvironmentProblem(f"nft could not give the path its source address: {done.stderr.strip()}")

    def _start(self) -> None:
        _remove_stale_namespaces()
        _remove_stale_nat_tables()
        outside, inside = self._devices
        _ip("netns", "add", self.namespace)
        self._made_namespace = True
        self._fds = [_open_tun(outside), _open_tun(inside)]
        _ip("link", "set", inside, "netns", self.namespace)
        _ip("addr", "add", self.browser_side, "peer", self.host, "dev", outside)
        _ip("link", "set", outside, "up")
        if self._nat_table is not None:
            self._add_nat_table(outside)
        _ip("-n", self.namespace, "addr", "add", self.host, "peer", self.browser_side, "dev", inside)
        _ip("-n", self.namespace, "link", "set", inside, "up")
        _ip("-n", self.namespace, "link", "set", "lo", "up")
        stats = Path(self._folder.name) / "stats.json"
        self._shaper = subprocess.Popen(
            [sys.executable, "-m", "playgate.server.shaper", json.dumps(self.profile.to_json())]
            + [str(fd) for fd in self._fds]
            + [str(stats)],
            stdin=subprocess.PIPE,
            pass_fds=self._fds,
        )

    @property
    def server_device(self) -> str:
        """The path's device on the server's side, in the namespace."""
        return self._devices[1]

    def note(self) -> str:
        """What each run over it says: the profile, and what was measured on the path."""
        return f"network {self.profile}: {self.measured}"

    def in_namespace(self, function: Callable[[], T]) -> T:
        """``function()`` run in a thread that entered the namespace: a socket made there
        stays there (only the server's sockets; the rest of this process is untouched)."""
        outcome: list[T] = []
        failure: list[BaseException] = []

        def enter_and_run() -> None:
            try:
                enter_namespace(self.namespace)
                outcome.append(function())
            except BaseException as exc:  # raised again in the caller's thread
                failure.append(exc)

        thread = threading.Thread(target=enter_and_run, name="playgate-netns")
        thread.start()
        thread.join()
        if failure:
            raise failure[0]
        return outcome[0]

    def close(self) -> None:
        """Stop the shaper (keeping what it counted), remove the devices and the namespace."""
        shaper, self._shaper = self._shaper, None
        if shaper is not None:
            if shaper.stdin is not None:
                shaper.stdin.close()
            try:
                shaper.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                shaper.kill()
                shaper.wait()
            stats = Path(self._folder.name) / "stats.json"
            if stats.exists():
                self.stats = json.loads(stats.read_text())
        for fd in self._fds:  # a TUN device goes with its last descriptor
            os.close(fd)
        self._fds = []
        if self._made_nat_table and self._nat_table is not None:
            self._made_nat_table = False
            subprocess.run([_nft(), "delete", "table", "ip", self._nat_table], capture_output=True)
        if self._made_namespace:
            self._made_namespace = False
            subprocess.run(["ip", "netns", "delete", self.namespace], capture_output=True)
        self._folder.cleanup()


# The path is measured with this many UDP packets each way, of this size on the wire.
PROBE_PACKETS, PROBE_PAYLOAD, UDP_IP_HEADERS = 400, 1172, 28
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # root's: beyond the machine's rmem_max
PROBE_BUFFER_SHARE = 0.5  # of the shaper's QUEUE_S: a burst never fills the link's buffer
# A measured figure within this share of the profile's matches it.
TOLERANCE = 0.10
# Loss is a chance per packet, and a few hundred probes cannot pin it to 10 %: the probes' loss
# is off the profile when a count this far out would happen less than once in a thousand paths.
LOSS_SURPRISE = 0.001
# Under a profile without loss, a shaper behind on its work (a busy machine) drops: this share is too many.
UNNAMED_LOSS = 0.01


@dataclass(frozen=True)
class PathFigures:
    """What was measured on the path before any run used it."""

    rtt_ms: float  # median TCP connect time to the server: one round trip
    down_kbit: float | None  # UDP burst arrival rate, server -> browser
    up_kbit: float | None
    lost: int  # of the probe packets sent, both ways
    sent: int

    def problems(self, profile: NetworkProfile) -> list[str]:
        """How the path differs from the profile by more than TOLERANCE (none: it matches)."""
        found = []
        if abs(self.rtt_ms - profile.rtt_ms) > TOLERANCE * profile.rtt_ms + 1.0:
            found.append(f"round trip {self.rtt_ms:.0f} ms, not {profile.rtt_ms:g}")
        for name, measured, named in (
            ("down", self.down_kbit, profile.down_kbit),
            ("up", self.up_kbit, profile.up_kbit),
        ):
            if named and (measured is None or abs(measured - named) > TOLERANCE * named):
                found.append(f"{name} {0 if measured is None else measured / 1000:.1f} Mbit/s, not {named / 1000:g}")
        if self.sent and _loss_implausible(self.lost, self.sent, profile.loss):
            found.append(
                f"{self.lost} of {self.sent} probe packets lost, where {profile.loss:.1%} loss drops about "
                f"{profile.loss * self.sent:.0f}"
            )
        return found

    def __str__(self) -> str:
        rates = ", ".join(
            f"{name} {rate / 1000:.1f} Mbit/s"
            for name, rate in (("down", self.down_kbit), ("up", self.up_kbit))
            if rate
        )
        return (
            f"measured: round trip {self.rtt_ms:.0f} ms, {rates + ', ' if rates else ''}"
            f"{self.lost} of {self.sent} probe packets lost"
        )


def _loss_implausible(lost: int, sent: int, loss: float) -> bool:
    """Whether ``lost`` of ``sent`` is too far from a chance of ``loss`` per packet to be luck
    (binomial, two-sided, below LOSS_SURPRISE)."""
    if loss == 0:
        return lost > UNNAMED_LOSS * sent

    def pmf(k: int) -> float:  # in logs: the binomial coefficient of a few thousand overflows a float
        log = math.lgamma(sent + 1) - math.lgamma(k + 1) - math.lgamma(sent - k + 1)
        return math.exp(log + k * math.log(loss) + (sent - k) * math.log1p(-loss))

    tail = min(sum(map(pmf, range(lost + 1))), sum(map(pmf, range(lost, sent + 1))))
    return 2 * tail < LOSS_SURPRISE


def connect_ms(host: str, port: int, tries: int = 7) -> float:
    """The median TCP connect time to ``host:port`` from here: a SYN out and its answer back."""
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        with socket.create_connection((host, port), timeout=10):
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _burst(sender: socket.socket, receiver: socket.socket, kbit: float | None) -> tuple[float | None, int, int]:
    """Packets back to back, as many as the link drains in half its buffer's time (a full
    buffer's drops are not the profile's loss); (arrival rate in kbit/s, lost, sent)."""
    wire_bits = (PROBE_PAYLOAD + UDP_IP_HEADERS) * 8
    count = PROBE_PACKETS if not kbit else min(PROBE_PACKETS, int(kbit * 1000 * PROBE_BUFFER_SHARE / wire_bits))
    receiver.settimeout(1.0)
    # A burst of the whole count must fit the receiver's buffer (a kernel's default holds about a
    # hundred of these), or an unshaped link's probes are lost in it rather than on the path.
    receive_buffer = count * (PROBE_PAYLOAD + 1024)  # the kernel's own bookkeeping per packet
    receiver.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer)
    target = receiver.getsockname()
    for seq in range(count):
        sender.sendto(seq.to_bytes(4, "big") + bytes(PROBE_PAYLOAD - 4), target)
    arrivals: list[float] = []
    try:
        while len(arrivals) < count:
            receiver.recv(PROBE_PAYLOAD)
            arrivals.append(time.perf_counter())
    except TimeoutError:
        pass
    lost = count - len(arrivals)
    if len(arrivals) < 2 or arrivals[-1] == arrivals[0]:
        return None, lost, count
    return (len(arrivals) - 1) * wire_bits / (arrivals[-1] - arrivals[0]) / 1000, lost, count


def measure_path(path: ShapedPath, port: int) -> PathFigures:
    """The round trip (TCP connects to the server's port) and each direction's bandwidth and
    loss (a UDP burst), measured on the path before any run uses it."""
    rtt = connect_ms(path.host, port)
    outside = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    inside = path.in_namespace(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    try:
        outside.bind((path.browser_side, 0))
        path.in_namespace(lambda: inside.bind((path.host, 0)))
        down, lost_down, sent_down = _burst(inside, outside, path.profile.down_kbit)
        up, lost_up, sent_up = _burst(outside, inside, path.profile.up_kbit)
    finally:
        outside.close()
        inside.close()
    return PathFigures(rtt, down, up, lost_down + lost_up, sent_down + sent_up)
