"""Every way out of a run stops the server, nginx and the browser, and removes the folders
holding its keys; after SIGKILL, the next run removes the folders it can prove stale.

Each run is interrupted once its server, nginx and browser are all up, under held
pressure so that it cannot finish first. Its temporary folder is its own (TMPDIR), so
what it leaves there is exactly what the test sees.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.processes import alive, cmdline, descendants

SIGNALS = {"ctrl-c": (signal.SIGINT, 130, "interrupted"), "sigterm": (signal.SIGTERM, 143, "terminated")}
BROWSER_PROCESS = {"chromium": "chromium", "firefox": "firefox"}


def run_until_everything_is_up(browser, temp):
    command = [sys.executable, "-m", "playgate", "run", "--browser", browser, "--mode", "nginx-h1"]
    command += ["--pressure", "sse:5", "--hold-ms", "60000", "--chunks", "3"]
    env = {**os.environ, "TMPDIR": str(temp)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tree = descendants(process.pid)
        names = [cmdline(p) for p in tree if alive(p)]
        up = {
            "server": any("-m\0playgate.server" in n for n in names),
            "nginx": any("nginx" in n for n in names),
            "browser": any(BROWSER_PROCESS[browser] in n for n in names),
        }
        if all(up.values()):
            return process, tree
        if process.poll() is not None:
            _, err = process.communicate()
            raise AssertionError(err)
    process.kill()
    process.communicate()
    raise AssertionError(f"the run never had its server, nginx and browser up: {up}")


def leftovers_of(tree):
    """The processes of ``tree`` still alive once the browser driver has had time to close
    its browsers (it does so when it sees our end of its pipe close)."""
    deadline = time.monotonic() + 20
    while (left := [p for p in tree if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [cmdline(p).replace("\0", " ")[:100] for p in left]


def work_folders(temp):
    return sorted(p.name for p in temp.glob("playgate-*"))


# browser_name: each browser the suite runs (pytest-playwright's --browser).
@pytest.mark.browser
@pytest.mark.parametrize("way_out", sorted(SIGNALS))
def test_a_signal_mid_run_leaves_no_process_and_no_key_folder(tmp_path, browser_name, way_out):
    signum, status, said = SIGNALS[way_out]
    process, tree = run_until_everything_is_up(browser_name, tmp_path)
    assert work_folders(tmp_path), "the run made no work folder: the test would prove nothing"
    process.send_signal(signum)
    returned, stderr = process.wait(timeout=30), process.stderr.read()
    assert (returned, f"playgate: {said}" in stderr) == (status, True), stderr[-2000:]
    process.stdout.close()
    process.stderr.close()
    assert leftovers_of(tree) == []
    assert work_folders(tmp_path) == []


@pytest.mark.browser
def test_after_sigkill_processes_go_and_the_next_run_removes_the_stale_folders(tmp_path, browser_name):
    process, tree = run_until_everything_is_up(browser_name, tmp_path)
    process.kill()  # nothing of playgate runs after this
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()
    assert leftovers_of(tree) == []
    stale = work_folders(tmp_path)
    assert stale, "SIGKILL left no folder: the next run's cleaning would be untested"
    # The next run removes the stale folders, and keeps its own while it runs.
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-m", "playgate", "serve", "--mode", "h1-tls"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as serving:
        assert serving.stdout.readline().startswith("serving https://127.0.0.1:")
        remaining = work_folders(tmp_path)
        assert len(remaining) == 1 and remaining[0] not in stale, (stale, remaining)
        serving.send_signal(signal.SIGTERM)
        assert serving.wait(timeout=30) == 0
    assert work_folders(tmp_path) == []


def main_process(browser, tree):
    """The browser's own process in ``tree`` (not a renderer or a helper of it)."""
    for pid in tree:
        argv = cmdline(pid).split("\0")
        if BROWSER_PROCESS[browser] in argv[0] and not any(a.startswith(("--type=", "-contentproc")) for a in argv):
            return pid
    raise AssertionError(f"no {browser} process in the run's tree")


def gate_until_chunk_requested(order, temp, *flags):
    """``playgate run --live`` in the browsers of ``order`` (h2), read until the first
    browser has requested chunk 0: the middle of its run. Returns the process, the lines
    read and the process tree at that moment."""
    command = [sys.executable, "-m", "playgate", "run", "--browser", ",".join(order), "--chunks", "3", "--live", *flags]
    env = {**os.environ, "TMPDIR": str(temp)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if f"{order[0]:8}  chunk 0 requested" in line:
            return process, seen, descendants(process.pid)
    _, err = process.communicate()  # closes its pipes: none is left to warn in a later test
    raise AssertionError("the run ended before chunk 0 was requested: " + "".join(seen) + err)


@pytest.mark.browser
def test_a_browser_killed_mid_run_is_one_error_and_the_other_browser_still_runs(tmp_path, browser_name):
    other = "firefox" if browser_name == "chromium" else "chromium"
    process, seen, tree = gate_until_chunk_requested([browser_name, other], tmp_path)
    os.kill(main_process(browser_name, tree), signal.SIGKILL)
    rest, err = process.communicate(timeout=120)
    out = "".join(seen) + rest
    assert process.returncode == 2, out + err
    said = f"playgate: error: {browser_name}, h2: the browser's process ended (killed, or crashed"
    assert err.startswith(said) and len(err.strip().splitlines()) == 1, err
    assert f"{other} " in out and "verdict: PASS" in out, out  # the other browser's run, judged
    assert "playgate: 1 passed, 0 failed, 1 could not finish" in out, out
    assert leftovers_of(tree) == []
    assert work_folders(tmp_path) == []


@pytest.mark.browser
def test_a_server_killed_mid_run_is_one_error_and_nothing_is_left(tmp_path, browser_name):
    # The page would wait for chunks that never come until the run's timeout; the run stops
    # once the server has gone instead (well within the 60 s asked for).
    process, seen, tree = gate_until_chunk_requested([browser_name], tmp_path, "--timeout", "60")
    server = next(p for p in tree if "-m\0playgate.server" in cmdline(p))
    os.kill(server, signal.SIGKILL)
    rest, err = process.communicate(timeout=30)
    out = "".join(seen) + rest
    assert process.returncode == 2, out + err
    said = f"playgate: error: {browser_name}, h2: the server process exited in the middle of the run"
    assert err.startswith(said) and len(err.strip().splitlines()) == 1, err
    assert "playgate: 0 passed, 0 failed, 1 could not finish" in out, out
    assert leftovers_of(tree) == []
    assert work_folders(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the WebRTC server runs in a network namespace of its own (root)")
def test_a_killed_webrtc_server_leaves_no_turn_server_running(tmp_path):
    command = [sys.executable, "-m", "playgate", "serve", "--mode", "webrtc"]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as serving:
        assert serving.stdout.readline().startswith("serving https://")
        tree = descendants(serving.pid)
        assert any("turnserver" in cmdline(pid) for pid in tree), [cmdline(pid) for pid in tree]
        serving.kill()  # nothing of playgate runs after this: coturn must go by itself
        serving.communicate()
    assert leftovers_of(tree) == []
