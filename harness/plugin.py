"""The pytest plugin: options, fixtures, a marker. The logic lives in the library.

Builds on pytest-playwright: its ``--browser`` parametrizes the tests that use
``playgate_browser`` (``pytest --browser chromium --browser firefox``), and its
``--headed`` and ``--slowmo`` reach the browsers launched here. What it adds is the
executable and channel of Debian's browsers (Firefox over WebDriver BiDi).

    def test_h2_is_not_queued(playgate_run):
        judged = playgate_run(mode="h2", pressure="media:5")
        assert_gate_passes(judged)

    @pytest.mark.playgate(mode="h1-tls")
    def test_marked(playgate_run):
        assert_gate_fails(playgate_run(), "protocol")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright

from fixtures.generate import MediaSet, ensure_media
from harness.browsers import BROWSERS, find_executable, launch, launch_options
from harness.config import GateRules, Pressure, Scenario, check_h2_max_streams, parse_modes
from harness.errors import PlaygateError
from harness.report import JudgedRun
from harness.runner import judge
from server.serving import Served, serve
from server.settings import DEFAULT_H2_MAX_STREAMS, Mode, settings_for

MARKER_KEYS = {
    "mode",
    "pressure",
    "chunks",
    "pace_ms",
    "hold_ms",
    "timeout_s",
    "chunk_delay_ms",
    "chunk_kib_per_s",
    "missing_chunks",
    "h2_max_streams",
    "expected_protocol",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("playgate", "playgate: protocol regression gate for video playback")
    scenario, rules = Scenario(), GateRules()
    group.addoption("--playgate-mode", choices=[m.value for m in Mode], default="h2", help="server mode")
    group.addoption(
        "--playgate-h2-max-streams",
        type=int,
        default=DEFAULT_H2_MAX_STREAMS,
        help="the server's h2 max concurrent streams",
    )
    group.addoption("--playgate-pressure", default="none", help="none, sse:N, tabs:N, media:N, streams:N or a sum")
    group.addoption("--playgate-chunks", type=int, default=scenario.chunks, help="chunks per run")
    group.addoption("--playgate-hold-ms", type=int, default=scenario.hold_ms, help="holder lifetime after chunk 0")
    group.addoption("--playgate-timeout", type=float, default=scenario.timeout_s, help="seconds per run")
    group.addoption("--playgate-max-queued-ms", type=float, default=rules.max_queued_ms, help="queueing limit")
    group.addoption("--playgate-max-load-ms", type=float, default=rules.max_load_ms, help="load time limit")
    for name, spec in BROWSERS.items():
        group.addoption(
            f"--playgate-{name}", metavar="PATH", help=f"{name} executable (default: {spec.env_var} or PATH)"
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "playgate(**settings): scenario for playgate_run; keys: " + ", ".join(sorted(MARKER_KEYS)),
    )


@pytest.fixture(scope="session")
def playgate_media() -> MediaSet:
    """The generated chunk media (made once, cached between runs)."""
    return ensure_media()


@pytest.fixture(scope="session")
def playgate_server(playgate_media: MediaSet) -> Iterator[Callable[..., Served]]:
    """``playgate_server(mode, h2_max_streams=100)``: the reference server in that setup
    (nginx in front for ``nginx-h1``), started once per session."""
    servers: dict[tuple[Mode, int], Served] = {}
    with ExitStack() as stack:

        def get(mode: str, h2_max_streams: int = DEFAULT_H2_MAX_STREAMS) -> Served:
            key = (Mode.parse(mode), check_h2_max_streams(h2_max_streams))
            if key not in servers:
                settings = settings_for(key[0], playgate_media, h2_max_streams=h2_max_streams)
                servers[key] = stack.enter_context(serve(settings))
            return servers[key]

        yield get


@pytest.fixture(scope="session")
def playgate_browser(
    pytestconfig: pytest.Config, playwright: Playwright, browser_name: str, browser_type_launch_args: dict[str, Any]
) -> Iterator[Browser]:
    """The real browser for this parametrization of ``--browser``, launched once."""
    if browser_name not in BROWSERS:
        raise pytest.UsageError(f"playgate drives chromium and firefox, not {browser_name}")
    try:
        executable = find_executable(browser_name, pytestconfig.getoption(f"--playgate-{browser_name}"))
        options = launch_options(browser_name, executable)
        options.update({k: v for k, v in browser_type_launch_args.items() if k in ("headless", "slow_mo")})
        browser = launch(playwright, browser_name, options)
    except PlaygateError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield browser
    browser.close()


def _scenario_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    option = request.config.getoption
    settings: dict[str, Any] = {
        "mode": option("--playgate-mode"),
        "h2_max_streams": option("--playgate-h2-max-streams"),
        "pressure": option("--playgate-pressure"),
        "chunks": option("--playgate-chunks"),
        "hold_ms": option("--playgate-hold-ms"),
        "timeout_s": option("--playgate-timeout"),
    }
    marker = request.node.get_closest_marker("playgate")
    if marker:
        unknown = set(marker.kwargs) - MARKER_KEYS
        if unknown:
            raise pytest.UsageError(f"unknown playgate marker keys {sorted(unknown)}; known: {sorted(MARKER_KEYS)}")
        settings.update(marker.kwargs)
    return settings


@pytest.fixture
def playgate_run(
    request: pytest.FixtureRequest,
    playgate_browser: Browser,
    browser_name: str,
    playgate_server: Callable[..., Served],
) -> Callable[..., JudgedRun]:
    """``playgate_run(**overrides) -> JudgedRun``: one scenario, measured and judged.

    Settings come from the command line, then the ``playgate`` marker, then overrides.
    """
    defaults = _scenario_settings(request)
    option = request.config.getoption

    def run(**overrides: Any) -> JudgedRun:
        unknown = set(overrides) - MARKER_KEYS
        if unknown:
            raise TypeError(f"unknown playgate_run settings {sorted(unknown)}")
        settings = {**defaults, **overrides}
        (mode,) = parse_modes(settings.pop("mode"))
        server = playgate_server(mode.value, settings.pop("h2_max_streams"))
        rules = GateRules(
            expected_protocol=settings.pop("expected_protocol", "h2"),
            max_queued_ms=option("--playgate-max-queued-ms"),
            max_load_ms=option("--playgate-max-load-ms"),
        )
        scenario = Scenario(pressure=Pressure.parse(settings.pop("pressure")), **settings)
        return judge(playgate_browser, browser_name, server, scenario, rules)

    return run
