"""Fetch one chunk URL the ways a Python worker would, measuring every stage.

Variants, for each protocol asked for:
  cold     a new connection for every request, full download, then decode
  pooled   one client for every request: the first is cold, the others reuse it
  partial  a new connection, only the first X MB (Range), then decode
  stream   a new connection, decoding starts after the first Y KB and stops at a frame
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from playgate.config import check_http_url
from playgate.diagnose.decode import NotVideo, first_frame_from_bytes, first_frame_from_stream
from playgate.diagnose.h3 import H3Client, H3Response
from playgate.diagnose.stages import RequestStages, StageClock
from playgate.errors import MeasurementError, UsageError
from playgate.proxies import named_proxy

PROTOCOLS = ("http/1.1", "h2", "h3")
DEFAULT_PROTOCOLS = ("http/1.1", "h2")  # h3 when asked for (--http3): it needs the server's UDP
VARIANTS = ("cold", "pooled", "partial", "stream")
MB = 1024 * 1024
BLOCK = 64 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class DiagnoseOptions:
    url: str
    requests: int = 3
    protocols: tuple[str, ...] = DEFAULT_PROTOCOLS
    partial_mb: float = 1.0
    stream_start_kb: int = 64
    verify: bool | str = True  # False, or a CA bundle path
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        check_http_url(self.url)
        if not 1 <= self.requests <= 100:
            raise UsageError("--requests must be 1..100")
        if self.partial_mb <= 0 or self.stream_start_kb <= 0:
            raise UsageError("--partial-mb and --stream-start-kb must be positive")
        if not self.protocols or set(self.protocols) - set(PROTOCOLS):
            raise UsageError(f"protocols must be among {PROTOCOLS}")


@dataclass
class _Connections:
    """Numbers connections in the order they were first seen. The streams are kept
    alive so that no later connection can take over a closed one's id()."""

    seen: dict[int, int] = field(default_factory=dict)
    streams: list[object] = field(default_factory=list)

    def number(self, stream: object) -> int:
        if id(stream) not in self.seen:
            self.streams.append(stream)
            self.seen[id(stream)] = len(self.seen) + 1
        return self.seen[id(stream)]


def _protocol_name(http_version: str) -> str:
    names = {"HTTP/1.1": "http/1.1", "HTTP/2": "h2", "HTTP/3": "h3", "HTTP/1.0": "http/1.0"}
    return names.get(http_version, http_version.lower())


@dataclass
class _Target:
    """The URL to request at a resolved address, with the name kept for SNI and Host."""

    url: str
    host_header: str | None
    sni: str | None
    dns_ms: float | None


def _resolve(url: str, clock: StageClock) -> _Target:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
        return _Target(url, None, None, None)  # an address already: no lookup
    except ValueError:
        pass
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.perf_counter()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise MeasurementError(f"cannot resolve {host}: {exc.strerror}") from exc
    dns_ms = (time.perf_counter() - started) * 1000
    address = str(infos[0][4][0])
    netloc = f"[{address}]" if ":" in address else address
    netloc += f":{parts.port}" if parts.port else ""
    return _Target(parts._replace(netloc=netloc).geturl(), parts.netloc, host, dns_ms)


# The figures are the path to the origin's own (its address, connect, TLS): never through a
# proxy the environment names, whose CONNECT tunnel would make connect and TLS the proxy's.
_DIRECT: dict[str, httpx.BaseTransport | None] = {"all://": None, "http://": None, "https://": None}


class Diagnoser:
    def __init__(self, options: DiagnoseOptions) -> None:
        self.options = options
        self.connections = _Connections()
        self.notes: list[str] = []
        self.proxy = named_proxy(os.environ)
        if self.proxy:
            self.notes.append(f"{self.proxy} is set: the requests went straight to the origin, not through the proxy")

    @contextmanager
    def _client(self, protocol: str) -> Iterator[httpx.Client | H3Client]:
        if protocol == "h3":
            with H3Client(verify=self.options.verify, timeout_s=self.options.timeout_s) as h3_client:
                yield h3_client
            return
        https = urlsplit(self.options.url).scheme == "https"
        # For h2 over TLS both are offered and ALPN decides; plain http needs prior knowledge.
        http1, http2 = (https, True) if protocol == "h2" else (True, False)
        verify: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=self.options.verify)
            if isinstance(self.options.verify, str)
            else self.options.verify
        )
        with httpx.Client(
            verify=verify, timeout=self.options.timeout_s, http1=http1, http2=http2, mounts=_DIRECT
        ) as client:
            yield client

    def _send(
        self, client: httpx.Client | H3Client, target: _Target, clock: StageClock, headers: dict[str, str]
    ) -> httpx.Response | H3Response:
        if target.host_header:
            headers = {**headers, "Host": target.host_header}
        if isinstance(client, H3Client):
            answer = client.send(target.url, headers, clock, sni=target.sni)
            if answer.status_code >= 400:
                answer.close()
                raise MeasurementError(f"{self.options.url} answered {answer.status_code}")
            return answer
        extensions: dict[str, object] = {"trace": clock.trace}
        if target.sni:
            extensions["sni_hostname"] = target.sni
        request = client.build_request("GET", target.url, headers=headers, extensions=extensions)
        try:
            response = client.send(request, stream=True)
        except httpx.ConnectError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ssl.SSLError) or "SSL" in str(exc) or "certificate" in str(exc):
                raise MeasurementError(
                    f"TLS with {self.options.url} failed ({exc}): pass --cafile with the server's CA, or --insecure"
                ) from exc
            hint = (
                f" (diagnose goes straight to the origin, not through the proxy {self.proxy} names: run it where "
                "the origin is reachable directly)"
                if self.proxy
                else ""
            )
            raise MeasurementError(f"cannot connect to {self.options.url}: {exc}{hint}") from exc
        except httpx.TimeoutException as exc:
            raise MeasurementError(f"{self.options.url} did not answer within {self.options.timeout_s:g} s") from exc
        except httpx.RemoteProtocolError as exc:
            raise MeasurementError(f"{self.options.url} broke the protocol: {exc}") from exc
        if response.status_code >= 400:
            response.close()
            raise MeasurementError(f"{self.options.url} answered {response.status_code}")
        return response

    def _request(
        self, client: httpx.Client | H3Client, asked: str, variant: str, target: _Target | None
    ) -> tuple[RequestStages, _Target]:
        clock = StageClock()
        if target is None or variant != "pooled":
            target = _resolve(self.options.url, clock)
            dns_ms = target.dns_ms
        else:
            dns_ms = None  # the pooled client resolved once, with its first request
        headers: dict[str, str] = {}
        limit: int | None = None
        if variant == "partial":
            limit = int(self.options.partial_mb * MB)
            headers["Range"] = f"bytes=0-{limit - 1}"
        response = self._send(client, target, clock, headers)
        note = None
        try:
            connection = self.connections.number(response.extensions.get("network_stream"))
            reused = "connect_start" not in clock.marks  # no TCP connect traced for this request
            if variant == "partial" and response.status_code != 206:
                note = "the server ignored Range: read the first bytes of the full response"
            if variant == "stream":
                received, first_frame_ms = self._stream_decode(response, clock)
                transfer_ms = None
            else:
                body = bytearray()
                for block in response.iter_raw(BLOCK):
                    body += block
                    if limit is not None and len(body) >= limit:
                        del body[limit:]
                        break
                clock.mark("body_end")
                self._decode(response, lambda: first_frame_from_bytes(bytes(body)))
                clock.mark("first_frame")
                received = len(body)
                transfer_ms = clock.span_ms("headers_end", "body_end")
                first_frame_ms = clock.since_start_ms("first_frame")
        finally:
            response.close()
        stages = RequestStages(
            asked=asked,
            variant=variant,
            protocol=_protocol_name(response.http_version),
            connection=connection,
            reused=reused,
            status=response.status_code,
            bytes=received,
            dns_ms=None if reused else dns_ms,
            connect_ms=clock.span_ms("connect_start", "connect_end"),
            tls_ms=clock.span_ms("tls_start", "tls_end"),
            ttfb_ms=clock.span_ms("send_start", "headers_end"),
            transfer_ms=transfer_ms,
            first_frame_ms=first_frame_ms,
            total_ms=(time.perf_counter() - clock.started) * 1000,
            note=note,
        )
        return stages, target

    def _decode(self, response: httpx.Response | H3Response, decode: Callable[[], T]) -> T:
        try:
            return decode()
        except NotVideo as exc:
            kind = response.headers.get("content-type", "no content-type")
            raise NotVideo(f"{self.options.url} ({kind}): {exc}") from exc

    def _stream_decode(self, response: httpx.Response | H3Response, clock: StageClock) -> tuple[int, float | None]:
        start_bytes = self.options.stream_start_kb * 1024
        blocks = response.iter_raw(BLOCK)
        prefix = bytearray()
        for block in blocks:
            prefix += block
            if len(prefix) >= start_bytes:
                break
        consumed = self._decode(response, lambda: first_frame_from_stream(bytes(prefix), blocks))
        clock.mark("first_frame")
        return max(consumed, len(prefix)), clock.since_start_ms("first_frame")

    def run(self) -> list[RequestStages]:
        results: list[RequestStages] = []
        for protocol in self.options.protocols:
            for variant in VARIANTS:
                if variant == "pooled":
                    with self._client(protocol) as client:
                        target = None
                        for _ in range(self.options.requests):
                            stages, target = self._request(client, protocol, variant, target)
                            results.append(stages)
                    continue
                for _ in range(self.options.requests):
                    with self._client(protocol) as client:
                        results.append(self._request(client, protocol, variant, None)[0])
            answered = {r.protocol for r in results if r.asked == protocol}
            if answered != {protocol}:
                self.notes.append(f"{protocol} was asked for; the server answered over {', '.join(sorted(answered))}")
        return results
