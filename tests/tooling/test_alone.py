"""The lock that lets an ``alone`` test run with no other beside it in a parallel run. Threads
stand in for the workers: flock conflicts between two open files even in one process."""

import fcntl
import threading
import time

import pytest

from tests.tooling.alone import Turn, taking_turns

NOT_YET_S = 0.3  # how long a test that must not enter is given to (wrongly) enter


class Worker(threading.Thread):
    """One test: enters the lock, says so, and holds it until told to leave."""

    def __init__(self, folder, alone, entered_order):
        super().__init__(daemon=True)
        self.folder, self.alone, self.order = folder, alone, entered_order
        self.entered, self.leave = threading.Event(), threading.Event()

    def run(self):
        with taking_turns(self.folder, self.alone):
            self.order.append(self)
            self.entered.set()
            self.leave.wait(10)


def turnstile_is_held(folder):
    with (folder / "turnstile.lock").open("a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(file, fcntl.LOCK_UN)
        return False


def started(worker):
    worker.start()
    return worker


@pytest.fixture
def order():
    return []


def test_tests_that_need_not_be_alone_run_side_by_side(tmp_path, order):
    first, second = (started(Worker(tmp_path, False, order)) for _ in range(2))
    assert first.entered.wait(5) and second.entered.wait(5)
    first.leave.set()
    second.leave.set()


def test_an_alone_test_runs_with_nothing_beside_it(tmp_path, order):
    alone = started(Worker(tmp_path, True, order))
    assert alone.entered.wait(5)
    other = started(Worker(tmp_path, False, order))
    assert not other.entered.wait(NOT_YET_S)
    alone.leave.set()
    assert other.entered.wait(5)
    other.leave.set()


def test_a_waiting_alone_test_goes_before_tests_that_came_after_it(tmp_path, order):
    running = started(Worker(tmp_path, False, order))
    assert running.entered.wait(5)
    alone = started(Worker(tmp_path, True, order))
    deadline = time.monotonic() + 5
    while not turnstile_is_held(tmp_path):  # until the alone test waits for the running one
        assert time.monotonic() < deadline and alone.is_alive()
    later = started(Worker(tmp_path, False, order))
    assert not later.entered.wait(NOT_YET_S)  # it would run beside the first and starve the alone one
    running.leave.set()
    assert alone.entered.wait(5)
    assert not later.entered.wait(NOT_YET_S)
    alone.leave.set()
    assert later.entered.wait(5)
    later.leave.set()
    assert order == [running, alone, later]


def test_a_worker_keeps_the_lock_from_one_alone_test_to_the_next(tmp_path, order):
    turn = Turn(tmp_path)  # this thread is the worker that runs two alone tests in a row
    with turn.around(alone=True, next_alone=True):
        pass
    other = started(Worker(tmp_path, False, order))
    assert not other.entered.wait(NOT_YET_S)  # it would slip in between the two
    with turn.around(alone=True, next_alone=False):
        assert not other.entered.is_set()
    assert other.entered.wait(5)
    other.leave.set()
