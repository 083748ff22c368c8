"""The browsers playgate drives, each by its driver (capture.driver)."""

from __future__ import annotations

from playgate.capture import chromium, firefox, webkit
from playgate.capture.driver import BrowserDriver

DRIVERS: dict[str, BrowserDriver] = {driver.name: driver for driver in (chromium.DRIVER, firefox.DRIVER, webkit.DRIVER)}


def driver(name: str) -> BrowserDriver:
    return DRIVERS[name]
