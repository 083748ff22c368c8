"""A user's app that plays an HLS stream with hls.js, as the field's pages do: the npm
bundle with its default settings (segments fetched with XMLHttpRequest, transmuxed in a
worker, appended to Media Source Extensions buffers), while the page holds ``FEEDS`` live
feeds open, each an event stream. No event names a segment: the player fetches them itself.
"""

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from playgate.fixtures.generate import ensure_media
from playgate.fixtures.segments import ensure_hls
from playgate.server.players import ensure_player

FEEDS = 5
HLS = ensure_hls(ensure_media())
HLS_JS = ensure_player("hls") / "hls.min.js"

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>hls avatar</title></head><body>
<video id="avatar" muted autoplay playsinline></video>
<script src="/static/hls.min.js"></script>
<script>
for (let i = 0; i < FEEDS; i++) new EventSource("/live/feed/" + i);
const video = document.getElementById("avatar");
const hls = new Hls();
hls.loadSource("/hls/index.m3u8");
hls.attachMedia(video);
</script></body></html>""".replace("FEEDS", str(FEEDS))


async def page(request: Request) -> Response:
    return HTMLResponse(PAGE)


async def feed(request: Request) -> Response:
    async def heartbeats():
        while True:
            yield b": live\n\n"
            await asyncio.sleep(1.0)

    return StreamingResponse(heartbeats(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


async def hls_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name == HLS.playlist:
        return FileResponse(HLS.folder / name, media_type="application/vnd.apple.mpegurl")
    if name not in HLS.segment_names:
        return Response(status_code=404)
    return FileResponse(HLS.folder / name, media_type="video/mp2t")


app = Starlette(
    routes=[
        Route("/", page),
        Route("/live/feed/{index:int}", feed),
        Route("/hls/{name}", hls_file),
        Route("/static/hls.min.js", lambda request: FileResponse(HLS_JS, media_type="text/javascript")),
    ]
)
