"""--network: the shaped path measured against its profile, and the browsers' own figures on
it (a request's wait for its first byte: one round trip, over TCP and QUIC); the gate on a 4G
link passes h2 and catches HTTP/1.1, in both browsers."""

import json
import os
import socket
import statistics
import subprocess
import sys

import pytest

from playgate.entrypoints.assertions import assert_gate_fails, assert_gate_passes
from playgate.server.network import PROFILES
from playgate.server.shaped_path import ShapedPath, measure_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.alone,  # the path is a userspace relay: its figures need the CPU on time
    pytest.mark.skipif(
        os.geteuid() != 0 or not os.path.exists("/dev/net/tun"), reason="a shaped path needs root and /dev/net/tun"
    ),
]

RTT_MS = 60


@pytest.mark.parametrize("name", list(PROFILES))
def test_each_profile_measures_as_it_names_over_tcp_and_udp(name):
    profile = PROFILES[name]
    with ShapedPath(profile) as path:
        server = path.in_namespace(lambda: socket.create_server((path.host, 0)))
        try:
            measured = measure_path(path, server.getsockname()[1])
        finally:
            server.close()
    # Within what a run accepts of a path (10 % of each figure, and 1 ms more of the round
    # trip); 4G's round trip measures 85-86 ms on a quiet 2-core machine, 89 under load.
    assert measured.problems(profile) == [], str(measured)
    assert measured.down_kbit is not None and measured.up_kbit is not None
    assert path.stats["down"]["forwarded"] > 0 and path.stats["up"]["forwarded"] > 0
    # Nothing of the path is left: its namespace and devices went with it.
    assert path.namespace not in os.listdir("/var/run/netns")


@pytest.mark.parametrize(("mode", "protocol"), [("h1", "http/1.1"), ("h3", "h3")])
def test_the_round_trip_the_browser_sees_is_the_profiles_over_tcp_and_quic(playgate_run, mode, protocol):
    """A chunk on a connection already open waits one round trip for its first byte, over TCP
    and over QUIC alike: never less, and far from the two a chunk behind a handshake would
    wait. Above the round trip come the server's answer and the relay's scheduling: medians
    of 64-68 ms on a 60 ms path (how close a wait is to one injected on loopback is
    test_ground_truth's)."""
    judged = playgate_run(mode=mode, expect_protocol=protocol, network=f"rtt={RTT_MS}ms", chunks=5)
    assert any(note.startswith(f"network rtt={RTT_MS}ms: measured: round trip") for note in judged.run.notes)
    assert {c.network.protocol for c in judged.run.chunks} == {protocol}
    waits = [c.network.wait_ms + (c.network.send_ms or 0) for c in judged.run.chunks]
    assert RTT_MS * 0.95 <= statistics.median(waits) < RTT_MS * 1.5, waits


def test_on_a_4g_link_h2_passes_under_preload_pressure(playgate_run):
    assert_gate_passes(playgate_run(mode="h2", pressure="media:5", network="4g"))


def test_on_a_4g_link_http11_is_caught(playgate_run):
    judged = playgate_run(mode="h1-tls", pressure="media:5", network="4g")
    assert_gate_fails(judged, "protocol")
    assert judged.run.chunks[0].network.blocked_ms > 200  # behind the held connections, each a round trip away


def test_a_namespace_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    stale = "playgate-4194399-0"  # above any pid Linux gives: its process is surely gone
    subprocess.run(["ip", "netns", "add", stale], check=True)
    try:
        with ShapedPath(PROFILES["cable"]):
            assert stale not in os.listdir("/var/run/netns")
    finally:
        subprocess.run(["ip", "netns", "delete", stale], capture_output=True)


def test_diagnose_shows_the_python_clients_figures_on_the_path_over_h1_h2_and_h3(tmp_path):
    diagnosed = subprocess.run(
        [
            sys.executable,
            "-m",
            "playgate",
            "diagnose",
            "--network",
            f"rtt={RTT_MS}ms",
            "--requests",
            "2",
            "--json",
            str(tmp_path / "diagnose.json"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert diagnosed.returncode == 0, diagnosed.stdout + diagnosed.stderr
    assert diagnosed.stdout.startswith(f"network rtt={RTT_MS}ms: measured: round trip")
    assert "(not trusted" not in diagnosed.stdout  # the origin probe trusts the server's own CA
    stages = json.loads((tmp_path / "diagnose.json").read_text())["requests"]
    assert {s["protocol"] for s in stages} == {"http/1.1", "h2", "h3"}
    for protocol in ("http/1.1", "h2", "h3"):
        on = [s for s in stages if s["protocol"] == protocol]
        # A request waits one round trip for its first byte: never less, and far from the two a
        # request behind a handshake would wait. Above the round trip comes the server's answer
        # and the Python client's own reading: medians of 68-72 ms on a 60 ms path, up to 78 ms
        # on a busy 2-core machine (the browsers' figure, read from their own timing, is
        # checked to 10 % above).
        ttfb = statistics.median(s["ttfb_ms"] for s in on)
        assert RTT_MS * 0.95 <= ttfb < RTT_MS * 1.5, on
        # A new connection costs one more: TCP's handshake, or QUIC's with TLS inside it.
        assert all(s["connect_ms"] >= RTT_MS * 0.9 for s in on if not s["reused"]), on
