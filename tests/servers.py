"""What a test reads of a running reference server."""

import time


def open_streams(server):
    """/health's count of event streams open right now."""
    return server.get_json("/health")["open_streams"]


def wait_for(predicate, timeout=10.0):
    """Polls ``predicate`` (each poll a request to the server: no sleep) until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
    return False


def ca_file(server, folder):
    """The server's per-run CA as a PEM file in ``folder`` (for --cafile); its path as text."""
    path = folder / "ca.pem"
    path.write_bytes(server.ca_pem)
    return str(path)
