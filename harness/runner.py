"""Run the gate: servers per mode, browsers launched once, every run judged as it ends.

The CLI and the pytest plugin both come through here or through its parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Playwright, sync_playwright

from fixtures.generate import MediaSet
from harness.browsers import find_executable, launch, launch_options
from harness.config import GateRules, RunConfig, Scenario
from harness.gate import evaluate
from harness.report import JudgedRun
from harness.scenario import run_scenario
from server.serving import Served, serve
from server.settings import Mode, settings_for


class BrowserPool:
    """Each browser launched once, on first use, and closed with the pool."""

    def __init__(
        self,
        playwright: Playwright,
        *,
        headless: bool = True,
        slow_mo: float = 0,
        executables: dict[str, str] | None = None,
    ) -> None:
        self.playwright = playwright
        self.headless = headless
        self.slow_mo = slow_mo
        self.executables = executables or {}
        self._browsers: dict[str, Browser] = {}

    def get(self, name: str) -> Browser:
        if name not in self._browsers:
            executable = find_executable(name, self.executables.get(name))
            options = launch_options(name, executable, headless=self.headless, slow_mo=self.slow_mo)
            self._browsers[name] = launch(self.playwright, name, options)
        return self._browsers[name]

    def close(self) -> None:
        browsers, self._browsers = self._browsers, {}
        for browser in browsers.values():
            browser.close()


@contextmanager
def browser_pool(
    *, headless: bool = True, slow_mo: float = 0, executables: dict[str, str] | None = None
) -> Iterator[BrowserPool]:
    with sync_playwright() as playwright:
        pool = BrowserPool(playwright, headless=headless, slow_mo=slow_mo, executables=executables)
        try:
            yield pool
        finally:
            pool.close()


def judge(browser: Browser, browser_name: str, server: Served, scenario: Scenario, rules: GateRules) -> JudgedRun:
    run = run_scenario(browser, browser_name, server.base_url, scenario, server.label)
    return JudgedRun(run, evaluate(run, rules))


def run_gate(
    config: RunConfig, media: MediaSet, on_run: Callable[[JudgedRun], None] = lambda _: None
) -> list[JudgedRun]:
    """Every mode x browser of the config; a server per mode, started and always stopped."""
    results: list[JudgedRun] = []
    executables = dict(config.executables)
    # Browsers first: a missing one is reported before any server starts.
    for name in config.browsers:
        find_executable(name, executables.get(name))
    with browser_pool(headless=not config.headed, slow_mo=config.slow_mo, executables=executables) as pool:
        for mode in config.modes:
            with serve(settings_for(Mode(mode), media, h2_max_streams=config.h2_max_streams)) as server:
                for name in config.browsers:
                    judged = judge(pool.get(name), name, server, config.scenario, config.rules)
                    results.append(judged)
                    on_run(judged)
    return results
