"""The chunk table and the JSON document."""

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from playgate.config import GateRules
from playgate.judging.gate import JudgedRun, evaluate
from playgate.reports.result import result_document, write_json
from playgate.reports.table import chunk_table, describe
from tests.factory import chunk, network, one_stall_playback, run

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
    assert document["playgate"] == 2
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


RESULT_SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "reference" / "result.schema.json").read_text())


def validate_result(document):
    jsonschema.validate(document, RESULT_SCHEMA, cls=jsonschema.Draft202012Validator)


def test_every_kind_of_run_validates_against_the_documented_schema():
    from playgate.judging.repeats import combine
    from playgate.origin import OriginProbe

    playback = one_stall_playback()
    stream = network("https://127.0.0.1:4443/events", started_at=1_789_999_999.0, ended_at=None)
    probe = OriginProbe("https://127.0.0.1:4443", tls=True, alpn="h2", trusted=False, quic="no answer over UDP")
    record = replace(
        run(chunk(0, protocol="http/1.1", blocked_ms=700.0), chunk(1, net=None)),
        playback=playback,
        event_streams=(stream,),
        origins=(probe,),
        browser_endpoint="ws://198.18.0.2:9000/x",
    )
    at_a_url = replace(run(chunk(0), mode="url"), browser="firefox")
    judged_runs = [JudgedRun(r, evaluate(r, GateRules())) for r in (record, at_a_url)]
    repeated = combine(judged_runs[:1] * 3, GateRules())
    document = result_document([*judged_runs, repeated])
    validate_result(document)
    assert [r["mode"] for r in document["runs"]] == ["h2", None, "h2"]
    first = document["runs"][0]
    assert [(b["rule"], b["chunk"]) for b in first["broken"]] == [("protocol", 0), ("queueing", 1), ("stalls", None)]
    assert [f"{b['rule']}: {b['text']}" for b in first["broken"]] == first["reasons"]


def test_the_schema_names_every_rule_and_no_other():
    from playgate.rules import Rule

    broken = RESULT_SCHEMA["$defs"]["run"]["properties"]["broken"]["items"]["properties"]["rule"]
    assert broken["enum"] == [rule.value for rule in Rule]


def test_the_schema_refuses_a_run_without_its_label():
    document = result_document([judged(chunk(0))])
    del document["runs"][0]["label"]
    with pytest.raises(jsonschema.ValidationError, match="'label' is a required property"):
        validate_result(document)


def test_a_named_json_file_wins_over_the_output_folders(tmp_path):
    from playgate.reports.outputs import Outputs

    chosen = Outputs.choose(tmp_path, json=tmp_path / "compare.json")
    assert chosen.json == tmp_path / "compare.json"
    assert (chosen.har_dir, chosen.report, chosen.junit) == (
        tmp_path / "har",
        tmp_path / "report.html",
        tmp_path / "junit.xml",
    )
