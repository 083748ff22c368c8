"""The tutorial (docs/tutorial.md), followed as a reader follows it: its files written as
they are shown, its commands run in the order they come, each giving what the page says."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

TUTORIAL = Path(__file__).parents[2] / "docs" / "tutorial.md"
BLOCK = re.compile(r'^```(?P<lang>\w+)(?: title="(?P<title>[^"]+)")?\n(?P<body>.*?)^```$', re.MULTILINE | re.DOTALL)


def steps() -> list[tuple[str, str]]:
    """("file", name) and ("run", command), in the page's order."""
    found = []
    for block in BLOCK.finditer(TUTORIAL.read_text()):
        if block["title"]:
            found.append(("file", block["title"]))
        elif block["lang"] == "sh":
            found.append(("run", block["body"].strip()))
    return found


def test_the_tutorial_is_files_and_commands_in_the_order_this_test_follows_them():
    kinds = [kind for kind, _ in steps()]
    assert kinds == ["file", "file", "file", "run", "run", "file", "run"], steps()


def test_following_the_tutorial(tmp_path):
    blocks = {b["title"]: b["body"] for b in BLOCK.finditer(TUTORIAL.read_text()) if b["title"]}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    outcomes = []
    for kind, what in steps():
        if kind == "file":
            (tmp_path / what).write_text(blocks[what])
            continue
        words = shlex.split(what)
        assert words[0] == "pytest", what
        ran = subprocess.run(
            [sys.executable, "-m", *words, "-p", "no:cacheprovider"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        outcomes.append((what, ran))
    (first, healthy), (second, red), (third, kept) = outcomes
    assert healthy.returncode == 0 and "2 passed" in healthy.stdout, healthy.stdout[-3000:] + healthy.stderr[-2000:]
    # Red over HTTP/1.1, with the table and the broken rule, as the page shows them.
    assert red.returncode == 1 and "1 failed" in red.stdout, red.stdout[-3000:]
    assert "mode h1-tls app avatar:app" in red.stdout
    assert "chunk  protocol  conn  reused  status  blocked  queued  stalled  waited for" in red.stdout
    assert "- protocol: chunk 0 was served over http/1.1, expected h2" in red.stdout
    assert kept.returncode == 0 and "4 passed" in kept.stdout, kept.stdout[-3000:] + kept.stderr[-2000:]
