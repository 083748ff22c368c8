"""Which protocol carried the page's requests, and why not the expected one.

HTTP/3 is found, not negotiated: a browser speaks it to an origin once a response has
advertised it (``Alt-Svc: h3=":443"``, RFC 7838) and a QUIC handshake to that port has
worked. So a chunk over h2 where h3 was expected has two common causes the records can
tell apart: nothing advertised h3, or it was advertised and the browser could not reach it.
"""

from __future__ import annotations

import re

from playgate.origin import QUIC_COMPLETED, QUIC_UNANSWERED, OriginProbe
from playgate.records import NetworkRecord, RunRecord

# One alternative of an Alt-Svc value: protocol-id="authority" (parameters follow after ";").
_ALTERNATIVE = re.compile(r'^\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*"([^"]*)"')


def alt_svc_protocols(value: str) -> list[tuple[str, str]]:
    """(protocol-id, authority) of each alternative in an Alt-Svc value; none for ``clear``."""
    alternatives = []
    for part in value.split(","):
        match = _ALTERNATIVE.match(part)
        if match:
            alternatives.append((match[1], match[2]))
    return alternatives


def h3_advertisements(requests: tuple[NetworkRecord, ...]) -> list[str]:
    """Every distinct Alt-Svc value the page received, in the order received."""
    seen: list[str] = []
    for request in requests:
        if request.alt_svc and request.alt_svc not in seen:
            seen.append(request.alt_svc)
    return seen


def why_not_h3(run: RunRecord) -> str:
    """Why chunks came over another protocol than h3, as far as the responses tell."""
    values = h3_advertisements(run.requests)
    offered = [(pid, authority) for value in values for pid, authority in alt_svc_protocols(value)]
    if any(pid == "h3" for pid, _ in offered):
        value = next(v for v in values if any(pid == "h3" for pid, _ in alt_svc_protocols(v)))
        advertised = f"h3 was advertised (Alt-Svc: {value}) but {run.browser} never reached it"
        probed = _quic_probed(run)
        if probed is None:
            return f"{advertised}: UDP to that port dropped (a firewall), or the QUIC handshake failing; it fell back"
        return f"{advertised}: {_why_quic_failed(probed, run.browser)}"
    if offered:
        ids = ", ".join(sorted({pid for pid, _ in offered}))
        return f"Alt-Svc offered only {ids}, not h3 (drafts such as h3-29 are no longer spoken by browsers)"
    return "no response advertised h3 (no Alt-Svc header): the browser has no way to find it"


def _quic_probed(run: RunRecord) -> OriginProbe | None:
    """The probe of the first chunk's origin that did not come over h3, where it tried QUIC."""
    missed = next((c for c in run.chunks if c.protocol != "h3"), None)
    probe = run.probe_of(missed.url if missed is not None else run.url)
    return probe if probe is not None and probe.quic is not None else None


def _why_quic_failed(probe: OriginProbe, browser: str) -> str:
    if not probe.trusted:
        return (
            f"the certificate of {probe.origin} (from {probe.certificate_issuer}) is not one this machine trusts, and "
            "browsers take h3 up only over a certificate they trust (--insecure lets the page load, not that): "
            "pass --ca-cert with the CA that issued it"
        )
    if probe.quic == QUIC_UNANSWERED:
        return (
            "a QUIC handshake with that port got no answer over UDP from here either: UDP dropped on the way "
            "(a firewall), or nothing serving QUIC there; it fell back"
        )
    if probe.quic == QUIC_COMPLETED:
        return (
            "a QUIC handshake with that port completes from here, so the browser gave it up itself "
            "(its h3 settings, or a handshake it abandoned); it fell back"
        )
    return f"a QUIC handshake with that port {probe.quic} from here too; it fell back"


def why_http1(run: RunRecord, chunk_url: str) -> str | None:
    """Why a chunk came over HTTP/1.1 where h2 was expected, from the probe of its origin
    (None: not probed, or the probe failed)."""
    probe = run.probe_of(chunk_url)
    if probe is None or probe.error is not None:
        return None
    if not probe.tls:
        text = f"{probe.origin} is served in the clear (http://): browsers speak HTTP/2 and HTTP/3 only over TLS"
        if probe.h2c:
            return text + (
                "; this server does answer HTTP/2 in the clear with prior knowledge (h2c), which is what "
                "curl --http2-prior-knowledge shows and no browser uses: serve it over TLS with h2 in ALPN"
            )
        return text + ": serve it over TLS with h2 in ALPN"
    if probe.alpn != "h2":
        chose = f"it chose {probe.alpn}" if probe.alpn else "it gave no ALPN answer"
        return (
            f"{probe.origin} does not offer h2 in TLS (offered h2 and http/1.1, {chose}): enable HTTP/2 "
            "where TLS ends (a TLS terminator's or proxy's default is often HTTP/1.1 alone)"
        )
    return (
        f"{probe.origin} offers h2 over TLS (ALPN), yet {run.browser} used HTTP/1.1: something between "
        "them ends TLS without h2 (a proxy), or the browser's settings turn HTTP/2 off"
    )


def switch_note(run: RunRecord) -> str | None:
    """Where the page's requests moved to h3, if they did (the Alt-Svc discovery path)."""
    requests = [r for r in run.requests if r.protocol is not None]
    first_h3 = next((i for i, r in enumerate(requests) if r.protocol == "h3"), None)
    if not first_h3:  # never h3, or h3 from the first request: nothing switched
        return None
    before = sorted({r.protocol for r in requests[:first_h3] if r.protocol})
    switched_on = requests[first_h3]
    what = "a chunk" if any(c.url == switched_on.url for c in run.chunks) else _short(switched_on.url)
    return (
        f"protocol: the first {first_h3} request(s) went over {', '.join(before)}; h3 from request "
        f"{first_h3 + 1} ({what}) on: {_h3_chunks(run)}"
    )


def _h3_chunks(run: RunRecord) -> str:
    over_h3 = [c.index for c in run.chunks if c.protocol == "h3"]
    if not over_h3:
        return "no chunk came over h3"
    if len(over_h3) == len(run.chunks):
        return "every chunk came over h3"
    return f"chunks {', '.join(map(str, over_h3))} came over h3, from chunk {over_h3[0]}"


def _short(url: str) -> str:
    path = url.split("://", 1)[-1].partition("/")[2]
    return "/" + path.split("?", 1)[0]
