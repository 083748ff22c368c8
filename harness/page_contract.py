"""What the pages and the harness agree on, named once.

Each script that records what a page did keeps its record in one page global, and the
harness reads it by the name given here (capture.page_state). The scripts are given the
names rather than writing their own: the bundled page by the server (server/app.py writes
``PLAYGATE_PAGE`` into player.html), the injected scripts in front of their source
(capture.observer, capture.playback).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

# The bundled player's record of its chunks, pressure and tabs (server/static/player.js).
PLAYER_STATE = "playgate"
# The observer's record on any other page: event stream messages, media elements, the
# requests of the page's code and its SourceBuffer appends (capture/observer.js).
OBSERVER_STATE = "__playgate"
# The idle media holders of --pressure media:N on a user's page (capture/page_pressure.js).
PRESSURE_STATE = "__playgatePressure"
# How the videos of every page played: startup, stalls, frames (capture/playback.js).
PLAYBACK_STATE = "__playgatePlayback"
# Every page's RTCPeerConnections and their statistics (capture/webrtc.js), and the function
# that reads them all at once (the bundled page calls it before it closes its connection).
WEBRTC_STATE = "__playgateWebrtc"
WEBRTC_SAMPLE = "__playgateWebrtcSample"

# The chunks of the bundled progressive page (the reference server's /chunks/ route), and
# the default --chunk-pattern of a user's page.
CHUNK_PATTERN = r"/chunks/"
# The media segments the bundled page's real players fetch (the server's /hls/ and /dash/
# routes; fixtures.segments names them), not the init segment, which holds no media. The
# page's hold counts from the first request matching it; the harness's chunks are those.
SEGMENT_PATTERN = r"/(hls|dash)/(seg|frag)-\d+\.(ts|m4s)"


# A browser driven without init scripts (WebKit over WebDriver classic: capture.webdriver)
# is given playgate's scripts in the page URL's fragment, after this prefix; the bundled
# page runs them before any script of its own. (A page of the user's never runs them.)
BOOTSTRAP_FRAGMENT = "playgate-bootstrap="


def bundled_page_config() -> str:
    """The bundled page's side of the contract, as the JavaScript the server writes into it."""
    config = {"state": PLAYER_STATE, "segmentPattern": SEGMENT_PATTERN, "webrtcSample": WEBRTC_SAMPLE}
    return f"const PLAYGATE_PAGE = {json.dumps(config)};"


def injected(source: str, config: Mapping[str, object]) -> str:
    """An injected script's source, run with its configuration as ``PLAYGATE_CONFIG``: a
    parameter of its own function, so two injected scripts never declare the same global."""
    return f"((PLAYGATE_CONFIG) => {{\n{source}\n}})({json.dumps(config)});"


def bundled_page_bootstrap() -> str:
    """The script the server writes first into the bundled page's head: it runs the scripts
    of the fragment, then takes the fragment off the page's URL."""
    prefix = "#" + BOOTSTRAP_FRAGMENT
    return (
        f"if (location.hash.startsWith({json.dumps(prefix)})) {{\n"
        f"  const scripts = decodeURIComponent(location.hash.slice({len(prefix)}));\n"
        "  history.replaceState(history.state, '', location.pathname + location.search);\n"
        "  (0, eval)(scripts);\n"
        "}"
    )
