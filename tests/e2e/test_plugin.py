"""The pytest plugin as a user meets it: a test file, run by pytest in a subprocess."""

import re

import pytest

pytestmark = pytest.mark.browser

USER_TESTS = """
import pytest
from playgate.entrypoints.assertions import assert_gate_passes

def test_healthy(playgate_run):
    assert_gate_passes(playgate_run())

@pytest.mark.playgate(mode="h1-tls", pressure="media:5")
def test_regressed(playgate_run):
    assert_gate_passes(playgate_run())

@pytest.mark.playgate(mode="h1-tls")
def test_own_assertion(playgate_run):
    assert playgate_run().run.chunks[0].protocol == "h2"
"""


def test_plugin_fails_the_regressed_test_with_the_chunk_table(pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(
        "--browser", "chromium", "--browser", "firefox", "--playgate-chunks", "3", "-p", "no:cacheprovider",
        "-s", "--playgate-live",
    )  # fmt: skip
    result.assert_outcomes(passed=2, failed=4)
    result.stdout.fnmatch_lines(
        [
            "*GateFailure: the playback gate failed*",
            "*chunk  protocol  conn  reused  status  blocked  queued  stalled*",
            "*- queueing: chunk 0 waited * ms before reaching the network*(limit 50 ms)*",
        ]
    )
    # A test's own assertion failed: the runs it judged are shown beside it, once.
    parts = re.split(r"\n_{3,} (test_\w+\[\w+\]) _{3,}\n", result.stdout.str())
    failures = dict(zip(parts[1::2], parts[2::2], strict=True))
    own = failures["test_own_assertion[chromium]"]
    assert "- playgate runs -" in own and own.count("chunk  protocol  conn") == 1, own
    assert "mode h1-tls" in own and "- protocol: chunk 0 was served over http/1.1" in own
    assert failures["test_regressed[firefox]"].count("chunk  protocol  conn") == 1
    for browser in ("chromium", "firefox"):  # --playgate-live, shown with -s
        result.stdout.fnmatch_lines([f"*ms  {browser}*chunk 0 first frame*"])
    assert "test_regressed[chromium]" in result.stdout.str()
    assert "test_regressed[firefox]" in result.stdout.str()


def test_plugin_options_are_grouped(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["playgate: protocol regression gate for video playback:", "*--playgate-mode*"])


def test_a_bad_setting_fails_the_test_with_one_line(pytester):
    pytester.makepyfile(
        test_user="""
import pytest

@pytest.mark.playgate(pressure="windows:2")
def test_bad_marker(playgate_run):
    playgate_run()

def test_bad_argument(playgate_run):
    playgate_run(url="ftp://127.0.0.1/")

def test_unknown_argument(playgate_run):
    playgate_run(windows=2)

def test_two_modes(playgate_run):
    playgate_run(mode="h2,h1-tls")
"""
    )
    result = pytester.runpytest_subprocess("--browser", "chromium", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1, failed=3)  # the marker breaks the setup; the arguments, their tests
    result.stdout.fnmatch_lines(
        [
            "*playgate marker: unknown pressure 'windows:2'*",
            "*playgate: --url 'ftp://127.0.0.1/' is not an http*",
            "*playgate: unknown playgate_run settings ?'windows'?; known:*",
            "*playgate: playgate_run takes one mode; parametrize the test for several*",
        ],
        consecutive=False,
    )
    assert "Traceback" not in result.stdout.str()
    assert "another exception occurred" not in result.stdout.str()
