"""HAR 1.2, one file per run, with the fields Chrome DevTools writes and reads back.

Every request of the run is an entry (the chunks carry ``_playgate_chunk``). Timings follow
HAR: ``blocked`` is the whole wait before the network, queueing included, and DevTools'
``_blocked_queueing`` is the queue's share of it (Chromium only: Firefox does not split
it, so the field is left out rather than guessed). ``connect`` includes ``ssl``, as HAR
asks. ``-1`` is HAR's "not applicable or unknown"; nothing unknown is written as a figure.

Headers and cookies are not recorded by the gate, so those lists are empty and their
sizes -1. A request whose start the browser never gave is left out, and the log's
comment says how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from playgate.judging.attribution import Wait, attribute
from playgate.judging.gate import JudgedRun
from playgate.records import NetworkRecord, RunRecord
from playgate.reports.files import file_safe
from playgate.reports.table import run_heading
from playgate.version import VERSION

HAR_VERSION = "1.2"
UNKNOWN = -1
FIREFOX_SEND_NOTE = "Firefox gives no send time: wait includes sending the request"


def iso_time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(value: float | None) -> float:
    return UNKNOWN if value is None else round(max(0.0, value), 3)


def har_timings(record: NetworkRecord) -> dict[str, Any]:
    # HAR's connect spans TCP and TLS; ssl repeats the TLS part.
    connect = None if record.connect_ms is None else record.connect_ms + (record.tls_ms or 0.0)
    timings: dict[str, Any] = {
        "blocked": _ms(record.blocked_ms),
        "dns": _ms(record.dns_ms),
        "connect": _ms(connect),
        "ssl": _ms(record.tls_ms),
        "send": _ms(record.send_ms),
        "wait": _ms(record.wait_ms),
        "receive": _ms(record.receive_ms),
    }
    if record.queued_ms is not None:
        timings["_blocked_queueing"] = _ms(record.queued_ms)
    if record.source != "cdp" and record.send_ms is None and record.wait_ms is not None:
        timings["send"] = 0
        timings["comment"] = FIREFOX_SEND_NOTE
    return timings


def entry_time(timings: dict[str, Any]) -> float:
    """HAR's ``time``: the sum of the phases that apply (ssl is inside connect)."""
    phases = ("blocked", "dns", "connect", "send", "wait", "receive")
    return round(float(sum(timings[p] for p in phases if timings[p] >= 0)), 3)


def har_entry(
    record: NetworkRecord, page_id: str, chunk_index: int | None, waited_for: Wait | None = None
) -> dict[str, Any]:
    assert record.started_at is not None
    version = record.protocol or ""
    timings = har_timings(record)
    method = record.method or ""
    entry: dict[str, Any] = {
        "pageref": page_id,
        "startedDateTime": iso_time(record.started_at),
        "time": entry_time(timings),
        "request": {
            "method": method,
            "url": record.url,
            "httpVersion": version,
            "cookies": [],
            "headers": [],
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(record.url).query)],
            "headersSize": UNKNOWN,
            "bodySize": 0 if method in ("GET", "HEAD") else UNKNOWN,
        },
        "response": {
            "status": record.status or 0,
            "statusText": "",
            "httpVersion": version,
            "cookies": [],
            "headers": [],
            "content": {"size": UNKNOWN if record.bytes is None else record.bytes, "mimeType": record.mime_type or ""},
            "redirectURL": "",
            "headersSize": UNKNOWN,
            "bodySize": UNKNOWN if record.bytes is None else record.bytes,
        },
        "cache": {},
        "timings": timings,
        "_resourceType": (record.resource_type or "other").lower(),
    }
    if record.connection_id is not None:
        entry["connection"] = record.connection_id
    if record.failure is not None:
        entry["response"]["_error"] = record.failure
        entry["comment"] = f"failed: {record.failure}"
    if chunk_index is not None:
        entry["_playgate_chunk"] = chunk_index
    if waited_for is not None:
        entry["_playgate_waited_for"] = waited_for.to_json()
    return entry


def har_document(judged: JudgedRun) -> dict[str, Any]:
    """One run as a HAR log: one page, an entry per request the browser reported."""
    run: RunRecord = judged.run
    page_id = "page_1"
    chunk_of = {id(chunk.network): chunk.index for chunk in run.chunks if chunk.network is not None}
    timed = [r for r in run.requests if r.started_at is not None]
    entries = [
        har_entry(r, page_id, chunk_of.get(id(r)), attribute(r, run.requests, run.stream_limit(r.protocol, r.url)))
        for r in timed
    ]
    starts = [r.started_at for r in timed if r.started_at is not None]
    page_start = run.page_time_origin_ms / 1000 if run.page_time_origin_ms else min(starts, default=0.0)
    verdict = judged.verdict
    log: dict[str, Any] = {
        "version": HAR_VERSION,
        "creator": {"name": "playgate", "version": VERSION},
        "browser": {"name": run.browser, "version": run.browser_version},
        "pages": [
            {
                "startedDateTime": iso_time(page_start),
                "id": page_id,
                "title": run_heading(run),
                "pageTimings": {"onContentLoad": UNKNOWN, "onLoad": UNKNOWN},
                "comment": f"verdict: {verdict.label}" + "".join(f"; {r}" for r in verdict.reasons),
                "_playgate_playback": None if run.playback is None else run.playback.to_json(),
                "_playgate_origins": [probe.to_json() for probe in run.origins],
            }
        ],
        "entries": entries,
    }
    left_out = len(run.requests) - len(timed)
    if left_out:
        log["comment"] = f"{left_out} request(s) left out: the browser gave no start time for them"
    return {"log": log}


def har_name(position: int, judged: JudgedRun) -> str:
    """A file name that tells the runs of one invocation apart: 01-chromium-h2-media-5.har."""
    run = judged.run
    words = "-".join((f"{position:02d}", run.browser, run.label, run.pressure))
    return file_safe(words.replace("+", "_")) + ".har"


def har_documents(runs: Sequence[JudgedRun]) -> dict[str, dict[str, Any]]:
    """A HAR file per run; a repeated setup, one per repeat."""
    every = [repeat for judged in runs for repeat in (judged.repeats or (judged,))]
    return {har_name(i, judged): har_document(judged) for i, judged in enumerate(every, start=1)}
