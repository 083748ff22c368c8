"""Any target: the user's ASGI app served by the harness (--app), a page already running
elsewhere (--url), in both browsers, from the CLI and from pytest."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from playgate.entrypoints.assertions import assert_gate_fails, assert_gate_passes

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[2]
SAMPLE_APP = "tests.tooling.sample_app:app"
SAMPLE = dict(chunk_pattern="/media/seg-", sse_pattern="/live/", chunks=3)
SAMPLE_FLAGS = ["--chunk-pattern", "/media/seg-", "--sse-pattern", "/live/", "--chunks", "3"]


def run_cli(*args, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "playgate", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def test_app_in_h2_passes_and_in_h1_tls_is_caught(playgate_run):
    healthy = playgate_run(app=SAMPLE_APP, mode="h2", **SAMPLE)
    assert_gate_passes(healthy)
    assert [c.page.event_ms is not None for c in healthy.run.chunks] == [True] * 3  # onmessage was seen
    # Frames are watched: the first chunk's is in; the last one's can come a frame after
    # its loadeddata, when the run has already ended (then null, never invented).
    assert healthy.run.chunks[0].first_frame_ms is not None
    assert_gate_fails(playgate_run(app=SAMPLE_APP, mode="h1-tls", **SAMPLE), "protocol")


def test_app_without_events_has_no_load_time_and_says_so(playgate_run):
    judged = playgate_run(app="tests.tooling.sample_app:app_without_events", chunk_pattern="/media/seg-", chunks=3)
    assert len(judged.run.chunks) == 3  # detached <video> elements are watched too
    assert all(c.load_ms is None and c.page.loadeddata_ms is not None for c in judged.run.chunks)
    assert any("no event stream message named chunk(s) 0, 1, 2" in note for note in judged.run.notes)
    assert_gate_passes(judged)  # loaded, h2, not queued; load time unknown and said so


def test_an_app_whose_segment_route_raises_fails_with_its_exception_in_the_notes(playgate_run):
    judged = playgate_run(app="tests.tooling.sample_app:app_losing_segments", mode="h2", **SAMPLE)
    assert_gate_fails(judged, "loaded")
    assert {c.network.status for c in judged.run.chunks} == {500}
    noted = [note for note in judged.run.notes if note.startswith("the server logged")]
    assert noted == [
        "the server logged 3 unhandled exceptions during the run: Error in ASGI Framework: FileNotFoundError: "
        "segment 0 was never written; Error in ASGI Framework: FileNotFoundError: segment 1 was never written; "
        "Error in ASGI Framework: FileNotFoundError: segment 2 was never written"
    ], judged.run.notes


def test_cli_app_writes_everything_and_prints_live_events(tmp_path):
    result = run_cli(
        "run", "--browser", "all", "--mode", "h2,h1-tls", "--app", SAMPLE_APP, *SAMPLE_FLAGS,
        "--live", "--output", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    verdicts = [
        (r["browser"], r["label"], r["verdict"]) for r in json.loads((tmp_path / "result.json").read_text())["runs"]
    ]
    app_label = f"app {SAMPLE_APP}"
    assert verdicts == [
        ("chromium", f"h2 {app_label}", "pass"),
        ("firefox", f"h2 {app_label}", "pass"),
        ("chromium", f"h1-tls {app_label}", "fail"),
        ("firefox", f"h1-tls {app_label}", "fail"),
    ]
    assert len(list((tmp_path / "har").glob("*.har"))) == 4
    assert (tmp_path / "report.html").is_file()
    for browser in ("chromium", "firefox"):
        for event in (
            "event stream: message",
            "chunk 0 requested",
            "chunk 0 loaded (loadeddata)",
            "chunk 2 first frame",
        ):
            assert any(browser in line and event in line for line in result.stdout.splitlines()), (browser, event)


@pytest.fixture(scope="module")
def running_app():
    """The sample app started on its own, as a staging deployment would be."""
    yield from serving(SAMPLE_APP, "h2")


@pytest.fixture(scope="module")
def running_app_in_the_clear():
    """The sample app on Hypercorn in the clear, as a migration guide has it: it answers h2c."""
    yield from serving(SAMPLE_APP, "h1")


def serving(app, mode):
    command = [sys.executable, "-m", "playgate", "serve", "--app", app, "--mode", mode]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT) as server:
        try:
            line = server.stdout.readline()  # returns once it serves: "serving https://127.0.0.1:PORT/ (...)"
            assert line.startswith("serving "), line + server.stderr.read()
            yield line.split()[1]
        finally:
            server.terminate()
            server.wait(10)


def test_url_needs_insecure_for_a_self_signed_certificate(running_app):
    refused = run_cli("run", "--browser", "all", "--url", running_app, *SAMPLE_FLAGS)
    assert refused.returncode == 2
    assert "does not trust the certificate" in refused.stderr and "--insecure" in refused.stderr
    accepted = run_cli("run", "--browser", "all", "--url", running_app, "--insecure", *SAMPLE_FLAGS)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert accepted.stdout.count("verdict: PASS") == 2


def test_url_from_pytest(playgate_run, running_app):
    judged = playgate_run(url=running_app, insecure=True, **SAMPLE)
    assert_gate_passes(judged)
    assert judged.run.url == running_app
    # Its origin probed after the run: h2 in ALPN, and the stream limit its SETTINGS sent, so
    # no chunk's wait is judged against an unknown limit.
    probe = judged.run.probe_of(running_app)
    assert (probe.alpn, probe.stream_limit, probe.trusted) == ("h2", 100, False)
    assert all(wait.limit == 100 for wait in judged.verdict.waits if wait is not None and wait.unit == "streams")


def test_url_in_the_clear_says_browsers_never_use_h2c_and_that_this_server_answers_it(
    playgate_run, running_app_in_the_clear
):
    judged = playgate_run(url=running_app_in_the_clear, **SAMPLE)
    assert_gate_fails(judged, "protocol")
    (reason,) = [r for r in judged.verdict.reasons if r.startswith("protocol:")]
    assert "served in the clear (http://): browsers speak HTTP/2 and HTTP/3 only over TLS" in reason, reason
    assert "this server does answer HTTP/2 in the clear with prior knowledge (h2c)" in reason, reason


def test_app_from_the_marker_and_artifacts_of_a_failed_test(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the sample app is imported from the repository
    pytester.makepyfile(
        test_user=f"""
import pytest
from playgate.entrypoints.assertions import assert_gate_passes

@pytest.mark.playgate(app="{SAMPLE_APP}", chunk_pattern="/media/seg-", sse_pattern="/live/", chunks=3)
def test_healthy(playgate_run):
    assert_gate_passes(playgate_run())

@pytest.mark.playgate(app="{SAMPLE_APP}", chunk_pattern="/media/seg-", sse_pattern="/live/", chunks=3, mode="h1-tls")
def test_regressed(playgate_run):
    assert_gate_passes(playgate_run())
"""
    )
    result = pytester.runpytest_subprocess(
        "--browser", "chromium", "--browser", "firefox", "-p", "no:cacheprovider", "--junitxml=junit.xml"
    )
    result.assert_outcomes(passed=2, failed=2)
    results = pytester.path / "test-results"
    kept = sorted(p.parent.name for p in results.glob("*/playgate"))
    assert kept == ["test-user-py-test-regressed-chromium", "test-user-py-test-regressed-firefox"]
    for folder in results.glob("*/playgate"):
        assert (folder / "result.json").is_file() and (folder / "report.html").is_file()
        assert len(list((folder / "har").glob("*.har"))) == 1
        traces = list((folder / "traces").glob("*.zip"))
        assert len(traces) == 1 and traces[0].stat().st_size > 0
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="playgate.1.verdict" value="fail"' in junit
    assert 'name="playgate.1.verdict" value="pass"' in junit
    assert 'name="playgate.1.max_blocked_ms"' in junit
    assert 'name="playgate.1.first_chunk_waited_for" value="none"' in junit  # the app's own server: 100 streams
