"""``--ca-cert``: a page whose certificate a company's own CA issued, trusted for the run.

Neither browser can be handed a CA for one run: Chromium on Linux reads the user's NSS
store, Firefox its profile's, and Playwright creates that profile itself. And neither takes
h3 up over a certificate that chains to a root not built into it, even one installed in the
system: Chromium's QUIC wants a known root except for hosts named in
``--origin-to-force-quic-on``; Firefox turns h3 off for such a chain while
``network.http.http3.disable_when_third_party_roots_found`` is on. So a staging origin
with its own CA is never reached over h3 as it is launched by default.

So the harness checks the trust itself, before the run: it connects to the page's origin,
verifies its certificate chain and name against the CA in the file (a certificate the CA
did not issue is one error, and nothing runs), and then launches the browsers for that
origin as the h3 modes do for the reference server (capture.quic), with the verified
leaf's key pinned in Chromium and h3's root check off in Firefox, discovering h3 from
Alt-Svc as in production. The pages accept the certificate (``ignore_https_errors``) only
after it was verified against the CA.
"""

from __future__ import annotations

import functools
import socket
import ssl
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from playgate.capture.quic import QuicOrigin
from playgate.errors import MeasurementError, UsageError
from playgate.origin import origin_of
from playgate.server.launcher import spki_sha256

TIMEOUT_S = 5.0


def check_ca_cert(path: str) -> str:
    """``path`` if it holds a PEM certificate; else one error saying what is wrong."""
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--ca-cert {path}: no such file (the PEM certificate of the CA that issued the page's)")
    try:
        x509.load_pem_x509_certificate(file.read_bytes())
    except (ValueError, OSError) as exc:
        raise UsageError(f"--ca-cert {path}: not a PEM certificate ({exc})") from None
    return path


@functools.lru_cache(maxsize=16)
def trusted_origin(url: str, ca_cert: str, timeout_s: float = TIMEOUT_S) -> QuicOrigin:
    """The origin of ``url``, its certificate verified against the CA in ``ca_cert``, as the
    browsers are launched for it (h3 found from Alt-Svc, not forced)."""
    parts = urlsplit(url)
    origin = origin_of(url)
    if parts.scheme != "https" or not parts.hostname:
        raise UsageError(f"--ca-cert is for a page served over TLS; {origin} is served in the clear")
    host, port = parts.hostname, parts.port or 443
    context = ssl.create_default_context(cafile=ca_cert)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=host) as conn,
        ):
            leaf = conn.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        raise UsageError(
            f"the certificate of {origin} does not verify against the CA in {ca_cert} "
            f"({exc.verify_message or exc}): pass the CA that issued it"
        ) from None
    except OSError as exc:
        raise MeasurementError(f"could not reach {origin} to verify its certificate: {exc}") from None
    assert leaf is not None
    return QuicOrigin(host, port, spki_sha256(ssl.DER_cert_to_PEM_cert(leaf).encode()), forced=False)
