"""Tests marked ``alone`` run with no other test beside them when the suite runs in parallel
(pytest-xdist, as ``make test`` runs it); the rest run two at a time.

An ``alone`` test judges a figure against one injected into the server or the path (a hold,
a delay, a bandwidth, a link's round trip) or real-time video (freezes), with a tolerance
that holds on an otherwise quiet 2-core machine: a second browser run beside it takes the
CPU its browser needs to act on time, and the figure then measures the machine.

A readers-writer lock across the workers, on two files: a test takes the run lock shared,
an ``alone`` test takes it exclusive. The turnstile makes a waiting ``alone`` test go next:
it holds the turnstile while it waits and runs, and every test passes through the turnstile
before it takes the run lock (flock alone lets shared holders starve an exclusive one).
The lock covers the test's setup and teardown too (a server started for a module is CPU).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MARKER = "alone"


@contextmanager
def _flocked(path: Path, mode: int) -> Iterator[None]:
    with path.open("a") as file:
        fcntl.flock(file, mode)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@contextmanager
def taking_turns(folder: Path, alone: bool) -> Iterator[None]:
    """Held around one test: exclusive for an ``alone`` test, shared for any other."""
    turnstile, run = folder / "turnstile.lock", folder / "run.lock"
    if alone:
        with _flocked(turnstile, fcntl.LOCK_EX), _flocked(run, fcntl.LOCK_EX):
            yield
        return
    with _flocked(turnstile, fcntl.LOCK_EX):
        pass
    with _flocked(run, fcntl.LOCK_SH):
        yield


def lock_folder(config: pytest.Config) -> Path | None:
    """The folder every worker of this run shares: xdist gives each worker a base temporary
    folder of its own inside it. None outside a parallel run, where tests run one at a time."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return None
    return Path(config.option.basetemp).parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    folder = lock_folder(item.config)
    if folder is None:
        return (yield)
    with taking_turns(folder, alone=item.get_closest_marker(MARKER) is not None):
        return (yield)
