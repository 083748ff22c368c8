"""Letting a browser speak HTTP/3 to one server of ours: launch-time flags and preferences,
scoped to that server's origin and to the run's own temporary profile.

Neither browser takes a QUIC certificate from a private root the way it takes one over TCP
(Playwright's ``ignore_https_errors`` does not reach QUIC), and neither can be told so once
it runs: an h3 server gets a browser launched for it.

- Chromium takes a private root over QUIC only for a host named in
  ``--origin-to-force-quic-on``, and then only with the leaf's key hash in
  ``--ignore-certificate-errors-spki-list``. Naming the real port forces h3 from the first
  request; naming a port nothing listens on (9, discard) lets the certificate through while
  the browser still finds h3 as in production, from ``Alt-Svc``.
- Firefox: h3 on, and ``disable_when_third_party_roots_found`` off (otherwise it finishes the
  handshake and resets the connection). ``alt-svc-mapping-for-testing`` stands for an Alt-Svc
  already known, so h3 from the first request; without it Firefox finds h3 from Alt-Svc.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playgate.server.serving import Served

# A port nothing answers on: it names the host for Chromium's certificate check only.
DECOY_PORT = 9


@dataclass(frozen=True)
class QuicOrigin:
    """An origin serving (or advertising) h3, and whether the browser is told to use it at once."""

    host: str
    port: int
    leaf_spki_sha256: str  # base64 SHA-256 of the leaf's SubjectPublicKeyInfo
    forced: bool  # h3 from the first request; else found from Alt-Svc

    @classmethod
    def of(cls, server: Served) -> QuicOrigin | None:
        """The server's origin where its mode holds the UDP port (serving h3 or not); else None."""
        app = server.app
        if not app.settings.mode.holds_udp_port or app.port is None or app.leaf_spki_sha256 is None:
            return None
        return cls(app.host, app.port, app.leaf_spki_sha256, forced=app.settings.mode.forces_h3)

    @property
    def _authority(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def chromium_args(self) -> list[str]:
        forced_port = self.port if self.forced else DECOY_PORT
        return [
            f"--origin-to-force-quic-on={self._authority}:{forced_port}",
            f"--ignore-certificate-errors-spki-list={self.leaf_spki_sha256}",
        ]

    def firefox_prefs(self) -> dict[str, Any]:
        prefs: dict[str, Any] = {
            "network.http.http3.enable": True,
            "network.http.http3.disable_when_third_party_roots_found": False,
        }
        if self.forced:
            prefs["network.http.http3.alt-svc-mapping-for-testing"] = f"{self.host};h3=:{self.port}"
        return prefs
