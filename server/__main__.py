"""The server process: ``python -m playgate.server SETTINGS_JSON LISTEN_FD [CERTFILE KEYFILE [UDP_FD]]``.

Started by ``playgate.server.launcher``, which owns the listening socket (and, for the h3
modes, the UDP socket of the same port) and hands it over as a file descriptor, so the
port is known (and checked free) before this process starts.
The process stops on SIGTERM, SIGINT, or when its stdin closes: if the parent dies,
the server goes with it.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import socket
import sys
import threading
from typing import Any, NoReturn

from hypercorn.asyncio import serve
from hypercorn.config import Config

from playgate.server import udp_queue
from playgate.server.app import create_app
from playgate.server.settings import Mode, ServerSettings
from playgate.server.shaped_path import NAMESPACE_ENV, enter_namespace


class _NoAltSvcConfig(Config):
    """Hypercorn advertises its QUIC port on every response; this one never does."""

    def response_headers(self, protocol: str) -> list[tuple[bytes, bytes]]:
        return [(name, value) for name, value in super().response_headers(protocol) if name != b"alt-svc"]


def _hypercorn_config(
    settings: ServerSettings, fd: int, certfile: str | None, keyfile: str | None, udp_fd: int | None = None
) -> Config:
    mode = settings.mode
    config = _NoAltSvcConfig() if mode is Mode.H3_NO_ALT_SVC else Config()
    config.bind = [f"fd://{fd}"]
    config.accesslog = None
    # Hypercorn's QUIC server task sleeps on its packet queue and only sees the shutdown
    # at the next packet: every h3 server's stop waited the whole graceful timeout.
    config.graceful_timeout = 0.2 if mode.serves_quic else 1.0
    config.h2_max_concurrent_streams = settings.h2_max_streams
    if mode.uses_tls:
        config.certfile, config.keyfile = certfile, keyfile
        config.alpn_protocols = mode.alpn_protocols
    if udp_fd is None:
        return config
    if mode.serves_quic:
        config.quic_bind = [f"fd://{udp_fd}"]  # Hypercorn then sends Alt-Svc: h3=":PORT" itself
    # h3-udp-blocked: advertised, and the UDP socket held but never read, as a firewall
    # that drops it would leave it: the browser's QUIC handshake times out.
    if mode in (Mode.H3_UDP_BLOCKED, Mode.H3_DRAFT_ALT_SVC):
        with socket.socket(fileno=os.dup(udp_fd)) as udp:  # a copy: closing it leaves udp_fd open
            port = udp.getsockname()[1]
        protocol_id = "h3-29" if mode is Mode.H3_DRAFT_ALT_SVC else "h3"
        config.alt_svc_headers = [f'{protocol_id}=":{port}"; ma=3600']
    return config


async def _serve(app: Any, config: Config) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def watch_parent() -> None:
        sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_parent, daemon=True).start()
    await serve(app, config, shutdown_trigger=stop.wait)


def load_app(spec: str, folder: str | None) -> Any:
    """The user's ASGI app. A failure is one line in the log and exit status 3."""
    module_name, _, attribute = spec.partition(":")
    if folder:
        sys.path.insert(0, folder)
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:  # whatever the user's module raises on import
        _give_up(
            f"--app {spec}: cannot import {module_name!r} ({type(exc).__name__}: {exc}); run from the folder "
            "that holds it or set PYTHONPATH"
        )
    for name in attribute.split("."):
        if not hasattr(target, name):
            _give_up(f"--app {spec}: {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, name)
    if not callable(target):
        _give_up(f"--app {spec}: {attribute!r} is not an ASGI app (not callable)")
    return target


def _give_up(message: str) -> NoReturn:
    print(message, flush=True)
    sys.exit(3)


def main(argv: list[str]) -> None:
    settings = ServerSettings.from_json(argv[0])
    namespace = os.environ.get(NAMESPACE_ENV)
    if namespace:  # behind a shaped path: every socket it makes (WebRTC's too) is on the path
        enter_namespace(namespace)
    fd = int(argv[1])
    certfile, keyfile = (argv[2], argv[3]) if len(argv) >= 4 else (None, None)
    udp_fd = int(argv[4]) if len(argv) >= 5 else None
    # The user's app is imported before anything else runs, so a failure is one clean line.
    app = load_app(settings.app, settings.app_dir) if settings.app else create_app(settings)
    udp_queue.install()
    asyncio.run(_serve(app, _hypercorn_config(settings, fd, certfile, keyfile, udp_fd)))


if __name__ == "__main__":
    main(sys.argv[1:])
