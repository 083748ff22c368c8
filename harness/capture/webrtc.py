"""The WebRTC watcher (webrtc.js, beside this module), injected into every page the gate
opens: each RTCPeerConnection the page makes and the browser's statistics of it, read once
the run ends (a page without one reads None)."""

from __future__ import annotations

from importlib import resources

from playwright.sync_api import Page

from playgate.capture.page_state import read_observer
from playgate.capture.reading import PageReading
from playgate.page_contract import PLAYBACK_STATE, WEBRTC_SAMPLE, WEBRTC_STATE, injected
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


def webrtc_reading(seconds: float) -> PageReading:
    """A page that plays WebRTC (--webrtc-s): no chunks; done once its connection has played
    ``seconds`` from the first frame any video presented, or every connection it made ended."""
    watched = f"""() => {{
  const webrtc = window.{WEBRTC_STATE}, playback = window.{PLAYBACK_STATE};
  if (!webrtc || !webrtc.peers.length) return false;
  if (webrtc.peers.every((peer) => peer.state === "failed" || peer.state.startsWith("closed"))) return true;
  const first = playback ? playback.first_frame_ms : null;
  return first !== null && performance.now() - first >= {seconds * 1000};
}}"""
    return PageReading(read=read_observer, chunks=lambda snapshot, network, entries: [], finished_js=watched)


def read_webrtc(page: Page) -> WebRtc | None:
    data = page.evaluate(_SNAPSHOT_JS)
    return None if data is None else WebRtc.from_page(data)
