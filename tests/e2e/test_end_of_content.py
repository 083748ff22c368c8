"""The end of the content is the end, not a stall: a Media Source whose player never calls
endOfStream (as dash.js at times does not) waits at the last frame the manifest declares.
That wait must not count as a stall, nor keep the run from settling; a wait with content
still to come must."""

import pytest

from playgate.capture.playback import PLAYBACK_SCRIPT, SETTLED_JS
from playgate.page_contract import PLAYBACK_STATE

pytestmark = pytest.mark.browser

# Appends the init segment and the first ``appended`` fragments of the bundled fragmented
# stream (a second each), declares ``declared`` seconds (null: the end of what was appended,
# as a manifest for just those would), plays, and never ends the stream. (The appends alone
# leave the duration infinite: a fragmented stream's init segment does not know its length.)
PLAY_FRAGMENTS_JS = """async ([codecs, appended, declared]) => {
  const video = document.createElement("video");
  video.muted = true;
  video.addEventListener("playing", () => {
    video.addEventListener("waiting", () => (window.waitedAt = video.currentTime), { once: true });
  }, { once: true });
  document.body.append(video);
  const source = new MediaSource();
  video.src = URL.createObjectURL(source);
  await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
  const buffer = source.addSourceBuffer(`video/mp4; codecs="${codecs}"`);
  const names = ["init.mp4", ...Array.from({ length: appended }, (_, i) => `frag-00${i}.m4s`)];
  for (const name of names) {
    const bytes = await (await fetch(`/dash/${name}`)).arrayBuffer();
    buffer.appendBuffer(bytes);
    await new Promise((resolve) => buffer.addEventListener("updateend", resolve, { once: true }));
  }
  source.duration = declared ?? buffer.buffered.end(buffer.buffered.length - 1);
  await video.play();
}"""


@pytest.mark.parametrize(
    ("appended", "declared", "stalled"),
    [(1, None, False), (1, 2.5, True)],
    ids=["at-the-declared-end", "with-a-second-still-to-come"],
)
def test_a_wait_at_the_end_of_the_declared_content_is_no_stall(
    playgate_browser, playgate_server, appended, declared, stalled
):
    server = playgate_server("h2")
    context = playgate_browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        page.add_init_script(PLAYBACK_SCRIPT)
        page.goto(server.base_url + "/health")
        codecs = page.evaluate("() => fetch('/dash/manifest.mpd').then((r) => r.text())")
        codecs = codecs.split('codecs="', 1)[1].split('"', 1)[0]
        page.evaluate(PLAY_FRAGMENTS_JS, [codecs, appended, declared])
        waited_at = page.wait_for_function("() => window.waitedAt", timeout=15_000).json_value()
        playback = page.evaluate(f"() => window.{PLAYBACK_STATE}")
        settled = page.evaluate(f"() => {SETTLED_JS}")
    finally:
        context.close()
    assert appended - 0.3 < waited_at < appended + 0.3  # the video waited at the end of its data
    assert (len(playback["stalls"]) == 1, not settled) == (stalled, stalled), playback["stalls"]
