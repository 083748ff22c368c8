"""The command line: exit codes, one-line errors, the JSON result."""

import dataclasses
import json
import os
import socket
import subprocess
import sys
import urllib.request

import pytest

from playgate.capture.browser_finder import BROWSERS
from playgate.entrypoints.cli import main


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "playgate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--mode", "h4"], "unknown mode 'h4'"),
        (["run", "--pressure", "tabs:x"], "unknown pressure 'tabs:x'"),
        (["run", "--browser", "safari"], "unknown browser 'safari'"),
        (["run", "--chunks", "0"], "--chunks must be 1..1000"),
        (["serve", "--port", "70000"], "--port 70000 is not a port number"),
        (["run", "--h2-max-streams", "0"], "--h2-max-streams 0: must be 1..1000"),
        (["run", "--chunk-kib-per-s", "-5"], "--chunk-kib-per-s must be 0..1000000"),
        (["compare", "--modes", "h2"], "compare takes two modes, the regressed one first"),
        (["compare", "--pressure", "windows:2"], "unknown pressure 'windows:2'"),
        (["run", "--player", "dash.js"], "--player 'dash.js': choose one of progressive, hls"),
        (["run", "--app", "m:app", "--player", "hls"], "--player set the bundled player or server"),
        (["run", "--expect-protocol", "h2c"], "--expect-protocol 'h2c': choose one of h3, h2, http/1.1"),
        (["run", "--max-dropped-ratio", "2"], "--max-dropped-ratio is a share of frames: 0..1"),
        (["diagnose"], "diagnose takes a chunk URL, or --network PROFILE"),
        (["diagnose", "https://127.0.0.1/c.mp4", "--network", "4g"], "leave the URL out, or serve your app behind it"),
        (["diagnose", "--network", "4g", "--insecure"], "trusts the bundled server's own certificate"),
        (["diagnose", "--network", "5g"], "--network '5g': give a profile"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("playgate: error: ")
    assert message in err
    assert len(err.splitlines()) == 1


def test_compare_repeat_without_scipy_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "scipy", None)  # as where the stats extra is not installed
    assert main(["compare", "--repeat", "3"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith("not installed: pip install 'playgate[stats]'"), line


def test_unknown_flag_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--no-such-flag"])
    assert exit_info.value.code == 2


def test_missing_browser_names_the_install_command():
    result = run_cli("run", "--browser", "firefox", env={"PLAYGATE_FIREFOX": "/nonexistent/firefox"})
    assert result.returncode == 2
    assert "firefox executable '/nonexistent/firefox' (PLAYGATE_FIREFOX) was not found" in result.stderr


def test_missing_browser_without_override(monkeypatch, capsys, tmp_path):
    absent = dataclasses.replace(BROWSERS["chromium"], installed=(("nowhere", "/nonexistent/chromium"),))
    monkeypatch.setitem(BROWSERS, "chromium", absent)
    monkeypatch.delenv(absent.env_var, raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))  # and none in Playwright's cache
    assert main(["run", "--browser", "chromium"]) == 2
    assert "run `make setup` (or `apt-get install chromium`)" in capsys.readouterr().err


def test_headed_without_a_display_says_how_to_get_one(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["run", "--browser", "all", "--headed"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("playgate: error: --headed shows the browser, but there is no display")
    assert "xvfb-run -a playgate run --headed" in err and len(err.splitlines()) == 1


@pytest.mark.browser
def test_run_writes_json_and_exits_1_on_a_regression(tmp_path):
    out = tmp_path / "result.json"
    result = run_cli("run", "--browser", "chromium,firefox", "--mode", "h1-tls", "--chunks", "2", "--json", str(out))
    assert result.returncode == 1, result.stderr
    assert "verdict: FAIL" in result.stdout
    assert "playgate: 0 passed, 2 failed" in result.stdout
    document = json.loads(out.read_text())
    assert document["playgate"] == 2
    assert [r["browser"] for r in document["runs"]] == ["chromium", "firefox"]
    for run in document["runs"]:
        assert (run["mode"], run["label"]) == ("h1-tls", "h1-tls")
        assert run["verdict"] == "fail"
        assert run["browser_version"]
        assert run["reasons"][0].startswith("protocol: chunk 0 was served over http/1.1")
        assert [c["protocol"] for c in run["chunks"]] == ["http/1.1", "http/1.1"]
        assert all(c["status"] == 206 for c in run["chunks"])


@pytest.mark.browser
def test_compare_of_two_healthy_setups_holds_when_both_pass():
    # One browser: what is compared is the same in both (h3 in Firefox: tests/e2e/test_h3.py).
    result = run_cli("compare", "--modes", "h2,h3", "--browser", "chromium", "--chunks", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the gate passed both h2 and h3" in result.stdout
    assert " on h3\n" in result.stdout  # first chunk N.Nx faster or slower on h3


@pytest.mark.browser
def test_run_exits_0_when_every_run_passes_and_live_shows_each_event():
    result = run_cli("run", "--browser", "chromium", "--mode", "h2", "--chunks", "2", "--live")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "playgate: 1 passed, 0 failed" in result.stdout
    live = [line.split("chromium", 1)[1].strip() for line in result.stdout.splitlines() if " ms  chromium" in line]
    expected = [
        "event stream: chunk",  # a named event, through addEventListener
        "chunk 0 requested https://127.0.0.1:",
        "chunk 0 response: blocked",
        "chunk 0 loaded (loadeddata)",
        "chunk 1 first frame",
        "event stream: done",
    ]
    for text in expected:
        assert any(line.startswith(text) for line in live), (text, live)


def test_serve_prints_the_url_and_stops_on_sigterm():
    command = [sys.executable, "-m", "playgate", "serve", "--mode", "h1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline()
            assert line.startswith("serving http://127.0.0.1:")
            with urllib.request.urlopen(line.split()[1] + "health", timeout=10) as response:
                assert json.loads(response.read())["status"] == "ok"
        finally:
            process.terminate()
            assert process.wait(timeout=15) == 0


def test_serve_in_an_h3_mode_prints_what_reaches_it_from_each_browser():
    command = [sys.executable, "-m", "playgate", "serve", "--mode", "h3-discovery"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            lines = [process.stdout.readline() for _ in range(5)]
        finally:
            process.terminate()
            assert process.wait(timeout=15) == 0
    port = lines[0].split(":")[2].split("/")[0]
    assert lines[2].strip() == f"HTTP/3 on UDP, advertised by Alt-Svc (127.0.0.1:{port})"
    assert (
        lines[3]
        .strip()
        .startswith("Chromium flags: --origin-to-force-quic-on=127.0.0.1:9 --ignore-certificate-errors-spki-list=")
    )
    assert lines[4].strip() == (
        "Firefox preferences: network.http.http3.enable=True, "
        "network.http.http3.disable_when_third_party_roots_found=False"
    )


def test_a_browser_path_overrides_discovery():
    result = run_cli("run", "--browser", "chromium", "--browser-path", "chromium=/nonexistent/chrome")
    assert result.returncode == 2
    assert "chromium executable '/nonexistent/chrome' (--browser-path) was not found" in result.stderr


def test_a_malformed_browser_path_says_how_to_write_it():
    result = run_cli("run", "--browser-path", "/opt/chrome")
    assert result.returncode == 2
    assert "give BROWSER=PATH" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_serve_on_a_port_in_use_is_one_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"playgate: error: port {port} on 127.0.0.1 is in use: "
        "stop what holds it or pick another port (0 picks a free one)"
    )


@pytest.mark.parametrize("command", ["run", "compare", "diagnose", "doctor"])
def test_help_shows_examples_and_every_exit_code(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    shown = capsys.readouterr().out
    assert "examples:" in shown and f"  playgate {command} " in shown
    for code in (0, 1, 2, 130, 143):
        assert f"\n  {code:<4} " in shown, code


def test_a_default_of_zero_is_shown(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "(waiting for data) (default: 0)" in " ".join(capsys.readouterr().out.split())


def test_quiet_and_verbose_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        main(["run", "-q", "-v"])
    assert "not allowed with argument" in capsys.readouterr().err
