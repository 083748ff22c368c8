// Injected before any script of every page the gate opens: the page's RTCPeerConnections and
// what the browser's own statistics (getStats, the W3C's webrtc-stats) say of each. It
// changes nothing the page sees: the constructor is the page's, subclassed only to note each
// connection made. Every SAMPLE_MS each open connection is read:
//   - the inbound video: frames decoded and dropped, freezes (the browser's own count and
//     time), the jitter buffer's delay and emitted count, bytes, packets lost;
//   - the inbound audio: samples received and concealed, its jitter buffer;
//   - the selected candidate pair (a transport's selectedCandidatePairId in Chromium, the
//     pair marked selected in Firefox, else the nominated one that succeeded) with both
//     candidates' type, protocol, relay protocol and address, and every local candidate
//     gathered (a relayed pair is recognised by them whatever type a browser gives it).
// window[PLAYGATE_CONFIG.sample]() reads every connection at once (a page about to close
// its connection may call it first). Times are performance.now() ms.
(() => {
  if (window[PLAYGATE_CONFIG.state] || !window.RTCPeerConnection) return;
  const SAMPLE_MS = 250;
  const peers = [];
  window[PLAYGATE_CONFIG.state] = { peers };
  const VIDEO = ["framesDecoded", "framesDropped", "framesReceived", "freezeCount", "totalFreezesDuration",
    "jitterBufferDelay", "jitterBufferEmittedCount", "bytesReceived", "packetsLost", "packetsReceived",
    "frameWidth", "frameHeight", "keyFramesDecoded"];
  const AUDIO = ["totalSamplesReceived", "concealedSamples", "jitterBufferDelay", "jitterBufferEmittedCount",
    "bytesReceived", "packetsLost"];
  const pick = (stat, names) => {
    const out = {};
    for (const name of names) out[name] = typeof stat[name] === "number" ? stat[name] : null;
    return out;
  };
  const candidate = (stat) =>
    stat
      ? {
          type: stat.candidateType ?? null,
          protocol: stat.protocol ?? null,
          relay_protocol: stat.relayProtocol ?? null,
          address: stat.address ?? stat.ip ?? null,
          port: stat.port ?? null,
          url: stat.url || null,
        }
      : null;

  const selectedPair = (stats) => {
    for (const stat of stats.values()) {
      if (stat.type === "transport" && stat.selectedCandidatePairId) return stats.get(stat.selectedCandidatePairId);
    }
    for (const stat of stats.values()) if (stat.type === "candidate-pair" && stat.selected) return stat;
    for (const stat of stats.values()) {
      if (stat.type === "candidate-pair" && stat.nominated && stat.state === "succeeded") return stat;
    }
    return null;
  };

  const ended = (peer) => {
    peer.ended_ms ??= performance.now();
    if (peer.state !== "failed" && !peer.state.startsWith("closed")) {
      peer.state = peer.connected_ms === null ? `closed before connecting (${peer.state})` : "closed";
    }
  };

  const sample = async (pc, peer) => {
    if (pc.signalingState === "closed") return ended(peer);
    let report;
    try {
      report = await pc.getStats();
    } catch (error) {
      return;
    }
    const stats = new Map();
    report.forEach((stat) => stats.set(stat.id, stat));
    const row = { t: performance.now(), video: null, audio: null };
    for (const stat of stats.values()) {
      if (stat.type !== "inbound-rtp") continue;
      const kind = stat.kind || stat.mediaType;
      if (kind === "video") row.video = pick(stat, VIDEO);
      if (kind === "audio") row.audio = pick(stat, AUDIO);
    }
    peer.samples.push(row);
    const pair = selectedPair(stats);
    if (pair) {
      peer.pair = {
        local: candidate(stats.get(pair.localCandidateId)),
        remote: candidate(stats.get(pair.remoteCandidateId)),
        rtt_ms: typeof pair.currentRoundTripTime === "number" ? pair.currentRoundTripTime * 1000 : null,
      };
    }
    peer.local_candidates = [...stats.values()].filter((s) => s.type === "local-candidate").map(candidate);
  };

  const watch = (pc, configuration) => {
    const servers = (configuration && configuration.iceServers) || [];
    const peer = {
      created_ms: performance.now(),
      ice_servers: servers.flatMap((server) => [].concat(server.urls || server.url || [])),
      state: pc.connectionState || "new",
      connected_ms: null,
      ended_ms: null,
      pair: null,
      local_candidates: [],
      candidate_errors: [],
      samples: [],
    };
    peers.push(peer);
    pc.addEventListener("connectionstatechange", () => {
      if (peer.state === "failed") return; // a failure is not undone by close()
      const unconnected = pc.connectionState === "closed" && peer.connected_ms === null;
      peer.state = unconnected ? `closed before connecting (${peer.state})` : pc.connectionState;
      if (pc.connectionState === "connected") peer.connected_ms ??= performance.now();
      if (pc.connectionState === "failed" || pc.connectionState === "closed") peer.ended_ms ??= performance.now();
    });
    // An ICE server the browser could not use, in its own words (Chromium: 701 and why).
    pc.addEventListener("icecandidateerror", (event) => {
      if (peer.candidate_errors.length < 20) {
        peer.candidate_errors.push({ url: event.url || null, code: event.errorCode ?? null, text: event.errorText || null });
      }
    });
    const timer = setInterval(() => {
      if (pc.signalingState === "closed") {
        clearInterval(timer);
        ended(peer); // closed by the page before it ever connected: say where ICE had got to
      } else sample(pc, peer);
    }, SAMPLE_MS);
    peer.sample = () => sample(pc, peer);
  };

  const Native = window.RTCPeerConnection;
  class ObservedPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      watch(this, args[0]);
    }
  }
  Object.defineProperty(ObservedPeerConnection, "name", { value: Native.name });
  window.RTCPeerConnection = ObservedPeerConnection;
  if (window.webkitRTCPeerConnection) window.webkitRTCPeerConnection = ObservedPeerConnection;
  window[PLAYGATE_CONFIG.sample] = () => Promise.all(peers.map((peer) => peer.sample()));
})();
