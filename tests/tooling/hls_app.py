"""A user's app that plays an HLS stream with hls.js, as the field's pages do: the npm
bundle with its default settings (segments fetched with XMLHttpRequest, transmuxed in a
worker, appended to Media Source Extensions buffers), while the page holds ``FEEDS`` live
feeds open, each an event stream. No event names a segment: the player fetches them itself.

A fault for the stall tests: ``/?delay_segment=3&delay_ms=5000`` has the server hold that
segment's response (the page passes its query on to the playlist, which passes it to
that segment's URL).
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
hls.loadSource("/hls/index.m3u8" + location.search);
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
        playlist = (HLS.folder / name).read_text()
        delayed = request.query_params.get("delay_segment")
        if delayed is not None:
            segment = HLS.segment_names[int(delayed)]
            playlist = playlist.replace(segment, f"{segment}?delay_ms={int(request.query_params['delay_ms'])}")
        return Response(playlist, media_type="application/vnd.apple.mpegurl")
    if name not in HLS.segment_names:
        return Response(status_code=404)
    await asyncio.sleep(int(request.query_params.get("delay_ms", "0")) / 1000)
    return FileResponse(HLS.folder / name, media_type="video/mp2t")


app = Starlette(
    routes=[
        Route("/", page),
        Route("/live/feed/{index:int}", feed),
        Route("/hls/{name}", hls_file),
        Route("/static/hls.min.js", lambda request: FileResponse(HLS_JS, media_type="text/javascript")),
    ]
)
