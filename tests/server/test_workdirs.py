"""Work folders name their owner; only a folder whose owner is provably gone is removed."""

import os
import subprocess
import sys

from playgate.server.workdirs import OWNER_FILE, owner_stamp, remove_stale_workdirs


def folder_of(root, name, owner):
    folder = root / name
    folder.mkdir()
    (folder / "key.pem").write_text("secret")
    if owner is not None:
        (folder / OWNER_FILE).write_text(owner)
    return folder


def test_only_folders_of_gone_owners_are_removed(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone_pid = int(finished.stdout)
    live_pid, live_start = owner_stamp().split()
    gone = folder_of(tmp_path, "playgate-server-gone", f"{gone_pid} 12345")
    reused = folder_of(tmp_path, "playgate-server-reused", f"{live_pid} {int(live_start) - 1}")  # same pid, other start
    mine = folder_of(tmp_path, "playgate-server-mine", owner_stamp())
    unnamed = folder_of(tmp_path, "playgate-server-unnamed", None)
    garbled = folder_of(tmp_path, "playgate-nginx-garbled", "not a stamp")
    other = folder_of(tmp_path, "someone-else", f"{gone_pid} 12345")
    assert sorted(remove_stale_workdirs(tmp_path)) == sorted([gone, reused])
    assert not gone.exists() and not reused.exists()
    assert all(f.exists() for f in (mine, unnamed, garbled, other))
    assert os.getpid() == int(live_pid)
