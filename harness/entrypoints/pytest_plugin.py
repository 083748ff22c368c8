"""The pytest plugin: options, fixtures, a marker, artifacts. The logic lives in the library.

Builds on pytest-playwright: its ``--browser`` parametrizes the tests that use
``playgate_browser`` (``pytest --browser chromium --browser firefox``), its ``--headed``
and ``--slowmo`` reach the browsers launched here, and its ``--output`` folder
(``test-results``) receives the artifacts of a failed test.

Settings are the fields of ``playgate.entrypoints.options.Options``, from (lowest first) the defaults,
``[tool.playgate]`` in the rootdir's pyproject.toml, ``--playgate-<setting>`` options,
the ``playgate`` marker, then ``playgate_run(...)`` arguments:

    def test_h2_is_not_queued(playgate_run):
        judged = playgate_run(mode="h2", pressure="media:5")
        assert_gate_passes(judged)

    @pytest.mark.playgate(app="myapp.main:app", chunk_pattern="/media/", chunks=3)
    def test_my_app(playgate_run):
        assert_gate_passes(playgate_run())

Every run's key figures become JUnit properties (as ``record_property`` records them). When a test
that ran the gate fails, its runs' result.json, HAR files, report.html and Playwright
traces are kept under ``<output>/<test>/playgate/`` (``--playgate-artifacts``:
retain-on-failure by default, like pytest-playwright's, or on, or off).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright

from playgate.capture.browser_finder import BROWSERS
from playgate.capture.browsers import BrowserPool
from playgate.capture.live import Watching
from playgate.capture.remote import parse_endpoints
from playgate.config import check_h2_max_streams, parse_modes
from playgate.entrypoints.options import OPTION_FIELDS, Options, file_values, option_type
from playgate.errors import MeasurementError, PlaygateError, UsageError
from playgate.fixtures.generate import MediaSet, ensure_media
from playgate.judging.gate import JudgedRun
from playgate.page_setup import SetupFunction
from playgate.reports.files import file_safe
from playgate.reports.outputs import Outputs
from playgate.reports.table import describe
from playgate.run.runner import SetupAborted, judge_repeats, serve_mode, wait_for_enter, watching_for
from playgate.server.network import parse_network
from playgate.server.serving import Served
from playgate.server.settings import DEFAULT_H2_MAX_STREAMS, Mode
from playgate.webrtc_record import webrtc_figures

# pytest-playwright owns these (--browser, --headed, --slowmo, --output); the rest of
# Options are pytest options too.
# --shard splits a playgate run; pytest's suites are split by their own plugins (see the CI guide).
NOT_PYTEST_OPTIONS = {"browser", "headed", "slowmo", "output", "json", "har", "report", "shard"}
PYTEST_OPTIONS = [name for name in OPTION_FIELDS if name not in NOT_PYTEST_OPTIONS]
# Marker and playgate_run() keys: every pytest option, and the reference server's
# missing-chunk fault (a tuple, for tests only).
EXTRA_KEYS = {"missing_chunks", "slow_chunks"}
MARKER_KEYS = set(PYTEST_OPTIONS) | EXTRA_KEYS
ARTIFACT_POLICIES = ("retain-on-failure", "on", "off")


def _flag(name: str) -> str:
    return "--playgate-" + name.replace("_", "-")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("playgate", "playgate: protocol regression gate for video playback")
    for name in PYTEST_OPTIONS:
        spec, kind = OPTION_FIELDS[name], option_type(name)
        if kind is bool:
            group.addoption(_flag(name), action="store_true", default=None, help=spec.metadata["help"])
        elif kind is tuple:
            group.addoption(_flag(name), action="append", default=None, help=spec.metadata["help"])
        else:
            group.addoption(_flag(name), type=kind, default=None, help=spec.metadata["help"])
    group.addoption(
        "--playgate-artifacts",
        choices=ARTIFACT_POLICIES,
        default="retain-on-failure",
        help="keep result.json, HAR, report.html and traces of a test's runs: retain-on-failure (default), on, off",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "playgate(**settings): settings for playgate_run; keys: " + ", ".join(sorted(MARKER_KEYS)),
    )


def _base_options(config: pytest.Config) -> Options:
    """Defaults, [tool.playgate] of the rootdir's pyproject.toml, then --playgate-* options."""
    pyproject = config.rootpath / "pyproject.toml"
    options = Options().updated(file_values(pyproject if pyproject.is_file() else None), str(pyproject))
    given = {name: config.getoption(_flag(name)) for name in PYTEST_OPTIONS}
    return options.updated({k: v for k, v in given.items() if v is not None}, "pytest options")


@pytest.fixture(scope="session")
def playgate_media() -> MediaSet:
    """The generated chunk media (made once, cached between runs)."""
    return ensure_media()


@pytest.fixture(scope="session")
def playgate_server(pytestconfig: pytest.Config, playgate_media: MediaSet) -> Iterator[Callable[..., Served]]:
    """``playgate_server(mode, h2_max_streams=100, app=None, network=None)``: the reference
    server (or the user's ASGI app) in that setup, nginx in front for ``nginx-h1``, behind a
    shaped path for a ``network`` profile; started once per session."""
    servers: dict[tuple[Mode, int, str | None, str | None], Served] = {}
    with ExitStack() as stack:

        def get(
            mode: str, h2_max_streams: int = DEFAULT_H2_MAX_STREAMS, app: str | None = None, network: str | None = None
        ) -> Served:
            key = (Mode.parse(mode), check_h2_max_streams(h2_max_streams), app, network)
            if key not in servers:
                listen = _base_options(pytestconfig).listen
                served = serve_mode(
                    key[0],
                    playgate_media,
                    h2_max_streams=h2_max_streams,
                    app=app,
                    host=listen,
                    network=parse_network(network) if network else None,
                )
                servers[key] = stack.enter_context(served)
            return servers[key]

        yield get


@pytest.fixture(scope="session")
def _playgate_browsers(
    pytestconfig: pytest.Config, playwright: Playwright, browser_name: str, browser_type_launch_args: dict[str, Any]
) -> Iterator[BrowserPool]:
    """The session's browser pool (capture.browsers.BrowserPool, as every entry point's),
    holding the real browser of this parametrization of ``--browser``, with pytest-playwright's
    ``--headed`` and ``--slowmo``."""
    if browser_name not in BROWSERS:
        raise pytest.UsageError(f"playgate drives chromium and firefox, not {browser_name}")
    try:
        options = _base_options(pytestconfig)
        endpoints = parse_endpoints(options.connect)
        override = options.executables().get(browser_name)
    except PlaygateError as exc:
        pytest.fail(str(exc), pytrace=False)
    pool = BrowserPool(
        playwright,
        headless=browser_type_launch_args.get("headless", True),
        slow_mo=browser_type_launch_args.get("slow_mo") or 0,
        executables={browser_name: override} if override else {},
        endpoints=endpoints,
    )
    yield pool
    pool.close()


@pytest.fixture
def playgate_browser(_playgate_browsers: BrowserPool, browser_name: str) -> Browser:
    """The real browser for this parametrization of ``--browser`` (the session's, launched
    afresh, if due, before the test starts: never during it)."""
    try:
        return _playgate_browsers.get(browser_name, runs=0)
    except PlaygateError as exc:
        pytest.fail(str(exc), pytrace=False)


def _marker_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("playgate")
    if marker is None:
        return {}
    unknown = set(marker.kwargs) - MARKER_KEYS
    if unknown:
        raise pytest.UsageError(f"unknown playgate marker keys {sorted(unknown)}; known: {sorted(MARKER_KEYS)}")
    return dict(marker.kwargs)


@pytest.fixture
def playgate_setup() -> SetupFunction | None:
    """What a test's user page needs before it is measured: override this fixture (in a
    conftest.py, or in a test module) to return a function of Playwright's Page, run on each
    page ``playgate_run`` opens with ``url`` or ``app`` once it is open, before the chunks are
    waited for: a login form, a "start" click. None (the default): the page as it opens.

        @pytest.fixture
        def playgate_setup():
            def sign_in(page):
                page.fill("#user", "demo")
                page.fill("#password", "demo")
                page.click("text=Sign in")
                page.click("#start")
            return sign_in

    The same as ``--setup MODULE:FUNCTION`` on the command line."""
    return None


@dataclass
class KeptRuns:
    """The runs of one test, and where their artifacts go if they are kept."""

    folder: Path
    runs: list[JudgedRun] = field(default_factory=list)
    traces: list[Path] = field(default_factory=list)

    def next_trace(self, judged_label: str) -> Path:
        return self.folder / "traces" / f"{len(self.traces) + 1:02d}-{judged_label}.zip"


def key_figures(judged: JudgedRun) -> dict[str, Any]:
    """What a CI dashboard shows per run: the verdict, the protocols, the worst waits."""
    chunks = judged.run.chunks

    def worst(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return round(max(known), 1) if known else None

    return {
        "verdict": judged.verdict.label,
        "browser": f"{judged.run.browser} {judged.run.browser_version}",
        "mode": judged.run.mode,
        "label": judged.run.label,
        "pressure": judged.run.pressure,
        "protocols": ",".join(sorted({str(c.protocol) for c in chunks})),
        "first_chunk_blocked_ms": worst([chunks[0].blocked_ms]) if chunks else None,
        "first_chunk_waited_for": first_wait.short if (first_wait := next(iter(judged.verdict.waits), None)) else None,
        "max_blocked_ms": worst([c.blocked_ms for c in chunks]),
        "max_load_ms": worst([c.load_ms for c in chunks]),
        "startup_ms": worst([playback.startup_ms]) if (playback := judged.run.playback) else None,
        "stalls": len(playback.stalls) if playback else None,
        "stalled_ms": round(playback.stalled_ms, 1) if playback else None,
        "dropped_frames": playback.dropped_frames if playback else None,
        **webrtc_figures(judged.run.webrtc),
        "reasons": "; ".join(judged.verdict.reasons),
    }


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
        # Whatever assertion failed, the runs it judged are the evidence: each one's chunk
        # table, notes and verdict, shown with the failure.
        runs = item.stash.get(_TEST_RUNS, None)
        if report.failed and runs is not None:
            # assert_gate_passes has put its run's table there already: known by its first line.
            shown = report.longreprtext
            unseen = [text for text in map(describe, runs.runs) if text.splitlines()[0] not in shown]
            if unseen:
                report.sections.append(("playgate runs", "\n\n".join(unseen)))
    return report


_CALL_FAILED = pytest.StashKey[bool]()
_TEST_RUNS = pytest.StashKey["KeptRuns"]()


def describe_setup(judged: JudgedRun) -> str:
    return f"{judged.run.browser} {judged.run.mode or judged.run.label}, {judged.verdict.label}"


def _hold_open(request: pytest.FixtureRequest, what: str) -> None:
    """--playgate-keep-open: the browser stays as the run left it until Enter is pressed,
    with pytest's capture suspended (as its debugger does) so the prompt is seen."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        wait_for_enter(f"{what}; the browser stays open")
        return
    capture.suspend_global_capture(in_=True)  # stdin too: what pytest does for its debugger
    try:
        wait_for_enter(f"{what}; the browser stays open")
    finally:
        capture.resume_global_capture()


def record_property(request: pytest.FixtureRequest, name: str, value: object) -> None:
    """What pytest's ``record_property`` fixture records, without its warning under the
    default junit_family (xunit2): the JUnit XML gets the property either way."""
    request.node.user_properties.append((name, value))


@pytest.fixture
def playgate_run(
    request: pytest.FixtureRequest,
    playgate_browser: Browser,  # set up first: a due relaunch happens before the test, not in it
    _playgate_browsers: BrowserPool,
    browser_name: str,
    playgate_server: Callable[..., Served],
    playgate_setup: SetupFunction | None,
    output_path: str,
    browser_type_launch_args: dict[str, Any],
) -> Iterator[Callable[..., JudgedRun]]:
    """``playgate_run(**settings) -> JudgedRun``: one run, measured and judged.

    Settings: the plugin's docstring. With ``url`` the page at that URL; with ``app``
    the user's ASGI app served in ``mode``; else the bundled player.
    """
    problem = None
    # pytest-playwright's --headed shows the browser: --playgate-keep-open needs it.
    headed = {"headed": True} if browser_type_launch_args.get("headless") is False else {}
    try:
        base = (
            _base_options(request.config)
            .updated(headed, "--headed")
            .updated(_marker_settings(request), "playgate marker")
        )
    except PlaygateError as exc:  # a bad setting is one line, not a traceback
        problem = str(exc)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    policy = request.config.getoption("--playgate-artifacts")
    test_runs = KeptRuns(Path(output_path) / "playgate")
    request.node.stash[_TEST_RUNS] = test_runs
    if test_runs.folder.exists():
        shutil.rmtree(test_runs.folder)

    def run(**settings: Any) -> JudgedRun:
        try:
            return measure(**settings)
        except PlaygateError as exc:  # a usage or environment problem: one line, not a traceback
            problem = f"playgate: {exc}"
        pytest.fail(problem, pytrace=False)

    def measure(**settings: Any) -> JudgedRun:
        unknown = set(settings) - MARKER_KEYS
        if unknown:
            raise UsageError(f"unknown playgate_run settings {sorted(unknown)}; known: {sorted(MARKER_KEYS)}")
        missing_chunks = tuple(settings.pop("missing_chunks", ()))
        slow_chunks = tuple(settings.pop("slow_chunks", ()))
        options = base.updated(settings, "playgate_run")
        page_setup = playgate_setup if (options.url or options.app) else None
        config = options.run_config(options.mode, setup=page_setup)
        if len(config.modes) != 1:
            raise UsageError("playgate_run takes one mode; parametrize the test for several")
        (mode,) = parse_modes(options.mode)

        server = (
            None if config.url else playgate_server(mode.value, options.h2_max_streams, options.app, options.network)
        )

        def watching() -> Watching:
            trace = test_runs.next_trace(f"{browser_name}-{file_safe(mode.value)}") if policy != "off" else None
            if trace is not None:
                trace.parent.mkdir(parents=True, exist_ok=True)
                test_runs.traces.append(trace)
            return watching_for(config, browser_name, trace, server)

        # Injected faults of the reference server, set on the run's scenario: indices of
        # chunks that 404, and of the only chunks the chunk delay and rate apply to.
        scenario = replace(config.scenario, missing_chunks=missing_chunks, slow_chunks=slow_chunks)
        try:
            judged = judge_repeats(
                _playgate_browsers, browser_name, config, server, scenario=scenario, watching=watching, held=True
            )
        except SetupAborted as exc:
            raise MeasurementError(str(exc)) from exc
        if config.keep_open:
            _hold_open(request, f"{request.node.name}: {describe_setup(judged)}")
            for context in playgate_browser.contexts:  # the run's, left open for looking at
                context.close()
        test_runs.runs.append(judged)
        position = len(test_runs.runs)
        for name, value in key_figures(judged).items():
            record_property(request, f"playgate.{position}.{name}", value)
        return judged

    yield run
    failed = request.node.stash.get(_CALL_FAILED, False)
    keep = policy == "on" or (policy == "retain-on-failure" and failed)
    if keep and test_runs.runs:
        Outputs.choose(test_runs.folder).write(test_runs.runs)
        record_property(request, "playgate.artifacts", str(test_runs.folder))
    elif test_runs.folder.exists():
        shutil.rmtree(test_runs.folder)
