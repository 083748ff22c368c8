"""A CI whose environment names a proxy (HTTP_PROXY, HTTPS_PROXY: common behind a company's
firewall): the gate on this machine's server runs in every browser as without it. Browsers
leave loopback out of a proxy; WebKit's driver and Python's urllib would not, so playgate
keeps them straight to loopback."""

import json
import os
import subprocess
import sys

import pytest

from playgate.capture.browser_finder import browser_names

pytestmark = pytest.mark.browser

DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there: a request sent to it fails


def test_a_proxy_in_the_environment_leaves_every_browser_run_as_it_was(tmp_path):
    proxied = {name: DEAD_PROXY for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")}
    result = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, "-m", "playgate", "run", "--browser", "all", "--chunks", "2", "--json", str(result)],
        capture_output=True, text=True, timeout=300, env={**os.environ, **proxied},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    runs = json.loads(result.read_text())["runs"]
    assert sorted(run["browser"] for run in runs) == sorted(browser_names("all"))
