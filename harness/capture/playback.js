// Injected before any script of every page the gate opens: how its videos played.
// It watches and changes nothing:
//   - startup: the first frame any video presented (requestVideoFrameCallback), in page
//     time (navigation started at 0), and the first play() or autoplay before it;
//   - stalls: a video that had presented a frame and then waited for data ("waiting"
//     while not seeking and not at the end) until it played again ("playing"), with the
//     media position it stopped at and its source. The end is "ended", or a position within
//     END_OF_CONTENT_S of a finite duration: a player over Media Source Extensions may wait
//     there rather than end (dash.js counts 0.3 s or less ahead as a stall of its own);
//     the content the manifest declares has then all played, and nothing more is to come;
//   - each playing video's frames, presented and dropped (getVideoPlaybackQuality).
// Times are performance.now() ms. It is given PLAYGATE_CONFIG = {state} (capture/playback.py),
// and keeps its record in window[PLAYGATE_CONFIG.state].
(() => {
  if (window[PLAYGATE_CONFIG.state]) return;
  const END_OF_CONTENT_S = 0.3;
  const atTheEnd = (video) =>
    video.ended || (Number.isFinite(video.duration) && video.currentTime >= video.duration - END_OF_CONTENT_S);
  const state = { play_ms: null, first_frame_ms: null, stalls: [] };
  window[PLAYGATE_CONFIG.state] = state;
  const videos = [];
  const watched = new WeakMap();

  const track = (video) => {
    if (!(video instanceof HTMLVideoElement)) return null;
    let seen = watched.get(video);
    if (!seen) {
      seen = { index: videos.length, framed: false, seeking: false, stall: null };
      watched.set(video, seen);
      videos.push(video);
      for (const type of ["play", "waiting", "playing", "seeking", "seeked"]) video.addEventListener(type, onEvent);
    }
    return seen;
  };
  const awaitFrame = (video, seen) => {
    if (seen.framed || !video.requestVideoFrameCallback) return;
    video.requestVideoFrameCallback(() => {
      seen.framed = true;
      if (state.first_frame_ms === null) state.first_frame_ms = performance.now();
    });
  };
  const onEvent = (event) => {
    const video = event.target;
    const seen = track(video);
    if (!seen) return;
    const now = performance.now();
    if (event.type === "play") {
      seen.played = true;
      if (state.play_ms === null) state.play_ms = now;
      awaitFrame(video, seen);
    } else if (event.type === "seeking") {
      seen.seeking = true;
    } else if (event.type === "seeked") {
      seen.seeking = false;
    } else if (event.type === "waiting") {
      if (seen.framed && !seen.seeking && !atTheEnd(video) && seen.stall === null) {
        seen.stall = { video: seen.index, start_ms: now, end_ms: null, position_s: video.currentTime,
                       src: video.currentSrc || video.src || null };
        state.stalls.push(seen.stall);
      }
    } else if (event.type === "playing" && seen.stall !== null) {
      seen.stall.end_ms = now;
      seen.stall = null;
    }
  };
  // Videos in the document: their play events, captured at the window; detached ones
  // once the page calls play() on them.
  window.addEventListener("play", onEvent, true);
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    track(this);
    return play.apply(this, arguments);
  };

  // Settled: nothing played, or a frame was presented and no video is stalled now, or every
  // video told to play has left the document (a player that gave up: nothing to wait for).
  state.settled = () => state.play_ms === null ||
    (state.first_frame_ms !== null && !videos.some((video) => watched.get(video).stall !== null)) ||
    !videos.some((video) => watched.get(video).played && video.isConnected);
  state.quality = () => videos.filter((video) => watched.get(video).framed && video.getVideoPlaybackQuality)
    .map((video) => {
      const quality = video.getVideoPlaybackQuality();
      return { video: watched.get(video).index, total: quality.totalVideoFrames, dropped: quality.droppedVideoFrames };
    });
})();
