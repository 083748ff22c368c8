"""The observer script, injected before any script of a page: it records what the page's
own code receives and loads (observer.js says what and how) and, under --live, tells
the harness as it happens through a binding."""

from __future__ import annotations

from importlib import resources

from playgate.page_contract import OBSERVER_STATE, injected

LIVE_BINDING = "__playgateLive"


def observer_script(
    chunk_pattern: str, sse_pattern: str | None, ws_pattern: str | None = None, *, live: bool = False
) -> str:
    """The observer (observer.js, beside this module) given its configuration."""
    config = {
        "state": OBSERVER_STATE,
        "chunkPattern": chunk_pattern,
        "ssePattern": sse_pattern,
        "wsPattern": ws_pattern,
        "live": LIVE_BINDING if live else None,
    }
    return injected(resources.files(__package__).joinpath("observer.js").read_text(), config)
