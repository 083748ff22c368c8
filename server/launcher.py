"""Start and stop the reference server as a child process.

A separate process keeps the server's event loop and CPU time away from the harness
that measures it. This module owns the listening socket (so a port in use is reported
before anything starts), makes a throwaway CA and leaf certificate per run in a private
temporary folder, waits until the server answers ``/health``, and always stops it:
SIGTERM, then SIGKILL after a deadline. The child also stops when its stdin closes,
so it cannot outlive a parent that was killed.
"""

from __future__ import annotations

import base64
import errno
import functools
import hashlib
import http.client
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from playgate.errors import ServerStartError
from playgate.server.server_log import log_size, log_text, unhandled_exceptions
from playgate.server.settings import ServerSettings
from playgate.server.shaped_path import NAMESPACE_ENV
from playgate.server.workdirs import make_workdir

LOOPBACK = "127.0.0.1"
READY_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
UDP_TWIN_ATTEMPTS = 20


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def check_listen_address(host: str) -> None:
    """Loopback, or (``--listen``: a browser on another machine must reach the server) an
    IP address of this machine's own interfaces; never a name to resolve or a wildcard."""
    if host in LOOPBACK_HOSTS:
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ServerStartError(f"--listen {host!r}: give an IP address of this machine (or 127.0.0.1)") from None
    if address.is_unspecified or address.is_multicast:
        raise ServerStartError(f"--listen {host}: give the one address the browsers reach this machine at")


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening socket on a loopback host (or an address given with --listen); port 0
    picks a free one."""
    check_listen_address(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerStartError(
                f"port {port} on {host} is in use: stop what holds it or pick another port (0 picks a free one)"
            ) from exc
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ServerStartError(f"cannot listen on {host}: no interface of this machine has that address") from exc
        raise ServerStartError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def bind_udp(host: str, port: int) -> socket.socket:
    """The UDP socket of ``port`` on a loopback host, for QUIC (HTTP/3)."""
    family = socket.AF_INET6 if host == "::1" else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerStartError(
                f"UDP port {port} on {host} is in use (HTTP/3 answers on the UDP port of the same number "
                "as TCP): stop what holds it or pick another port (0 picks a free one)"
            ) from exc
        raise ServerStartError(f"cannot bind UDP {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def write_certificates(workdir: Path, host: str = LOOPBACK) -> tuple[Path, Path, bytes]:
    """A throwaway CA and a leaf certificate for loopback and ``host``: (certfile, keyfile, CA PEM)."""
    ca = trustme.CA()
    leaf = ca.issue_cert(*dict.fromkeys(("localhost", "127.0.0.1", "::1", host)))
    certfile, keyfile = workdir / "cert.pem", workdir / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(certfile))
    leaf.private_key_pem.write_to_path(str(keyfile))
    return certfile, keyfile, ca.cert_pem.bytes()


def spki_sha256(certificate_pem: bytes) -> str:
    """base64(SHA-256(DER SubjectPublicKeyInfo)) of a certificate: Chromium's
    --ignore-certificate-errors-spki-list takes this of the leaf the server sends."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    der = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def client_ssl_context(ca_pem: bytes | None) -> ssl.SSLContext | None:
    """An SSL context that trusts ``ca_pem`` (None for plain HTTP)."""
    if ca_pem is None:
        return None
    context = ssl.create_default_context(cadata=ca_pem.decode())
    context.set_alpn_protocols(["http/1.1"])
    return context


def get(host: str, port: int, path: str, context: ssl.SSLContext | None, *, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET over HTTP/1.1 (over TLS when given a context): (status, body)."""
    connection: http.client.HTTPConnection
    if context is not None:
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get_json(
    host: str, port: int, path: str, context: ssl.SSLContext | None, *, timeout: float = 5.0
) -> dict[str, object]:
    """GET a JSON object over HTTP/1.1, over TLS when given a context."""
    status, body = get(host, port, path, context, timeout=timeout)
    if status != 200:
        raise ValueError(f"{path} answered {status}")
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError(f"{path} did not answer a JSON object")
    return data


class LoopbackProcess:
    """What the app server and nginx share: a child process serving on a loopback port
    that this process binds first and hands over, ready once it answers ``/health``,
    always stopped (SIGTERM, then SIGKILL after a deadline), its private folder removed.

    Subclasses say how to start the child (``_spawn``) and where its log is.
    """

    _running: ClassVar[set[LoopbackProcess]] = set()
    # Ready once this path answers 200 with JSON; None: once "/" answers at all (the
    # user's own app, which has no /health).
    ready_path: str | None = "/health"
    label: ClassVar[str] = "the process"  # how errors name it
    workdir_prefix: ClassVar[str] = "playgate-"

    @classmethod
    def stop_all(cls) -> None:
        """Stop every one this process started (for an interrupt that cannot unwind)."""
        for running in list(LoopbackProcess._running):
            running.stop()

    def __init__(
        self, *, host: str = LOOPBACK, port: int = 0, binding: Callable[[Callable[[], Any]], Any] | None = None
    ) -> None:
        self.host = host
        self.requested_port = port
        # Where its sockets are made: here, or (a shaped path's ``in_namespace``) in the
        # network namespace the host belongs to.
        self._binding = binding or (lambda bind: bind())
        self.port: int | None = None
        self.ca_pem: bytes | None = None
        # base64 SHA-256 of the leaf's public key: how Chromium is told to accept it over QUIC
        self.leaf_spki_sha256: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def scheme(self) -> str:
        return "https"

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError(f"{self.label} is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _bind(self) -> socket.socket:
        """The listening socket the child is handed (and any other it needs, kept aside)."""
        listener: socket.socket = self._binding(lambda: bind_listener(self.host, self.requested_port))
        return listener

    def _close_sockets(self, listener: socket.socket) -> None:
        listener.close()

    def _spawn(self, listener: socket.socket, workdir: Path) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def _log_tail(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        # Known to stop_all before its folder or process exists: an interrupt at any
        # point of the start finds what there is to stop.
        LoopbackProcess._running.add(self)
        try:
            listener = self._bind()
        except BaseException:
            self.stop()
            raise
        try:
            self.port = listener.getsockname()[1]
            self._workdir = make_workdir(self.workdir_prefix)  # 0700: the TLS key stays private
            self._process = self._spawn(listener, Path(self._workdir.name))
        except BaseException:
            self._close_sockets(listener)
            self.stop()
            raise
        self._close_sockets(listener)  # the child holds its own copies
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def client_ssl_context(self) -> ssl.SSLContext | None:
        """An SSL context that trusts this run's CA (None for plain HTTP)."""
        return client_ssl_context(self.ca_pem)

    def get_json(self, path: str, *, timeout: float = 5.0) -> dict[str, object]:
        """GET a JSON document over HTTP/1.1 (for health checks and tests)."""
        assert self.port is not None
        return get_json(self.host, self.port, path, self.client_ssl_context(), timeout=timeout)

    def _wait_ready(self) -> None:
        # The listening socket exists already, so the kernel accepts a connection at once;
        # readiness is the first /health answer from the app behind it.
        deadline = time.monotonic() + READY_TIMEOUT_S
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ServerStartError(f"{self.label} exited with {self._process.returncode}: {self._log_tail()}")
            try:
                self._probe()
                return
            except (OSError, http.client.HTTPException, ValueError) as exc:
                last_error = str(exc) or type(exc).__name__
        raise ServerStartError(
            f"{self.label} did not answer {self.ready_path or '/'} within {READY_TIMEOUT_S:.0f} s "
            f"({last_error}): {self._log_tail()}"
        )

    def _probe(self) -> None:
        if self.ready_path is not None:
            self.get_json(self.ready_path, timeout=1.0)
        else:
            assert self.port is not None
            get(self.host, self.port, "/", self.client_ssl_context(), timeout=1.0)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        LoopbackProcess._running.discard(self)
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None


class ServerProcess(LoopbackProcess):
    """The reference server running in a child process; use as a context manager."""

    label = "the server process"
    workdir_prefix = "playgate-server-"

    def __init__(
        self,
        settings: ServerSettings,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        binding: Callable[[Callable[[], Any]], Any] | None = None,
        namespace: str | None = None,
    ) -> None:
        super().__init__(host=host, port=port, binding=binding)
        self.settings = settings
        self.namespace = namespace  # the network namespace the process runs in (a shaped path's)
        self._log: Path | None = None
        self._udp: socket.socket | None = None  # QUIC's, handed over beside the listener
        if settings.app is not None:
            self.ready_path = None

    @property
    def scheme(self) -> str:
        return "https" if self.settings.mode.uses_tls else "http"

    def _bind(self) -> socket.socket:
        if not self.settings.mode.holds_udp_port:
            return super()._bind()
        # A free TCP port's UDP twin is almost always free too; when the kernel picked the
        # port and the twin is taken, pick again rather than fail.
        for _ in range(UDP_TWIN_ATTEMPTS):
            listener = super()._bind()
            try:
                port = listener.getsockname()[1]
                self._udp = self._binding(functools.partial(bind_udp, self.host, port))
                return listener
            except ServerStartError:
                listener.close()
                if self.requested_port != 0:
                    raise
        raise ServerStartError(f"found no free TCP port whose UDP twin was free in {UDP_TWIN_ATTEMPTS} tries")

    def _close_sockets(self, listener: socket.socket) -> None:
        super()._close_sockets(listener)
        udp, self._udp = self._udp, None
        if udp is not None:
            udp.close()

    def _spawn(self, listener: socket.socket, workdir: Path) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "playgate.server", self.settings.to_json(), str(listener.fileno())]
        passed = [listener.fileno()]
        if self.settings.mode.uses_tls:
            certfile, keyfile, self.ca_pem = write_certificates(workdir, self.host)
            self.leaf_spki_sha256 = spki_sha256(certfile.read_bytes())
            args += [str(certfile), str(keyfile)]
        if self._udp is not None:
            args.append(str(self._udp.fileno()))
            passed.append(self._udp.fileno())
        self._log = workdir / "server.log"
        with open(self._log, "wb") as log:
            return subprocess.Popen(
                args,
                stdin=subprocess.PIPE,  # closed by stop(); the server also stops at its EOF
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=passed,
                env={**os.environ, NAMESPACE_ENV: self.namespace} if self.namespace else None,
            )

    def log_offset(self) -> int:
        """Where its log ends now: what ``exceptions_since`` reads from."""
        return log_size(self._log)

    def exceptions_since(self, offset: int) -> list[str]:
        """Each unhandled exception it logged after ``offset``, one line each (server_log)."""
        return unhandled_exceptions(log_text(self._log, offset))

    def _log_tail(self, lines: int = 15) -> str:
        if self._log is None or not self._log.exists():
            return "(no server log)"
        text = log_text(self._log).strip().splitlines()
        return " | ".join(text[-lines:]) or "(empty server log)"
