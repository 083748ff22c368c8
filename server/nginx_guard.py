"""``python -m playgate.server.nginx_guard NGINX ARGS...``: nginx, stopped whatever happens.

nginx alone cannot be trusted to go with playgate. A parent-death signal reaches only its
master; a SIGTERM that lands while the master is still starting sets its "terminate"
flag before it waits for signals, so it waits for ever (seen after a SIGKILL of playgate
at that moment); and nginx workers outlive a killed master. So nginx runs here in a
process group of its own, and the whole group is stopped (SIGTERM, then SIGKILL) when
this process's stdin closes (playgate exited, however) or when it gets SIGTERM or SIGINT.
The listening socket passes through: the descriptors named in nginx's ``NGINX`` variable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

STOP_GRACE_S = 2.0


def stop_group(nginx: subprocess.Popen[bytes]) -> None:
    """SIGTERM to nginx's process group, SIGKILL to what is left after the grace time."""
    for signum, grace in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, None)):
        try:
            os.killpg(nginx.pid, signum)
        except ProcessLookupError:
            return
        try:
            nginx.wait(grace)
            if signum == signal.SIGTERM:
                os.killpg(nginx.pid, signal.SIGKILL)  # workers that outlived the master
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def main(argv: list[str]) -> int:
    handed_on = [int(fd) for fd in os.environ.get("NGINX", "").split(";") if fd]
    nginx = subprocess.Popen(argv, stdin=subprocess.DEVNULL, pass_fds=handed_on, start_new_session=True)
    stop = threading.Event()

    def watch_parent() -> None:
        sys.stdin.buffer.read()  # returns at EOF: playgate closed the pipe or died
        stop.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    # The handlers only record the signal: setting the event from one can deadlock on the
    # event's lock, which the main thread may hold inside its own wait().
    signalled: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda received, _frame: signalled.append(received))
    while not stop.wait(0.2) and not signalled:
        if nginx.poll() is not None:  # nginx gave up by itself: its log says why
            return nginx.returncode
    stop_group(nginx)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
