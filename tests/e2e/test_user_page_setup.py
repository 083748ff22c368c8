"""A user's page that needs a sign-in and a "Start" click before anything plays, whose clips
are announced over a WebSocket (tests/tooling/login_app.py), gated as it is: the setup step
(a function of the page, a storage state, a header) runs before measuring, and the field
report's pressure (five idle preloads of the page's own media) applies to it as it does to
the bundled page. Over h2 it passes; over HTTP/1.1 its first clip waits for a connection."""

import json

import pytest

from playgate.entrypoints.assertions import assert_gate_fails, assert_gate_passes
from tests.tooling import login_app

pytestmark = pytest.mark.browser

LOGIN_APP = dict(
    app="tests.tooling.login_app:app",
    chunk_pattern="/clips/",
    chunks=login_app.CLIPS,
    pressure="media:5",
    pressure_media="/idle/loop.mp4",
)


class TestSignedInByTheSetupFixture:
    @pytest.fixture
    def playgate_setup(self):
        return login_app.sign_in_and_start

    def test_after_signing_in_h2_passes_with_every_clip_named_by_a_websocket_message(self, playgate_run):
        judged = playgate_run(mode="h2", **LOGIN_APP)
        assert_gate_passes(judged)
        run = judged.run
        assert run.url.endswith("/") and run.pressure == "media:5"
        assert [c.protocol for c in run.chunks] == ["h2"] * login_app.CLIPS
        # Each clip's event is the WebSocket message that named it: its load time is known.
        assert all(c.page.event_ms is not None and c.load_ms is not None for c in run.chunks), run.chunks
        holders = [r for r in run.requests if "playgate-holder=" in r.url]
        assert len({r.url for r in holders}) == 5, [r.url for r in holders]

    def test_over_http1_the_first_clip_waits_for_one_of_six_connections(self, playgate_run):
        judged = playgate_run(mode="h1-tls", **LOGIN_APP)
        assert_gate_fails(judged, "queueing")
        assert_gate_fails(judged, "protocol")
        wait = judged.verdict.waits[0]
        assert wait.cause == "connections" and wait.limit == 6, wait
        assert any("/idle/loop.mp4" in holder for holder in wait.holders), wait.holders

    def test_other_tabs_of_the_page_are_in_the_run_but_lend_it_no_chunk(self, playgate_run):
        judged = playgate_run(mode="h2", **dict(LOGIN_APP, pressure="tabs:3", pressure_media=None))
        assert_gate_passes(judged)
        # Each tab opened the page (its sign-in form, as it was not set up): the run sees their
        # requests, and the chunks are the measured page's own.
        documents = [r for r in judged.run.requests if r.url.rstrip("/") == judged.run.url.rstrip("/")]
        assert len(documents) == 4, [r.url for r in judged.run.requests]
        assert all(c.network is not None for c in judged.run.chunks), judged.run.chunks


def test_a_storage_state_and_a_header_each_stand_for_the_sign_in(playgate_run, tmp_path):
    state = tmp_path / "signed-in.json"
    cookie = {"name": login_app.SESSION, "value": "ok", "domain": "127.0.0.1", "path": "/"}
    cookie |= {"expires": -1, "httpOnly": True, "secure": True, "sameSite": "Strict"}
    state.write_text(json.dumps({"cookies": [cookie], "origins": []}))
    common = dict(LOGIN_APP, app_path="/avatar", setup="tests.tooling.login_app:start", pressure="none")
    del common["pressure_media"]
    by_cookie = playgate_run(mode="h2", storage_state=str(state), **common)
    assert_gate_passes(by_cookie)
    by_header = playgate_run(mode="h2", header=[f"Authorization: Bearer {login_app.TOKEN}"], **common)
    assert_gate_passes(by_header)


def test_a_page_left_at_its_sign_in_form_says_how_to_sign_in(playgate_run):
    unsigned = {k: v for k, v in LOGIN_APP.items() if k not in ("pressure", "pressure_media")}
    judged = playgate_run(mode="h2", app_path="/avatar", timeout=1.5, **unsigned)
    assert not judged.verdict.passed
    assert any("--storage-state" in note and "playgate_setup" in note for note in judged.run.notes), judged.run.notes


def test_a_setup_waits_for_the_document_and_a_document_never_parsed_is_one_error(playgate_run):
    # /avatar sends its script after its button, as a streamed page does: the click above
    # reached the script's listener because the setup waited for the document (DOMContentLoaded).
    # A document that never ends cannot be set up: one line that fails the test, in its time.
    setup = {k: v for k, v in LOGIN_APP.items() if k not in ("pressure", "pressure_media")}
    parsed = r"playgate: https://\S+/unfinished: the page's document was not parsed within 1.5 s, so its setup did not"
    with pytest.raises(pytest.fail.Exception, match=parsed):
        playgate_run(mode="h2", app_path="/unfinished", setup="tests.tooling.login_app:start", timeout=1.5, **setup)
