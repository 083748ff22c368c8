// ?transport=webrtc: the avatar as WebRTC tracks, played the standard way, by WHEP (RFC 9725):
// the offer POSTed once its candidates are gathered, the answer from the 201, the session's
// Location DELETEd at the end. The event stream still announces each utterance (counted,
// not loaded: the media is in the tracks). The page is finished once the stream's media
// time has played from its first frame on, or once the connection failed; what the
// browser's statistics say is read by the harness's own observer (capture/webrtc.js).
"use strict";

// Gathering normally completes in milliseconds here; a candidate that never answers (a
// TURN server over UDP that is blocked) must not hold the offer for its whole timeout.
const GATHERING_LIMIT_MS = 3000;
// Past the stream's last media second: time for the last frames and statistics.
const END_MARGIN_MS = 750;
// A player gives up on a connection not made this long after the answer, as avatar SDKs do,
// rather than wait out the browser's own ICE timeout (18 s in Chromium, 30 s in Firefox).
const CONNECT_LIMIT_MS = 10000;

function gatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => pc.iceGatheringState === "complete" && resolve();
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHERING_LIMIT_MS);
  });
}

async function playOverWebrtc(state, params, show) {
  const record = (state.webrtc = {
    started_ms: performance.now(),
    answered_ms: null,
    connected_ms: null,
    first_frame_ms: null,
    failed: null,
    session: null,
    utterances: 0,
    media_s: Number(params.get("chunks") || 5) * Number(params.get("chunk_s") || 1),
  });
  const finish = async (why) => {
    if (state.finished) return;
    if (why) record.failed = why;
    state.phase = "finished";
    show(why ? `webrtc: ${why}` : "finished: the stream played");
    // The observer's last look at the statistics, while the connection still stands.
    const sample = window[PLAYGATE_PAGE.webrtcSample];
    if (sample) await sample();
    if (record.session) fetch(record.session, { method: "DELETE" }).catch(() => {});
    pc.close();
    if (why) video.remove(); // given up: no frame is to be waited for
    state.finished = true;
  };

  const iceServers = JSON.parse(params.get("ice_servers") || "[]");
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: params.get("ice_policy") || "all" });
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const video = document.createElement("video");
  video.muted = true; // autoplay: the audio track is measured by its statistics, not heard
  video.autoplay = true;
  video.playsInline = true;
  document.getElementById("chunks").append(video);
  const media = new MediaStream();
  pc.addEventListener("track", (event) => {
    media.addTrack(event.track);
    video.srcObject = media;
    video.play().catch(() => {});
  });
  const firstFrame = () => {
    if (record.first_frame_ms !== null) return;
    record.first_frame_ms = performance.now();
    show("webrtc: playing");
    setTimeout(() => finish(null), record.media_s * 1000 + END_MARGIN_MS);
  };
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(firstFrame);
  video.addEventListener("loadeddata", firstFrame, { once: true });
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "connected") record.connected_ms ??= performance.now();
    if (pc.connectionState === "failed") finish("the connection failed: no candidate pair worked");
  });

  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  const query = new URLSearchParams();
  for (const name of ["chunks", "stall_ms", "stall_at_s"]) if (params.has(name)) query.set(name, params.get(name));
  // ?whep=URL: the user's endpoint (--whep); the faults are the reference server's alone.
  const endpoint = params.has("whep") ? params.get("whep") : `/whep?${query}`;
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/sdp" },
      body: pc.localDescription.sdp,
    });
  } catch (error) {
    return finish(`WHEP offer not sent: ${error}`);
  }
  const body = await response.text();
  if (response.status !== 201) return finish(`WHEP answered ${response.status}: ${body.slice(0, 200)}`);
  record.session = new URL(response.headers.get("Location"), new URL(endpoint, location.href)).href;
  record.answered_ms = performance.now();
  await pc.setRemoteDescription({ type: "answer", sdp: body });
  setTimeout(() => {
    if (record.connected_ms === null) finish(`no connection ${CONNECT_LIMIT_MS / 1000} s after the answer (ICE ${pc.iceConnectionState})`);
  }, CONNECT_LIMIT_MS);
}

// The event stream of a WebRTC avatar: each utterance announced, counted.
function countUtterances(state, params) {
  const query = new URLSearchParams();
  for (const name of ["chunks", "pace_ms"]) if (params.has(name)) query.set(name, params.get(name));
  const source = new EventSource(`/events?${query}`);
  source.addEventListener("open", () => (state.stream.opened_ms ??= performance.now()));
  source.addEventListener("error", () => state.stream.errors++);
  source.addEventListener("chunk", () => state.webrtc && state.webrtc.utterances++);
  source.addEventListener("done", () => {
    state.stream.done_ms = performance.now();
    source.close();
  });
}
