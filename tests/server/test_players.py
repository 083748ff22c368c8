"""Real players from npm: pinned, checked, cached; a missing npm or a changed tarball is one error."""

import io
import os
import stat
import tarfile

import pytest

from playgate.errors import EnvironmentProblem
from playgate.server import players
from playgate.server.players import ensure_player


def fake_npm(folder, script_body):
    """An ``npm`` on PATH whose ``pack`` writes a tarball holding ``script_body`` as hls.min.js."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in (("package/dist/hls.min.js", script_body), ("package/LICENSE", b"Apache-2.0")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (folder / "packed.tgz").write_bytes(archive.getvalue())
    npm = folder / "npm"
    npm.write_text(
        f'#!/bin/sh\n# npm pack SPEC --silent --pack-destination DIR\ncp {folder}/packed.tgz "$5/hls.js-1.7.4.tgz"\n'
    )
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    return folder


def test_without_npm_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(players.shutil, "which", lambda name: None)
    with pytest.raises(
        EnvironmentProblem, match=r"npm is not installed: run `make setup` \(or `apt-get install npm`\)"
    ):
        ensure_player("hls", cache_root=tmp_path)
    assert not (tmp_path / "players" / "hls.js-1.7.4").exists()


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_nothing_is_kept(monkeypatch, tmp_path):
    (tmp_path / "bin").mkdir()
    bin_folder = fake_npm(tmp_path / "bin", b"// not hls.js")
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(EnvironmentProblem, match=r"not the pinned one .* refusing to serve it"):
        ensure_player("hls", cache_root=tmp_path / "cache")
    assert list((tmp_path / "cache" / "players").iterdir()) == []


def test_a_fetched_player_is_used_from_the_cache_without_npm(monkeypatch, tmp_path):
    folder = tmp_path / "players" / "hls.js-1.7.4"
    folder.mkdir(parents=True)
    (folder / "hls.min.js").write_text("// cached")
    monkeypatch.setattr(players.shutil, "which", lambda name: None)
    assert ensure_player("hls", cache_root=tmp_path) == folder


class CountingBrowser:
    """Counts the contexts a run opens and closes; its contexts refuse an init script."""

    def __init__(self):
        self.opened = self.closed = 0

    def new_context(self, **options):
        browser = self

        class Context:
            def add_init_script(self, script):
                raise RuntimeError("the browser went away")

            def close(self):
                browser.closed += 1

        self.opened += 1
        return Context()


def test_a_player_that_cannot_be_had_opens_no_context_and_a_failed_set_up_closes_its_own(monkeypatch):
    from playgate.capture import scenario
    from playgate.capture.live import LiveLog, Watching
    from playgate.config import Scenario

    def no_npm(name):
        raise EnvironmentProblem("npm is missing")

    monkeypatch.setattr(scenario, "ensure_player", no_npm)
    browser = CountingBrowser()
    with pytest.raises(EnvironmentProblem):
        scenario.measure_player(browser, "chromium", "https://127.0.0.1:1", Scenario(player="hls"), "h2")
    assert browser.opened == 0
    live = Watching(live=LiveLog("chromium", "/chunks/", None))
    with pytest.raises(RuntimeError, match="went away"):
        scenario.measure_player(browser, "chromium", "https://127.0.0.1:1", Scenario(), "h2", live)
    assert (browser.opened, browser.closed) == (1, 1)
