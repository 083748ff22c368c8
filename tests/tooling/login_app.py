"""A user's avatar app of the shape the field has: sign in first, click "Start", then an idle
loop plays while a WebSocket announces the clips the avatar speaks.

- ``/`` is a sign-in form; it posts to ``/login``, which sets a session cookie and sends the
  browser on to ``/avatar``. ``/avatar``, the WebSocket and the clips need that cookie or
  an ``Authorization: Bearer demo-token`` header (without either ``/avatar`` goes back to
  the form, the rest refuse).
- ``/avatar`` is sent in two parts, as a server that streams its page sends it: the "Start"
  button, then, SCRIPT_AFTER_S later, the script that listens for its click. A click made
  before the document is parsed is lost (a setup step runs once it is).
- ``/avatar`` waits for a click on "Start": then it plays the idle loop (``/idle/loop.mp4``,
  sent at a bounded rate, as a real network sends a larger file, its last bytes held until
  0.4 s after the session's first clip is named) and opens ``/ws/talk``,
  whose text messages name each clip (``{"clip": "/clips/seg-0.mp4"}``) after a short pause.

Over HTTP/1.1 the idle loop holds one of the browser's six connections to the host; five
idle preloads (``--pressure media:5 --pressure-media /idle/loop.mp4``) hold the rest, and
the first clip waits for one of them. Over h2 they share one connection.
"""

import asyncio
import json
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from playgate.fixtures.generate import ensure_media
from playgate.server.media import PacedFileResponse
from tests.tooling.sample_app import segment

CLIPS = 3
SESSION = "avatar-session"
USER, PASSWORD = "demo", "avatar"
TOKEN = "demo-token"
IDLE_BYTES_PER_S = 96 * 1024  # a clip file (about 100 KB) takes about a second
FIRST_CLIP_AFTER_S = 0.3  # the idle loop and any preloads are on the network by then
SCRIPT_AFTER_S = 0.3  # the avatar page's script, after its button
MEDIA = ensure_media()

SIGN_IN = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<form method="post" action="/login">
  <input id="user" name="user"> <input id="password" name="password" type="password">
  <button id="sign-in" type="submit">Sign in</button>
</form></body></html>"""

AVATAR = (
    """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Avatar</title></head><body>
<button id="start">Start</button>
""",
    """<script>
document.getElementById("start").addEventListener("click", () => {
  const idle = document.createElement("video");
  idle.muted = true;
  idle.loop = true;
  idle.preload = "auto";
  idle.src = "/idle/loop.mp4";
  document.body.appendChild(idle);
  const talk = new WebSocket(`wss://${location.host}/ws/talk`);
  talk.onmessage = (message) => {
    const clip = document.createElement("video");
    clip.muted = true;
    clip.src = JSON.parse(message.data).clip;
    document.body.appendChild(clip);
  };
}, { once: true });
</script></body></html>""",
)


def signed_in(request: Request | WebSocket) -> bool:
    """A session cookie from the form, or an API token (a test client's header)."""
    return request.cookies.get(SESSION) == "ok" or request.headers.get("authorization") == f"Bearer {TOKEN}"


async def sign_in_form(request: Request) -> Response:
    return HTMLResponse(SIGN_IN)


async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode())  # no multipart parser needed for a urlencoded form
    if form.get("user") != [USER] or form.get("password") != [PASSWORD]:
        return HTMLResponse(SIGN_IN, status_code=401)
    response = RedirectResponse("/avatar", status_code=303)
    response.set_cookie(SESSION, "ok", secure=True, httponly=True, samesite="strict")
    return response


async def avatar(request: Request) -> Response:
    if not signed_in(request):
        return RedirectResponse("/login", status_code=303)

    async def button_then_script():
        button, script = AVATAR
        yield button.encode()
        await asyncio.sleep(SCRIPT_AFTER_S)
        yield script.encode()

    return StreamingResponse(button_then_script(), media_type="text/html; charset=utf-8")


async def talk(websocket: WebSocket) -> None:
    if not signed_in(websocket):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    await asyncio.sleep(FIRST_CLIP_AFTER_S)
    async with _clip_named:
        _first_clips.append(asyncio.get_running_loop().time())
        _clip_named.notify_all()
    for index in range(CLIPS):
        await websocket.send_text(json.dumps({"clip": f"/clips/seg-{index}.mp4"}))
        await asyncio.sleep(0.2)
    await websocket.receive()  # held open until the page goes, as a live session is


async def unfinished(request: Request) -> Response:
    """A page whose document never ends (a server stuck mid-page): the button, then nothing,
    for as long as a test waits (a minute at most)."""

    async def button_then_nothing():
        yield AVATAR[0].encode()
        for _ in range(600):
            await asyncio.sleep(0.1)

    return StreamingResponse(button_then_nothing(), media_type="text/html; charset=utf-8")


class HeldIdleLoop(PacedFileResponse):
    """The idle loop, paced, and its last bytes held until RELEASE_AFTER_S after the first clip
    of the session it began in was named: a preload of a larger file holds its connection
    that long whenever the page's click came. A paced download alone ended about a second
    after it began, and a click made late on a busy machine then found every connection free."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        began = asyncio.get_running_loop().time()

        async def held(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                await clip_named_since(began)
            await send(message)

        await super().__call__(scope, receive, held)


RELEASE_AFTER_S = 0.4  # as the bundled page's holders: a queue of eight times the limit
HELD_AT_MOST_S = 3.0  # and never longer: a session that names no clip does not keep it
_first_clips: list[float] = []  # loop time at which each session named its first clip
_clip_named = asyncio.Condition()


async def clip_named_since(began: float) -> None:
    """Returns RELEASE_AFTER_S after the first clip named since ``began``, or at the latest
    HELD_AT_MOST_S after ``began``."""
    loop = asyncio.get_running_loop()
    try:
        async with _clip_named:
            await asyncio.wait_for(
                _clip_named.wait_for(lambda: any(at >= began for at in _first_clips)),
                timeout=began + HELD_AT_MOST_S - loop.time(),
            )
    except TimeoutError:
        return
    named = next(at for at in _first_clips if at >= began)
    await asyncio.sleep(min(named + RELEASE_AFTER_S, began + HELD_AT_MOST_S) - loop.time())


async def idle(request: Request) -> Response:
    return HeldIdleLoop(MEDIA.chunk_path(0), bytes_per_second=IDLE_BYTES_PER_S, media_type="video/mp4")


async def clip(request: Request) -> Response:
    if not signed_in(request):
        return Response(status_code=403)
    return await segment(request)  # a user's clip, served as the sample app serves its segments


app = Starlette(
    routes=[
        Route("/", sign_in_form),
        Route("/login", sign_in_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/avatar", avatar),
        Route("/unfinished", unfinished),
        WebSocketRoute("/ws/talk", talk),
        Route("/idle/loop.mp4", idle),
        Route("/clips/seg-{index:int}.mp4", clip),
    ]
)


def sign_in_and_start(page) -> None:
    """The test's setup step (``--setup tests.tooling.login_app:sign_in_and_start``)."""
    page.fill("#user", USER)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url("**/avatar")
    page.click("#start")


def start(page) -> None:
    """The setup step of a session already signed in (a storage state, a token header)."""
    page.click("#start")
