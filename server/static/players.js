// The real players the bundled page can play through (?player=NAME), each as its project
// publishes it on npm, with its default settings but where said. Each entry gives the player's script and
// a prepare(video, query, fail) that makes the player ready and resolves to a start()
// function: the page calls it once the pressure holds its connections, and the player
// then fetches its segments. What a playing stream already holds (its manifest, its init
// segment) is had before the pressure, so that the first request that can wait for a
// connection is a segment's: the manifest is fetched before it, and the init segment
// comes inside it (?init=inline: a data: URL, which no connection carries). An HTTP cache
// cannot do this here: Chromium keeps nothing fetched under a certificate it was told to
// accept, as the reference server's is.
"use strict";

const REAL_PLAYERS = {
  // hls.js: MPEG-TS segments by XMLHttpRequest, transmuxed in a worker, appended to MSE.
  hls: {
    script: "/players/hls.min.js",
    prepare(video, query, fail) {
      return new Promise((resolve) => {
        const hls = new Hls({ autoStartLoad: false });
        hls.on(Hls.Events.ERROR, (event, data) => data.fatal && fail(`hls.js: ${data.details}`));
        hls.on(Hls.Events.MANIFEST_PARSED, () => resolve(() => hls.startLoad()));
        hls.loadSource(`/hls/index.m3u8?${query}`);
        hls.attachMedia(video);
      });
    },
  },
  // dash.js (the DASH-IF player): the DASH manifest of fragmented MP4 segments, by
  // XMLHttpRequest. Attached (its MediaSource open) before the pressure: attached after it,
  // in Firefox its MediaSource opened only once the preloading holders were let go, and
  // segment 0 never waited. Told not to fetch segments while paused, so that play() at
  // start is what starts them.
  dash: {
    script: "/players/dash.all.min.js",
    prepare(video, query, fail) {
      return new Promise((resolve) => {
        const player = dashjs.MediaPlayer().create();
        player.updateSettings({ streaming: { scheduling: { scheduleWhilePaused: false } } });
        player.on(dashjs.MediaPlayer.events.ERROR, (event) => fail(`dash.js: ${describe(event.error)}`));
        player.on(dashjs.MediaPlayer.events.STREAM_ACTIVATED, () => resolve(() => player.play()));
        player.initialize(video, `/dash/manifest.mpd?${query}&init=inline`, false);
      });
    },
  },
  // Shaka Player: HLS with fragmented MP4 segments (EXT-X-MAP), no transmuxing. Its load()
  // fetches the manifest and the first segments at once, so the page fetches the playlist
  // and hands it over at start as a data: URL, its segment URLs made absolute.
  shaka: {
    script: "/players/shaka-player.compiled.js",
    prepare(video, query, fail) {
      shaka.polyfill.installAll();
      const player = new shaka.Player();
      player.addEventListener("error", (event) => fail(`Shaka Player: error ${event.detail && event.detail.code}`));
      const address = new URL(`/hls/fmp4.m3u8?${query}&init=inline`, location.href);
      return Promise.all([player.attach(video), fetch(address).then((response) => response.text())]).then(([, playlist]) => {
        const absolute = playlist.replace(/^(?!#)(\S+)$/gm, (line) => new URL(line, address).href);
        const manifest = `data:application/x-mpegurl;base64,${btoa(absolute)}`;
        return () => player.load(manifest, null, "application/x-mpegurl").catch((error) => fail(`Shaka Player: load failed, error ${error.code}`));
      });
    },
  },
  // mpegts.js in its worker mode: the worker fetches each MPEG-TS segment and transmuxes
  // it; the page appends. The segment list is the bundled HLS playlist's, read here.
  mpegts: {
    script: "/players/mpegts.js",
    fetchesInWorker: true,
    prepare(video, query, fail) {
      return fetch(`/hls/index.m3u8?${query}`)
        .then((response) => response.text())
        .then((playlist) => {
          const segments = playlistSegments(playlist, location.origin + "/hls/");
          const player = mpegts.createPlayer(
            { type: "mpegts", isLive: false, segments, duration: segments.reduce((sum, s) => sum + s.duration, 0) },
            { enableWorker: true },
          );
          player.on(mpegts.Events.ERROR, (type, detail) => fail(`mpegts.js: ${type} ${detail}`));
          player.attachMediaElement(video);
          return () => player.load();
        });
    },
  },
};

// An HLS media playlist's segments as mpegts.js takes them: {url, duration in ms}.
function playlistSegments(text, base) {
  const segments = [];
  let duration = null;
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (line.startsWith("#EXTINF:")) duration = Number.parseFloat(line.slice(8)) * 1000;
    else if (line && !line.startsWith("#")) segments.push({ url: new URL(line, base).href, duration });
  }
  return segments;
}

function describe(error) {
  if (!error) return "no detail";
  return error.message || error.code || String(error);
}
