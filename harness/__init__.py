"""playgate: a protocol regression gate for browser video playback.

Real Chromium and Firefox load a page's video chunks; their own network records say how
each chunk came (protocol, connection, how long it waited before the network, how long it
took to load) and the gate fails a run whose chunks were queued, came over the wrong
protocol, or loaded too slowly, with the chunk table as evidence.

    import playgate

    for judged in playgate.gate(browser="all", mode="h2", pressure="media:5"):
        playgate.assert_gate_passes(judged)

The package, in the order data flows (a layer imports only from layers above it here):

    errors, version, page_contract         what every layer shares; what pages and harness agree on
    rules                                  the gate's rules, by name
    fixtures/, server/                     the media and the reference avatar server
    config, catalogue, origin              settings; the catalogue of regressions; a probed origin
    playback_record, records               the observed records: playback, then chunks and runs
    capture/                               browsers driven; what they saw, as records
    judging/                               the gate's rules and verdicts; ground truth
    reports/                               chunk table, JSON, HAR, HTML
    diagnose/                              one chunk URL timed from a Python client
    run/                                   servers, browsers and runs, end to end
    entrypoints/                           the CLI, the pytest plugin, these functions
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from playgate.version import VERSION as __version__

if TYPE_CHECKING:
    from playgate.config import (
        GateRules as GateRules,
    )
    from playgate.config import (
        PageTarget as PageTarget,
    )
    from playgate.config import (
        Pressure as Pressure,
    )
    from playgate.config import (
        RunConfig as RunConfig,
    )
    from playgate.config import (
        Scenario as Scenario,
    )
    from playgate.entrypoints.api import (
        gate as gate,
    )
    from playgate.entrypoints.assertions import (
        assert_gate_fails as assert_gate_fails,
    )
    from playgate.entrypoints.assertions import (
        assert_gate_passes as assert_gate_passes,
    )
    from playgate.entrypoints.options import (
        Options as Options,
    )
    from playgate.errors import (
        BrowserLaunchError as BrowserLaunchError,
    )
    from playgate.errors import (
        BrowserNotFound as BrowserNotFound,
    )
    from playgate.errors import (
        EnvironmentProblem as EnvironmentProblem,
    )
    from playgate.errors import (
        GateFailure as GateFailure,
    )
    from playgate.errors import (
        MeasurementError as MeasurementError,
    )
    from playgate.errors import (
        PlaygateError as PlaygateError,
    )
    from playgate.errors import (
        RunsAborted as RunsAborted,
    )
    from playgate.errors import (
        ServerStartError as ServerStartError,
    )
    from playgate.errors import (
        UsageError as UsageError,
    )
    from playgate.judging.gate import (
        JudgedRun as JudgedRun,
    )
    from playgate.judging.gate import (
        Verdict as Verdict,
    )
    from playgate.judging.gate import (
        evaluate as evaluate,
    )
    from playgate.page_setup import (
        PageSetup as PageSetup,
    )
    from playgate.records import (
        ChunkRecord as ChunkRecord,
    )
    from playgate.records import (
        NetworkRecord as NetworkRecord,
    )
    from playgate.records import (
        PageChunk as PageChunk,
    )
    from playgate.records import (
        ResourceTiming as ResourceTiming,
    )
    from playgate.records import (
        RunRecord as RunRecord,
    )
    from playgate.reports.table import (
        chunk_table as chunk_table,
    )
    from playgate.reports.table import (
        describe as describe,
    )
    from playgate.rules import (
        Broken as Broken,
    )
    from playgate.rules import (
        Rule as Rule,
    )
    from playgate.run.runner import (
        judge as judge,
    )
    from playgate.run.runner import (
        judge_page as judge_page,
    )
    from playgate.run.runner import (
        run_gate as run_gate,
    )

# Imported on first use: the server's own process imports playgate.server and should not pay
# for Playwright and the rest of the library.
_HOMES = {
    **dict.fromkeys(["GateRules", "PageTarget", "Pressure", "RunConfig", "Scenario"], "playgate.config"),
    "PageSetup": "playgate.page_setup",
    "gate": "playgate.entrypoints.api",
    **dict.fromkeys(["assert_gate_fails", "assert_gate_passes"], "playgate.entrypoints.assertions"),
    "Options": "playgate.entrypoints.options",
    **dict.fromkeys(["Broken", "Rule"], "playgate.rules"),
    **dict.fromkeys(
        [
            "BrowserLaunchError",
            "BrowserNotFound",
            "EnvironmentProblem",
            "GateFailure",
            "MeasurementError",
            "PlaygateError",
            "RunsAborted",
            "ServerStartError",
            "UsageError",
        ],
        "playgate.errors",
    ),
    **dict.fromkeys(["JudgedRun", "Verdict", "evaluate"], "playgate.judging.gate"),
    **dict.fromkeys(["ChunkRecord", "NetworkRecord", "PageChunk", "ResourceTiming", "RunRecord"], "playgate.records"),
    **dict.fromkeys(["chunk_table", "describe"], "playgate.reports.table"),
    **dict.fromkeys(["judge", "judge_page", "run_gate"], "playgate.run.runner"),
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'playgate' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


# The public API: every name of _HOMES, and the version. (The TYPE_CHECKING imports above
# say the same for type checkers; tests/test_packaging.py holds the two to one list.)
__all__ = ["__version__", *_HOMES]
