"""MkDocs hook: the reference pages' tables, made from the code at every build.

A page asks for a table with a marker on a line of its own, ``<!-- reference: NAME -->``;
the hook puts the table there. The tables read the objects the code runs on (the argparse
parser, ``Options``, the catalogues, the exit codes, the JUnit figures, the HAR fields), so
the reference cannot drift from them; a figure or field without a description here, or a
description of one that no longer exists, stops the build.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).parents[1]
MARKER = re.compile(r"^<!-- reference: (?P<name>[a-z-]+) -->$", re.MULTILINE)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _argument(action: argparse.Action) -> str:
    flags = ", ".join(f"`{f}`" for f in action.option_strings) or f"`{action.dest}`"
    if action.nargs == 0 or isinstance(action, argparse.BooleanOptionalAction):
        return flags
    return f"{flags} `{action.metavar or action.dest.upper()}`"


def cli() -> str:
    from playgate.entrypoints.cli_parser import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    parts = ["`playgate --version` prints the installed version.\n"]
    for name, sub in commands.choices.items():
        rows = [
            (_argument(a), (a.help or "").replace("%(default)s", str(a.default)))
            for a in sub._actions
            if not isinstance(a, argparse._HelpAction)
        ]
        parts.append(f"## playgate {name}\n\n{helps[name]}.\n\n" + _table(("argument", "meaning"), rows))
    return "\n\n".join(parts)


def settings() -> str:
    from playgate.entrypoints.options import OPTION_FIELDS, default, option_type

    rows = []
    for name, spec in OPTION_FIELDS.items():
        value = default(name)
        shown = "-" if value is None else f"`{json.dumps(value) if not isinstance(value, str) else value}`"
        rows.append(
            (
                f"`{name.replace('_', '-')}`",
                f"`--{name.replace('_', '-')}`",
                option_type(name).__name__,
                shown,
                ", ".join(spec.metadata["commands"]),
                spec.metadata["help"],
            )
        )
    return _table(("key", "flag", "type", "default", "commands", "meaning"), rows)


def exit_codes() -> str:
    from playgate.entrypoints.cli_parser import EXIT_MEANINGS

    return _table(("exit code", "meaning"), [(f"`{code}`", meaning) for code, meaning in EXIT_MEANINGS.items()])


def pressures() -> str:
    from playgate.config import PRESSURE_KINDS

    return _table(("pressure", "what it holds open"), [(f"`{k}:N`", v) for k, v in PRESSURE_KINDS.items()])


def regressions() -> str:
    from playgate.catalogue import HEALTHY_H3_PRESSURES, HEALTHY_PRESSURES, REGRESSIONS

    rows = [(f"`{r.name}`", r.what, f"`{r.command()}`", ", ".join(r.caught_by)) for r in REGRESSIONS]
    healthy = ", ".join(f"`{p}`" for p in HEALTHY_PRESSURES)
    healthy_h3 = ", ".join(f"`{p}`" for p in HEALTHY_H3_PRESSURES)
    return (
        _table(("regression", "what", "reproduce", "caught by"), rows)
        + f"\n\nHealthy h2 must pass under {healthy}; `h3` and `h3-discovery` under {healthy_h3}."
    )


# What each JUnit property means: every key that key_figures returns, and only those.
JUNIT_FIGURES = {
    "verdict": "`pass` or `fail`",
    "browser": "the browser and its version, as the browser reports it",
    "mode": "the reference server's mode the run was served in (h2, h1-tls, ...); empty at a --url",
    "label": "the run's setup, as the chunk table heads it (h2 player hls, h2 app myapp:app, url)",
    "pressure": "the pressure the run was under",
    "protocols": "the chunks' protocols, comma-separated (`None` where the browser gave none)",
    "first_chunk_blocked_ms": "chunk 0's wait before the network",
    "first_chunk_waited_for": "what chunk 0 waited for, short (`6/6 conn`), or empty",
    "max_blocked_ms": "the longest wait before the network of any chunk",
    "max_load_ms": "the longest load of any chunk",
    "startup_ms": "play intent to the first frame with the playhead moving",
    "stalls": "stalls after the first frame",
    "stalled_ms": "the stalls' total time",
    "dropped_frames": "frames the browser dropped",
    "reasons": "the broken rules' sentences, joined by `; `",
}


def _returned_keys(function: Callable[..., Any]) -> list[str]:
    tree = ast.parse(inspect.getsource(function).lstrip())
    (returned,) = [n.value for n in ast.walk(tree) if isinstance(n, ast.Return) and isinstance(n.value, ast.Dict)]
    return [k.value for k in returned.keys if isinstance(k, ast.Constant)]


def _both_ways(what: str, found: list[str], described: dict[str, str]) -> None:
    missing, gone = set(found) - set(described), set(described) - set(found)
    if missing or gone:
        raise ValueError(f"{what}: undocumented {sorted(missing)}, documented but gone {sorted(gone)}")


def junit() -> str:
    from playgate.entrypoints.pytest_plugin import key_figures

    keys = _returned_keys(key_figures)
    _both_ways("JUnit properties", keys, JUNIT_FIGURES)
    rows = [(f"`playgate.N.{k}`", JUNIT_FIGURES[k]) for k in keys]
    rows.append(("`playgate.artifacts`", "where the failed test's JSON, HAR, HTML and traces were kept"))
    return _table(("property", "meaning"), rows)


# The HAR fields playgate adds (HAR 1.2 allows custom fields that start with "_").
HAR_FIELDS = {
    "_blocked_queueing": "`timings`: the queue's share of `blocked` (Chromium only; left out in Firefox, not guessed)",
    "_error": "`response`: the browser's reason a request failed",
    "_playgate_chunk": "entry: the chunk's index, on the entries that are chunks",
    "_playgate_waited_for": "entry: what the chunk waited for (cause, in flight, limit, holders), as in the JSON",
    "_playgate_playback": "page: how the page's video played (startup, stalls, dropped frames), as in the JSON",
    "_playgate_origins": "page: what the page's and chunks' origins offer, as the harness probed them (see the JSON)",
}


def har() -> str:
    from playgate.reports import har as har_module

    found = sorted(set(re.findall(r'"(_[a-z_]+)"', inspect.getsource(har_module))))
    _both_ways("HAR fields", found, HAR_FIELDS)
    return _table(("field", "where and what"), [(f"`{k}`", v) for k, v in HAR_FIELDS.items()])


def json_example() -> str:
    """A result document as the code writes it, for an h1-tls run whose chunk 0 queued."""
    from playgate.config import GateRules
    from playgate.judging.gate import JudgedRun, evaluate
    from playgate.reports.result import result_document

    sys.path.insert(0, str(REPOSITORY))  # the tests' canned records
    from tests.factory import chunk, run

    record = run(chunk(0, blocked_ms=420.0, queued_ms=410.0, load_ms=520.0, protocol="http/1.1"), chunk(1))
    judged = JudgedRun(record, evaluate(record, GateRules()))
    return "```json\n" + json.dumps(result_document([judged]), indent=2) + "\n```"


def changelog() -> str:
    text = (REPOSITORY / "CHANGELOG.md").read_text()
    return text.split("\n", 1)[1]  # its own title is the page's


def rules() -> str:
    from playgate.entrypoints.options import default
    from playgate.rules import RULES, Rule

    def setting(key: str) -> str:
        value = default(key.replace("-", "_"))
        return f"`--{key}` ({'-' if value is None else value})"

    rows = [
        (
            f"`{rule.value}`",
            RULES[rule].checks,
            ", ".join(map(setting, RULES[rule].settings)) or "-",
            RULES[rule].over_repeats,
        )
        for rule in Rule
    ]
    return _table(("rule", "breaks unless", "set by (default)", "over --repeat, judged"), rows)


TABLES: dict[str, Callable[[], str]] = {
    "rules": rules,
    "changelog": changelog,
    "cli": cli,
    "settings": settings,
    "exit-codes": exit_codes,
    "pressures": pressures,
    "regressions": regressions,
    "junit": junit,
    "har": har,
    "json-example": json_example,
}


def on_page_markdown(markdown: str, **_: Any) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in TABLES:
            raise ValueError(f"no reference table named {name!r}: one of {', '.join(TABLES)}")
        return TABLES[name]()

    return MARKER.sub(fill, markdown)


# The API reference (mkdocstrings) reads the package's source by its import name; the folders
# keep their own names in the repository (harness/ is playgate), so it reads a tree of links
# laid out as the wheel is, made afresh at each build (the handler's `paths` in mkdocs.yml).
API_SOURCE = REPOSITORY / "build" / "api-source"


def on_startup(**_: Any) -> None:
    import shutil

    package = API_SOURCE / "playgate"
    shutil.rmtree(API_SOURCE, ignore_errors=True)
    package.mkdir(parents=True)
    for entry in (REPOSITORY / "harness").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for sub in ("server", "fixtures"):
        (package / sub).symlink_to(REPOSITORY / sub)
