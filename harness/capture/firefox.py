"""Firefox, driven over WebDriver BiDi (Playwright's own Firefox build: its own protocol)."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

from playgate.capture.driver import BrowserDriver
from playgate.capture.quic import QuicOrigin
from playgate.capture.recorders import BidiRecorder, NetworkRecorder


def firefox_codec_package() -> str:
    """The libavcodec Debian's firefox-esr recommends (but does not depend on): Firefox plays
    H.264 and AAC through it."""
    if shutil.which("apt-cache"):
        done = subprocess.run(["apt-cache", "depends", "firefox-esr"], capture_output=True, text=True, timeout=30)
        found = re.search(r"Recommends: (libavcodec[0-9]*)$", done.stdout, re.MULTILINE)
        if found:
            return found[1]
    return "libavcodec59"  # Debian 12's


class FirefoxDriver(BrowserDriver):
    def codec_packages(self) -> tuple[str, ...]:
        return (firefox_codec_package(),)

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
)
