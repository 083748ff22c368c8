"""A user's app whose player fetches segments in a dedicated worker and appends them in the
page, as custom low-latency players (and mpegts.js in its worker mode) do."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from tests.tooling.hls_app import HLS

WORKER = """
onmessage = async (message) => {
  const [index, url] = message.data;
  const response = await fetch(url);
  postMessage([index, await response.arrayBuffer()]);
};
"""

# The page appends what the worker fetched (fragmented MP4: MPEG-TS is no Media Source type
# in these browsers, which is why hls.js transmuxes).
PAGE = """<!DOCTYPE html><html><body><video id="v" muted></video><script>
const worker = new Worker("/worker.js");
const source = new MediaSource();
document.getElementById("v").src = URL.createObjectURL(source);
source.addEventListener("sourceopen", () => {
  const buffer = source.addSourceBuffer('video/mp4; codecs="avc1.64001e, mp4a.40.2"');
  const queue = [];
  const next = () => {  // in the order they arrive; each file starts at 0 s, so placed at its second
    if (buffer.updating || !queue.length) return;
    const [index, data] = queue.shift();
    buffer.timestampOffset = index;
    buffer.appendBuffer(data);
  };
  buffer.addEventListener("updateend", next);
  worker.onmessage = (message) => { queue.push(message.data); next(); };
  for (let i = 0; i < 3; i++) worker.postMessage([i, "/fmp4/seg-00" + i + ".m4s"]);
});
</script></body></html>"""


async def segment(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in HLS.fmp4_names:
        return Response(status_code=404)
    return FileResponse(HLS.folder / name, media_type="video/mp4")


app = Starlette(
    routes=[
        Route("/", lambda request: HTMLResponse(PAGE)),
        Route("/worker.js", lambda request: Response(WORKER, media_type="text/javascript")),
        Route("/fmp4/{name}", segment),
    ]
)
