"""A browser that does not start is one error with the browser's own reason, picked out of
Playwright's launch log (the logs below are real ones, shortened)."""

import pytest

from playgate.capture.browsers import browser_said

CHROMIUM_NO_DISPLAY = """BrowserType.launch: Target page, context or browser has been closed
Call log:
  - <launched> pid=6272
  - [pid=6272][err] /usr/bin/chromium: 9: [: 25275998208: unexpected operator
  - [pid=6272][err] [6272:6272:1205/072957.94:ERROR:ozone_platform_x11.cc:257] Missing X server or $DISPLAY
  - [pid=6272][err] [6272:6272:1205/072957.94:ERROR:env.cc:253] The platform failed to initialize.  Exiting.
  - [pid=6272][err] [6272:6302:1205/072957.94:ERROR:dbus/bus.cc:405] Failed to connect to the bus
  - [pid=6272] <process did exit: exitCode=1, signal=null>"""

CHROMIUM_DEEP_TMPDIR = """BrowserType.launch: Target page, context or browser has been closed
  - [pid=212][err] [1205/061119.32:ERROR:file_io_posix.cc:145] open .../cpufreq/scaling_cur_freq
  - [pid=212][err] [212:212:1205/061119.31:FATAL:process_singleton_posix.cc:315] Socket path too long: /tmp/x/S."""

FIREFOX_NO_DISPLAY = """BrowserType.launch: Failed to launch the browser process.
  - [pid=6341][err] Error: cannot open display: :99
  - [pid=6341] <process did exit: exitCode=1, signal=null>"""


@pytest.mark.parametrize(
    ("log", "said"),
    [
        (CHROMIUM_NO_DISPLAY, "Missing X server or $DISPLAY"),
        (CHROMIUM_DEEP_TMPDIR, "Socket path too long: /tmp/x/S."),
        (FIREFOX_NO_DISPLAY, "Error: cannot open display: :99"),
        ("BrowserType.launch: Target page, context or browser has been closed", None),
    ],
    ids=["chromium-no-display", "chromium-fatal-first", "firefox-no-display", "nothing-said"],
)
def test_the_browsers_own_reason_is_picked_out_of_the_log(log, said):
    assert browser_said(log) == said
