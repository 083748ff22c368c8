"""What an origin offers, asked by the harness itself: the ground the protocol reasons stand on.

One probe per origin, after the run (never competing with what the browser measures):

- over TLS: the protocol the server chooses when offered h2 and http/1.1 (ALPN), the
  certificate (issuer, names, and whether this machine's CA store verifies it), and, where
  it chose h2, the server's first SETTINGS frame (SETTINGS_MAX_CONCURRENT_STREAMS, the
  initial window): the stream limit the attribution counts against;
- in the clear: whether the server answers HTTP/2 with prior knowledge (h2c), as
  ``curl --http2-prior-knowledge`` asks; no browser ever does.

Where the page advertised h3 (Alt-Svc) and the caller asks, a QUIC handshake with that
port, whoever signed the certificate: whether UDP is answered at all, and whether the
handshake completes.

A probe that fails says why in ``error``; it is a note, never a verdict.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import replace
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from playgate.diagnose.h3 import H3Client, QuicUnanswered
from playgate.errors import MeasurementError
from playgate.origin import QUIC_COMPLETED, QUIC_UNANSWERED, OriginProbe, origin_of

TIMEOUT_S = 5.0
READ_LIMIT = 64 * 1024  # a SETTINGS frame comes first; this bounds what is read waiting for it


def probe_origin(
    url: str, timeout_s: float = TIMEOUT_S, *, ca_cert: str | None = None, h3_port: int | None = None
) -> OriginProbe:
    """What the origin of ``url`` offers; a failure is kept in ``error``. ``ca_cert``: the CA
    the run trusts (--ca-cert) beside this machine's; ``h3_port``: try a QUIC handshake there."""
    parts = urlsplit(url)
    origin = origin_of(url)
    tls = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if tls else 80)
    try:
        if tls:
            probe = _probe_tls(origin, host, port, timeout_s, ca_cert)
            return probe if h3_port is None else replace(probe, quic=quic_handshake(host, h3_port, timeout_s))
        return OriginProbe(origin, tls=False, h2c=_answers_h2c(host, port, timeout_s))
    except (OSError, h2.exceptions.H2Error, ValueError) as exc:
        return OriginProbe(origin, tls=tls, error=f"{type(exc).__name__}: {exc}".strip())


# A browser gives up on QUIC and stays on TCP sooner than this.
QUIC_TIMEOUT_S = 2.0


def quic_handshake(host: str, port: int, timeout_s: float = QUIC_TIMEOUT_S) -> str:
    """A QUIC handshake with ``host:port``, the certificate not checked: QUIC_COMPLETED,
    QUIC_UNANSWERED (no answer over UDP), or "failed (why)"."""
    with H3Client(verify=False, timeout_s=min(timeout_s, QUIC_TIMEOUT_S)) as client:
        try:
            client.handshake(host, port)
        except QuicUnanswered:
            return QUIC_UNANSWERED
        except MeasurementError as exc:
            return f"failed ({exc.__cause__ or exc})"
    return QUIC_COMPLETED


def _probe_tls(origin: str, host: str, port: int, timeout_s: float, ca_cert: str | None = None) -> OriginProbe:
    trusted, trust_error = _verifies(host, port, timeout_s)
    if not trusted and ca_cert is not None and _verifies(host, port, timeout_s, ca_cert)[0]:
        trusted, trust_error = True, None
    else:
        ca_cert = None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # what is offered, whoever signed it
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection((host, port), timeout=timeout_s) as raw,
        context.wrap_socket(raw, server_hostname=host) as conn,
    ):
        alpn = conn.selected_alpn_protocol()
        issuer, names = _certificate(conn.getpeercert(binary_form=True))
        settings = _server_settings(conn) if alpn == "h2" else None
    return OriginProbe(
        origin,
        tls=True,
        alpn=alpn,
        trusted=trusted,
        trust_error=trust_error,
        trusted_through=ca_cert,
        certificate_issuer=issuer,
        certificate_names=names,
        h2_settings_read=settings is not None,
        max_concurrent_streams=(settings or {}).get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS),
        initial_window_size=(settings or {}).get(h2.settings.SettingCodes.INITIAL_WINDOW_SIZE),
    )


def _verifies(host: str, port: int, timeout_s: float, ca_cert: str | None = None) -> tuple[bool, str | None]:
    """Whether this machine's CA store (or the CA in ``ca_cert``) verifies the certificate
    for ``host``, and why not."""
    context = ssl.create_default_context(cafile=ca_cert)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True, None
    except ssl.SSLCertVerificationError as exc:
        return False, exc.verify_message or str(exc)


def _certificate(der: bytes | None) -> tuple[str | None, tuple[str, ...]]:
    if not der:
        return None, ()
    certificate = x509.load_der_x509_certificate(der)
    issuer = certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    issuer_name = str(issuer[0].value) if issuer else certificate.issuer.rfc4514_string()
    try:
        alternative = certificate.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        return issuer_name, ()
    assert isinstance(alternative, x509.SubjectAlternativeName)
    names = [*alternative.get_values_for_type(x509.DNSName)]
    names += [str(address) for address in alternative.get_values_for_type(x509.IPAddress)]
    return issuer_name, tuple(names)


def _server_settings(conn: socket.socket) -> dict[int, int] | None:
    """The server's first SETTINGS over an h2 connection (None: none came)."""
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    conn.sendall(client.data_to_send())
    received = 0
    while received < READ_LIMIT:
        data = conn.recv(16 * 1024)
        if not data:
            return None
        received += len(data)
        for event in client.receive_data(data):
            if isinstance(event, h2.events.RemoteSettingsChanged):
                return {code: change.new_value for code, change in event.changed_settings.items()}
    return None


def _answers_h2c(host: str, port: int, timeout_s: float) -> bool:
    """Whether the server answers the HTTP/2 connection preface in the clear with SETTINGS."""
    with socket.create_connection((host, port), timeout=timeout_s) as conn:
        try:
            return _server_settings(conn) is not None
        except h2.exceptions.ProtocolError:  # an HTTP/1.1 answer ("400 Bad Request") to the preface
            return False
