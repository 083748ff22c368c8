"""nginx in front of the app: the reverse-proxy regression.

A common production setup: nginx terminates TLS and forwards to the app. When its
``listen`` line lacks ``http2``, browsers get HTTP/1.1 however well the app speaks h2.
This module runs Debian's nginx that way, on loopback, configured in a private
temporary folder: TLS without h2 to the browser, plain HTTP/1.1 to the app, no
buffering (the event stream must flow as it is written).

Like the app server, this process owns the listening socket and hands it to nginx
(nginx takes inherited sockets from its ``NGINX`` environment variable), so a busy port
is one clear error before nginx starts. nginx runs in the foreground (one worker) under
a small guard process (``nginx_guard``) that stops its whole process group when playgate
goes, however it goes. (A single-process nginx, ``master_process off``, crashes on an
inherited socket: measured with 1.22.)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from playgate.errors import ServerStartError
from playgate.server.launcher import LOOPBACK, LoopbackProcess, write_certificates

NGINX_ENV = "PLAYGATE_NGINX"
DEBIAN_NGINX = "/usr/sbin/nginx"

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
        # Without "http2" (the nginx-h1 mode): the regression, browsers fall back to HTTP/1.1.
        listen {host}:{port} ssl{http2};
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


class NginxProxy(LoopbackProcess):
    """nginx on a loopback port, forwarding to ``upstream_port``; a context manager."""

    label = "nginx"
    workdir_prefix = "playgate-nginx-"

    def __init__(
        self,
        upstream_port: int,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        ready_path: str | None = "/health",
        http2: bool = False,
    ) -> None:
        super().__init__(host=host, port=port)
        self.upstream_port = upstream_port
        self.ready_path = ready_path
        self.http2 = http2  # h2 to the browser (nginx 1.22's "listen ... ssl http2"), as a healthy set-up has it

    def start(self) -> None:
        find_nginx()  # a missing nginx is reported before any port is bound
        super().start()

    def _spawn(self, listener: socket.socket, workdir: Path) -> subprocess.Popen[bytes]:
        certfile, keyfile, self.ca_pem = write_certificates(workdir, self.host)
        config = workdir / "nginx.conf"
        host = f"[{self.host}]" if ":" in self.host else self.host
        config.write_text(
            CONFIG.format(
                work=workdir,
                host=host,
                port=self.port,
                certfile=certfile,
                keyfile=keyfile,
                upstream=f"{LOOPBACK}:{self.upstream_port}",
                http2=" http2" if self.http2 else "",
            )
        )
        fd = listener.fileno()
        nginx = [find_nginx(), "-p", str(workdir), "-c", str(config), "-e", str(workdir / "error.log")]
        with open(workdir / "stderr.log", "wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "playgate.server.nginx_guard", *nginx],  # stops it when we go
                stdin=subprocess.PIPE,  # closed when this process ends, however it ends
                stdout=subprocess.DEVNULL,
                stderr=log,
                pass_fds=[fd],
                env={**os.environ, "NGINX": f"{fd};"},  # nginx's inherited-socket list
            )

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
