"""Local debugging, run rather than assumed: --headed, --live, --slowmo and --keep-open in
each browser on a virtual display (Xvfb), the window's pixels read off the display while
--keep-open holds it, then released by pressing Enter."""

import os
import shutil
import subprocess
import sys

import pytest
from PIL import ImageGrab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREEN = "1280x800x24"


@pytest.fixture(scope="module")
def display():
    """A virtual display of our own; Xvfb names its number once it is ready (-displayfd)."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: run `make setup` (it installs Debian's xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=[write],
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as numbers:
        number = numbers.readline().strip()
    assert number, "Xvfb gave no display number"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def test_headed_live_slowmo_and_keep_open_show_the_player_until_enter(display, browser_name):
    command = [sys.executable, "-m", "playgate", "run", "--browser", browser_name, "--chunks", "2"]
    command += ["--headed", "--live", "--slowmo", "20", "--keep-open"]
    env = {**os.environ, "DISPLAY": display}
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as run:
        seen = []
        for line in run.stdout:  # waits on the run's own output, line by line
            seen.append(line)
            if "press Enter to go on" in line:
                break
        assert seen and "press Enter to go on" in seen[-1], "".join(seen) + run.stderr.read()
        screen = ImageGrab.grab(xdisplay=display).convert("RGB")
        run.stdin.write("\n")
        run.stdin.flush()
        rest, err = run.communicate(timeout=60)
    output = "".join(seen) + rest
    assert run.returncode == 0, output + err
    assert f"{browser_name:8}  chunk 0 requested" in output, output  # --live
    assert "verdict: PASS" in output
    # The window shows the player's decoded frames: two 160x90 black-to-white gradients,
    # about 20,000 mid-grey pixels on a 1280x800 screen (the page's text and the browser's
    # toolbar alone, a few thousand; an empty display, none).
    assert mid_grey_pixels(screen) > 12_000, mid_grey_pixels(screen)


def mid_grey_pixels(image):
    return sum(
        count
        for count, (red, green, blue) in image.getcolors(maxcolors=1 << 24)
        if max(red, green, blue) - min(red, green, blue) <= 8 and 48 <= red <= 208
    )


def test_pytest_keeps_the_browser_open_the_same_way(display, browser_name, tmp_path):
    """--playgate-keep-open with pytest-playwright's --headed: the prompt is seen through
    pytest's capture, the window holds the player, Enter lets the test finish."""
    (tmp_path / "test_watch.py").write_text(
        "from playgate import assert_gate_passes\n\n\n"
        "def test_watch(playgate_run):\n    assert_gate_passes(playgate_run(chunks=2))\n"
    )
    command = [sys.executable, "-m", "pytest", "test_watch.py", "--browser", browser_name, "-p", "no:cacheprovider"]
    command += ["--headed", "--playgate-keep-open", "--rootdir", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"} | {"DISPLAY": display}
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        cwd=tmp_path,
    ) as run:  # fmt: skip
        seen = []
        for line in run.stdout:
            seen.append(line)
            if "press Enter to go on" in line:
                break
        assert seen and "test_watch" in seen[-1] and "the browser stays open" in seen[-1], "".join(seen)
        screen = ImageGrab.grab(xdisplay=display).convert("RGB")
        run.stdin.write("\n")
        run.stdin.flush()
        rest, err = run.communicate(timeout=60)
    assert run.returncode == 0, "".join(seen) + rest + err
    assert "1 passed" in rest
    assert mid_grey_pixels(screen) > 12_000, mid_grey_pixels(screen)
