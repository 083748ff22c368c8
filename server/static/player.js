// The avatar player: applies the requested connection pressure, then follows the chunk
// stream and loads every announced chunk into its own <video>. What it observes is kept
// in window[PLAYGATE_PAGE.state] for the harness to read; all times are performance.now() ms.
// PLAYGATE_PAGE (the page global's name, the segment URL pattern) is written into
// player.html by the server, from the harness's own definitions (playgate.page_contract).
"use strict";

const params = new URLSearchParams(location.search);
const PRESSURE_SETTLE_MS = 3000; // stop waiting for holders that cannot get a connection
const releases = []; // one function per held connection, to let go of it
// Other tabs of the app (``tabs:N``, opened by the harness) let go when this one does.
const releaseChannel = new BroadcastChannel("playgate-release");
// The holders go when the server's release event says so (hold_ms after it sent the first
// chunk event), and never sooner than hold_ms after chunk 0 started loading here: a page
// that handles its events late (a busy machine) still queues chunk 0 for the whole hold.
const minimumHoldMs = params.has("hold_ms") ? Number(params.get("hold_ms")) : 0;
let releaseAsked = false;
const REAL_PLAYER = params.has("player") && params.get("player") !== "progressive";
let firstLoadstartMs = null;

const state = {
  phase: "pressure",
  finished: false,
  expected: null,
  chunks: [],
  pressure: { spec: params.get("pressure") || "none", holders: 0, ready: 0, started_ms: null, settled_ms: null, released_ms: null },
  stream: { opened_ms: null, done_ms: null, errors: 0 },
  errors: [],
};
window[PLAYGATE_PAGE.state] = state;

const statusLine = document.getElementById("status");
function show(text) {
  statusLine.textContent = text;
}

function parsePressure(spec) {
  // tabs:N is known but not applied here: the harness opens those tabs itself.
  const holders = { sse: 0, media: 0, streams: 0, tabs: 0 };
  if (!spec || spec === "none") return holders;
  for (const part of spec.split("+")) {
    const [kind, count] = part.split(":");
    if (!(kind in holders) || !/^\d+$/.test(count || "")) {
      state.errors.push(`unknown pressure ${part}`);
      continue;
    }
    holders[kind] += Number(count);
  }
  return holders;
}

// Each holder resolves once it holds a connection: an open event stream, or a video
// element that has received media bytes.
function holdWithEventSource() {
  return new Promise((resolve) => {
    const source = new EventSource("/pressure/sse");
    source.addEventListener("open", resolve, { once: true });
    releases.push(() => source.close());
  });
}

// A long-lived fetch() whose body never ends: over h2, one stream of the shared connection.
function holdWithFetchStream() {
  return new Promise((resolve) => {
    const abort = new AbortController();
    fetch("/pressure/sse?via=fetch", { signal: abort.signal, cache: "no-store" })
      .then((response) => {
        resolve();
        return response.body.pipeTo(new WritableStream());
      })
      .catch(resolve); // aborted on release, or refused: either way no longer waiting
    releases.push(() => abort.abort());
  });
}

function holdWithVideo(index) {
  return new Promise((resolve) => {
    const video = document.createElement("video");
    video.muted = true;
    video.preload = "auto";
    video.addEventListener("progress", resolve, { once: true });
    video.addEventListener("error", resolve, { once: true });
    video.src = `/pressure/media?holder=${index}`;
    document.getElementById("pressure").append(video);
    releases.push(() => {
      // Aborting the download closes its HTTP/1.1 connection, as a finished preload frees it.
      video.removeAttribute("src");
      video.load();
      video.remove();
    });
  });
}

function applyPressure() {
  const wanted = parsePressure(state.pressure.spec);
  const waits = [];
  for (let i = 0; i < wanted.sse; i++) waits.push(holdWithEventSource());
  for (let i = 0; i < wanted.media; i++) waits.push(holdWithVideo(i));
  for (let i = 0; i < wanted.streams; i++) waits.push(holdWithFetchStream());
  state.pressure.holders = waits.length;
  state.pressure.started_ms = performance.now();
  if (!waits.length) return Promise.resolve();
  for (const wait of waits) wait.then(() => state.pressure.ready++);
  // More holders than connections is a valid setup: the extra ones queue themselves.
  const settle = new Promise((resolve) => setTimeout(resolve, PRESSURE_SETTLE_MS));
  return Promise.race([Promise.all(waits), settle]);
}

let stream = null;

function checkFinished() {
  if (state.expected === null || state.finished) return;
  const settled = state.chunks.filter((c) => c && (c.loadeddata_ms !== null || c.error !== null));
  if (settled.length >= state.expected) {
    state.phase = "finished";
    state.finished = true;
    stream.close(); // kept open until now, as a live app keeps it: it holds a connection
    show(`finished: ${settled.length} chunks`);
  }
}

function loadChunk(announcement) {
  const record = {
    index: announcement.index,
    url: new URL(announcement.url, location.href).href,
    size: announcement.size,
    event_ms: performance.now(),
    loadstart_ms: null,
    loadeddata_ms: null,
    first_frame_ms: null,
    error: null,
  };
  state.chunks[announcement.index] = record;
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.preload = "auto";
  video.addEventListener(
    "loadstart",
    () => {
      record.loadstart_ms = performance.now();
      if (record.index === 0) {
        firstLoadstartMs = record.loadstart_ms;
        scheduleRelease();
      }
    },
    { once: true },
  );
  video.addEventListener(
    "loadeddata",
    () => {
      record.loadeddata_ms = performance.now();
      checkFinished();
    },
    { once: true },
  );
  video.addEventListener("error", () => {
    const e = video.error;
    record.error = e ? `media error ${e.code}: ${e.message || "no message"}` : "media error";
    checkFinished();
  });
  if (video.requestVideoFrameCallback) {
    video.requestVideoFrameCallback((now, metadata) => {
      record.first_frame_ms = metadata.presentationTime || now;
      // Shown: stop there. Every chunk playing at once would keep both cores decoding
      // and disturb the timings of the chunks still loading.
      video.pause();
    });
  }
  video.src = record.url;
  document.getElementById("chunks").append(video);
  video.play().catch(() => {}); // autoplay refusals leave loadeddata to tell the story
  show(`chunk ${record.index} announced`);
}

function releaseHolders() {
  if (state.pressure.released_ms !== null) return;
  state.pressure.released_ms = performance.now();
  releaseChannel.postMessage("release");
  for (const release of releases.splice(0)) release();
}

function scheduleRelease() {
  if (!releaseAsked || state.pressure.released_ms !== null) return;
  if (firstLoadstartMs === null && REAL_PLAYER) return; // held until holdFrom() says
  if (firstLoadstartMs === null) {
    // Chunk 0 has not started loading (its element failed, or is that late): the hold
    // counts from now, so the holders are not kept for ever.
    setTimeout(releaseHolders, minimumHoldMs);
    return;
  }
  const left = minimumHoldMs - (performance.now() - firstLoadstartMs);
  if (left <= 0) releaseHolders();
  else setTimeout(releaseHolders, left);
}

function followStream() {
  state.phase = "streaming";
  const query = new URLSearchParams();
  for (const name of ["chunks", "pace_ms", "hold_ms", "chunk_delay_ms", "chunk_kib_per_s", "slow", "missing"]) if (params.has(name)) query.set(name, params.get(name));
  const source = (stream = new EventSource(`/events?${query}`));
  source.addEventListener("open", () => (state.stream.opened_ms ??= performance.now()));
  source.addEventListener("error", () => state.stream.errors++);
  source.addEventListener("chunk", (event) => loadChunk(JSON.parse(event.data)));
  source.addEventListener("release", () => {
    releaseAsked = true;
    scheduleRelease();
  });
  source.addEventListener("done", (event) => {
    state.stream.done_ms = performance.now();
    state.expected = JSON.parse(event.data).count;
    checkFinished();
  });
}

// ?player=NAME: the chunks as a stream played by a real player (server/static/players.js:
// segments fetched by the player, appended to Media Source buffers). There is no chunk
// event: the harness finds the segments in the network record. The player is loaded and
// ready before the pressure is applied (as a stream already playing when other media
// starts loading); then its segment loading starts, and the holders go hold_ms later. The
// page keeps its live event stream open the whole time, as the avatar app does (and as the
// progressive player's chunk stream does): over HTTP/1.1 it holds one of the six connections.
//
// The hold counts from the player's first segment request, as the progressive page's counts
// from chunk 0's loadstart: a player slow to ask (a busy machine) still has it wait the whole
// hold. The page sees the requests of its own XMLHttpRequest and fetch, and those of a player
// that fetches in its own worker (``fetchesInWorker``) through a hook the worker runs before
// the player's code. A player that asks for no segment within PRESSURE_SETTLE_MS has its hold
// count from then.
const SEGMENT_URL = new RegExp(PLAYGATE_PAGE.segmentPattern);

function onFirstSegmentRequest(callback, inWorker) {
  let seen = false;
  const saw = (url) => {
    if (seen || !SEGMENT_URL.test(String(url))) return;
    seen = true;
    callback(performance.now());
  };
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    saw(url);
    return open.apply(this, arguments);
  };
  if (inWorker) onWorkerRequests(saw); // only there: other players' workers are left as they are
  const pageFetch = window.fetch;
  window.fetch = function (input) {
    saw(input instanceof Request ? input.url : input);
    return pageFetch.apply(this, arguments);
  };
}

// A worker made from a script URL (mpegts.js makes its own from a blob) runs a hook first that
// tells the page, over a BroadcastChannel, each URL it fetches; then the worker's own script.
const WORKER_REQUESTS = "playgate-worker-requests";

function onWorkerRequests(saw) {
  new BroadcastChannel(WORKER_REQUESTS).onmessage = (event) => saw(event.data);
  const PageWorker = window.Worker;
  function HookedWorker(url, options) {
    if (options && options.type === "module") return new PageWorker(url, options); // no importScripts there
    const script = new URL(url, location.href).href;
    const hook = `(() => {
  const channel = new BroadcastChannel(${JSON.stringify(WORKER_REQUESTS)});
  const workerFetch = self.fetch;
  self.fetch = function (input) {
    channel.postMessage(String(input instanceof Request ? input.url : input));
    return workerFetch.apply(this, arguments);
  };
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    channel.postMessage(String(url));
    return open.apply(this, arguments);
  };
})();
importScripts(${JSON.stringify(script)});`;
    return new PageWorker(URL.createObjectURL(new Blob([hook], { type: "text/javascript" })), options);
  }
  HookedWorker.prototype = PageWorker.prototype;
  window.Worker = HookedWorker;
}

function holdFrom(ms) {
  if (firstLoadstartMs !== null) return;
  firstLoadstartMs = ms;
  scheduleRelease();
}

function preparePlayer(name) {
  const player = REAL_PLAYERS[name];
  const fail = (message) => state.errors.push(message);
  if (!player) {
    fail(`unknown player ${name}`);
    return new Promise(() => {});
  }
  onFirstSegmentRequest(holdFrom, player.fetchesInWorker);
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = player.script;
    script.addEventListener("error", () => fail(`${name} player script did not load`));
    script.addEventListener("load", () => {
      const query = new URLSearchParams();
      for (const key of ["chunks", "chunk_delay_ms", "chunk_kib_per_s", "slow"]) if (params.has(key)) query.set(key, params.get(key));
      const video = document.createElement("video");
      video.muted = true;
      video.playsInline = true;
      document.getElementById("chunks").append(video);
      player.prepare(video, query, fail).then((startLoading) => resolve(() => {
        releaseAsked = true;
        setTimeout(() => holdFrom(performance.now()), PRESSURE_SETTLE_MS);
        scheduleRelease();
        startLoading();
        video.play().catch(() => {});
        show(`${name} playing`);
      }), (error) => fail(`${name} player: ${error}`));
    });
    document.head.append(script);
  });
}

function followPlayer(name) {
  show(`loading ${name}`);
  const feed = (stream = new EventSource("/pressure/sse?via=feed"));
  feed.addEventListener("open", () => (state.stream.opened_ms ??= performance.now()), { once: true });
  preparePlayer(name).then((start) => {
    show("applying pressure");
    applyPressure().then(() => {
      state.pressure.settled_ms = performance.now();
      state.phase = "streaming";
      start();
    });
  });
}

// Another tab of the app (tabs:N): it holds its own event stream, as an idle open tab
// does, until the tab under test lets go of its holders.
function idleTab() {
  state.phase = "tab";
  state.tab = { opened_ms: null, released_ms: null };
  const source = new EventSource("/pressure/sse?via=tab");
  source.addEventListener("open", () => (state.tab.opened_ms ??= performance.now()), { once: true });
  releaseChannel.addEventListener("message", () => {
    state.tab.released_ms = performance.now();
    source.close();
  });
  show("idle tab holding its event stream");
}

if (params.get("role") === "tab") {
  idleTab();
} else if (REAL_PLAYER) {
  followPlayer(params.get("player"));
} else if (params.get("transport") === "webrtc") {
  show("applying pressure");
  applyPressure().then(() => {
    state.pressure.settled_ms = performance.now();
    state.phase = "streaming";
    state.expected = 0; // no chunk is loaded: the media comes in the tracks (static/webrtc.js)
    countUtterances(state, params);
    playOverWebrtc(state, params, show);
  });
} else {
  show("applying pressure");
  applyPressure().then(() => {
    state.pressure.settled_ms = performance.now();
    followStream();
  });
}
