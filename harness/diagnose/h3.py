"""HTTP/3 for the diagnosis: a small synchronous client over aioquic.

httpx has no HTTP/3, so this gives the diagnosis what it uses of an httpx client and
response: ``send`` a GET with stage marks, then ``status_code``, ``headers``,
``http_version``, ``iter_raw`` and ``close`` (which cancels a stream not read to its end,
as a partial download does). One client is one QUIC connection, opened by its first
request and reused by the others; its event loop runs in a thread of its own.

The stages differ from TCP's: QUIC does its TLS handshake inside its own, so a cold
request has ``connect_start``/``connect_end`` around the whole handshake and no TLS marks.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, ErrorCode, H3Connection
from aioquic.h3.events import DataReceived, H3Event, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import ConnectionTerminated, QuicEvent

from playgate.diagnose.stages import StageClock
from playgate.errors import MeasurementError

H3_THREAD_NAME = "playgate-h3"  # the client's event loop


class QuicUnanswered(MeasurementError):
    """No answer to a QUIC handshake over UDP within the time: nothing there, or UDP dropped
    (what a browser then meets: it stays on TCP). Callers tell it from a failed handshake by
    its type."""


class _Closed(Exception):
    """The connection ended while a stream still waited."""


class _Protocol(QuicConnectionProtocol):
    """Hands each stream's HTTP/3 events to the queue of the request that opened it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.streams: dict[int, queue.SimpleQueue[H3Event | _Closed]] = {}

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, ConnectionTerminated):
            for waiting in self.streams.values():
                waiting.put(_Closed(event.reason_phrase or f"error {event.error_code}"))
            return
        for h3_event in self.h3.handle_event(event):
            stream_id = getattr(h3_event, "stream_id", None)
            if stream_id in self.streams:
                self.streams[stream_id].put(h3_event)


async def _shut(protocol: _Protocol, transport: asyncio.DatagramTransport) -> None:
    """Send CONNECTION_CLOSE and let go at once: the closing period that follows (three
    probe timeouts) only answers a peer still sending, and this client is done."""
    protocol.close()  # sends the close frame now
    if protocol._timer is not None:  # aioquic keeps its timer armed for the closing period
        protocol._timer.cancel()
    transport.close()


class H3Response:
    """One response, read as it arrives."""

    http_version = "HTTP/3"

    def __init__(self, client: H3Client, stream_id: int, events: queue.SimpleQueue[H3Event | _Closed]) -> None:
        self._client = client
        self._stream_id = stream_id
        self._events = events
        self._ended = False
        self.extensions = {"network_stream": client}  # one QUIC connection per client
        self.status_code = 0
        self.headers: dict[str, str] = {}

    def _next(self) -> H3Event:
        try:
            event = self._events.get(timeout=self._client.timeout_s)
        except queue.Empty:
            raise MeasurementError(
                f"{self._client.authority} sent nothing over HTTP/3 for {self._client.timeout_s:g} s"
            ) from None
        if isinstance(event, _Closed):
            raise MeasurementError(f"{self._client.authority} closed the QUIC connection: {event}")
        return event

    def read_headers(self) -> None:
        event = self._next()
        if not isinstance(event, HeadersReceived):
            raise MeasurementError(f"{self._client.authority} sent data before headers over HTTP/3")
        for name, value in event.headers:
            if name == b":status":
                self.status_code = int(value)
            elif not name.startswith(b":"):
                self.headers[name.decode()] = value.decode(errors="replace")
        self._ended = event.stream_ended

    def iter_raw(self, _block: int = 0) -> Iterator[bytes]:
        """The body as QUIC delivers it (pieces of any size)."""
        while not self._ended:
            event = self._next()
            if isinstance(event, DataReceived):
                self._ended = event.stream_ended
                if event.data:
                    yield event.data
            elif isinstance(event, HeadersReceived):  # trailers
                self._ended = event.stream_ended

    def close(self) -> None:
        """Cancel the stream if its body was not read to the end (a partial download)."""
        if not self._ended:
            self._client.cancel(self._stream_id)
            self._ended = True


class H3Client:
    """One QUIC connection to the URL's host, for the requests of one diagnosis variant."""

    def __init__(self, *, verify: bool | str, timeout_s: float) -> None:
        self.verify = verify
        self.timeout_s = timeout_s
        self.authority = ""
        self._protocol: _Protocol | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=H3_THREAD_NAME, daemon=True)
        self._thread.start()
        self._transport: asyncio.DatagramTransport | None = None

    def __enter__(self) -> H3Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _configuration(self, server_name: str) -> QuicConfiguration:
        configuration = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name=server_name)
        if self.verify is False:
            configuration.verify_mode = ssl.CERT_NONE
        elif isinstance(self.verify, str):
            configuration.load_verify_locations(cafile=self.verify)
        return configuration

    async def _connect(self, host: str, port: int, server_name: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except socket.gaierror as exc:
            raise MeasurementError(f"cannot resolve {host}: {exc.strerror}") from exc
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        connection = QuicConnection(configuration=self._configuration(server_name))
        transport, protocol = await loop.create_datagram_endpoint(lambda: _Protocol(connection), sock=sock)
        protocol.connect(address)
        connected = asyncio.ensure_future(protocol.wait_connected())
        # Once given up on, it still ends (with ConnectionError) when the connection closes.
        connected.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            await asyncio.wait_for(asyncio.shield(connected), self.timeout_s)
        except TimeoutError:
            await _shut(protocol, transport)
            connected.cancel()  # no answer ever came, so no close ends it: it would outlive the loop
            raise QuicUnanswered(
                f"no QUIC handshake with {host}:{port} over UDP within {self.timeout_s:g} s: is HTTP/3 served "
                "on that UDP port, and is UDP let through?"
            ) from None
        except ConnectionError as exc:  # aioquic's handshake failure, a certificate among them
            await _shut(protocol, transport)
            raise MeasurementError(
                f"the QUIC handshake with {host}:{port} failed ({exc}): pass --cafile with the server's CA, "
                "or --insecure"
            ) from exc
        self._protocol, self._transport = protocol, transport

    async def _open_stream(self, authority: str, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        assert self._protocol is not None
        protocol = self._protocol
        stream_id = protocol._quic.get_next_available_stream_id()
        events: queue.SimpleQueue[H3Event | _Closed] = queue.SimpleQueue()
        protocol.streams[stream_id] = events
        fields = [(b":method", b"GET"), (b":scheme", b"https")]
        fields += [(b":authority", authority.encode()), (b":path", path.encode())]
        fields += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        protocol.h3.send_headers(stream_id, fields, end_stream=True)
        protocol.transmit()
        return stream_id, events

    def send(self, url: str, headers: dict[str, str], clock: StageClock, *, sni: str | None = None) -> H3Response:
        """GET ``url`` (resolved already; ``headers`` may carry the original Host)."""
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise MeasurementError(f"HTTP/3 needs an https URL, not {url}")
        host, port = parts.hostname or "", parts.port or 443
        headers = dict(headers)
        self.authority = headers.pop("Host", parts.netloc)
        if self._protocol is None:
            clock.mark("connect_start")
            self._call(self._connect(host, port, sni or host))
            clock.mark("connect_end")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        clock.mark("send_start")
        stream_id, events = self._call(self._open_stream(self.authority, path, headers))
        response = H3Response(self, stream_id, events)
        response.read_headers()
        clock.mark("headers_end")
        return response

    def handshake(self, host: str, port: int) -> None:
        """Connect only: a QUIC handshake with ``host:port`` (MeasurementError if it fails)."""
        self._call(self._connect(host, port, host))

    def cancel(self, stream_id: int) -> None:
        async def reset() -> None:
            if self._protocol is None:
                return
            self._protocol.streams.pop(stream_id, None)
            try:  # STOP_SENDING: the rest of the body is not wanted
                self._protocol._quic.stop_stream(stream_id, ErrorCode.H3_REQUEST_CANCELLED)
            except ValueError:
                pass  # aioquic forgot it already: its whole body had arrived
            self._protocol.transmit()

        self._call(reset())

    def close(self) -> None:
        protocol, transport, self._protocol, self._transport = self._protocol, self._transport, None, None
        if self._loop.is_running():
            if protocol is not None and transport is not None:
                self._call(_shut(protocol, transport))
            self._call(self._loop.shutdown_default_executor())  # getaddrinfo's worker thread
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._loop.close()
