"""The nginx-h1 setup: Debian's nginx in front of the app, HTTP/1.1 to the client."""

import os
import signal
import socket
import ssl
import subprocess
import sys
import time

import h2.connection
import h2.events
import h2.settings
import httpx
import pytest

from playgate.errors import ServerStartError
from playgate.server.launcher import ServerProcess, bind_listener
from playgate.server.proxy import NGINX_ENV, NginxProxy
from playgate.server.serving import serve
from playgate.server.settings import Mode, settings_for
from tests.processes import alive, cmdline, descendants, group_members


def tls_to(host, port, alpn):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(alpn)
    return context.wrap_socket(socket.create_connection((host, port), timeout=5))


def announced_max_streams(host, port):
    """SETTINGS_MAX_CONCURRENT_STREAMS from the server's first SETTINGS frame."""
    with tls_to(host, port, ["h2"]) as tls:
        connection = h2.connection.H2Connection()
        connection.initiate_connection()
        tls.sendall(connection.data_to_send())
        while True:
            for event in connection.receive_data(tls.recv(65535)):
                if isinstance(event, h2.events.RemoteSettingsChanged):
                    return event.changed_settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS].new_value


def offered_alpn(host, port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection((host, port), timeout=5) as raw, context.wrap_socket(raw) as tls:
        return tls.selected_alpn_protocol()


def test_nginx_speaks_http11_over_tls_and_forwards_ranges_and_events(media):
    with serve(settings_for(Mode.NGINX_H1, media)) as served:
        assert served.base_url.startswith("https://127.0.0.1:")
        assert served.label == "nginx-h1"
        assert offered_alpn(served.proxy.host, served.proxy.port) == "http/1.1"
        with httpx.Client(http2=True, verify=False, timeout=10) as client:
            health = client.get(f"{served.base_url}/health")
            assert health.http_version == "HTTP/1.1"
            assert health.json()["http_version"] == "1.1"  # the app behind speaks plain HTTP/1.1
            chunk = client.get(f"{served.base_url}/chunks/{media.chunk_names[0]}", headers={"Range": "bytes=0-99"})
            assert (chunk.status_code, len(chunk.content)) == (206, 100)
            # Unbuffered: the first event arrives while the stream is still open.
            with client.stream("GET", f"{served.base_url}/events?chunks=1&pace_ms=0&hold_ms=0") as events:
                first = next(events.iter_lines())
                assert first.startswith(("retry:", "event:", ":"))


def test_nginx_on_a_port_in_use_is_one_clear_error(media):
    busy = bind_listener("127.0.0.1", 0)
    try:
        port = busy.getsockname()[1]
        with ServerProcess(settings_for(Mode.H1, media)) as app:
            with pytest.raises(ServerStartError, match=f"port {port} on 127.0.0.1 is in use"):
                NginxProxy(app.port, port=port).start()
    finally:
        busy.close()


def test_missing_nginx_names_the_fix(monkeypatch, media):
    monkeypatch.setenv(NGINX_ENV, "/nonexistent/nginx")
    with pytest.raises(ServerStartError, match=f"{NGINX_ENV}=/nonexistent/nginx is not an executable"):
        with serve(settings_for(Mode.NGINX_H1, media)):
            pass


def test_stop_leaves_no_nginx_running(media):
    with serve(settings_for(Mode.NGINX_H1, media)) as served:
        pid = served.proxy.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_h2_stream_limit_is_announced_to_clients(media):
    with serve(settings_for(Mode.H2, media, h2_max_streams=4)) as served:
        assert served.label == "h2 max-streams 4"
        assert announced_max_streams(served.app.host, served.app.port) == 4
    with serve(settings_for(Mode.H2, media)) as served:
        assert announced_max_streams(served.app.host, served.app.port) == 100


def test_nginx_goes_when_playgate_is_killed_even_while_it_starts():
    """SIGKILL of the process that started nginx, 0-36 ms after nginx's exec: before the
    guard, a master that got its parent-death SIGTERM between installing its handler and
    waiting for signals waited for ever (5 of 20 such moments), and workers outlive a
    lost master. The guard stops nginx's whole group when its pipe from us closes."""
    script = "from playgate.server.proxy import NginxProxy\nNginxProxy(9, ready_path=None).start()\ninput()"
    left_behind = {}
    for delay_ms in range(0, 40, 4):
        with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE) as starter:
            nginx = []
            while not nginx:
                assert starter.poll() is None, "the starting process ended by itself"
                nginx = [p for p in descendants(starter.pid) if cmdline(p).startswith(("nginx", "/usr/sbin/nginx"))]
            kill_at = time.monotonic() + delay_ms / 1000
            while time.monotonic() < kill_at:
                pass
            starter.kill()
        master = nginx[0]
        deadline = time.monotonic() + 10  # the guard's grace time is 2 s
        while (left := {*group_members(master), *([master] if alive(master) else [])}) and time.monotonic() < deadline:
            pass
        if left:
            left_behind[delay_ms] = [cmdline(p)[:40] for p in left]
            for pid in left:
                os.kill(pid, signal.SIGKILL)
    assert left_behind == {}
