"""nginx in front of the app: the reverse-proxy regression.

A common production setup: nginx terminates TLS and forwards to the app. When its
``listen`` line lacks ``http2``, browsers get HTTP/1.1 however well the app speaks h2.
This module runs Debian's nginx that way, on loopback, configured in a private
temporary folder: TLS without h2 to the browser, plain HTTP/1.1 to the app, no
buffering (the event stream must flow as it is written).

Like the app server, this process owns the listening socket and hands it to nginx
(nginx takes inherited sockets from its ``NGINX`` environment variable), so a busy port
is one clear error before nginx starts. nginx runs in the foreground (one worker) and
its master receives SIGTERM if the thread that started it dies. (A single-process
nginx, ``master_process off``, crashes on an inherited socket: measured with 1.22.)
"""

from __future__ import annotations

import ctypes
import http.client
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from harness.errors import ServerStartError
from server.launcher import (
    LOOPBACK,
    READY_TIMEOUT_S,
    STOP_TIMEOUT_S,
    bind_listener,
    client_ssl_context,
    get_json,
    write_certificates,
)

NGINX_ENV = "PLAYGATE_NGINX"
DEBIAN_NGINX = "/usr/sbin/nginx"
_PR_SET_PDEATHSIG = 1

CONFIG = """\
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log notice;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        # No "http2" here: the regression. Browsers fall back to HTTP/1.1.
        listen {host}:{port} ssl;
        ssl_certificate {certfile};
        ssl_certificate_key {keyfile};
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def find_nginx() -> str:
    configured = os.environ.get(NGINX_ENV)
    if configured:
        if not os.access(configured, os.X_OK):
            raise ServerStartError(f"{NGINX_ENV}={configured} is not an executable file")
        return configured
    found = shutil.which("nginx") or (DEBIAN_NGINX if os.access(DEBIAN_NGINX, os.X_OK) else None)
    if found is None:
        raise ServerStartError(
            f"nginx not found: install Debian's nginx (`make setup` does: apt-get install nginx) or set {NGINX_ENV}"
        )
    return found


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class NginxProxy:
    """nginx on a loopback port, forwarding to ``upstream_port``; a context manager."""

    _running: ClassVar[set[NginxProxy]] = set()

    @classmethod
    def stop_all(cls) -> None:
        """Stop every proxy this process started (for an interrupt that cannot unwind)."""
        for proxy in list(cls._running):
            proxy.stop()

    def __init__(self, upstream_port: int, *, host: str = LOOPBACK, port: int = 0) -> None:
        self.upstream_port = upstream_port
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self.ca_pem: bytes | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("proxy not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def __enter__(self) -> NginxProxy:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        executable = find_nginx()
        listener = bind_listener(self.host, self.requested_port)
        try:
            self.port = listener.getsockname()[1]
            self._workdir = tempfile.TemporaryDirectory(prefix="playgate-nginx-")
            work = Path(self._workdir.name)
            certfile, keyfile, self.ca_pem = write_certificates(work)
            config = work / "nginx.conf"
            host = f"[{self.host}]" if ":" in self.host else self.host
            config.write_text(
                CONFIG.format(
                    work=work,
                    host=host,
                    port=self.port,
                    certfile=certfile,
                    keyfile=keyfile,
                    upstream=f"{LOOPBACK}:{self.upstream_port}",
                )
            )
            fd = listener.fileno()
            with open(work / "stderr.log", "wb") as log:
                self._process = subprocess.Popen(
                    [executable, "-p", str(work), "-c", str(config), "-e", str(work / "error.log")],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    pass_fds=[fd],
                    env={**os.environ, "NGINX": f"{fd};"},
                    preexec_fn=_die_with_parent,  # prctl only: safe between fork and exec
                )
        except BaseException:
            listener.close()
            self.stop()
            raise
        listener.close()
        NginxProxy._running.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        assert self.port is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ServerStartError(f"nginx exited with {self._process.returncode}: {self._log_tail()}")
            try:
                get_json(self.host, self.port, "/health", client_ssl_context(self.ca_pem), timeout=1.0)
                return
            except (OSError, http.client.HTTPException, ValueError) as exc:
                last_error = str(exc) or type(exc).__name__
        raise ServerStartError(f"nginx did not answer /health within {READY_TIMEOUT_S:.0f} s ({last_error})")

    def _log_tail(self, lines: int = 8) -> str:
        if self._workdir is None:
            return "(no log)"
        work = Path(self._workdir.name)
        text = []
        for name in ("stderr.log", "error.log"):
            path = work / name
            if path.exists():
                text += path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(empty log)"

    def stop(self) -> None:
        NginxProxy._running.discard(self)
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)  # nginx: fast shutdown
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
