"""The proxy an environment names (HTTP_PROXY and its kin, in either case), for the parts of
playgate that must not go through it: WebKit's driver and browser, on loopback, and
``diagnose``, whose figures are the path to the origin's own."""

from __future__ import annotations

from collections.abc import Mapping

# Those that send traffic to a proxy, in the order a name is reported; no_proxy only narrows them.
PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
_ALL = {name.lower() for name in PROXIES} | {"no_proxy"}


def named_proxy(environ: Mapping[str, str]) -> str | None:
    """The proxy variable the environment sets, if any (by name: its value may hold a password)."""
    return next((name for name in PROXIES if environ.get(name)), None)


def without_proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with every proxy variable left out, whatever its case."""
    return {name: value for name, value in environ.items() if name.lower() not in _ALL}
