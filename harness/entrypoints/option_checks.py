"""What a run's options mean together: the bundled player's settings are not a user page's,
and a user page's are not the bundled player's (entrypoints.options)."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from playgate.config import PAGE_PRESSURE_KINDS, Pressure
from playgate.errors import UsageError

if TYPE_CHECKING:
    from playgate.entrypoints.options import Options


def _changed(options: Options, names: list[str]) -> list[str]:
    """Those of ``names`` set to other than their defaults."""
    defaults = {f.name: f.default for f in fields(options)}
    return [name for name in names if getattr(options, name) != defaults[name]]


def check_page_options(options: Options, flag: str) -> None:
    """Settings of the bundled player mean nothing for the user's page: say so."""
    player_only = ["player", "pace_ms", "chunk_delay_ms", "chunk_kib_per_s", "whep", "stall_ms"]
    if options.url:
        player_only += ["mode", "h2_max_streams", "network"]
    changed = _changed(options, player_only)
    if changed:
        names = ", ".join("--" + k.replace("_", "-") for k in changed)
        raise UsageError(f"{names} set the bundled player or server; with {flag} the page is your own")
    pressure = Pressure.parse(options.pressure)
    foreign = [kind for kind, _ in pressure.parts if kind not in PAGE_PRESSURE_KINDS]
    if foreign:
        raise UsageError(
            f"--pressure {options.pressure}: {', '.join(sorted(set(foreign)))} holders need the bundled page's own "
            f"routes; on your page (with {flag}) use media:N (with --pressure-media) or tabs:N"
        )
    if pressure.count("media") and not options.pressure_media:
        raise UsageError(
            f"--pressure {options.pressure} on your page needs --pressure-media URL: a media file of the page's "
            "origin for the idle video elements to preload (the field report's idle clips)"
        )
    if options.pressure_media and not pressure.count("media"):
        raise UsageError("--pressure-media names what media:N holders preload: add --pressure media:N")


def check_bundled_options(options: Options) -> None:
    page_only = ["ws_pattern", "storage_state", "header", "setup", "pressure_media", "webrtc_s"]
    changed = _changed(options, page_only)
    if changed:
        names = ", ".join("--" + k.replace("_", "-") for k in changed)
        raise UsageError(f"{names} act on your page: give --url or --app")
