"""Fixtures shared by the unit and end-to-end tests."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

# Under pytest -n, what must run by itself says so (@pytest.mark.alone): tests/tooling/alone.py.
pytest_plugins = ["tests.tooling.alone"]


@pytest.fixture(scope="session")
def media():
    """The generated chunks and preload file (made once per generator version, then cached)."""
    from playgate.fixtures.generate import ensure_media

    return ensure_media()


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    """The project's wheel, built as a user's ``pip install`` builds it."""
    folder = tmp_path_factory.mktemp("wheel")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--disable-pip-version-check",
        "-q",
        "-w",
        str(folder),
    ]
    # setuptools builds in build/lib and never empties it: a module renamed since the last
    # build would still be shipped (a fresh clone has none of it).
    for scratch in ("lib", "bdist.linux-x86_64"):
        shutil.rmtree(ROOT / "build" / scratch, ignore_errors=True)
    done = subprocess.run([*command, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (wheel,) = folder.glob("playgate-*.whl")
    return wheel
