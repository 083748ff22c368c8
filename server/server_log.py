"""What a server's log says went wrong while a run watched it: each unhandled exception.

A server that fails a request or a whole connection (an exception in the app, or in the
HTTP server under it) writes a Python traceback to its log, which is otherwise thrown away
with the server's folder; the page only sees a request that failed or a stream that
stopped. Each traceback is summed up in one line: what logged it, then the exception, as
``Error in ASGI Framework: ValueError: no such clip``. An exception group's own line gives
way to the exceptions inside it. Writes to responses the browser cancelled, which Hypercorn
logs as errors over HTTP/3, are told apart from the failures.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

TRACEBACK_HEADER = "Traceback (most recent call last):"
# An exception group's tracebacks are drawn inside a frame of "|" and "+-" rules.
_GROUP_FRAME = re.compile(r"^\s*\|\s?")
_GROUP_RULE = re.compile(r"^\s*\+[-+]")
# What a logger writes before the message: "[2026-12-05 10:00:00 +0000] [42] [ERROR] ".
_LOG_PREFIX = re.compile(r"^(\[[^\]]*\]\s*)+")
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
_GROUPS = ("ExceptionGroup", "BaseExceptionGroup")


def _unframed(line: str) -> str:
    return _GROUP_FRAME.sub("", line, count=1)


def unhandled_exceptions(text: str) -> list[str]:
    """One line per traceback in ``text``, in order, with what logged it where a log line
    came just before it. Of a chain ("During handling of the above exception ..."), the last."""
    found: list[tuple[str, bool, str]] = []  # (summary, is an exception group's own line, what logged it)
    context = ""
    in_traceback = False
    for line in text.splitlines():
        if _GROUP_RULE.match(line):
            continue
        plain = _unframed(line)
        if plain.lstrip("+ ").startswith(("Exception Group " + TRACEBACK_HEADER, TRACEBACK_HEADER)):
            in_traceback = True
        elif plain.startswith(_CHAINED) and found:
            context = found.pop()[2]  # the exception that ends the chain stands for it
        elif not in_traceback:
            if plain.strip():
                context = _LOG_PREFIX.sub("", plain).strip()
        elif plain and not plain[:1].isspace():  # not a frame, its source, or a caret line
            in_traceback = False
            exception = plain.strip()
            is_group = exception.startswith(_GROUPS)
            found.append((f"{context}: {exception}" if context else exception, is_group, context))
            if not is_group:  # a group's inner tracebacks follow, logged by the same line
                context = ""
    inner = [summary for summary, is_group, _ in found if not is_group]
    return inner or [summary for summary, _, _ in found]


# The exception aioquic raises when an app writes to a response the browser has cancelled
# (STOP_SENDING): Hypercorn over HTTP/3 does not pass the cancel on to the app, so its next
# write goes to a stream aioquic has already dropped. Over h2 Hypercorn ends such a response
# quietly; over h3 it logs each one as an error in the app.
CANCELLED_OVER_H3 = "FrameUnexpected: DATA frame is not allowed in this state"


def exceptions_notes(summaries: list[str], shown: int = 3) -> tuple[str, ...]:
    """The run's notes for them, the same one counted once: the unhandled exceptions, and
    apart from them the responses the browser cancelled over HTTP/3 (none: no note)."""
    cancelled = [summary for summary in summaries if summary.endswith(CANCELLED_OVER_H3)]
    unhandled = [summary for summary in summaries if not summary.endswith(CANCELLED_OVER_H3)]
    notes = []
    if unhandled:
        counted = Counter(unhandled)  # in the order first logged
        kinds = [summary + (f" ({count} times)" if count > 1 else "") for summary, count in counted.items()]
        more = f" (and {len(kinds) - shown} more kinds)" if len(kinds) > shown else ""
        count = f"{len(unhandled)} unhandled exception{'s' if len(unhandled) > 1 else ''}"
        notes.append(f"the server logged {count} during the run: " + "; ".join(kinds[:shown]) + more)
    if cancelled:
        writes = f"{len(cancelled)} write{'s' if len(cancelled) > 1 else ''}"
        notes.append(
            f"the server logged {writes} to responses the browser had cancelled, as errors ({CANCELLED_OVER_H3}: "
            "over HTTP/3 Hypercorn does not tell the app of a cancel); these are requests the browser let go, "
            "not failures"
        )
    return tuple(notes)


def log_size(log: Path | None) -> int:
    return log.stat().st_size if log is not None and log.exists() else 0


def log_text(log: Path | None, offset: int = 0) -> str:
    """What the log holds from ``offset`` on ("" where there is none)."""
    if log is None or not log.exists():
        return ""
    with log.open("rb") as file:
        file.seek(offset)
        return file.read().decode(errors="replace")
