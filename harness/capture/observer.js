// Injected before any script of a page that is not the bundled player (--url, --app).
// It watches what the page's own code does, and changes none of it:
//   - every event the page's listeners receive from an EventSource whose URL matches
//     the SSE pattern (time, type, data), when the first listener sees it;
//   - every text message a WebSocket whose URL matches the WebSocket pattern receives
//     (chunks announced over a WebSocket rather than an event stream);
//   - every media element whose source matches the chunk pattern: loadstart,
//     loadeddata, the first presented frame (requestVideoFrameCallback), error;
//   - every fetch() and XMLHttpRequest whose URL matches it, and every SourceBuffer
//     append (Media Source Extensions players).
// Times are performance.now() ms, as the bundled player reports them.
// It is given PLAYGATE_CONFIG = {state, chunkPattern, ssePattern, wsPattern, live} (capture/observer.py),
// and keeps its record in window[PLAYGATE_CONFIG.state].
(() => {
  if (window[PLAYGATE_CONFIG.state]) return;
  const chunkPattern = new RegExp(PLAYGATE_CONFIG.chunkPattern);
  const ssePattern = PLAYGATE_CONFIG.ssePattern ? new RegExp(PLAYGATE_CONFIG.ssePattern) : null;
  const wsPattern = PLAYGATE_CONFIG.wsPattern ? new RegExp(PLAYGATE_CONFIG.wsPattern) : null;
  const state = { events: [], chunks: [], byUrl: new Map(), errors: [] };
  window[PLAYGATE_CONFIG.state] = state;
  // --live: tell the harness as it happens (a binding it exposed; the reply is not awaited).
  const live = (kind, detail) => {
    const tell = PLAYGATE_CONFIG.live && window[PLAYGATE_CONFIG.live];
    if (tell) tell(kind, detail).catch(() => {});
  };

  // --- the event stream -------------------------------------------------------------
  const seen = new WeakSet();
  const note = (source, event) => {
    if (seen.has(event)) return;
    seen.add(event);
    if (ssePattern && !ssePattern.test(source.url)) return;
    const data = typeof event.data === "string" ? event.data.slice(0, 8192) : "";
    state.events.push({ ms: performance.now(), type: event.type, data });
    live("sse", { type: event.type, data });
  };
  const Source = window.EventSource;
  if (Source) {
    const wrappers = new WeakMap();
    const wrap = (listener) => {
      if (!wrappers.has(listener)) {
        wrappers.set(listener, function (event) {
          if (event.type !== "open" && event.type !== "error") note(event.target, event);
          return typeof listener === "function" ? listener.call(this, event) : listener.handleEvent(event);
        });
      }
      return wrappers.get(listener);
    };
    const add = Source.prototype.addEventListener;
    const remove = Source.prototype.removeEventListener;
    Source.prototype.addEventListener = function (type, listener, options) {
      return add.call(this, type, listener ? wrap(listener) : listener, options);
    };
    Source.prototype.removeEventListener = function (type, listener, options) {
      return remove.call(this, type, (listener && wrappers.get(listener)) || listener, options);
    };
    const onmessage = Object.getOwnPropertyDescriptor(Source.prototype, "onmessage");
    if (onmessage && onmessage.set) {
      Object.defineProperty(Source.prototype, "onmessage", {
        configurable: true,
        get() { return this.__playgateOnmessage ?? null; },
        set(listener) {
          this.__playgateOnmessage = listener;
          onmessage.set.call(this, typeof listener === "function" ? wrap(listener) : listener);
        },
      });
    }
  }

  // --- a WebSocket that announces chunks ---------------------------------------------
  // A listener added as the socket is made runs before any the page adds: the message is
  // noted when the page's first listener sees it, as an event stream's is. Binary messages
  // name no URL the page could read without decoding them: only text is kept.
  const PageSocket = window.WebSocket;
  if (PageSocket) {
    const Watched = class WebSocket extends PageSocket {
      constructor(...args) {
        super(...args);
        if (wsPattern && !wsPattern.test(this.url)) return;
        this.addEventListener("message", (event) => {
          if (typeof event.data !== "string") return;
          const data = event.data.slice(0, 8192);
          state.events.push({ ms: performance.now(), type: "websocket", data });
          live("ws", { type: "websocket", data });
        });
      }
    };
    window.WebSocket = Watched;
  }

  // --- the chunks -------------------------------------------------------------------
  const chunkFor = (element) => {
    const url = element.currentSrc || element.src;
    if (!url || !chunkPattern.test(url)) return null;
    let chunk = state.byUrl.get(url);
    if (!chunk) {
      chunk = { index: state.chunks.length, url, loadstart_ms: null, loadeddata_ms: null,
                first_frame_ms: null, error: null };
      state.byUrl.set(url, chunk);
      state.chunks.push(chunk);
    }
    return chunk;
  };
  const watched = new WeakSet();
  const onMedia = (event) => {
    const element = event.target;
    if (!(element instanceof HTMLMediaElement)) return;
    const chunk = chunkFor(element);
    if (!chunk) return;
    const now = performance.now();
    if (event.type === "loadstart" && chunk.loadstart_ms === null) {
      chunk.loadstart_ms = now;
      live("loadstart", { url: chunk.url });
      if (element.requestVideoFrameCallback) {
        element.requestVideoFrameCallback(() => {
          if (chunk.first_frame_ms !== null) return;
          chunk.first_frame_ms = performance.now();
          live("frame", { url: chunk.url });
        });
      }
    } else if (event.type === "loadeddata" && chunk.loadeddata_ms === null) {
      chunk.loadeddata_ms = now;
      live("loadeddata", { url: chunk.url });
    } else if (event.type === "error" && chunk.error === null) {
      const error = element.error;
      chunk.error = error ? `media error ${error.code}${error.message ? ": " + error.message : ""}` : "media error";
      live("error", { url: chunk.url, error: chunk.error });
    }
  };
  const watch = (element) => {
    if (watched.has(element)) return;
    watched.add(element);
    for (const type of ["loadstart", "loadeddata", "error"]) element.addEventListener(type, onMedia);
  };
  // Elements in the document: capture at the window. Detached ones (new Audio/Video()):
  // from the moment a source is set or load() is called.
  for (const type of ["loadstart", "loadeddata", "error"]) window.addEventListener(type, onMedia, true);
  const media = HTMLMediaElement.prototype;
  const src = Object.getOwnPropertyDescriptor(media, "src");
  Object.defineProperty(media, "src", {
    configurable: true,
    get() { return src.get.call(this); },
    set(value) { watch(this); src.set.call(this, value); },
  });
  const load = media.load;
  media.load = function () { watch(this); return load.call(this); };
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLMediaElement && String(name).toLowerCase() === "src") watch(this);
    return setAttribute.call(this, name, value);
  };

  // --- what a Media Source Extensions player does: its fetches and its appends ---------
  // Such a player fetches each segment itself (in the page, or in a worker, which this
  // script cannot see: the browser's network record can) and appends its bytes, often
  // transmuxed, split into audio and video, or in pieces, to SourceBuffers. The harness
  // matches appends to downloads (capture/appends.py); here they are only recorded.
  state.fetches = [];
  const fetched = (input) => {
    let url;
    try { url = new URL(input instanceof Request ? input.url : String(input), location.href).href; } catch { return; }
    if (!chunkPattern.test(url)) return;
    state.fetches.push({ url, ms: performance.now() });
  };
  const pageFetch = window.fetch;
  if (pageFetch) {
    window.fetch = function (input, init) {
      fetched(input);
      return pageFetch.apply(this, arguments);
    };
  }
  const xhr = XMLHttpRequest.prototype;
  const open = xhr.open, send = xhr.send;
  xhr.open = function (method, url) { this.__playgateUrl = url; return open.apply(this, arguments); };
  xhr.send = function () { if (this.__playgateUrl !== undefined) fetched(this.__playgateUrl); return send.apply(this, arguments); };

  state.appends = [];
  // The media time an append added: the buffered range it made or grew, from where that
  // range ended before (a range it made: from its start) to its end.
  const ranges = (buffer) => {
    const found = [];
    try { for (let i = 0; i < buffer.buffered.length; i++) found.push([buffer.buffered.start(i), buffer.buffered.end(i)]); } catch {}
    return found;
  };
  const added = (before, after) => {
    const grown = after.filter(([s, e]) => !before.some(([s0, e0]) => s0 === s && e0 === e));
    if (!grown.length) return [null, null];
    const [start, end] = grown[grown.length - 1];
    const extended = before.find(([s0, e0]) => s0 === start || (e0 > start && e0 <= end));
    return [extended ? extended[1] : start, end];
  };
  // An MP4 init segment: top-level boxes with a moov and no moof or mdat (no media in it).
  // Told from the bytes, not from the buffered ranges: Firefox can report an append's range
  // only after its updateend.
  const isInitSegment = (data) => {
    if (!data) return false;
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0, moov = false;
    while (at + 8 <= bytes.length) {
      const size = view.getUint32(at);
      const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
      if (type === "moof" || type === "mdat") return false;
      if (type === "moov") moov = true;
      if (size < 8) break; // 0 (to the end) or 1 (64-bit): nothing a small init uses
      at += size;
    }
    return moov;
  };
  const Buffer = window.SourceBuffer;
  if (Buffer) {
    const appendBuffer = Buffer.prototype.appendBuffer;
    Buffer.prototype.appendBuffer = function (data) {
      const append = { ms: performance.now(), end_ms: null, bytes: data ? data.byteLength : 0,
                       start_s: null, end_s: null, init: isInitSegment(data) };
      state.appends.push(append);
      const before = ranges(this);
      // Firefox can show an append's range only after its updateend: look again when
      // this buffer is next appended to (before that append) or, if none is, a moment later.
      const look = () => {
        if (append.start_s === null) [append.start_s, append.end_s] = added(before, ranges(this));
      };
      if (this.__playgateLookAgain) this.__playgateLookAgain();
      this.__playgateLookAgain = look;
      this.addEventListener("updateend", () => {
        append.end_ms = performance.now();
        look();
        if (append.start_s === null) setTimeout(() => this.__playgateLookAgain === look && look(), 100);
        live("append", { url: "", bytes: append.bytes });
      }, { once: true });
      return appendBuffer.apply(this, arguments);
    };
  }

})();
