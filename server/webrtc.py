"""The avatar as WebRTC tracks (``--mode webrtc``), signalled by WHEP (RFC 9725): the page
POSTs its SDP offer to ``/whep``, the answer comes back ``201 Created`` with the session's
``Location``, and a DELETE there ends it.

The tracks are the avatar's chunks, decoded and sent in real time: the same video and tone
the chunk modes serve as files, encoded by aiortc for the browser (VP8 or H.264, Opus).
A sender's fault comes from the offer's query, as the chunk faults do: ``stall_ms`` (no
video frame for that long, once, ``stall_at_s`` into the stream).

ICE stays on playgate's own path: the server runs in the path's network namespace
(server.shaped_path), whose only route is to the browser's side of the path; it offers one
candidate, on the address it listens on, never asks a STUN server, and takes none of the
browser's candidates but those on loopback or on a path (its other ones are mDNS names or
this machine's own addresses). The browser's checks then come from its side of the path,
and the server learns that address from them (a peer-reflexive candidate).
"""

from __future__ import annotations

import asyncio
import fractions
import ipaddress
import itertools
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aioice.ice
import av
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from playgate.server.settings import CHUNKS, STALL_AT_S, STALL_MS

VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
AUDIO_RATE = 48_000
SDP = "application/sdp"
# A page elsewhere may play the endpoint (WHEP is cross-origin by design): it may POST an offer,
# read the Location, and DELETE the session.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Expose-Headers": "Location",
}
# Where a browser's candidate may be for the reference server to pair with it: this machine's
# loopback and the subnets of playgate's shaped paths (server.shaped_path.SUBNETS).
PAIRED_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128", "10.253.0.0/16"))

SENDER_KNOBS = (STALL_MS, STALL_AT_S)

# aiortc and aioice log every ICE check and RTP hiccup at INFO: a served run's output is not
# the place for them.
for _name in ("aiortc", "aioice"):
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclass(frozen=True)
class SenderFaults:
    """What is wrong with the sender, as the offer's query asked (all zero: nothing)."""

    stall_ms: int = 0
    stall_at_s: int = STALL_AT_S.default

    def stalled(self, at_s: float) -> bool:
        return self.stall_ms > 0 and self.stall_at_s <= at_s < self.stall_at_s + self.stall_ms / 1000


class _StreamClock:
    """The moment the stream started, shared by its tracks so audio and video stay together."""

    def __init__(self) -> None:
        self.start: float | None = None

    def started(self) -> float:
        loop = asyncio.get_running_loop()
        if self.start is None:
            self.start = loop.time()
        return self.start

    async def until(self, at_s: float) -> None:
        """Sleep until ``at_s`` seconds into the stream."""
        loop = asyncio.get_running_loop()
        delay = self.started() + at_s - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)


def _decoded(paths: list[Path], kind: str) -> Iterator[tuple[float, av.VideoFrame | av.AudioFrame]]:
    """Every ``kind`` frame of the chunk files in turn, with its time in the stream (s); audio
    as the 16-bit samples aiortc's Opus encoder takes."""
    offset = 0.0
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=AUDIO_RATE)
    for path in paths:
        with av.open(str(path)) as container:
            stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
            last = 0.0
            time_base = stream.time_base or fractions.Fraction(1, AUDIO_RATE)
            for frame in container.decode(stream):
                assert isinstance(frame, av.VideoFrame | av.AudioFrame)
                at = max(0.0, float(frame.pts * time_base)) if frame.pts is not None else last
                last = at
                outs = [frame] if isinstance(frame, av.VideoFrame) else resampler.resample(frame)
                for out in outs:
                    yield offset + at, out
            offset += float(container.duration) / av.time_base if container.duration else last


class AvatarTrack(MediaStreamTrack):
    """One kind of the avatar's media, paced to the stream's clock; ends after the chunks."""

    def __init__(self, kind: str, paths: list[Path], clock: _StreamClock, faults: SenderFaults) -> None:
        super().__init__()
        self.kind = kind
        self._frames = _decoded(paths, kind)
        self._clock = clock
        self._faults = faults

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        while True:
            try:
                at, frame = next(self._frames)
            except StopIteration:
                self.stop()
                raise MediaStreamError from None
            await self._clock.until(at)
            if self.kind == "video" and self._faults.stalled(at):
                continue  # a stalled sender: the frames of the stall are never sent
            if self.kind == "video":
                frame.pts, frame.time_base = round(at * VIDEO_TIME_BASE.denominator), VIDEO_TIME_BASE
            else:
                frame.pts, frame.time_base = round(at * AUDIO_RATE), fractions.Fraction(1, AUDIO_RATE)
            return frame


def _paired_candidates_only(sdp: str) -> str:
    """The offer without the candidates the server must not pair with (see the module's note):
    mDNS names (resolving one is multicast) and addresses off this machine's loopback and paths."""
    kept, dropped = [], False
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            fields = line.split()
            try:
                address = ipaddress.ip_address(fields[4])
            except (IndexError, ValueError):
                address = None
            if address is None or not any(address in network for network in PAIRED_NETWORKS):
                dropped = True
                continue
        kept.append(line)
    if dropped:
        # The browser's own checks reach the server from the path's address (a peer-reflexive
        # candidate): without end-of-candidates aioice keeps waiting for them rather than
        # giving up on a media section whose every candidate was left out.
        kept = [line for line in kept if line != "a=end-of-candidates"]
    return "\r\n".join(kept) + "\r\n"


def _offer_host(address: str) -> None:
    """Make aiortc offer a candidate on ``address`` alone: aioice gathers every interface's
    address but loopback's, and the reference server listens on one address."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [address]


class Whep:
    """The WHEP endpoint: one peer connection per session, each streaming the avatar."""

    def __init__(self, chunk_paths: list[Path]) -> None:
        self.chunk_paths = chunk_paths
        self.sessions: dict[str, RTCPeerConnection] = {}

    def _faults(self, request: Request) -> tuple[int, SenderFaults]:
        values = {}
        for knob in (CHUNKS, *SENDER_KNOBS):
            raw = request.query_params.get(knob.name)
            if raw is None:
                values[knob.name] = knob.default
            elif not raw.isdigit() or not knob.holds(int(raw)):
                raise ValueError(f"{knob.name}={raw!r}: must be {knob.low}..{knob.high}")
            else:
                values[knob.name] = int(raw)
        chunks = values.pop(CHUNKS.name)
        return chunks, SenderFaults(**values)

    async def offer(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS)
        # The whole offer is read before any refusal: answered while its body was still on the
        # way, the connection was closed once the body came, under a client that sent its
        # next request on it (httpx writes the body after the headers).
        body = await request.body()
        if request.headers.get("content-type", "").split(";")[0].strip() != SDP:
            return PlainTextResponse(f"WHEP takes an SDP offer: Content-Type {SDP}", 415, headers=CORS)
        try:
            chunks, faults = self._faults(request)
            offer = RTCSessionDescription(_paired_candidates_only(body.decode()), "offer")
        except (ValueError, UnicodeDecodeError) as exc:
            return PlainTextResponse(f"bad WHEP offer: {exc}", 400, headers=CORS)
        server = request.scope.get("server")
        if server:
            _offer_host(server[0])
        paths = list(itertools.islice(itertools.cycle(self.chunk_paths), chunks))
        clock = _StreamClock()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # aiortc's default asks a public STUN server
        session = secrets.token_urlsafe(12)
        try:
            await pc.setRemoteDescription(offer)
            for kind in ("video", "audio"):
                pc.addTrack(AvatarTrack(kind, paths, clock, faults))
            await pc.setLocalDescription(await pc.createAnswer())
        except (ValueError, AttributeError, TypeError) as exc:  # aiortc's words for an offer it cannot take
            await pc.close()
            return PlainTextResponse(f"bad WHEP offer: {exc}", 400, headers=CORS)
        self.sessions[session] = pc

        @pc.on("connectionstatechange")
        async def _ended() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._close(session)

        headers = {**CORS, "Location": f"/whep/{session}"}
        return Response(pc.localDescription.sdp, 201, media_type=SDP, headers=headers)

    async def delete(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS)
        session = request.path_params["session"]
        if session not in self.sessions:
            return PlainTextResponse(f"no WHEP session {session}", 404, headers=CORS)
        await self._close(session)
        return Response(status_code=200, headers=CORS)

    async def _close(self, session: str) -> None:
        pc = self.sessions.pop(session, None)
        if pc is not None:
            await pc.close()

    async def close_all(self) -> None:
        for session in list(self.sessions):
            await self._close(session)
