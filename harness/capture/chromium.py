"""Chromium, driven over the DevTools protocol: its network domain gives every figure."""

from __future__ import annotations

from typing import Any

from playgate.capture.driver import BrowserDriver
from playgate.capture.quic import QuicOrigin
from playgate.capture.recorders import CdpRecorder, NetworkRecorder


class ChromiumDriver(BrowserDriver):
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
)
