"""The playback watcher (playback.js, beside this module), injected into every page the gate
opens: startup, stalls and dropped frames, read once the run ends."""

from __future__ import annotations

from importlib import resources

from playwright.sync_api import Page

from playgate.playback_record import Playback

PLAYBACK_SCRIPT = resources.files(__package__).joinpath("playback.js").read_text()

# True once nothing played, or a frame was presented and no video is stalled.
SETTLED_JS = "(!window.__playgatePlayback || window.__playgatePlayback.settled())"

_SNAPSHOT_JS = """() => {
  const state = window.__playgatePlayback;
  return state ? { play_ms: state.play_ms, first_frame_ms: state.first_frame_ms, stalls: state.stalls,
                   quality: state.quality(), now: performance.now() } : null;
}"""


def read_playback(page: Page) -> Playback | None:
    data = page.evaluate(_SNAPSHOT_JS)
    return None if data is None else Playback.from_page(data, ended_ms=data["now"])
