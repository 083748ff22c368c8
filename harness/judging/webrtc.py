"""WebRTC rules: a page's WebRTC connection, judged on the browser's own statistics.

  transport      the media took the expected path (default: UDP, no TURN relay)
  first frame    the first video frame within max_first_frame_ms of the connection being made
  freezes        no more than max_freezes video freezes (the browser's freezeCount)
  jitter buffer  the video's jitter buffer held a frame max_jitter_buffer_ms at most, on average
  av sync        video and audio jitter buffers within max_av_offset_ms of each other

A page that made no RTCPeerConnection is not judged on them, unless the setup streams WebRTC
(--mode webrtc): then that is a broken transport. A figure the browser did not give breaks
the rule it would prove, saying so.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playgate.config import GateRules
from playgate.records import RunRecord
from playgate.rules import Broken, Rule
from playgate.webrtc_record import WebRtc


def check_webrtc(run: RunRecord, rules: GateRules, *, expected: bool) -> tuple[Broken, ...]:
    """The WebRTC rules on ``run``; ``expected``: the setup streams WebRTC."""
    webrtc = run.webrtc
    if webrtc is None:
        if not expected:
            return ()
        return (Rule.TRANSPORT.broken("the page made no RTCPeerConnection: no WebRTC figure to judge"),)
    if webrtc.pair is None and webrtc.connected_ms is None:
        # Never connected: nothing played, and the figures of playing say nothing more.
        return (check_transport(webrtc, rules) or Rule.TRANSPORT.broken("the connection never connected"),)
    checked = (
        check_transport(webrtc, rules),
        check_first_frame(run, webrtc, rules),
        check_freezes(webrtc, rules),
        check_jitter_buffer(webrtc, rules),
        check_av_sync(webrtc, rules),
    )
    return tuple(broken for broken in checked if broken is not None)


def check_transport(webrtc: WebRtc, rules: GateRules) -> Broken | None:
    pair = webrtc.pair
    if pair is None:
        tried = f" (ICE servers: {', '.join(webrtc.ice_servers)})" if webrtc.ice_servers else ""
        errors = f"; the browser could not use {'; '.join(webrtc.candidate_errors)}" if webrtc.candidate_errors else ""
        return Rule.TRANSPORT.broken(
            f"no candidate pair was selected: the connection ended {webrtc.state}{tried}{_unanswered(webrtc)}{errors}"
        )
    wanted = rules.expected_transport
    relayed, protocol = pair.relayed, pair.local.protocol if pair.local is not None else None
    if wanted == "any" or (wanted == "relay" and relayed) or (not relayed and protocol == wanted):
        return None
    expected = {"udp": "UDP with no relay", "tcp": "TCP with no relay", "relay": "a TURN relay"}[wanted]
    jitter = "" if webrtc.jitter_buffer_ms is None else f", jitter buffer {webrtc.jitter_buffer_ms:.0f} ms"
    return Rule.TRANSPORT.broken(f"media {pair.describe()}, expected {expected}{_unanswered(webrtc)}{jitter}")


def _unanswered(webrtc: WebRtc) -> str:
    """Why the browser gathered no relay over UDP from a TURN server it was given one for:
    UDP to it got no answer (blocked), where it gathered one over TCP or TLS instead."""
    udp_servers = [url for url in webrtc.ice_servers if url.startswith("turn:") and "transport=tcp" not in url]
    relays = [c for c in webrtc.gathered if c.type == "relay"]
    if not udp_servers or any(c.relay_protocol == "udp" for c in relays):
        return ""
    where = urlsplit(udp_servers[0].replace("turn:", "turn://", 1)).netloc.split("?")[0]
    others = sorted({c.relay_protocol or "?" for c in relays})
    instead = f"; relays were gathered over {', '.join(o.upper() for o in others)} only" if others else ""
    return f"; UDP to the TURN server {where} got no answer{instead}"


def check_first_frame(run: RunRecord, webrtc: WebRtc, rules: GateRules) -> Broken | None:
    first = run.playback.first_frame_ms if run.playback is not None else None
    if first is None:
        return Rule.FIRST_FRAME.broken("no video frame was presented")
    since = first - webrtc.created_ms
    if since <= rules.max_first_frame_ms:
        return None
    connected = (
        "" if webrtc.connected_ms is None else f" (connected after {webrtc.connected_ms - webrtc.created_ms:.0f} ms)"
    )
    return Rule.FIRST_FRAME.broken(
        f"the first frame came {since:.0f} ms after the connection was made{connected} "
        f"(limit {rules.max_first_frame_ms:g} ms)"
    )


def check_freezes(webrtc: WebRtc, rules: GateRules) -> Broken | None:
    if webrtc.freezes is None:
        return Rule.FREEZES.broken("the browser gave no freeze count (freezeCount)")
    if webrtc.freezes <= rules.max_freezes:
        return None
    frozen = "" if webrtc.frozen_ms is None else f", {webrtc.frozen_ms:.0f} ms frozen in all"
    worst = max(webrtc.timeline, key=lambda s: s.freezes or 0, default=None)
    when = f", the first in second {worst.at_s} of the connection" if worst is not None and worst.freezes else ""
    return Rule.FREEZES.broken(f"the video froze {webrtc.freezes} time(s){frozen}{when} (allowed {rules.max_freezes})")


def check_jitter_buffer(webrtc: WebRtc, rules: GateRules) -> Broken | None:
    held = webrtc.jitter_buffer_ms
    if held is None:
        return Rule.JITTER_BUFFER.broken("the browser gave no jitter buffer figure for the video")
    if held <= rules.max_jitter_buffer_ms:
        return None
    return Rule.JITTER_BUFFER.broken(
        f"the video's jitter buffer held each frame {held:.0f} ms on average (limit {rules.max_jitter_buffer_ms:g} ms)"
    )


def check_av_sync(webrtc: WebRtc, rules: GateRules) -> Broken | None:
    offset = webrtc.av_offset_ms
    if offset is None:
        return None if webrtc.audio_jitter_buffer_ms is None else Rule.AV_SYNC.broken("no video jitter buffer figure")
    if abs(offset) <= rules.max_av_offset_ms:
        return None
    which = "video behind audio" if offset > 0 else "audio behind video"
    return Rule.AV_SYNC.broken(
        f"{which} by {abs(offset):.0f} ms in the jitter buffers (limit {rules.max_av_offset_ms:g} ms)"
    )
