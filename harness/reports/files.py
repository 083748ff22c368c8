"""Writing files: whole or not at all, under names that are safe on any file system."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def file_safe(text: str) -> str:
    """``text`` as part of a file name: runs of anything but letters, digits, ``_.-`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def write_atomic(path: Path, text: str) -> None:
    """Write a file whole or not at all: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write_document(path: Path, document: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(document, indent=2) + "\n")
