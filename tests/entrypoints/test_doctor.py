"""playgate doctor: what it finds, what it says is missing, the command it gives."""

import subprocess
import sys

import pytest

from playgate.capture.firefox import firefox_codec_package
from playgate.entrypoints import doctor
from playgate.entrypoints.doctor import Finding, install_command, render


def run_doctor(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "playgate", "doctor", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_everything_found_is_one_line_each_and_exit_0():
    findings = [Finding("chromium", True, "/usr/bin/chromium"), Finding("nginx", True, "/usr/sbin/nginx", needed=False)]
    text = render(findings)
    assert text.splitlines()[1:] == [
        "  ok       chromium  /usr/bin/chromium",
        "  ok       nginx     /usr/sbin/nginx",
        "everything the default run needs is here",
    ]


def test_a_missing_browser_gives_the_install_command(monkeypatch):
    monkeypatch.setattr(doctor.os, "geteuid", lambda: 1000)
    findings = [
        Finding("firefox", False, "firefox is not installed", packages=("firefox-esr", "libavcodec59")),
        Finding("nginx", False, "not installed", needed=False, packages=("nginx",)),
    ]
    text = render(findings)
    assert "  MISSING  firefox  firefox is not installed" in text
    assert "  optional nginx    not installed" in text
    assert "the default run cannot go ahead here" in text
    command = "sudo apt-get install --no-install-recommends firefox-esr libavcodec59"
    assert f"install what is missing (Debian): {command}" in text


def test_only_optional_things_missing_still_passes(monkeypatch):
    monkeypatch.setattr(doctor.os, "geteuid", lambda: 0)
    findings = [Finding("chromium", True, "ok"), Finding("nginx", False, "-", needed=False, packages=("nginx",))]
    assert install_command(findings, needed_only=True) is None
    assert install_command(findings, needed_only=False) == "apt-get install --no-install-recommends nginx"
    assert "everything the default run needs is here" in render(findings)
    assert "optional (Debian): apt-get install --no-install-recommends nginx" in render(findings)


def test_a_browser_without_codecs_names_the_codec_package(monkeypatch):
    cannot = 'cannot play video/mp4; codecs="x"'
    monkeypatch.setattr(doctor, "_play_in_each", lambda found: dict.fromkeys(found, cannot))
    (finding,) = doctor.check_browsers(["firefox"])
    assert not finding.ok
    assert finding.packages == (firefox_codec_package(),)
    assert finding.packages[0].startswith("libavcodec")


@pytest.mark.parametrize(("version", "ok"), [("1.64.1", True), ("1.59.0", True), ("1.65.0", False), ("1.58.0", False)])
def test_playwright_within_the_declared_range(monkeypatch, version, ok):
    monkeypatch.setattr(doctor.metadata, "version", lambda name: version)
    finding = doctor.check_playwright()
    assert finding.ok is ok, finding.detail
    if version == "1.65.0":
        assert "cannot create Firefox ESR 153 contexts over WebDriver BiDi" in finding.detail
        assert "pip install 'playwright<1.65,>=1.59.0'" in finding.detail


def test_media_cache_that_cannot_be_written_is_missing(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(doctor.CACHE_ENV, str(blocker / "cache"))  # a folder under a file: cannot exist
    finding = doctor.check_media_cache()
    assert not finding.ok and f"set {doctor.CACHE_ENV}" in finding.detail


def test_cli_missing_browser_exits_2_with_the_command(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PLAYGATE_FIREFOX": "/nonexistent/firefox"}
    result = run_doctor("--browser", "firefox", "--no-launch", env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "MISSING  firefox" in result.stdout
    assert "apt-get install --no-install-recommends firefox-esr libavcodec" in result.stdout


@pytest.mark.browser
def test_cli_on_this_machine_launches_both_browsers_and_plays():
    result = run_doctor()
    assert result.returncode == 0, result.stdout + result.stderr
    for browser in ("chromium", "firefox"):
        lines = result.stdout.splitlines()
        assert any(line.split()[:2] == ["ok", browser] and "plays H.264/AAC" in line for line in lines)


def test_http3_is_one_round_trip_to_the_reference_server():
    finding = doctor.check_http3()
    assert (finding.name, finding.ok, finding.needed) == ("http/3", True, False)
    assert "answered 200 over h3 on UDP 127.0.0.1" in finding.detail


def test_no_http3_answer_is_optional_and_says_why(monkeypatch):
    blocked, real_settings_for = doctor.Mode.H3_UDP_BLOCKED, doctor.settings_for  # the handshake times out
    monkeypatch.setattr(doctor, "settings_for", lambda _mode, media: real_settings_for(blocked, media))
    monkeypatch.setattr(doctor, "H3_CHECK_TIMEOUT_S", 0.5)
    finding = doctor.check_http3()
    assert (finding.ok, finding.label) == (False, "optional")
    assert finding.detail.startswith("no h3 round trip on 127.0.0.1: no QUIC handshake with 127.0.0.1:")


def test_a_player_is_found_fetched_or_fetchable_or_named_with_npm_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGATE_CACHE_DIR", str(tmp_path))  # nothing fetched there
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    findings = doctor.check_players()
    assert [f.name for f in findings] == ["player hls", "player dash", "player shaka", "player mpegts"]
    missing = findings[0]
    assert (missing.name, missing.label, missing.packages) == ("player hls", "optional", ("npm",))
    assert "hls.js@1.7.4 not fetched, and npm is not installed" in missing.detail
    monkeypatch.setattr(doctor.shutil, "which", lambda name: "/usr/bin/npm")
    fetchable = doctor.check_players()[0]
    assert fetchable.ok and "npm is there to fetch it" in fetchable.detail
    script = tmp_path / "players" / "hls.js-1.7.4" / "hls.min.js"
    script.parent.mkdir(parents=True)
    script.write_text("// hls.js")
    found = doctor.check_players()[0]
    assert found.ok and found.detail == f"hls.js@1.7.4 at {script} (--player hls)"
