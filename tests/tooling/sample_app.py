"""A small ASGI app of a user's own, for ``playgate run --app`` and ``--url`` tests.

Its layout is not the bundled player's: the page listens with ``onmessage`` to unnamed
events at ``/live/feed``, each naming a segment under ``/media/``, and plays each in a
<video> it creates. ``app_without_events`` has no event stream: the page loads the
segments on its own (the gate then has no event to time loads from).
"""

import asyncio
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from playgate.fixtures.generate import ensure_media

SEGMENTS = 3
MEDIA = ensure_media()

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>sample avatar</title></head><body>
<script>
const feed = new EventSource("/live/feed");
feed.onmessage = (message) => {
  const segment = JSON.parse(message.data).segment;
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  video.src = segment;
  document.body.appendChild(video);
};
</script></body></html>"""

PAGE_WITHOUT_EVENTS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><script>
for (let i = 0; i < SEGMENTS; i++) {
  const video = document.createElement("video");  // detached, never in the document
  video.muted = true;
  video.preload = "auto";
  video.src = "/media/seg-" + i + ".mp4";
}
</script></body></html>""".replace("SEGMENTS", str(SEGMENTS))


async def page(request: Request) -> Response:
    return HTMLResponse(PAGE)


async def feed(request: Request) -> Response:
    async def messages():
        for index in range(SEGMENTS):
            yield f"data: {json.dumps({'segment': f'/media/seg-{index}.mp4'})}\n\n".encode()
            await asyncio.sleep(0.2)
        while True:  # held open, as a live feed is
            await asyncio.sleep(1.0)
            yield b": keep-alive\n\n"

    return StreamingResponse(messages(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


async def segment(request: Request) -> Response:
    index = int(request.path_params["index"])
    if not 0 <= index < len(MEDIA.chunk_names):
        return Response(status_code=404)
    return FileResponse(MEDIA.chunk_path(index), media_type="video/mp4")


app = Starlette(routes=[Route("/", page), Route("/live/feed", feed), Route("/media/seg-{index:int}.mp4", segment)])
app_without_events = Starlette(
    routes=[Route("/", lambda request: HTMLResponse(PAGE_WITHOUT_EVENTS)), Route("/media/seg-{index:int}.mp4", segment)]
)


async def segment_lost(request: Request) -> Response:
    raise FileNotFoundError(f"segment {request.path_params['index']} was never written")


# A regression of the app itself: a segment's route raises (Starlette answers 500 and the
# exception goes on to the server, which logs it).
app_losing_segments = Starlette(
    routes=[Route("/", page), Route("/live/feed", feed), Route("/media/seg-{index:int}.mp4", segment_lost)]
)
