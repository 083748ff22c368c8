"""A user's page whose event stream queues behind its own preloading videos.

The page starts six idle-loop videos with ``preload="auto"`` from a slow origin (each file
sent at a bounded rate, so each holds its connection about a second) and, once they are all
loading, opens the event stream that announces the chunks. Over HTTP/1.1 the six connections per host are all held
by the idle clips: the event stream waits for one of them, and every chunk comes that much
later while each chunk's own wait looks small. Over h2 they share one connection.
"""

import asyncio
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from playgate.fixtures.generate import ensure_media
from playgate.server.media import PacedFileResponse

CHUNKS = 3
IDLE_CLIPS = 6
IDLE_BYTES_PER_S = 96 * 1024  # a chunk file (about 100 KB) takes about a second
FIRST_AFTER_MS = 300  # stream first: the idle clips are on the network by then
MEDIA = ensure_media()

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>avatar, idle loops first</title></head><body>
<script>
const loading = [];
for (let i = 0; i < IDLE_CLIPS; i++) {
  const idle = document.createElement("video");
  idle.muted = true;
  idle.preload = "auto";
  loading.push(new Promise((resolve) => idle.addEventListener("progress", resolve, { once: true })));
  idle.src = "/idle/" + i + ".mp4";
  document.body.appendChild(idle);
}
Promise.all(loading).then(() => {
  const live = new EventSource("/live/feed");
  live.addEventListener("chunk", (message) => {
    const video = document.createElement("video");
    video.muted = true;
    video.src = JSON.parse(message.data).url;
    document.body.appendChild(video);
  });
});
</script></body></html>""".replace("IDLE_CLIPS", str(IDLE_CLIPS))


# The everyday shape of a user's page: the event stream opens first; five idle clips then
# preload beside it, and the first chunk is announced once they are all loading. Over
# HTTP/1.1 chunk 0 waits for one of six connections held by the event stream and the clips.
STREAM_FIRST_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>avatar, stream first</title></head><body>
<script>
const live = new EventSource("/live/feed?first_after_ms=FIRST_AFTER_MS");
live.addEventListener("open", () => {
  for (let i = 0; i < IDLE_CLIPS - 1; i++) {
    const idle = document.createElement("video");
    idle.muted = true;
    idle.preload = "auto";
    idle.src = "/idle/" + i + ".mp4";
    document.body.appendChild(idle);
  }
}, { once: true });
live.addEventListener("chunk", (message) => {
  const video = document.createElement("video");
  video.muted = true;
  video.src = JSON.parse(message.data).url;
  document.body.appendChild(video);
});
</script></body></html>""".replace("IDLE_CLIPS", str(IDLE_CLIPS)).replace("FIRST_AFTER_MS", str(FIRST_AFTER_MS))


async def page(request: Request) -> Response:
    return HTMLResponse(PAGE)


async def stream_first_page(request: Request) -> Response:
    return HTMLResponse(STREAM_FIRST_PAGE)


async def feed(request: Request) -> Response:
    first_after_ms = int(request.query_params.get("first_after_ms", "0"))

    async def messages():
        yield b": open\n\n"
        await asyncio.sleep(first_after_ms / 1000)
        for index in range(CHUNKS):
            yield f"event: chunk\ndata: {json.dumps({'url': f'/media/seg-{index}.mp4'})}\n\n".encode()
            await asyncio.sleep(0.2)
        while True:  # held open, as a live feed is
            await asyncio.sleep(1.0)
            yield b": keep-alive\n\n"

    return StreamingResponse(messages(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


async def idle(request: Request) -> Response:
    index = int(request.path_params["index"]) % len(MEDIA.chunk_names)
    return PacedFileResponse(MEDIA.chunk_path(index), bytes_per_second=IDLE_BYTES_PER_S, media_type="video/mp4")


async def segment(request: Request) -> Response:
    index = int(request.path_params["index"])
    if not 0 <= index < len(MEDIA.chunk_names):
        return Response(status_code=404)
    return FileResponse(MEDIA.chunk_path(index), media_type="video/mp4")


app = Starlette(
    routes=[
        Route("/", page),
        Route("/stream-first", stream_first_page),
        Route("/live/feed", feed),
        Route("/idle/{index:int}.mp4", idle),
        Route("/media/seg-{index:int}.mp4", segment),
    ]
)
