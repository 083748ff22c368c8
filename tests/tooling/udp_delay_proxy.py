"""A loopback UDP relay that makes every new QUIC connection slow to set up.

Datagrams from a client address not seen before wait ``delay_s`` (the Initial packets
of a QUIC handshake), then everything passes both ways at once, through an upstream
socket of that client's own. So a cold QUIC connection pays the delay in its handshake
and a reused one never again: the UDP counterpart of ``DelayProxy``.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from types import TracebackType


class UdpDelayProxy:
    def __init__(self, target_port: int, *, delay_s: float) -> None:
        self.target = ("127.0.0.1", target_port)
        self.delay_s = delay_s
        self._front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._front.bind(("127.0.0.1", 0))
        self.port = self._front.getsockname()[1]
        self._upstreams: dict[tuple[str, int], socket.socket] = {}
        self._released_at: dict[tuple[str, int], float] = {}
        self._held: dict[tuple[str, int], list[bytes]] = {}
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._relay, daemon=True)

    @property
    def connections(self) -> int:
        """Client addresses seen: one per QUIC connection (each binds a socket of its own)."""
        return len(self._upstreams)

    def __enter__(self) -> UdpDelayProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        for sock in [self._front, *self._upstreams.values()]:
            sock.close()

    def _relay(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._front, selectors.EVENT_READ, None)
        while not self._closed.is_set():
            for key, _ in selector.select(timeout=0.01):
                if key.data is None:
                    data, client = self._front.recvfrom(65536)
                    if client not in self._upstreams:
                        upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        upstream.connect(self.target)
                        self._upstreams[client] = upstream
                        self._released_at[client] = time.monotonic() + self.delay_s
                        self._held[client] = []
                        selector.register(upstream, selectors.EVENT_READ, client)
                    self._held[client].append(data)
                else:
                    try:
                        self._front.sendto(key.fileobj.recv(65536), key.data)  # type: ignore[union-attr]
                    except OSError:
                        pass  # the server's port refused: the client will time out, as over a network
            now = time.monotonic()
            for client, held in self._held.items():
                if held and now >= self._released_at[client]:
                    for data in held:
                        self._upstreams[client].send(data)
                    held.clear()
        selector.close()
