"""Tests marked ``alone`` run with no other test beside them when the suite runs in parallel
(pytest-xdist: ``pytest -n 2 --dist loadfile``); the rest run two at a time.

An ``alone`` test judges a figure against one injected into the server or the path (a hold,
a delay, a bandwidth, a link's round trip) or real-time video (freezes), with a tolerance
that holds on an otherwise quiet 2-core machine: a second browser run beside it takes the
CPU its browser needs to act on time, and the figure then measures the machine.

A readers-writer lock across the workers, on two files: a test takes the run lock shared,
an ``alone`` test takes it exclusive. The turnstile makes a waiting ``alone`` test go next:
it holds the turnstile while it waits and runs, and every test passes through the turnstile
before it takes the run lock (flock alone lets shared holders starve an exclusive one).
The lock covers the test's setup and teardown too (a server started for a module is CPU).
A worker keeps its exclusive hold from one ``alone`` test to the next one it runs: handed
over between them, the other worker's next test would slip in, and each ``alone`` test would
wait for one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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


class Turn:
    """One worker's place in the lock, kept between its tests."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._exclusive: ExitStack | None = None  # held from one alone test to the next

    @contextmanager
    def around(self, alone: bool, next_alone: bool) -> Iterator[None]:
        """Held around one test; an ``alone`` test followed by another keeps it exclusive."""
        if not alone:
            with taking_turns(self.folder, alone=False):
                yield
            return
        if self._exclusive is None:
            self._exclusive = ExitStack()
            self._exclusive.enter_context(taking_turns(self.folder, alone=True))
        try:
            yield
        finally:
            if not next_alone:
                self.release()

    def release(self) -> None:
        if self._exclusive is not None:
            self._exclusive.close()
            self._exclusive = None


def is_alone(item: pytest.Item | None) -> bool:
    return item is not None and item.get_closest_marker(MARKER) is not None


_TURN = pytest.StashKey[Turn]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    folder = lock_folder(item.config)
    if folder is None:
        return (yield)
    if _TURN not in item.config.stash:
        item.config.stash[_TURN] = Turn(folder)
    with item.config.stash[_TURN].around(is_alone(item), next_alone=is_alone(nextitem)):
        return (yield)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TURN in config.stash:
        config.stash[_TURN].release()
