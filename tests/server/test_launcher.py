"""Starting and stopping the server process: clear errors, nothing left running."""

import os
import socket
import sys

import pytest

from playgate.errors import ServerStartError
from playgate.fixtures.generate import ensure_media
from playgate.server.launcher import ServerProcess, bind_listener
from playgate.server.settings import Mode, settings_for


@pytest.fixture(scope="module")
def settings():
    return settings_for(Mode.H2, ensure_media())


def is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): ask the kernel for its state.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[1][0] != "Z"


def test_port_in_use_is_one_clear_error(settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerStartError, match=f"port {port} on 127.0.0.1 is in use"):
            ServerProcess(settings, port=port).start()


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("0.0.0.0", "give the one address the browsers reach this machine at"),
        ("::", "give the one address the browsers reach this machine at"),
        ("example.com", "give an IP address of this machine"),
        ("198.18.200.7", "no interface of this machine has that address"),
    ],
)
def test_loopback_or_one_address_of_this_machine_is_served(host, message):
    with pytest.raises(ServerStartError, match=message):
        bind_listener(host, 0)


def test_stop_leaves_no_process_and_no_key_on_disk(settings):
    server = ServerProcess(settings)
    server.start()
    pid, workdir = server.pid, server._workdir.name
    assert os.path.exists(os.path.join(workdir, "key.pem"))
    assert oct(os.stat(workdir).st_mode & 0o777) == "0o700"
    server.stop()
    assert not is_running(pid)
    assert not os.path.exists(workdir)
    server.stop()  # twice is harmless


def test_server_stops_when_its_parent_goes_away(settings):
    server = ServerProcess(settings)
    server.start()
    process = server._process
    process.stdin.close()  # what the kernel does when the parent dies
    assert process.wait(timeout=10) == 0
    server.stop()


def test_server_that_dies_at_start_is_one_clear_error(settings, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/bin/false")
    server = ServerProcess(settings)
    with pytest.raises(ServerStartError, match="the server process exited with 1"):
        server.start()
    assert server.pid is None  # stopped and forgotten


def test_exception_inside_the_block_still_stops_the_server(settings):
    with pytest.raises(RuntimeError):
        with ServerProcess(settings) as server:
            pid = server.pid
            raise RuntimeError("test failed")
    assert not is_running(pid)
