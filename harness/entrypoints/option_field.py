"""How a setting is declared: a dataclass field whose metadata is its help, the commands that
take it and its metavar (entrypoints.options reads them into flags, pytest options and keys)."""

from __future__ import annotations

from dataclasses import field
from typing import Any

RUN, COMPARE = "run", "compare"
BOTH = (RUN, COMPARE)


def opt(default: Any, help: str, commands: tuple[str, ...] = BOTH, *, metavar: str | None = None) -> Any:
    return field(default=default, metadata={"help": help, "commands": commands, "metavar": metavar})
