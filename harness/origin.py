"""An origin as the harness probed it: what it offers, whoever asks (see diagnose.origin).

Shared by the records (a run keeps the probes of its origins), the judging (the protocol
reasons and the stream limits stand on them) and the probe that makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, as written in it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# RFC 9113 6.5.2: a server that sends no SETTINGS_MAX_CONCURRENT_STREAMS sets no limit.
NO_STREAM_LIMIT = 2**31 - 1
# What a QUIC handshake with the advertised h3 port came to (else "failed (why)").
QUIC_COMPLETED, QUIC_UNANSWERED = "completed", "no answer over UDP"


@dataclass(frozen=True)
class OriginProbe:
    """What the harness learned of the page's origin by connecting to it itself, after the
    run (so never competing with what the browser measured). A probe that failed keeps
    ``error``, and is a note, never a verdict."""

    origin: str  # scheme://host:port
    tls: bool
    # The protocol the server chose when offered h2 and http/1.1 (None: no ALPN answer).
    alpn: str | None = None
    # Over TLS: whether this machine's CA store (or the run's --ca-cert) verifies the
    # certificate, and why not.
    trusted: bool | None = None
    trust_error: str | None = None
    trusted_through: str | None = None  # the --ca-cert file that verified it, if the machine's store did not
    certificate_issuer: str | None = None
    certificate_names: tuple[str, ...] = ()
    # In the clear: whether the server answers HTTP/2 with prior knowledge (h2c).
    h2c: bool | None = None
    # The server's h2 SETTINGS, where h2 was spoken (read from its first SETTINGS frame).
    h2_settings_read: bool = False
    max_concurrent_streams: int | None = None  # None with the settings read: none sent, no limit
    initial_window_size: int | None = None
    # Where h3 was advertised but not reached: QUIC_COMPLETED, QUIC_UNANSWERED or "failed (why)".
    quic: str | None = None
    error: str | None = None

    @property
    def stream_limit(self) -> int | None:
        """The h2 streams the server allows at once; None where the probe did not learn it."""
        if not self.h2_settings_read:
            return None
        return NO_STREAM_LIMIT if self.max_concurrent_streams is None else self.max_concurrent_streams

    @property
    def http1_only(self) -> bool:
        """A browser can reach this origin over HTTP/1.1 only: in the clear (browsers use
        h2 and h3 only over TLS), or over TLS whose ALPN answer to h2 and http/1.1 is
        http/1.1. (h3 advertised by Alt-Svc is the caller's to rule out.)"""
        if self.error is not None:
            return False
        return not self.tls or self.alpn == "http/1.1"

    def describe(self) -> str:
        """One line: 'origin https://host:443: TLS, ALPN h2 (offered h2 and http/1.1), h2 streams 100, ...'"""
        if self.error is not None:
            return f"origin {self.origin}: not probed ({self.error})"
        if not self.tls:
            answers = {True: "answers h2c (no browser uses it)", False: "does not answer h2c", None: ""}[self.h2c]
            return f"origin {self.origin}: in the clear" + (f", {answers}" if answers else "")
        parts = [f"TLS, ALPN {self.alpn or 'none'} (offered h2 and http/1.1)"]
        if self.h2_settings_read:
            streams = "no limit sent" if self.max_concurrent_streams is None else str(self.max_concurrent_streams)
            parts.append(f"h2 max concurrent streams {streams}")
        if self.certificate_issuer is not None:
            trust = "trusted by this machine" if self.trusted else f"not trusted by this machine: {self.trust_error}"
            if self.trusted_through is not None:
                trust = f"trusted through --ca-cert {self.trusted_through}"
            parts.append(f"certificate from {self.certificate_issuer} ({trust})")
        if self.quic is not None:
            parts.append(f"QUIC handshake with the advertised h3 port: {self.quic}")
        return f"origin {self.origin}: " + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "tls": self.tls,
            "alpn": self.alpn,
            "trusted": self.trusted,
            "trust_error": self.trust_error,
            "trusted_through": self.trusted_through,
            "certificate_issuer": self.certificate_issuer,
            "certificate_names": list(self.certificate_names),
            "h2c": self.h2c,
            "h2_max_concurrent_streams": self.max_concurrent_streams,
            "h2_initial_window_size": self.initial_window_size,
            "h2_settings_read": self.h2_settings_read,
            "quic": self.quic,
            "error": self.error,
        }
