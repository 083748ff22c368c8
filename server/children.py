"""Programs of others that playgate starts (coturn, WebKit's driver and browser, Xvfb) end
with it, even when it is killed outright: SIGKILL runs nothing of playgate after it."""

from __future__ import annotations

import ctypes
import os
import signal


def end_with_parent() -> None:
    """Run in the child before it starts (``preexec_fn``): a session of its own, and SIGTERM
    when the thread that started it ends (Linux's PR_SET_PDEATHSIG; kept across exec)."""
    os.setsid()
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
