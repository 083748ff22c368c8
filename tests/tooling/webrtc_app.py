"""A user's WebRTC avatar page, for ``playgate run --app ... --webrtc-s``: its own code makes
an RTCPeerConnection and plays a WHEP endpoint named in its query (``?whep=URL``), the way
avatar SDKs do: offer, wait for the candidates, POST, answer. Nothing of playgate's is in it."""

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>webrtc avatar</title></head><body>
<video id="avatar" autoplay muted playsinline></video>
<script>
async function start() {
  const endpoint = new URLSearchParams(location.search).get("whep");
  const peer = new RTCPeerConnection();
  peer.addTransceiver("video", { direction: "recvonly" });
  peer.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  peer.ontrack = (event) => {
    stream.addTrack(event.track);
    document.getElementById("avatar").srcObject = stream;
  };
  await peer.setLocalDescription(await peer.createOffer());
  await new Promise((done) => {
    if (peer.iceGatheringState === "complete") return done();
    peer.onicegatheringstatechange = () => peer.iceGatheringState === "complete" && done();
  });
  const answer = await fetch(endpoint, {
    method: "POST", headers: { "Content-Type": "application/sdp" }, body: peer.localDescription.sdp,
  });
  await peer.setRemoteDescription({ type: "answer", sdp: await answer.text() });
}
start();
</script></body></html>"""


async def page(request):
    return HTMLResponse(PAGE)


app = Starlette(routes=[Route("/", page)])
