"""The WebRTC record read from the browsers' statistics (webrtc_record), its rules
(judging.webrtc) both ways, its report line and JSON, and the WHEP endpoint's answers to bad
input; the browsers themselves are in tests/e2e/test_matrix.py and tests/e2e/test_webrtc.py."""

import socket
import ssl
from dataclasses import replace

import httpx
import pytest

from playgate.config import GateRules, Scenario
from playgate.errors import UsageError
from playgate.fixtures.generate import ensure_media
from playgate.judging.gate import JudgedRun, evaluate
from playgate.playback_record import Playback
from playgate.reports.result import result_document
from playgate.reports.table import webrtc_line
from playgate.rules import Rule
from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for
from playgate.server.webrtc import _paired_candidates_only
from playgate.webrtc_record import WebRtc
from tests.factory import run
from tests.reports.test_report import validate_result

TURN_URLS = ["turn:10.253.7.2:3478?transport=udp", "turn:10.253.7.2:3478?transport=tcp"]


def candidate(type_, protocol="udp", relay_protocol=None, address="10.253.7.1", port=5000, url=None):
    return {
        "type": type_,
        "protocol": protocol,
        "relay_protocol": relay_protocol,
        "address": address,
        "port": port,
        "url": url,
    }


def sample(t, *, decoded, freezes=0, frozen_s=0.0, jb_s=None, emitted=None, audio=True, sent=None):
    video = {
        "framesDecoded": decoded, "framesDropped": 0, "framesReceived": decoded, "freezeCount": freezes,
        "totalFreezesDuration": frozen_s, "jitterBufferDelay": jb_s if jb_s is not None else decoded * 0.010,
        "jitterBufferEmittedCount": emitted if emitted is not None else decoded,
        "bytesReceived": sent if sent is not None else decoded * 2500, "packetsLost": 0, "packetsReceived": decoded,
        "frameWidth": 640, "frameHeight": 360, "keyFramesDecoded": 1,
    }  # fmt: skip
    sound = {"totalSamplesReceived": 48 * t, "concealedSamples": 0, "jitterBufferDelay": 0.030 * t,
             "jitterBufferEmittedCount": t, "bytesReceived": 8 * t, "packetsLost": 0}  # fmt: skip
    return {"t": t, "video": video, "audio": sound if audio else None}


def page(*, pair=None, gathered=(), servers=(), samples=None, connected_ms=400.0, state="connected"):
    samples = samples if samples is not None else [sample(400 + 250 * i, decoded=6 * i) for i in range(1, 13)]
    return {
        "peers": [
            {
                "created_ms": 300.0, "ice_servers": list(servers), "state": state, "connected_ms": connected_ms,
                "ended_ms": None, "pair": pair, "local_candidates": list(gathered), "samples": samples,
            }
        ]
    }  # fmt: skip


DIRECT = {"local": candidate("host"), "remote": candidate("host", address="10.253.7.2", port=6000), "rtt_ms": 1.0}


def webrtc_run(webrtc, *, first_frame_ms=450.0, mode="webrtc"):
    playback = Playback(
        play_ms=320.0, first_frame_ms=first_frame_ms, stalls=(), frames=None, dropped_frames=None, ended_ms=3800.0
    )
    return replace(run(mode=mode, expected=0), playback=playback, webrtc=webrtc, webrtc_expected=mode == "webrtc")


def broken(record, rules=None, **run_options):
    verdict = evaluate(webrtc_run(record, **run_options), rules or GateRules())
    return {b.rule for b in verdict.broken}, verdict


def test_a_healthy_connection_passes_every_rule_and_reads_its_figures():
    record = WebRtc.from_page(page(pair=DIRECT))
    assert broken(record)[0] == set()
    assert (record.pair.transport, record.pair.relayed, record.freezes, record.frames_decoded) == ("udp", False, 0, 72)
    assert record.jitter_buffer_ms == pytest.approx(10.0)
    assert record.audio_jitter_buffer_ms == pytest.approx(30.0)
    assert record.av_offset_ms == pytest.approx(-20.0)
    assert record.kbit == pytest.approx(6 * 2500 * 8 / 250)  # 6 frames of 2500 bytes every 250 ms
    assert [s.at_s for s in record.timeline] == [0, 1, 2, 3]
    assert record.timeline[1].frames == 24
    line = webrtc_line(record)
    assert line.startswith("webrtc: UDP host to 10.253.7.2:6000, connected after 100 ms, 0 freezes")


def test_a_relayed_pair_is_recognised_whatever_type_the_browser_gives_its_local_end():
    # Chromium can give a relayed pair's local candidate as prflx; it is the relay's address and port.
    relay = candidate("relay", relay_protocol="tcp", address="10.253.7.2", port=49200)
    pair = {**DIRECT, "local": candidate("prflx", address="10.253.7.2", port=49200)}
    record = WebRtc.from_page(page(pair=pair, gathered=[candidate("host"), relay], servers=TURN_URLS))
    assert record.pair.relayed and record.pair.transport == "turn/tcp"
    rules, verdict = broken(record)
    assert rules == {Rule.TRANSPORT}
    (reason,) = verdict.broke(Rule.TRANSPORT)
    assert reason.text.startswith("media relayed over TURN/TCP via 10.253.7.2:49200, expected UDP with no relay")
    assert "UDP to the TURN server 10.253.7.2:3478 got no answer; relays were gathered over TCP only" in reason.text
    # Expected as it is, it passes; Firefox's empty url changes nothing.
    assert broken(record, GateRules(expected_transport="relay"))[0] == set()
    firefox = {**DIRECT, "local": candidate("relay", relay_protocol="tcp", address="10.253.7.2", port=49200, url="")}
    assert WebRtc.from_page(page(pair=firefox)).pair.transport == "turn/tcp"


def test_a_connection_that_never_connected_breaks_transport_alone():
    record = WebRtc.from_page(page(connected_ms=None, state="failed", servers=TURN_URLS, samples=[]))
    rules, verdict = broken(record, first_frame_ms=None)
    assert Rule.TRANSPORT in rules and not rules & {Rule.FREEZES, Rule.JITTER_BUFFER, Rule.FIRST_FRAME}
    assert "no candidate pair was selected: the connection ended failed (ICE servers: turn:" in verdict.reasons[-1]


def test_a_setup_that_streams_webrtc_without_a_connection_breaks_transport():
    rules, verdict = broken(None)
    assert verdict.broke(Rule.TRANSPORT)[0].text == "the page made no RTCPeerConnection: no WebRTC figure to judge"
    assert broken(None, mode="h2")[0] == set()  # a page without WebRTC is not judged on it


def test_freezes_are_the_browsers_count_and_say_when():
    samples = [sample(400 + 250 * i, decoded=6 * i, freezes=int(i >= 9), frozen_s=1.5 * (i >= 9)) for i in range(1, 13)]
    record = WebRtc.from_page(page(pair=DIRECT, samples=samples))
    rules, verdict = broken(record)
    assert rules == {Rule.FREEZES}
    assert verdict.broke(Rule.FREEZES)[0].text.startswith("the video froze 1 time(s), 1500 ms frozen in all")
    assert broken(record, GateRules(max_freezes=1))[0] == set()


@pytest.mark.parametrize(
    ("rules", "first_frame_ms", "rule", "says"),
    [
        (
            GateRules(max_first_frame_ms=100),
            450.0,
            Rule.FIRST_FRAME,
            "the first frame came 150 ms after the connection",
        ),
        (GateRules(max_jitter_buffer_ms=5), 450.0, Rule.JITTER_BUFFER, "held each frame 10 ms on average (limit 5 ms)"),
        (GateRules(max_av_offset_ms=10), 450.0, Rule.AV_SYNC, "audio behind video by 20 ms"),
        (GateRules(), None, Rule.FIRST_FRAME, "no video frame was presented"),
    ],
)
def test_each_limit_breaks_its_rule_and_says_why(rules, first_frame_ms, rule, says):
    record = WebRtc.from_page(page(pair=DIRECT))
    broke, verdict = broken(record, rules, first_frame_ms=first_frame_ms)
    assert rule in broke
    assert says in verdict.broke(rule)[0].text


def test_a_figure_the_browser_did_not_give_breaks_what_it_would_prove():
    samples = [sample(400 + 250 * i, decoded=6 * i, audio=False) for i in range(1, 5)]
    for row in samples:
        row["video"]["freezeCount"] = None
        row["video"]["jitterBufferEmittedCount"] = None
    record = WebRtc.from_page(page(pair=DIRECT, samples=samples))
    assert broken(record)[0] == {Rule.FREEZES, Rule.JITTER_BUFFER}  # no audio: nothing to sync


def test_the_record_is_in_the_json_as_the_schema_says():
    record = WebRtc.from_page(page(pair=DIRECT, gathered=[candidate("host")], servers=TURN_URLS))
    judged = webrtc_run(record)
    document = result_document([JudgedRun(judged, evaluate(judged, GateRules()))])
    validate_result(document)
    written = document["runs"][0]["webrtc"]
    assert (written["transport"], written["connected_ms"], written["freezes"]) == ("udp", 100.0, 0)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"expected_transport": "quic"}, "--expect-transport 'quic': choose one of udp, tcp, relay, any"),
        ({"max_freezes": -1}, "must not be negative"),
        ({"max_av_offset_ms": 0}, "--max-av-offset-ms must be positive"),
    ],
)
def test_bad_webrtc_limits_are_usage_errors(bad, says):
    with pytest.raises(UsageError, match=says):
        GateRules(**bad)


def test_a_stall_that_outlasts_the_stream_is_a_usage_error():
    with pytest.raises(UsageError, match="must end before the stream's 2 s do"):
        Scenario(chunks=2, stall_ms=1500)


def test_only_candidates_on_loopback_or_a_path_are_paired_with():
    offer = "\r\n".join(
        [
            "v=0",
            "a=candidate:0 1 UDP 2122187007 192.0.2.2 41815 typ host",
            "a=candidate:1 1 UDP 2122252543 6e3d1ba2-3dbc-4f23.local 55387 typ host",
            "a=candidate:2 1 UDP 2122187007 10.253.9.1 41816 typ host",
            "a=end-of-candidates",
        ]
    )
    kept = _paired_candidates_only(offer).split("\r\n")
    assert [line for line in kept if "candidate" in line] == [
        "a=candidate:2 1 UDP 2122187007 10.253.9.1 41816 typ host"
    ]


@pytest.fixture(scope="module")
def whep_server():
    # WHEP is served in every mode of the reference server; an offer it refuses makes no peer.
    with ServerProcess(settings_for(Mode.H2, ensure_media())) as server:
        yield server


@pytest.fixture(scope="module")
def whep(whep_server):
    with httpx.Client(base_url=whep_server.base_url, verify=False, timeout=30) as client:
        yield client


def test_whep_refuses_what_is_not_an_sdp_offer(whep):
    answer = whep.post("/whep", content=b"v=0", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415 and "Content-Type application/sdp" in answer.text
    answer = whep.post("/whep?stall_ms=x", content=b"v=0", headers={"Content-Type": "application/sdp"})
    assert answer.status_code == 400 and "stall_ms='x'" in answer.text
    answer = whep.post("/whep", content=b"not sdp", headers={"Content-Type": "application/sdp"})
    assert answer.status_code == 400 and answer.text.startswith("bad WHEP offer")
    assert whep.delete("/whep/nobody").status_code == 404


@pytest.mark.parametrize(("query", "content_type"), [("", "text/plain"), ("?stall_ms=x", "application/sdp")])
def test_a_refused_offer_is_answered_after_its_body_and_the_connection_stays_usable(whep_server, query, content_type):
    # Answered before its body came, the connection was closed once the body arrived: httpx,
    # which writes the body after the headers, had its next request on it cut off.
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", whep_server.port))
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        head = f"POST /whep{query} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: 3\r\n\r\n"
        tls.sendall(head.encode())
        tls.settimeout(1.0)  # a TLS 1.3 session ticket makes the socket readable: read, not select
        with pytest.raises(TimeoutError):
            tls.recv(1)  # anything here is the refusal, before its body came
        tls.settimeout(10.0)
        tls.sendall(b"v=0" + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        with tls.makefile("rb") as replies:
            for expected in (b"HTTP/1.1 4", b"HTTP/1.1 200"):
                status = replies.readline()
                assert status.startswith(expected), status
                length = 0
                while (line := replies.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                replies.read(length)


def test_the_html_report_and_the_junit_figures_show_the_connection():
    from playgate.reports.html import render
    from playgate.reports.table import describe
    from playgate.webrtc_record import webrtc_figures

    record = WebRtc.from_page(page(pair=DIRECT))
    judged = JudgedRun(webrtc_run(record), evaluate(webrtc_run(record), GateRules()))
    html = render([judged])
    assert "WebRTC, second by second" in html and "jitter buffer ms" in html
    assert "chunk  protocol" not in describe(judged)  # no chunk is expected: no empty table
    assert webrtc_figures(record)["webrtc_transport"] == "udp"
    assert webrtc_figures(None) == {}


def test_webrtc_without_root_is_one_environment_error(monkeypatch):
    from playgate.errors import EnvironmentProblem
    from playgate.server import serving

    monkeypatch.setattr(serving.os, "geteuid", lambda: 1000)
    with pytest.raises(EnvironmentProblem, match="needs root and /dev/net/tun"):
        with serving.serve(settings_for(Mode.WEBRTC, ensure_media())):
            pass
