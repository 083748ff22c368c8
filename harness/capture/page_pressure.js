// Injected into a user's page (--url, --app) under --pressure media:N, after the observer.
// The field report's mechanism on the user's own page: N video elements preload a media
// file of the page's own origin (--pressure-media) beside whatever the page does, each
// holding an HTTP/1.1 connection while it downloads. They are let go holdMs after the page
// first asks for a chunk (the observer's record says when), as the bundled page lets go of
// its holders after its first chunk; a page that never asks keeps them until it unloads.
// It is given PLAYGATE_CONFIG = {observer, state, media, count, holdMs} (capture/app_page.py)
// and keeps its record in window[PLAYGATE_CONFIG.state].
(() => {
  if (window[PLAYGATE_CONFIG.state]) return;
  const record = { holders: PLAYGATE_CONFIG.count, started_ms: null, ready: 0, released_ms: null };
  window[PLAYGATE_CONFIG.state] = record;
  const videos = [];

  const hold = () => {
    record.started_ms = performance.now();
    for (let i = 0; i < PLAYGATE_CONFIG.count; i++) {
      const url = new URL(PLAYGATE_CONFIG.media, location.href);
      url.searchParams.set("playgate-holder", String(i)); // one download each: no shared cache entry
      const video = document.createElement("video");
      video.muted = true;
      video.preload = "auto";
      video.addEventListener("progress", () => record.ready++, { once: true });
      video.src = url.href; // detached from the document, as new Video() is: it loads all the same
      videos.push(video);
    }
    watchForFirstChunk();
  };

  const release = () => {
    record.released_ms = performance.now();
    for (const video of videos) {
      // Aborting the download closes its HTTP/1.1 connection, as a finished preload frees it.
      video.removeAttribute("src");
      video.load();
    }
  };

  const watchForFirstChunk = () => {
    const timer = setInterval(() => {
      const seen = window[PLAYGATE_CONFIG.observer];
      if (!seen || !(seen.chunks.length || (seen.fetches && seen.fetches.length))) return;
      clearInterval(timer);
      setTimeout(release, PLAYGATE_CONFIG.holdMs);
    }, 10);
  };

  hold(); // before the page's own scripts ask for anything
})();
