"""The playback watcher (playback.js, beside this module), injected into every page the gate
opens: startup, stalls and dropped frames, read once the run ends."""

from __future__ import annotations

from importlib import resources

from playwright.sync_api import Page

from playgate.page_contract import PLAYBACK_STATE, injected
from playgate.playback_record import Playback

PLAYBACK_SCRIPT = injected(resources.files(__package__).joinpath("playback.js").read_text(), {"state": PLAYBACK_STATE})

_STATE = f"window.{PLAYBACK_STATE}"

# True once nothing played, or a frame was presented and no video is stalled.
SETTLED_JS = f"(!{_STATE} || {_STATE}.settled())"

_SNAPSHOT_JS = f"""() => {{
  const state = {_STATE};
  return state ? {{ play_ms: state.play_ms, first_frame_ms: state.first_frame_ms, stalls: state.stalls,
                   quality: state.quality(), now: performance.now(), settled: {SETTLED_JS} }} : null;
}}"""


def read_playback(page: Page) -> tuple[Playback | None, bool]:
    """The page's playback record, and whether the page was settled (SETTLED_JS) when it was
    read: both in one call, so the record is the one the settled state speaks of."""
    data = page.evaluate(_SNAPSHOT_JS)
    if data is None:  # no watcher on the page: nothing played, settled as SETTLED_JS says
        return None, True
    return Playback.from_page(data, ended_ms=data["now"]), bool(data["settled"])
