"""``playgate doctor``: what this machine has for the gate, and the command that adds what is missing.

Each browser is not only found but launched the way a gate run launches it, and made to
play one of the gate's own H.264/AAC chunks (from a ``data:`` URL: nothing goes on the
network): a browser that starts but lacks its codecs, or a Playwright that cannot drive
Firefox over WebDriver BiDi, is caught here rather than in the first gate run.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from playwright._impl._driver import compute_driver_executable
from playwright.sync_api import Error as PlaywrightError

from playgate.capture.browser_finder import BROWSERS, FoundBrowser, find_browser, install_hint, os_release_id
from playgate.capture.browsers import browser_pool
from playgate.capture.drivers import driver
from playgate.diagnose.h3 import H3Client
from playgate.diagnose.stages import StageClock
from playgate.errors import EnvironmentProblem, PlaygateError
from playgate.fixtures.generate import CACHE_ENV, default_cache_root, encode_mp4, ensure_media, generator_key
from playgate.server.launcher import LOOPBACK, ServerProcess
from playgate.server.players import PLAYERS, player_folder
from playgate.server.proxy import find_nginx
from playgate.server.settings import Mode, settings_for

PLAY_TIMEOUT_MS = 20_000
H3_CHECK_TIMEOUT_S = 5.0

# A chunk's first frame and its audio: the page resolves once the browser decoded both, or says
# why not. Played on the new tab's blank page from a blob (WebKitGTK never finishes a video
# on a page of a data: URL, or from one).
PLAY_JS = """() => {
  const resolve = (outcome) => { window.outcome = window.outcome || outcome; };
  const video = document.createElement("video");
  video.muted = true;
  document.body.appendChild(video);
  const codecs = 'video/mp4; codecs="avc1.640020, mp4a.40.2"';
  if (!video.canPlayType(codecs)) resolve("cannot play " + codecs);
  video.onerror = () => resolve("media error " + (video.error && video.error.code) + ": " + video.error.message);
  video.onloadeddata = () => resolve("ok");
  const bytes = Uint8Array.from(atob("DATA"), (c) => c.charCodeAt(0));
  video.src = URL.createObjectURL(new Blob([bytes], { type: "video/mp4" }));
}"""


@dataclass(frozen=True)
class Finding:
    """One thing the gate needs (or may use), as found here."""

    name: str
    ok: bool
    detail: str
    needed: bool = True  # by the default run (nginx only serves --mode nginx-h1)
    packages: tuple[str, ...] = ()  # Debian packages that provide it, when it is missing

    @property
    def label(self) -> str:
        if self.ok:
            return "ok"
        return "MISSING" if self.needed else "optional"


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({exc})"
    return ((done.stdout or done.stderr).strip().splitlines() or ["(no version)"])[0]


def _sample_chunk() -> bytes:
    """A short chunk made the way the gate's fixtures are (H.264 High, AAC)."""
    with tempfile.TemporaryDirectory(prefix="playgate-doctor-") as folder:
        path = Path(folder) / "sample.mp4"
        encode_mp4(path, seconds=0.4, noise=0.05, seed=7)
        return path.read_bytes()


def check_browsers(names: list[str], *, launch_them: bool = True, paths: dict[str, str] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    found: dict[str, FoundBrowser] = {}
    packages: tuple[str, ...]
    for name in names:
        package = BROWSERS[name].debian_package
        try:
            found[name] = find_browser(name, (paths or {}).get(name))
        except EnvironmentProblem as exc:
            packages = (package, *driver(name).codec_packages())
            needed = not BROWSERS[name].optional
            findings.append(Finding(name, False, str(exc), needed=needed, packages=packages if on_debian() else ()))
    if not found:
        return findings
    versions = {name: driver(name).version(str(browser.path)) for name, browser in found.items()}
    played = _play_in_each(found) if launch_them else dict.fromkeys(found, "ok")
    for name, browser in found.items():
        outcome = played[name]
        over = "Playwright's own protocol" if browser.playwright_build else driver(name).driven_over
        detail = f"{browser.path} ({browser.where}) · {versions[name]} · {over}"
        if outcome == "ok":
            detail += " · plays H.264/AAC" if launch_them else " · not launched"
            findings.append(Finding(name, True, detail))
        else:
            codec_missing = "cannot play" in outcome or "media error" in outcome
            packages = driver(name).codec_packages() if codec_missing and on_debian() else ()
            findings.append(Finding(name, False, f"{detail} · {outcome}", packages=packages))
    return findings


def _play_in_each(browsers: dict[str, FoundBrowser]) -> dict[str, str]:
    """ "ok", or what went wrong, for each browser launched as a gate run launches it."""
    play = PLAY_JS.replace("DATA", base64.b64encode(_sample_chunk()).decode())
    outcomes: dict[str, str] = {}
    executables = {name: str(browser.path) for name, browser in browsers.items()}
    with browser_pool(executables=executables) as pool:
        for name in executables:
            try:
                browser = pool.get(name)
            except EnvironmentProblem as exc:
                outcomes[name] = str(exc)
                continue
            try:
                context = browser.new_context()
                tab = context.new_page()
                tab.evaluate(play)
                outcome = tab.wait_for_function("() => window.outcome", timeout=PLAY_TIMEOUT_MS)
                outcomes[name] = str(outcome.json_value())
                context.close()
            except PlaywrightError as exc:
                outcomes[name] = "could not be driven: " + (exc.message or str(exc)).strip().splitlines()[0]
    return outcomes


def check_playwright() -> Finding:
    """Playwright within the range playgate's own metadata declares (both ends are tested)."""
    version = Version(metadata.version("playwright"))
    allowed = _playwright_range()
    if allowed is None:
        return Finding("playwright", True, f"{version} (playgate's declared range is not readable here)")
    if version in allowed:
        return Finding("playwright", True, f"{version}, within the tested range {allowed}")
    why = f" ({FIREFOX_BIDI_BREAK})" if version >= Version("1.65") else ""
    return Finding(
        "playwright", False, f"{version} is outside the tested range{why}: pip install 'playwright{allowed}'"
    )


FIREFOX_BIDI_BREAK = "1.65 cannot create Firefox ESR 153 contexts over WebDriver BiDi"


def _playwright_range() -> SpecifierSet | None:
    try:
        requirements = metadata.requires("playgate") or []
    except metadata.PackageNotFoundError:
        return None
    for line in requirements:
        requirement = Requirement(line)
        if requirement.name == "playwright" and requirement.marker is None:
            return requirement.specifier
    return None


def check_browser_server() -> Finding:
    """Whether ``playgate browser-server`` can run here: the node and package of the driver
    Playwright's Python package ships (it serves this machine's browsers, found above)."""
    node, cli = compute_driver_executable()
    if not Path(node).is_file() or not Path(cli).is_file():
        return Finding(
            "browser server",
            False,
            f"Playwright's driver is incomplete ({node}): pip install --force-reinstall "
            f"playwright=={metadata.version('playwright')}",
            needed=False,
        )
    return Finding(
        "browser server",
        True,
        f"playgate browser-server can serve the browsers above to gates elsewhere (Playwright's driver: {node})",
        needed=False,
    )


def check_loopback() -> Finding:
    ports = []
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(socket.AF_INET, kind) as probe:
                probe.bind((LOOPBACK, 0))
                ports.append(probe.getsockname()[1])
    except OSError as exc:
        return Finding("loopback", False, f"cannot bind a port on {LOOPBACK}: {exc}")
    return Finding("loopback", True, f"{LOOPBACK}: free TCP and UDP ports can be bound (e.g. {ports[0]}, {ports[1]})")


def check_media_cache() -> Finding:
    root = default_cache_root()
    folder = root / generator_key()
    if folder.is_dir():
        return Finding("media cache", True, f"{folder} (built)")
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root):
            pass
    except OSError as exc:
        return Finding("media cache", False, f"{root} is not writable ({exc}): set {CACHE_ENV} to a folder that is")
    return Finding("media cache", True, f"{root} (writable; the chunks are made there on the first run, a few seconds)")


def check_nginx() -> Finding:
    try:
        path = find_nginx()
    except EnvironmentProblem:
        return Finding(
            "nginx", False, "not installed (only --mode nginx-h1 uses it)", needed=False, packages=("nginx",)
        )
    return Finding("nginx", True, f"{path} · {_first_line([path, '-v'])} (--mode nginx-h1)", needed=False)


def check_webrtc() -> list[Finding]:
    """What --mode webrtc needs beside the browsers: aiortc, coturn, nftables, and root for the
    path's namespace (server.shaped_path)."""
    try:
        aiortc = f"aiortc {metadata.version('aiortc')}"
    except metadata.PackageNotFoundError:
        aiortc = ""
    findings = [
        Finding("aiortc", bool(aiortc), aiortc or "not installed: pip install 'playgate[webrtc]'", needed=False),
    ]
    for name, binary, package in (("coturn", "turnserver", "coturn"), ("nftables", "nft", "nftables")):
        path = shutil.which(binary) or next(
            (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if Path(p).exists()), None
        )
        detail = f"{path} (--mode webrtc)" if path else "not installed (only --mode webrtc uses it)"
        findings.append(Finding(name, path is not None, detail, needed=False, packages=(package,)))
    root = os.geteuid() == 0
    findings.append(
        Finding(
            "root",
            root,
            "yes (--network and --mode webrtc make a network namespace)"
            if root
            else "no: --network and --mode webrtc make a network namespace, which needs root",
            needed=False,
        )
    )
    return findings


def check_http3() -> Finding:
    """One HTTP/3 request to the reference server on loopback, from our own QUIC client:
    aioquic present, UDP on loopback, a QUIC handshake with the per-run certificate."""
    try:
        with ServerProcess(settings_for(Mode.H3, ensure_media())) as server, tempfile.TemporaryDirectory() as folder:
            assert server.ca_pem is not None
            cafile = Path(folder) / "ca.pem"
            cafile.write_bytes(server.ca_pem)
            with H3Client(verify=str(cafile), timeout_s=H3_CHECK_TIMEOUT_S) as client:
                response = client.send(f"{server.base_url}/health", {}, StageClock())
                response.close()
    except PlaygateError as exc:
        return Finding("http/3", False, f"no h3 round trip on {LOOPBACK}: {exc}", needed=False)
    return Finding(
        "http/3",
        True,
        f"the reference server answered {response.status_code} over h3 on UDP {LOOPBACK} (diagnose --http3)",
        needed=False,
    )


def check_players() -> list[Finding]:
    """Each real player the bundled page can play through (--player): fetched, or npm to fetch it."""
    findings = []
    for name, player in PLAYERS.items():
        script = player_folder(player) / Path(player.script).name
        if script.is_file():
            findings.append(
                Finding(f"player {name}", True, f"{player.spec} at {script} (--player {name})", needed=False)
            )
        elif shutil.which("npm"):
            detail = f"{player.spec} not fetched yet; npm is there to fetch it on first use (make setup does)"
            findings.append(Finding(f"player {name}", True, detail, needed=False))
        else:
            detail = f"{player.spec} not fetched, and npm is not installed: --player {name} cannot run"
            findings.append(Finding(f"player {name}", False, detail, packages=("npm",), needed=False))
    return findings


def examine(browsers: list[str], *, launch_them: bool = True, paths: dict[str, str] | None = None) -> list[Finding]:
    checks: list[Callable[[], list[Finding]]] = [
        lambda: [check_playwright()],
        lambda: check_browsers(browsers, launch_them=launch_them, paths=paths),
        lambda: [check_loopback()],
        lambda: [check_browser_server()],
        lambda: [check_media_cache()],
        lambda: [check_nginx()],
        lambda: [check_http3()],
        check_webrtc,
        check_players,
    ]
    return [finding for check in checks for finding in check()]


def install_command(findings: list[Finding], *, needed_only: bool) -> str | None:
    packages = [p for f in findings if not f.ok and (f.needed or not needed_only) for p in f.packages]
    if not packages:
        return None
    sudo = "" if os.geteuid() == 0 else "sudo "
    return f"{sudo}apt-get install --no-install-recommends {' '.join(dict.fromkeys(packages))}"


def render(findings: list[Finding]) -> str:
    width = max(len(f.name) for f in findings)
    lines = ["playgate doctor: what this machine has for the gate"]
    lines += [f"  {f.label:<8} {f.name:<{width}}  {f.detail}" for f in findings]
    if all(f.ok for f in findings if f.needed):
        lines.append("everything the default run needs is here")
    else:
        lines.append("the default run cannot go ahead here")
    needed = install_command(findings, needed_only=True)
    optional = install_command(findings, needed_only=False)
    if needed:
        lines.append(f"install what is missing (Debian): {needed}")
    elif optional:
        lines.append(f"optional (Debian): {optional}")
    if not on_debian():
        for finding in findings:
            if not finding.ok and finding.name in BROWSERS:
                lines.append(f"{finding.name}: {install_hint(finding.name)}")
    return "\n".join(lines)


def on_debian() -> bool:
    """Whether Debian's packages install here (apt-get, and not Ubuntu, whose browsers differ)."""
    return shutil.which("apt-get") is not None and os_release_id() != "ubuntu"
