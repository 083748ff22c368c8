"""The chunk table and the JSON document."""

import json

from playgate.config import GateRules
from playgate.judging.gate import JudgedRun, evaluate
from playgate.reports.result import result_document, write_json
from playgate.reports.table import chunk_table, describe
from tests.factory import chunk, run

JSON_CHUNK_KEYS = {
    "index",
    "url",
    "protocol",
    "connection_id",
    "connection_reused",
    "status",
    "bytes",
    "blocked_ms",
    "queued_ms",
    "stalled_ms",
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "send_ms",
    "wait_ms",
    "receive_ms",
    "load_ms",
    "first_frame_ms",
}


def judged(*chunks, **kwargs):
    record = run(*chunks, **kwargs)
    return JudgedRun(record, evaluate(record, GateRules()))


def test_table_shows_the_evidence_with_dashes_for_missing_figures():
    table = chunk_table(run(chunk(0, protocol="http/1.1", blocked_ms=702.4, source="bidi", send_ms=None)))
    header, row = table.splitlines()
    assert header.split() == [
        "chunk",
        "protocol",
        "conn",
        "reused",
        "status",
        "blocked",
        "queued",
        "stalled",
        "waited",
        "for",
        "wait",
        "receive",
        "load",
        "frame",
        "after",
        "dl",
    ]
    assert row.split() == ["0", "http/1.1", "-", "-", "206", "702", "-", "-", "-", "2", "5", "40", "45", "30"]


def test_description_names_every_broken_rule():
    text = describe(judged(chunk(0, protocol="http/1.1", blocked_ms=700.0)))
    assert "verdict: FAIL" in text
    assert "  - protocol: chunk 0 was served over http/1.1, expected h2" in text
    assert "  - queueing: chunk 0 waited 700 ms before reaching the network" in text
    assert "chromium 156.0 | mode h2 | pressure media:5" in text


def test_json_document_has_the_stable_fields(tmp_path):
    path = tmp_path / "out" / "result.json"
    write_json(path, [judged(chunk(0, blocked_ms=1.24), chunk(1))])
    document = json.loads(path.read_text())
    assert document["playgate"] == 1
    (run_json,) = document["runs"]
    assert {"browser", "browser_version", "mode", "pressure", "url", "verdict", "reasons", "chunks"} <= set(run_json)
    assert run_json["verdict"] == "pass"
    first = run_json["chunks"][0]
    assert JSON_CHUNK_KEYS <= set(first)
    assert first["blocked_ms"] == 1.2
    assert first["queued_ms"] == 1.2
    assert first["stalled_ms"] == 0.0
    assert first["protocol"] == "h2"
    assert first["load_ms"] == 40.0
    assert first["dns_ms"] is None


def test_null_figures_stay_null_in_json():
    document = result_document([judged(chunk(0, net=None, load_ms=None))])
    row = document["runs"][0]["chunks"][0]
    assert row["protocol"] is None and row["blocked_ms"] is None and row["load_ms"] is None
    assert document["runs"][0]["verdict"] == "fail"


def test_description_and_json_report_the_crosscheck(tmp_path):
    # The factory's page timing: blocked 1 ms, wait 3 ms, receive 5 ms; network: 1, 2.3, 5.
    judged_run = judged(chunk(0))
    assert "cross-check: network record and page Resource Timing agree within 0.7 ms (chunk 0 wait_ms)" in describe(
        judged_run
    )
    crosscheck = result_document([judged_run])["runs"][0]["crosscheck"]
    assert crosscheck == {"largest_disagreement_ms": 0.7, "figure": "wait_ms", "chunk": 0}
