"""A second host made on this machine: a network namespace joined to this one by a veth pair
that carries only a /30 (addresses from RFC 2544's benchmarking range, on a pair of our own),
and ``playgate browser-server`` serving Debian's browsers inside it. Used by the remote
browser test and the scale benchmark; needs root (``ip netns``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

GATE_ADDRESS, BROWSER_ADDRESS, PREFIX = "198.18.0.1", "198.18.0.2", 30


class NoNamespace(Exception):
    """Network namespaces cannot be made here (not root, or no ip)."""


def ip(*args: str, namespace: str | None = None) -> subprocess.CompletedProcess[str]:
    command = ["ip", "netns", "exec", namespace, "ip", *args] if namespace else ["ip", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


@contextmanager
def browser_host() -> Iterator[str]:
    """The namespace's name; it and its end of the pair are removed afterwards, whatever happens."""
    name = f"pg{os.getpid() % 100000}"
    namespace, ours, theirs = f"{name}-ns", f"{name}-g", f"{name}-b"
    try:
        made = ip("netns", "add", namespace)
    except FileNotFoundError as exc:
        raise NoNamespace(f"no ip command ({exc})") from None
    if made.returncode != 0:
        raise NoNamespace(f"ip netns add: {made.stderr.strip()}")
    try:
        for args, where in (
            (("link", "add", ours, "type", "veth", "peer", "name", theirs), None),
            (("link", "set", theirs, "netns", namespace), None),
            (("addr", "add", f"{GATE_ADDRESS}/{PREFIX}", "dev", ours), None),
            (("link", "set", ours, "up"), None),
            (("addr", "add", f"{BROWSER_ADDRESS}/{PREFIX}", "dev", theirs), namespace),
            (("link", "set", theirs, "up"), namespace),
            (("link", "set", "lo", "up"), namespace),
        ):
            done = ip(*args, namespace=where)
            if done.returncode != 0:
                raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
        yield namespace
    finally:
        ip("netns", "del", namespace)
        ip("link", "del", ours)  # gone with the namespace already, unless that failed half-way


@contextmanager
def served_browsers(namespace: str, browsers: tuple[str, ...] = ("chromium", "firefox")) -> Iterator[dict[str, str]]:
    """Each browser served from the namespace by playgate browser-server: {browser: endpoint}."""
    servers: list[subprocess.Popen[str]] = []
    found = {}
    try:
        for browser in browsers:
            command = ["ip", "netns", "exec", namespace, sys.executable, "-m", "playgate", "browser-server"]
            server = subprocess.Popen(
                [*command, "--browser", browser, "--listen", BROWSER_ADDRESS],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            servers.append(server)
            line = server.stdout.readline() if server.stdout else ""  # "serving NAME at ws://..." once it serves
            if not line.startswith(f"serving {browser} at ws://{BROWSER_ADDRESS}:"):
                raise RuntimeError(line + (server.stderr.read() if server.stderr else ""))
            found[browser] = line.split()[-1]
        yield found
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
            for stream in (server.stdout, server.stderr):
                if stream is not None:
                    stream.close()


def connect_flag(endpoints: dict[str, str]) -> str:
    return ",".join(f"{browser}={endpoint}" for browser, endpoint in endpoints.items())
