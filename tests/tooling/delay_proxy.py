"""A loopback TCP proxy that makes every new connection slow to set up.

Each accepted connection waits ``delay_s`` before anything passes, then bytes flow both
ways (optionally at a bounded rate from the server). The kernel completes the TCP
handshake itself, so the delay lands in the first round trip after it: the TLS handshake
over https, the first byte over plain http. Reused connections never pay it again.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType


class DelayProxy:
    def __init__(self, target_port: int, *, delay_s: float, bytes_per_second: int | None = None) -> None:
        self.target = ("127.0.0.1", target_port)
        self.delay_s = delay_s
        self.bytes_per_second = bytes_per_second
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()

    def __enter__(self) -> DelayProxy:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._closed.set()
        self._listener.close()
        for sock in list(self._sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target, *args) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._sockets.append(client)
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        if self._closed.wait(self.delay_s):  # the injected setup cost
            return
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        self._sockets.append(upstream)
        self._spawn(self._pump, client, upstream, None)
        self._pump(upstream, client, self.bytes_per_second)

    def _pump(self, source: socket.socket, sink: socket.socket, rate: int | None) -> None:
        started, sent = time.monotonic(), 0
        try:
            while data := source.recv(65536):
                if rate:
                    sent += len(data)
                    ahead = started + sent / rate - time.monotonic()
                    if ahead > 0:
                        self._closed.wait(ahead)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass
