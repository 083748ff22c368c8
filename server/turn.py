"""A real TURN server for the WebRTC modes: Debian's coturn, started in the shaped path's
network namespace beside the reference server, with credentials made for the run, and
stopped with it. The browser is given it (over UDP and over TCP) as its ICE servers.

``--mode webrtc-udp-blocked`` drops every UDP packet from the browser's side of the path in
that namespace (nftables, the namespace's own rules: nothing of the machine's is touched),
as a firewall that lets only TCP through would: ICE then has to reach the server through
the TURN server over TCP.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from playgate.errors import EnvironmentProblem, ServerStartError
from playgate.server.children import end_with_parent

TURN_PORT = 3478
REALM = "playgate"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
# The relay ports coturn allocates from, inside the namespace.
RELAY_PORTS = (49160, 49260)


def _need(binary: str, package: str, why: str) -> str:
    found = shutil.which(binary) or next(
        (str(p) for p in (Path("/usr/sbin") / binary, Path("/usr/bin") / binary) if p.exists()), None
    )
    if found is None:
        raise EnvironmentProblem(f"{why} needs {binary}: apt-get install {package} (make setup does)")
    return found


class TurnServer:
    """coturn in ``namespace``, listening on ``host`` (the path's server side); a context manager."""

    def __init__(self, namespace: str, host: str, log_folder: Path) -> None:
        self.namespace, self.host = namespace, host
        self.username, self.password = "playgate", secrets.token_urlsafe(16)
        self._log = log_folder / "turnserver.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def ice_servers(self) -> list[dict[str, Any]]:
        """What RTCPeerConnection takes: the server over UDP and over TCP."""
        urls = [f"turn:{self.host}:{TURN_PORT}?transport=udp", f"turn:{self.host}:{TURN_PORT}?transport=tcp"]
        return [{"urls": urls, "username": self.username, "credential": self.password}]

    def __enter__(self) -> TurnServer:
        turnserver = _need("turnserver", "coturn", "--mode webrtc (its TURN server)")
        args = [
            "ip", "netns", "exec", self.namespace, turnserver, "-n",
            f"--listening-ip={self.host}", f"--relay-ip={self.host}", f"--listening-port={TURN_PORT}",
            "--lt-cred-mech", f"--user={self.username}:{self.password}", f"--realm={REALM}",
            "--no-tls", "--no-dtls", "--no-cli", "--no-multicast-peers", "--no-software-attribute",
            f"--min-port={RELAY_PORTS[0]}", f"--max-port={RELAY_PORTS[1]}",
            f"--log-file={self._log}", "--simple-log", "--no-stdout-log",
        ]  # fmt: skip
        # Its own complaints (no SCTP in the namespace: "socket: Protocol not supported") go to a file.
        with open(self._log.with_suffix(".stderr"), "wb") as stderr:
            self._process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=end_with_parent
            )
        try:
            self._wait_listening()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise ServerStartError(f"coturn exited with {self._process.returncode}: {self._log_tail()}")
            try:
                with socket.create_connection((self.host, TURN_PORT), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerStartError(
                        f"coturn did not listen on {self.host}:{TURN_PORT} in {START_TIMEOUT_S:g} s: {self._log_tail()}"
                    ) from None
                time.sleep(0.05)

    def _log_tail(self) -> str:
        try:
            return " | ".join(self._log.read_text(errors="replace").strip().splitlines()[-5:]) or "(empty log)"
        except OSError:
            return "(no log)"

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def block_udp_from_browser(namespace: str, device: str) -> None:
    """Drop every UDP packet coming in from (and going out to) the browser's side of the path,
    by a table of the namespace's own (it goes with the namespace)."""
    nft = _need("nft", "nftables", "--mode webrtc-udp-blocked")
    rules = (
        "table inet playgate {\n"
        "  chain input { type filter hook input priority 0; policy accept;\n"
        f'    iifname "{device}" meta l4proto udp drop\n  }}\n'
        "  chain output { type filter hook output priority 0; policy accept;\n"
        f'    oifname "{device}" meta l4proto udp drop\n  }}\n'
        "}\n"
    )
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, nft, "-f", "-"], input=rules, capture_output=True, text=True, timeout=30
    )
    if done.returncode != 0:
        raise EnvironmentProblem(f"nftables could not block UDP in the path's namespace: {done.stderr.strip()}")
