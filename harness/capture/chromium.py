"""Chromium, driven over the DevTools protocol: its network domain gives every figure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playgate.capture.driver import BrowserDriver
from playgate.capture.quic import QuicOrigin
from playgate.capture.recorders import CdpRecorder, NetworkRecorder

# Chromium makes its single-instance socket at $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket
# and aborts ("Socket path too long") when that passes a Unix socket's 107 characters: a deep
# TMPDIR (a CI runner's work folder, pytest's tmp_path) stops it from starting at all.
_SOCKET_PATH_MAX = 107
_SOCKET_UNDER_TMPDIR = len("/.org.chromium.Chromium.XXXXXX/SingletonSocket")
_SHORT_TMPDIR = "/tmp"


def browser_environment(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The environment to launch Chromium with: None (the process's own) unless its TMPDIR
    is too deep for that socket, then the same with TMPDIR at /tmp."""
    tmpdir = environ.get("TMPDIR", "").rstrip("/")
    if len(tmpdir) + _SOCKET_UNDER_TMPDIR <= _SOCKET_PATH_MAX:
        return None
    return {**environ, "TMPDIR": _SHORT_TMPDIR}


class ChromiumDriver(BrowserDriver):
    def launch_environment(self, environ: Mapping[str, str]) -> dict[str, str] | None:
        return browser_environment(environ)

    def new_recorder(self) -> NetworkRecorder:
        return CdpRecorder()

    def reaching(self, origin: QuicOrigin, options: dict[str, Any]) -> dict[str, Any]:
        return {**options, "args": [*options.get("args", []), *origin.chromium_args()]}

    def quic_settings(self, origin: QuicOrigin) -> str:
        return "Chromium flags: " + " ".join(origin.chromium_args())


DRIVER = ChromiumDriver(
    "chromium",
    driven_over="Playwright over the DevTools protocol",
    cannot_report=None,
    runs_per_launch=None,
    reads_workers=True,
)
