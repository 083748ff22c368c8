"""``playgate diagnose``: where the time goes when a Python client fetches one chunk URL.

Stages per request (DNS, TCP connect, TLS, time to first byte, transfer, first decoded
frame), compared across HTTP/1.1, HTTP/2 and, when asked, HTTP/3 (QUIC: its handshake is
the connect stage), a cold connection per request and a pooled one, and a full download,
a partial (Range) download and a streaming decode.

May import: ``playgate.errors``, ``playgate.config``, ``playgate.reports`` (table layout).
"""
