"""Room for QUIC datagrams between the socket and Hypercorn's QUIC protocol.

Hypercorn's asyncio UDP server queues 10 datagrams and drops the rest. Under a page's
preloading videos, Chromium's acknowledgements and requests overflow it: 60-100 datagrams
dropped in one run of ``--mode h3 --pressure media:5``, and every lost request waited for a
QUIC loss timer, 100-390 ms before its first byte, where a healthy h3 server answers in
3-45 ms (4 runs each, 2026-11-22). A server that drops what it has already received is not
the healthy h3 setup the gate is measured against, so the reference server queues more.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypercorn.asyncio import run as hypercorn_run
from hypercorn.asyncio.udp_server import UDPServer

# Bounded, so a flood cannot grow the server without limit: 1024 datagrams of at most
# 1,500 bytes is 1.5 MB, what a Linux socket's receive buffer holds by default or less.
QUEUED_DATAGRAMS = 1024


class RoomyUDPServer(UDPServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol_queue = asyncio.Queue(QUEUED_DATAGRAMS)


def install() -> None:
    """Make Hypercorn's asyncio worker serve QUIC through ``RoomyUDPServer``."""
    setattr(hypercorn_run, "UDPServer", RoomyUDPServer)  # noqa: B010 (not an exported name)
