"""The ``[tool.playgate]`` table of a pyproject.toml: found, read and checked."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from playgate.errors import UsageError

FILE_NAME = "pyproject.toml"
SECTION = "tool.playgate"


def find_config_file(start: Path) -> Path | None:
    """The nearest pyproject.toml from ``start`` up that has a [tool.playgate] table."""
    for folder in (start, *start.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate if "playgate" in read_toml(candidate).get("tool", {}) else None
    return None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}") from exc


def read_table(path: Path) -> tuple[dict[str, Any], str]:
    """``[tool.playgate]`` of a pyproject.toml as written (settings are plain values), and how
    an error names it."""
    table = read_toml(path).get("tool", {}).get("playgate", {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [{SECTION}] must be a table")
    source = f"{path} [{SECTION}]"
    for key, value in table.items():
        if isinstance(value, dict):
            raise UsageError(f"{source}: {key} is a table; settings are plain values")
    return table, source
