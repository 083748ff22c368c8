"""A run split into two shards, as two CI jobs would run it, then merged: every setup exactly
once, in the unsharded order, with the verdicts an unsharded run gives them."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
RUN = ["run", "--browser", "chromium,firefox", "--mode", "h1-tls,h2", "--chunks", "1"]


def playgate(*args):
    return subprocess.run(
        [sys.executable, "-m", "playgate", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_two_shards_merge_into_the_unsharded_result(tmp_path):
    shards = []
    for index in (1, 2):
        folder = tmp_path / f"shard-{index}"
        done = playgate(*RUN, "--shard", f"{index}/2", "--output", str(folder))
        assert done.returncode == 1, done.stdout[-3000:] + done.stderr  # each shard has an h1-tls run
        assert f"(shard {index}/2)" in done.stdout
        shards.append(str(folder))
    merged = playgate("merge", str(tmp_path / "merged"), *shards)
    assert merged.returncode == 1, merged.stdout + merged.stderr
    assert "playgate merge: 4 runs from 2 shards, 2 passed, 2 failed" in merged.stdout
    runs = json.loads((tmp_path / "merged" / "result.json").read_text())["runs"]
    assert [(r["mode"], r["browser"], r["verdict"]) for r in runs] == [
        ("h1-tls", "chromium", "fail"),
        ("h1-tls", "firefox", "fail"),
        ("h2", "chromium", "pass"),
        ("h2", "firefox", "pass"),
    ]
    assert len(list((tmp_path / "merged" / "har").glob("*.har"))) == 4
    assert (tmp_path / "merged" / "report.html").read_text().count('<section class="run') == 4
    assert ET.parse(tmp_path / "merged" / "junit.xml").getroot().get("failures") == "2"
