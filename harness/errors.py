"""The errors playgate raises. Each says, in one line, what is wrong and what to do.

    PlaygateError
     ├── UsageError            a flag, option or setting has a bad value
     ├── EnvironmentProblem    the machine lacks something the run needs
     │    ├── BrowserNotFound      no browser executable where we looked
     │    ├── BrowserLaunchError   the browser is there but would not start
     │    └── ServerStartError     the reference server could not start
     ├── MeasurementError      the browser gave no usable record of the run
     └── RunsAborted           runs stopped halfway: their browser or server went away
                               (the others still ran; ``completed`` holds them)

A gate that fails is not an error: it is a verdict (``playgate.judging.gate``), and in pytest it
raises ``GateFailure``, an AssertionError carrying the chunk table.
"""

from __future__ import annotations

from typing import Any


class PlaygateError(Exception):
    """Base of every playgate error; ``str()`` is the one line a user sees."""


class UsageError(PlaygateError):
    pass


class EnvironmentProblem(PlaygateError):
    pass


class BrowserNotFound(EnvironmentProblem):
    pass


class BrowserLaunchError(EnvironmentProblem):
    pass


class ServerStartError(EnvironmentProblem):
    pass


class MeasurementError(PlaygateError):
    pass


class GateFailure(AssertionError):
    """A run broke a gate rule; the message holds the reasons and the chunk table."""


class RunsAborted(PlaygateError):
    """Runs that stopped halfway because their browser or server process went away.

    Raised once every other run of the command has run: ``completed`` holds their judged
    runs, ``reasons`` one line per aborted run.
    """

    def __init__(self, completed: list[Any], reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.completed = completed
        self.reasons = reasons
