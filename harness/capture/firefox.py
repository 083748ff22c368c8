"""Firefox, driven over WebDriver BiDi (Playwright's own Firefox build: its own protocol)."""

from __future__ import annotations

from typing import Any

from playgate.capture.driver import BrowserDriver
from playgate.capture.quic import QuicOrigin
from playgate.capture.recorders import BidiRecorder, NetworkRecorder


class FirefoxDriver(BrowserDriver):
    def new_recorder(self) -> NetworkRecorder:
        return BidiRecorder()

    def reaching(self, origin: QuicOrigin, options: dict[str, Any]) -> dict[str, Any]:
        prefs = {**options.get("firefox_user_prefs", {}), **origin.firefox_prefs()}
        return {**options, "firefox_user_prefs": prefs}

    def quic_settings(self, origin: QuicOrigin) -> str:
        return "Firefox preferences: " + ", ".join(
            f"{name}={value!r}" for name, value in origin.firefox_prefs().items()
        )


DRIVER = FirefoxDriver(
    "firefox",
    driven_over="Playwright over WebDriver BiDi",
    cannot_report=(
        "firefox: WebDriver BiDi gives no connection id, no connection reuse and no send time, "
        "and does not split the wait before the network (blocked) into queued and stalled"
    ),
    # Firefox's parent process grows by about 10 MB for every browser context Playwright opens
    # and closes in it (measured: 462 -> 715 MB over 30 runs), and a grown one is slow: after
    # ~700 runs it held 6 GB and 83% of a core, the flake benchmark's rounds went from 33 to
    # 50 s and healthy Firefox runs went red on playback-side waits. Chromium stays flat.
    runs_per_launch=20,
    # Debian's firefox-esr plays H.264 and AAC through libavcodec, which it only recommends.
    needs_system_codecs=True,
)
