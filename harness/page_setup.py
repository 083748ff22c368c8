"""What is done to a user's page before it is measured: the browser context's storage state
(cookies, local storage: a session already logged in) and extra headers, and a function of
the user's run on the opened page (a login form, a "start" click)."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playgate.errors import UsageError

# A function run on the user's page before it is measured: given Playwright's (sync) Page.
SetupFunction = Callable[[Any], object]
_HEADER = re.compile(r"^(?P<name>[!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(?P<value>.*)$")
_FUNCTION_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def parse_header(text: str) -> tuple[str, str]:
    """``Name: value`` as (name, value); one error saying how otherwise."""
    match = _HEADER.match(text.strip())
    if not match:
        raise UsageError(f"--header {text!r}: give 'Name: value', e.g. --header 'Authorization: Bearer TOKEN'")
    return match["name"], match["value"].strip()


def check_storage_state(path: str) -> str:
    """A Playwright storage state file (what ``context.storage_state(path=...)`` writes)."""
    try:
        state = json.loads(Path(path).read_text())
    except OSError as exc:
        raise UsageError(f"--storage-state {path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise UsageError(f"--storage-state {path} is not JSON ({exc})") from None
    if not isinstance(state, dict) or not isinstance(state.get("cookies", []), list):
        raise UsageError(
            f"--storage-state {path} is not a Playwright storage state: write one with "
            "context.storage_state(path=...) after logging in"
        )
    return path


def load_setup_function(spec: str) -> SetupFunction:
    """The function ``module:function`` names, imported from the current folder as pytest would."""
    if not _FUNCTION_SPEC.match(spec):
        raise UsageError(f"--setup {spec!r}: give module:function, e.g. tests.login:sign_in")
    module_name, _, name = spec.partition(":")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(
            f"--setup {spec}: cannot import {module_name} ({exc}); run from your project's folder"
        ) from None
    function = getattr(module, name, None)
    if not callable(function):
        raise UsageError(f"--setup {spec}: {module_name} has no function {name}")
    return check_setup_function(function, spec)


def check_setup_function(function: object, name: str) -> SetupFunction:
    """``function`` if it can be called with the page, Playwright's sync Page; else one error."""
    if inspect.iscoroutinefunction(function):
        raise UsageError(
            f"setup {name} is async: playgate drives the browser with Playwright's sync API; "
            "write it as def setup(page) using page.fill(), page.click(), ..."
        )
    if not callable(function):
        raise UsageError(f"setup {name!r} is not a function of the page")
    checked: SetupFunction = function
    return checked


@dataclass(frozen=True)
class PageSetup:
    """What is done to the user's page before it is measured: its browser context starts
    with a storage state (cookies, local storage: a session already logged in) and extra
    request headers, and a function of the user's runs on the opened page (a login form,
    a "start" click) before playgate waits for the chunks."""

    storage_state: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    function: SetupFunction | None = None
    name: str | None = None  # the function, as messages name it

    def context_options(self) -> dict[str, Any]:
        """What ``browser.new_context`` takes of this."""
        options: dict[str, Any] = {}
        if self.storage_state is not None:
            options["storage_state"] = self.storage_state
        if self.headers:
            options["extra_http_headers"] = dict(self.headers)
        return options

    def __bool__(self) -> bool:
        return bool(self.storage_state or self.headers or self.function)
