"""Where the browsers are: the path a user gave, the environment variable, then the places
each browser is installed on Linux and macOS, then the builds ``playwright install`` put in
Playwright's cache. The first found is driven; ``doctor`` says which it was.

Stock Firefox (Debian's ESR, Mozilla's release) is driven over WebDriver BiDi (Playwright's
``moz-firefox`` channel); Playwright's own Firefox build speaks Playwright's protocol and is
launched without that channel.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from playgate.errors import BrowserNotFound, UsageError

MOZ_FIREFOX = "moz-firefox"
ANY_PLATFORM = "*"


@dataclass(frozen=True)
class BrowserSpec:
    name: str
    env_var: str
    # (where, path or command on PATH): the places a user's machine has it, in order.
    installed: tuple[tuple[str, str], ...]
    # Playwright's cache: folders "<prefix>-<build>" holding the executable at one of these paths.
    cache_prefix: str | None  # None: Playwright's build of it is not one playgate drives
    cache_paths: tuple[str, ...]
    debian_package: str
    # How to install it where `make setup` does not apply: ("darwin", an os-release ID or
    # ANY_PLATFORM, the hint), the first that applies.
    install_hints: tuple[tuple[str, str], ...] = ()
    # The Playwright channel its stock build is launched with (Playwright's own build: none).
    stock_channel: str | None = None
    # "all" names it only where it is installed (WebKit: an engine a user adds by choice).
    optional: bool = False


BROWSERS = {
    "chromium": BrowserSpec(
        "chromium",
        "PLAYGATE_CHROMIUM",
        (
            ("Debian's chromium", "/usr/bin/chromium"),
            ("chromium", "chromium"),
            ("chromium", "chromium-browser"),
            ("Google Chrome", "google-chrome-stable"),
            ("Google Chrome", "google-chrome"),
            ("Google Chrome", "/opt/google/chrome/chrome"),
            ("Google Chrome", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
            ("Chromium", "/Applications/Chromium.app/Contents/MacOS/Chromium"),
        ),
        "chromium",
        (
            "chrome-linux64/chrome",
            "chrome-linux/chrome",
            "chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
            "chrome-mac/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
            "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
        ),
        "chromium",
        install_hints=(
            ("darwin", "install Google Chrome"),
            ("ubuntu", "on Ubuntu, install Google Chrome's .deb, or `playwright install chromium`"),
        ),
    ),
    "firefox": BrowserSpec(
        "firefox",
        "PLAYGATE_FIREFOX",
        (
            ("Debian's firefox-esr", "/usr/bin/firefox-esr"),
            ("firefox-esr", "firefox-esr"),
            ("firefox", "firefox"),
            ("Firefox", "/Applications/Firefox.app/Contents/MacOS/firefox"),
        ),
        "firefox",
        ("firefox/firefox", "firefox/Nightly.app/Contents/MacOS/firefox"),
        "firefox-esr",
        install_hints=(
            ("darwin", "install Firefox (brew install --cask firefox)"),
            (
                "ubuntu",
                "on Ubuntu (whose firefox package is a snap): `playwright install firefox`, or Mozilla's own .deb",
            ),
        ),
        stock_channel=MOZ_FIREFOX,  # stock Firefox speaks WebDriver BiDi, not Playwright's protocol
    ),
    # WebKitGTK's WebDriver, which launches its MiniBrowser (capture.webkit).
    "webkit": BrowserSpec(
        "webkit",
        "PLAYGATE_WEBKIT",
        (("Debian's webkit2gtk-driver", "/usr/bin/WebKitWebDriver"), ("WebKitWebDriver", "WebKitWebDriver")),
        None,
        (),
        "webkit2gtk-driver",
        # WebKitGTK: Linux only, and more than its driver; Safari's safaridriver is not driven yet.
        install_hints=(
            (
                ANY_PLATFORM,
                "on Linux, apt-get install webkit2gtk-driver xvfb gstreamer1.0-libav gstreamer1.0-plugins-good "
                "(WebKitGTK; Safari on macOS is not driven)",
            ),
        ),
        optional=True,
    ),
}


@dataclass(frozen=True)
class FoundBrowser:
    name: str
    path: Path
    where: str  # how it was found: "Debian's chromium", "Playwright's cache", "--browser-path", ...

    @property
    def playwright_build(self) -> bool:
        return self.where == PLAYWRIGHT_CACHE

    @property
    def channel(self) -> str | None:
        """The Playwright channel it is launched with: its stock build's (stock Firefox over BiDi)."""
        return None if self.playwright_build else BROWSERS[self.name].stock_channel


PLAYWRIGHT_CACHE = "Playwright's cache"


def browser_names(choice: str | list[str] | tuple[str, ...], *, optional: bool = True) -> list[str]:
    """'chromium', 'firefox', 'webkit', 'all', or a comma-separated list -> ordered unique
    names; 'all' is every browser but an optional one that is not installed (or, ``optional``
    False, any optional one: WebKit for a page of the user's, which it cannot measure)."""
    parts = choice.split(",") if isinstance(choice, str) else [p for c in choice for p in c.split(",")]
    names: list[str] = []
    for part in (p.strip() for p in parts):
        in_all = [name for name in BROWSERS if not BROWSERS[name].optional or (optional and is_installed(name))]
        expanded = in_all if part == "all" else [part]
        for name in expanded:
            if name not in BROWSERS:
                raise UsageError(f"unknown browser {name!r}: choose {', '.join(BROWSERS)} or all")
            if name not in names:
                names.append(name)
    return names


def is_installed(name: str) -> bool:
    try:
        find_browser(name)
    except BrowserNotFound:
        return False
    return True


def parse_browser_paths(text: str | None) -> dict[str, str]:
    """``--browser-path chromium=PATH,firefox=PATH`` as {browser: path}."""
    if not text:
        return {}
    paths: dict[str, str] = {}
    for part in text.split(","):
        name, equals, path = part.partition("=")
        name = name.strip()
        if not equals or not path.strip() or name not in BROWSERS:
            raise UsageError(
                f"--browser-path {part!r}: give BROWSER=PATH, e.g. --browser-path chromium=/opt/google/chrome/chrome "
                f"(browsers: {', '.join(BROWSERS)})"
            )
        paths[name] = path.strip()
    return paths


def playwright_cache() -> Path:
    """Where ``playwright install`` puts its browsers on this machine."""
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured and configured != "0":
        return Path(configured).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ms-playwright"


def _in_playwright_cache(spec: BrowserSpec) -> Path | None:
    """The newest build of the browser ``playwright install`` put in its cache."""
    builds = []
    if spec.cache_prefix is None:
        return None
    for folder in playwright_cache().glob(f"{spec.cache_prefix}-*"):
        match = re.fullmatch(rf"{spec.cache_prefix}-(\d+)", folder.name)
        if match:
            builds.append((int(match[1]), folder))
    for _, folder in sorted(builds, reverse=True):
        for relative in spec.cache_paths:
            if os.access(folder / relative, os.X_OK):
                return folder / relative
    return None


def find_browser(name: str, override: str | None = None) -> FoundBrowser:
    """The browser to drive: ``override`` (a path given), its environment variable, else the
    first place it is installed. One error naming the install command when it is nowhere."""
    spec = BROWSERS[name]
    for where, wanted in (("--browser-path", override), (spec.env_var, os.environ.get(spec.env_var))):
        if wanted:
            found = shutil.which(wanted)
            if not found:
                raise BrowserNotFound(f"{name} executable {wanted!r} ({where}) was not found or is not executable")
            return FoundBrowser(name, Path(found), where)
    for where, candidate in spec.installed:
        found = shutil.which(candidate)
        if found:
            return FoundBrowser(name, Path(found), where)
    cached = _in_playwright_cache(spec)
    if cached is not None:
        return FoundBrowser(name, cached, PLAYWRIGHT_CACHE)
    raise BrowserNotFound(
        f"{name} is not installed: {install_hint(name)}, or give its path with --browser-path {name}=PATH "
        f"(or {spec.env_var})"
    )


def find_executable(name: str, override: str | None = None) -> Path:
    return find_browser(name, override).path


def install_hint(name: str) -> str:
    """How to install the browser on the machine this runs on."""
    spec = BROWSERS[name]
    platform = "darwin" if sys.platform == "darwin" else os_release_id()
    for where, hint in spec.install_hints:
        if where in (platform, ANY_PLATFORM):
            return hint
    return f"run `make setup` (or `apt-get install {spec.debian_package}`)"


def os_release_id() -> str | None:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return None
    match = re.search(r"^ID=\"?([\w.-]+)\"?$", text, re.MULTILINE)
    return match[1] if match else None
