"""Capture: drive a real browser through a page and read what it did, from the browser itself.

One module per source of observations: ``cdp`` (Chromium's DevTools protocol), ``bidi``
(Firefox over WebDriver BiDi, as Playwright exposes it), ``observer`` (a script injected into
the page: events, media elements, requests of its code, SourceBuffer appends), ``playback``
(a script in every page: first frame, stalls, dropped frames); ``page_state``, the pages'
records parsed once into dataclasses; how they are joined into a page's chunks:
``reading`` and ``appends``; ``page_run``, one page measured; and the runs that put them
together: ``scenario`` (the bundled page) and ``app_page`` (a user's page). ``browsers``
finds and launches the browsers (``BrowserPool``: every entry point's), ``quic`` says what a
browser needs at launch to reach an h3 server; ``live`` prints events as they happen.

May import: ``playgate.errors``, ``playgate.page_contract``, ``playgate.config``,
``playgate.records``, and ``playgate.server`` (the server a run is at: its port,
certificate, mode).
"""
