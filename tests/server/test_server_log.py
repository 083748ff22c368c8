"""What a server logged as unhandled while a run watched it: found, summed up, noted."""

import logging
import sys
import time
import traceback

from playgate.fixtures.generate import ensure_media
from playgate.judging.gate import JudgedRun, Verdict
from playgate.run.runner import with_server_exceptions
from playgate.server.launcher import ServerProcess, get
from playgate.server.server_log import CANCELLED_OVER_H3, exceptions_notes, unhandled_exceptions
from playgate.server.settings import Mode, settings_for
from tests.factory import chunk, run


def logged(capsys, *failures):
    """What a server's log holds after each failure is logged as servers log them."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"))
    log = logging.getLogger("a server")
    log.addHandler(handler)
    try:
        for message, failure in failures:
            try:
                failure()
            except BaseException:
                log.exception(message)
    finally:
        log.removeHandler(handler)
    return capsys.readouterr().err


def a_task_group_with_a_failed_task():
    """What asyncio's TaskGroup raises when one of its tasks failed (a connection's, in Hypercorn)."""
    try:
        {}[3]
    except KeyError as failed:
        raise ExceptionGroup("unhandled errors in a TaskGroup", [failed]) from None


def a_chain():
    try:
        {}["clip"]
    except KeyError:
        raise ValueError("no such clip")  # noqa: B904 (the chain is what is being logged)


def test_each_traceback_is_one_line_with_what_logged_it(capsys):
    text = logged(
        capsys,
        ("Unhandled exception in client_connected_cb", a_task_group_with_a_failed_task),
        ("Error in ASGI Framework", a_chain),
    )
    assert "Exception Group Traceback" in text and "During handling of the above exception" in text
    assert unhandled_exceptions(text) == [
        "Unhandled exception in client_connected_cb: KeyError: 3",  # the group's inside, not the group
        "Error in ASGI Framework: ValueError: no such clip",  # a chain's last exception stands for it
    ]


def test_a_traceback_printed_without_a_log_line_is_not_given_the_last_ones(capsys):
    text = logged(capsys, ("Error in ASGI Framework", a_chain))
    try:
        {}["clip"]
    except KeyError:
        traceback.print_exc()
    text += capsys.readouterr().err
    assert unhandled_exceptions(text) == ["Error in ASGI Framework: ValueError: no such clip", "KeyError: 'clip'"]


def test_a_log_without_a_traceback_has_none(capsys):
    assert unhandled_exceptions("serving https://127.0.0.1:8443/ (h2)\n[INFO] Running on fd://3\n") == []
    assert exceptions_notes([]) == ()


def test_the_note_counts_them_and_shows_the_first_few_kinds():
    gone = "Error in ASGI Framework: OSError: gone"
    (note,) = exceptions_notes([gone] * 5)
    assert note == f"the server logged 5 unhandled exceptions during the run: {gone} (5 times)"
    (note,) = exceptions_notes([f"Error in ASGI Framework: KeyError: {n}" for n in (0, 1, 0, 2, 3)], shown=2)
    assert note == (
        "the server logged 5 unhandled exceptions during the run: Error in ASGI Framework: KeyError: 0 (2 times); "
        "Error in ASGI Framework: KeyError: 1 (and 2 more kinds)"
    )


def test_writes_to_responses_cancelled_over_h3_are_told_apart_from_failures():
    # As Hypercorn logs it over HTTP/3 for each response the browser let go mid-transfer.
    cancelled = "Error in ASGI Framework: aioquic.h3.connection." + CANCELLED_OVER_H3
    (note,) = exceptions_notes([cancelled] * 5)
    assert note.startswith("the server logged 5 writes to responses the browser had cancelled, as errors")
    assert note.endswith("these are requests the browser let go, not failures")
    assert "unhandled" not in note
    failed, let_go = exceptions_notes([cancelled, "Error in ASGI Framework: OSError: gone", cancelled])
    assert failed == "the server logged 1 unhandled exception during the run: Error in ASGI Framework: OSError: gone"
    assert let_go.startswith("the server logged 2 writes to responses the browser had cancelled")
    # Another frame refused is another fault, still unhandled.
    refused = "Error in ASGI Framework: FrameUnexpected: HEADERS frame is not allowed in this state"
    (other,) = exceptions_notes([refused])
    assert other.startswith("the server logged 1 unhandled exception")


def test_a_run_carries_the_note_and_keeps_its_verdict():
    judged = JudgedRun(run=run(chunk(0)), verdict=Verdict(passed=True, broken=()))
    assert with_server_exceptions(judged, []) is judged
    noted = with_server_exceptions(judged, ["Error in ASGI Framework: OSError: gone"])
    assert noted.run.notes[-1] == (
        "the server logged 1 unhandled exception during the run: Error in ASGI Framework: OSError: gone"
    )
    assert noted.verdict == judged.verdict


def test_a_users_app_that_raises_is_found_in_the_servers_own_log():
    settings = settings_for(Mode.H2, ensure_media(), app="tests.tooling.sample_app:app_losing_segments")
    with ServerProcess(settings) as server:
        before = server.log_offset()
        assert server.exceptions_since(before) == []
        status, _ = get(server.host, server.port, "/media/seg-1.mp4", server.client_ssl_context())
        assert status == 500
        deadline = time.monotonic() + 10  # the server logs it once the 500 has gone
        while not server.exceptions_since(before) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.exceptions_since(before) == [
            "Error in ASGI Framework: FileNotFoundError: segment 1 was never written"
        ]
