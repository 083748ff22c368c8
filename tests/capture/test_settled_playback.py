"""A run's playback record is read with the page's settled state in one call: a video that
began playing after the page was found settled with nothing playing (an autoplay once its
appended data was enough, late on a busy machine) is waited for, not recorded as a play
that never presented a frame."""

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from playgate.capture.page_run import _settled_playback
from playgate.capture.playback import SETTLED_JS


def snapshot(first_frame_ms, settled):
    return {"play_ms": 120.0, "first_frame_ms": first_frame_ms, "stalls": [], "quality": [], "now": 900.0,
            "settled": settled}  # fmt: skip


class PageStartingLate:
    """A page read as playing with no frame yet (not settled), whose frame comes while the run
    waits for it; ``frames=False``: it never comes."""

    def __init__(self, frames: bool = True):
        self.frames = frames
        self.waited: list[str] = []

    def evaluate(self, expression):
        framed = self.frames and bool(self.waited)
        return snapshot(350.0 if framed else None, settled=framed)

    def wait_for_function(self, expression, timeout):
        self.waited.append(expression)
        if not self.frames:
            raise PlaywrightTimeout("Timeout exceeded")


class Watching:
    def gone(self):
        return None


def test_a_play_begun_after_the_settled_check_is_waited_for_until_its_first_frame():
    page = PageStartingLate()
    playback, settled = _settled_playback(page, deadline=float("inf"), watching=Watching())
    assert settled and playback.first_frame_ms == 350.0 and playback.played
    assert page.waited and SETTLED_JS in page.waited[0]


def test_a_play_that_never_presents_a_frame_ends_at_the_deadline_unsettled():
    page = PageStartingLate(frames=False)
    playback, settled = _settled_playback(page, deadline=0.0, watching=Watching())  # long past
    assert not settled and playback.played and playback.first_frame_ms is None
    assert page.waited == []  # no time left: read once, not waited for
