"""Private work folders (TLS keys, nginx's configuration), and the ones a killed run left.

Every way out of a run removes its folders, except SIGKILL: nothing runs then. So each
folder names its owner (process id and start time, which together no other process can
have had), and a later run removes a folder whose owner is gone: that much can be proved
stale. A folder of a live process, or one that names no owner, is left alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "playgate-"
OWNER_FILE = "owner"


def _started(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # fields after the command name start at field 3


def owner_stamp() -> str:
    return f"{os.getpid()} {_started(os.getpid())}"


def make_workdir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A folder only this user can read (mkdtemp makes it 0700), stamped with its owner."""
    remove_stale_workdirs()
    # Errors ignored on removal: an interrupt can land while a child is still writing
    # there (spawned, not yet known to stop). What stays is stale once the child is gone.
    workdir = tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True)
    (Path(workdir.name) / OWNER_FILE).write_text(owner_stamp())
    return workdir


def is_stale(folder: Path) -> bool:
    try:
        pid_text, started = (folder / OWNER_FILE).read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return False  # no owner named: nothing proves it stale
    return _started(pid) != started


def remove_stale_workdirs(root: Path | None = None) -> list[Path]:
    """Remove this user's work folders whose owner process is gone; return them."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            mine = folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and is_stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
