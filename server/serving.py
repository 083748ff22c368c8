"""A serving setup, started and stopped as one: the app, and nginx in front where the
mode asks for it. What the browser talks to is ``Served.base_url``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from playgate.errors import EnvironmentProblem, ServerStartError, UsageError
from playgate.server.launcher import LOOPBACK, LoopbackProcess, ServerProcess
from playgate.server.network import DIRECT, NetworkProfile
from playgate.server.proxy import NginxProxy
from playgate.server.settings import QUIC_MAX_STREAMS_BIDI, Mode, ServerSettings
from playgate.server.shaped_path import ShapedPath, measure_path
from playgate.server.turn import TURN_PORT, TurnServer, block_udp_from_browser


@dataclass(frozen=True)
class Served:
    base_url: str
    label: str  # how runs name the setup: "h2", "h2 max-streams 4", "nginx-h1"
    app: ServerProcess
    proxy: NginxProxy | None = None
    # --network: the shaped path the browsers reach it over, and what was measured on it.
    path: ShapedPath | None = None
    # The WebRTC modes: the ICE servers the page is given (the TURN server beside it).
    ice_servers: tuple[dict[str, Any], ...] = ()

    @property
    def running(self) -> bool:
        """The app's process, and nginx's where there is one, still up."""
        return self.app.running and (self.proxy is None or self.proxy.running)

    @property
    def mode(self) -> Mode:
        return self.app.settings.mode

    @property
    def max_quic_streams(self) -> int | None:
        """The QUIC bidirectional streams the browser may open at once, where h3 is served."""
        return QUIC_MAX_STREAMS_BIDI if self.mode.serves_quic else None

    @property
    def max_streams(self) -> int | None:
        """The h2 SETTINGS_MAX_CONCURRENT_STREAMS the browser meets (none behind nginx, which speaks h1)."""
        return None if self.proxy is not None else self.app.settings.h2_max_streams


@contextmanager
def _turn_for(mode: Mode, path: ShapedPath) -> Iterator[TurnServer | None]:
    """coturn beside a WebRTC server (server.turn), in its namespace; None where there is none."""
    if not mode.runs_turn:
        yield None
        return
    with (
        tempfile.TemporaryDirectory(prefix="playgate-turn-") as folder,
        TurnServer(path.namespace, path.host, Path(folder)) as turn,
    ):
        yield turn


def _unanswered_turn(mode: Mode, path: ShapedPath) -> tuple[dict[str, Any], ...]:
    """webrtc-no-turn: the page is given a TURN server where none runs."""
    if not mode.plays_webrtc:
        return ()
    urls = [f"turn:{path.host}:{TURN_PORT}?transport=udp", f"turn:{path.host}:{TURN_PORT}?transport=tcp"]
    return ({"urls": urls, "username": "playgate", "credential": "none"},)


def stop_all() -> None:
    """Stop every app server and proxy this process started."""
    LoopbackProcess.stop_all()


# Under --network, each pressure preload is paced at this fraction of the link's bandwidth.
PRELOAD_SHARE_OF_LINK = 16


@contextmanager
def serve(
    settings: ServerSettings, *, host: str = LOOPBACK, port: int = 0, network: NetworkProfile | None = None
) -> Iterator[Served]:
    """Start the setup (a busy ``port`` is a ServerStartError) and always stop it; with a
    ``network``, behind a shaped path (server.shaped_path) whose figures are measured first."""
    if settings.mode.plays_webrtc and (os.geteuid() != 0 or not os.path.exists("/dev/net/tun")):
        raise EnvironmentProblem(
            f"--mode {settings.mode} serves the avatar in a network namespace of its own (so ICE pairs only on "
            "addresses playgate made), which needs root and /dev/net/tun: run as root, as CI containers do"
        )
    if network is None and settings.mode.plays_webrtc:
        network = DIRECT  # ICE pairs only on the path's addresses (server.webrtc)
    if network is not None:
        if settings.mode.behind_nginx:
            raise UsageError(f"--network shapes the path to playgate's own server: not --mode {settings.mode}")
        if network.down_kbit:
            # The pressure's preloads hold connections; on a link of this bandwidth they must
            # not also fill it: together (five) they take under a third of it.
            share = int(network.down_kbit * 1000 / 8 / PRELOAD_SHARE_OF_LINK)
            settings = replace(settings, preload_bytes_per_second=min(settings.preload_bytes_per_second, share))
        with (
            ShapedPath(network, masquerade=settings.mode.plays_webrtc) as path,
            ServerProcess(
                settings, host=path.host, port=port, binding=path.in_namespace, namespace=path.namespace
            ) as app,
        ):
            path.measured = measure_path(path, app.port or 0)
            problems = path.measured.problems(network)
            if problems:
                raise ServerStartError(
                    f"--network {network}: the path does not match its profile ({'; '.join(problems)}), so no run "
                    "over it is judged: is this machine too busy to shape it?"
                )
            with _turn_for(settings.mode, path) as turn:
                if settings.mode.blocks_udp:
                    block_udp_from_browser(path.namespace, path.server_device)
                ice = tuple(turn.ice_servers) if turn is not None else _unanswered_turn(settings.mode, path)
                yield Served(app.base_url, settings.label, app, path=path, ice_servers=ice)
        return
    if settings.mode.behind_nginx:
        with (
            ServerProcess(settings) as app,
            NginxProxy(app.port or 0, host=host, port=port, ready_path=app.ready_path) as proxy,
        ):
            yield Served(proxy.base_url, settings.label, app, proxy)
    else:
        with ServerProcess(settings, host=host, port=port) as app:
            yield Served(app.base_url, settings.label, app)
