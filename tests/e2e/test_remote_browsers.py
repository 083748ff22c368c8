"""Browsers on another host, across a real network boundary made here: a network namespace
joined to this one by a veth pair that carries only a /30 (addresses from RFC 2544's
benchmarking range, on a pair of our own). In the namespace, ``playgate browser-server``
serves Debian's browsers; here, the gate drives them with ``--connect`` and its server
listens on its end of the pair (``--listen``). What the gate reads still comes from each
browser's own instrumentation, and agrees with a local run of the same setups."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tooling.browser_host import GATE_ADDRESS, NoNamespace, browser_host, connect_flag, served_browsers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETUPS = ["--browser", "all", "--pressure", "media:5", "--chunks", "3"]
# Chunk 0's wait on h1-tls is the hold (400 ms) wherever the browser runs; local and remote
# runs measured 403-417 ms, so this bounds the difference with room for a busy machine.
SAME_WAIT_MS = 60
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def endpoints():
    """Both browsers served from a namespace of their own, removed afterwards."""
    try:
        with browser_host() as namespace, served_browsers(namespace) as served:
            yield served
    except NoNamespace as exc:
        pytest.skip(f"no network namespace can be made here: {exc}")


def playgate(*args):
    """The command line, in a process of its own (pytest-playwright holds this one's Playwright)."""
    return subprocess.run(
        [sys.executable, "-m", "playgate", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def gate_runs(folder, modes, *flags):
    done = playgate("run", *SETUPS, "--mode", modes, *flags, "--output", str(folder))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr  # the h1-tls runs fail
    return {(r["browser"], r["mode"]): r for r in json.loads((folder / "result.json").read_text())["runs"]}


def test_across_the_pair_h2_passes_and_h1_tls_is_caught_as_locally(endpoints, tmp_path):
    remote = gate_runs(tmp_path / "remote", "h2,h1-tls", "--connect", connect_flag(endpoints), "--listen", GATE_ADDRESS)
    local = gate_runs(tmp_path / "local", "h1-tls")  # the wait to compare with
    for browser in ("chromium", "firefox"):
        healthy, regressed = remote[(browser, "h2")], remote[(browser, "h1-tls")]
        assert healthy["verdict"] == "pass", healthy["reasons"]
        assert regressed["verdict"] == "fail"
        assert {r.split(":")[0] for r in regressed["reasons"]} >= {"protocol", "queueing"}, regressed["reasons"]
        assert healthy["browser_endpoint"] == endpoints[browser]
        assert healthy["url"].startswith(f"https://{GATE_ADDRESS}:")  # the page came over the pair
        assert {c["protocol"] for c in healthy["chunks"]} == {"h2"}
        waited = regressed["chunks"][0]["waited_for"]
        assert (waited["cause"], waited["in_flight"], waited["limit"]) == ("connections", 6, 6), waited
        here = local[(browser, "h1-tls")]["chunks"][0]["blocked_ms"]
        there = regressed["chunks"][0]["blocked_ms"]
        assert abs(there - here) <= SAME_WAIT_MS, (browser, there, here)
        assert healthy["browser_version"] == local[(browser, "h1-tls")]["browser_version"]


def test_a_server_the_remote_browser_cannot_reach_is_one_error_naming_both_ends(endpoints):
    # Listening on loopback, as by default: the remote browser's 127.0.0.1 is its own.
    done = playgate("run", "--browser", "chromium", "--chunks", "1", "--connect", f"chromium={endpoints['chromium']}")
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "chromium could not open https://127.0.0.1:" in line, line
    assert f"that browser runs at {endpoints['chromium']}" in line and "give --listen an address" in line, line
