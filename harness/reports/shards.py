"""Shards of one gate run, written on several machines and joined into one result.

A run with ``--shard i/n --output DIR`` writes, beside its usual files, ``DIR/shard.json``:
which shard it is, the playgate version, a fingerprint of the settings that decide what is
measured, and its judged runs whole (every record, not the JSON result's summary), each
with its setup's place in the unsharded order. ``playgate merge OUTPUT DIR...`` reads them,
refuses shards that do not belong together, and writes the files one unsharded run would
have written, in its order: ``result.json``, ``har/``, ``report.html`` and ``junit.xml``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from playgate.config import RunConfig
from playgate.errors import UsageError
from playgate.judging.gate import JudgedRun
from playgate.reports.files import write_document
from playgate.server.settings import Mode
from playgate.version import VERSION

SHARD_FILE = "shard.json"
SHARD_FORMAT = 2  # 2: a run keeps its mode apart from its label
# What a machine may set differently without measuring something else.
LOCAL_SETTINGS = {"executables", "endpoints", "listen", "headed", "slow_mo", "live", "keep_open", "shard"}


def settings_fingerprint(config: RunConfig) -> str:
    """The same for two configs that measure the same setups with the same rules."""
    measured = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name not in LOCAL_SETTINGS}
    text = json.dumps(_plain(measured), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def write_shard(folder: Path, config: RunConfig, runs: Sequence[JudgedRun]) -> Path:
    """``folder/shard.json`` for the runs this shard measured."""
    assert config.shard is not None
    order = config.setups()
    document = {
        "playgate_shard": SHARD_FORMAT,
        "version": VERSION,
        "shard": [config.shard.index, config.shard.count],
        "settings": settings_fingerprint(config),
        "setups": len(order),
        "taken": sum(config.shard.takes(k) for k in range(len(order))),  # setups this shard was to measure
        "runs": [{"setup": _setup_of(judged, config), "judged": _plain(judged)} for judged in runs],
    }
    path = folder / SHARD_FILE
    write_document(path, document)
    return path


def _setup_of(judged: JudgedRun, config: RunConfig) -> int:
    """The run's place among the unsharded run's setups."""
    mode = None if config.url or judged.run.mode is None else Mode(judged.run.mode)
    return config.setups().index((mode, judged.run.browser))


def read_shards(folders: Sequence[Path]) -> list[JudgedRun]:
    """The judged runs of shards that belong together, in the unsharded run's order; one
    UsageError saying why where they do not."""
    documents = []
    for folder in folders:
        path = folder / SHARD_FILE
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError:
            raise UsageError(f"{path}: no shard here; give the --output folders of runs made with --shard") from None
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: not a shard file ({exc})") from None
        if document.get("playgate_shard") != SHARD_FORMAT:
            raise UsageError(f"{path}: not a shard file of this playgate (format {document.get('playgate_shard')!r})")
        documents.append((path, document))
    first_path, first = documents[0]
    for path, document in documents[1:]:
        for key, what in (("version", "playgate versions"), ("settings", "settings"), ("setups", "settings")):
            if document[key] != first[key]:
                raise UsageError(
                    f"{path} and {first_path} were made with different {what} "
                    f"({document[key]} and {first[key]}): run every shard with the same playgate and flags"
                )
    counts = {document["shard"][1] for _, document in documents}
    if len(counts) > 1:
        raise UsageError(f"the shards split the setups differently (into {sorted(counts)}): use one --shard i/N")
    (count,) = counts
    seen: dict[int, Path] = {}
    for path, document in documents:
        index = document["shard"][0]
        if index in seen:
            raise UsageError(f"{path} and {seen[index]} are both shard {index}/{count}: their setups overlap")
        seen[index] = path
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        raise UsageError(f"shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing: give every shard's folder")
    for path, document in documents:
        if len(document["runs"]) < document["taken"]:
            raise UsageError(
                f"{path}: shard {document['shard'][0]}/{count} has {len(document['runs'])} of its "
                f"{document['taken']} setups (the others could not finish there: see that job's log); "
                "a merged result would leave them out"
            )
    placed = sorted(
        ((entry["setup"], _decode(JudgedRun, entry["judged"])) for _, d in documents for entry in d["runs"]),
        key=lambda pair: pair[0],
    )
    return [judged for _, judged in placed]


def _decode(cls: Any, data: Any) -> Any:
    """A frozen dataclass (records, verdicts) back from its plain form."""
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _value(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data})


def _value(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _value(inner, value)
    if origin is tuple:
        inner = typing.get_args(kind)[0]
        return tuple(_value(inner, item) for item in value)
    if dataclasses.is_dataclass(kind):
        return _decode(kind, value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    return value


def junit_document(runs: Sequence[JudgedRun]) -> str:
    """A JUnit XML file with a test case per run, failed with the gate's reasons."""
    failures = sum(not j.verdict.passed for j in runs)
    cases = []
    for judged in runs:
        run = judged.run
        name = quoteattr(f"{run.label} | {run.pressure}")
        case = f"  <testcase classname={quoteattr('playgate.' + run.browser)} name={name}>"
        if not judged.verdict.passed:
            message = quoteattr(judged.verdict.reasons[0] if judged.verdict.reasons else "failed")
            case += f"\n    <failure message={message}>{escape(chr(10).join(judged.verdict.reasons))}</failure>\n  "
        cases.append(case + "</testcase>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<testsuite name="playgate" tests="{len(runs)}" failures="{failures}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    )
