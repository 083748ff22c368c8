"""The WebRTC watcher (webrtc.js, beside this module), injected into every page the gate
opens: each RTCPeerConnection the page makes and the browser's statistics of it, read once
the run ends (a page without one reads None)."""

from __future__ import annotations

from importlib import resources

from playwright.sync_api import Page

from playgate.page_contract import WEBRTC_SAMPLE, WEBRTC_STATE, injected
from playgate.webrtc_record import WebRtc

WEBRTC_SCRIPT = injected(
    resources.files(__package__).joinpath("webrtc.js").read_text(), {"state": WEBRTC_STATE, "sample": WEBRTC_SAMPLE}
)

# The record without its functions; the statistics read once more first, so that a connection
# still open ends the run with its latest figures.
_SNAPSHOT_JS = f"""async () => {{
  const state = window.{WEBRTC_STATE};
  if (!state) return null;
  await window.{WEBRTC_SAMPLE}();
  return {{ peers: state.peers.map(({{ sample, ...peer }}) => peer) }};
}}"""


def read_webrtc(page: Page) -> WebRtc | None:
    data = page.evaluate(_SNAPSHOT_JS)
    return None if data is None else WebRtc.from_page(data)
