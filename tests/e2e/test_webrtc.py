"""WebRTC beyond the bundled page: a page of the user's own that makes its RTCPeerConnection to
a WHEP endpoint (--app with --webrtc-s), and the bundled page playing a WHEP endpoint of the
user's (--whep); judged in both browsers, the user's page both ways (caught when the
endpoint's UDP is blocked and no TURN server answers). The endpoints are the reference
server's, started here in their own namespaces."""

import os
from urllib.parse import quote

import pytest

from playgate.entrypoints.assertions import assert_gate_fails, assert_gate_passes
from playgate.fixtures.generate import ensure_media
from playgate.server.serving import serve
from playgate.server.settings import Mode, settings_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.geteuid() != 0, reason="the WebRTC server runs in a network namespace of its own (root)"),
]

USER_APP = "tests.tooling.webrtc_app:app"


@pytest.fixture(scope="module")
def endpoints():
    """A healthy WHEP endpoint, and one whose UDP is dropped with no TURN server to fall back on."""
    media = ensure_media()
    with (
        serve(settings_for(Mode.WEBRTC, media)) as healthy,
        serve(settings_for(Mode.WEBRTC_NO_TURN, media)) as blocked,
    ):
        yield {"healthy": f"{healthy.base_url}/whep", "blocked": f"{blocked.base_url}/whep"}


@pytest.mark.alone  # judged on freezes: real-time video
def test_a_users_page_making_its_own_connection_is_found_and_judged(playgate_run, endpoints):
    judged = playgate_run(app=USER_APP, app_path=f"/?whep={quote(endpoints['healthy'])}", webrtc_s=2)
    assert_gate_passes(judged)
    webrtc = judged.run.webrtc
    assert webrtc.connections == 1 and webrtc.pair.transport == "udp"
    assert webrtc.frames_decoded >= 40 and webrtc.freezes == 0
    assert judged.run.chunks == ()


def test_a_users_page_whose_connection_cannot_be_made_is_caught(playgate_run, endpoints):
    caught = playgate_run(app=USER_APP, app_path=f"/?whep={quote(endpoints['blocked'])}", webrtc_s=2, timeout=40)
    assert_gate_fails(caught, "transport")


@pytest.mark.alone  # judged on freezes: real-time video
def test_the_bundled_page_plays_a_whep_endpoint_of_the_users(playgate_run, endpoints):
    judged = playgate_run(mode="h2", whep=endpoints["healthy"], chunks=3)
    assert_gate_passes(judged)
    assert judged.run.webrtc.pair.transport == "udp"
    assert judged.run.webrtc_expected and judged.run.chunks == ()
