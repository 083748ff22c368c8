"""The observer script, injected before any script of a page: it records what the page's
own code receives and loads (observer.js says what and how) and, under --live, tells
the harness as it happens through a binding."""

from __future__ import annotations

import json
from importlib import resources

LIVE_BINDING = "__playgateLive"


def observer_script(chunk_pattern: str, sse_pattern: str | None, *, live: bool = False) -> str:
    """The observer (observer.js, beside this module) with its configuration in front."""
    config = {"chunkPattern": chunk_pattern, "ssePattern": sse_pattern, "live": LIVE_BINDING if live else None}
    source = resources.files(__package__).joinpath("observer.js").read_text()
    return f"const PLAYGATE_CONFIG = {json.dumps(config)};\n{source}"
