"""HAR 1.2 output: valid against the schema, DevTools' fields, nothing unknown made up."""

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from playgate.judging.gate import JudgedRun, Verdict
from playgate.reports.har import har_document, har_documents, har_name
from playgate.rules import Rule
from tests.factory import chunk, network, run

SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "har-1.2.schema.json").read_text())
PASSED = Verdict(True, ())


def validate(document):
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)


def chromium_run():
    page = network("https://127.0.0.1:4443/?chunks=2", mime_type="text/html", resource_type="Document")
    chunks = [chunk(0, blocked_ms=700.0, queued_ms=5.0, tls_ms=3.0, connect_ms=1.0), chunk(1)]
    return run(*chunks, requests=(page, *(c.network for c in chunks)))


def entries(document):
    return document["log"]["entries"]


def test_a_chromium_run_is_valid_har_with_devtools_fields():
    document = har_document(JudgedRun(chromium_run(), PASSED))
    validate(document)
    page, first, second = entries(document)
    assert "_playgate_chunk" not in page and page["_resourceType"] == "document"
    assert (first["_playgate_chunk"], second["_playgate_chunk"]) == (0, 1)
    # blocked is the whole wait, the queue's share beside it, as DevTools writes it
    assert first["timings"]["blocked"] == 700.0 and first["timings"]["_blocked_queueing"] == 5.0
    assert first["timings"]["connect"] == 4.0 and first["timings"]["ssl"] == 3.0  # connect includes ssl
    assert first["connection"] == "110"
    assert first["response"]["httpVersion"] == "h2" and first["request"]["httpVersion"] == "h2"
    assert first["request"]["queryString"] == [{"name": "i", "value": "0"}]
    assert first["time"] == pytest.approx(700 + 4 + 0.3 + 2 + 5)
    assert document["log"]["browser"] == {"name": "chromium", "version": "156.0"}


def test_firefox_leaves_out_what_it_does_not_give():
    ff = run(chunk(0, source="bidi", blocked_ms=30.0, send_ms=None), browser="firefox")
    document = har_document(JudgedRun(ff, PASSED))
    validate(document)
    (entry,) = entries(document)
    assert "_blocked_queueing" not in entry["timings"]
    assert "connection" not in entry
    assert entry["timings"]["blocked"] == 30.0
    assert entry["timings"]["send"] == 0 and "wait includes sending" in entry["timings"]["comment"]


def test_unknown_figures_are_minus_one_and_requests_without_a_start_are_left_out():
    failed = network("https://127.0.0.1:4443/chunks/x.mp4", status=None, bytes=None, wait_ms=None, receive_ms=None)
    failed = type(failed)(**{**failed.__dict__, "failure": "net::ERR_ABORTED"})
    unstarted = network("https://127.0.0.1:4443/late", started_at=None)
    document = har_document(JudgedRun(run(requests=(failed, unstarted)), PASSED))
    validate(document)
    (entry,) = entries(document)
    assert entry["timings"]["wait"] == -1 and entry["timings"]["receive"] == -1
    assert entry["response"]["status"] == 0 and entry["response"]["content"]["size"] == -1
    assert entry["response"]["_error"] == "net::ERR_ABORTED"
    assert "1 request(s) left out" in document["log"]["comment"]


def test_the_schema_rejects_a_broken_har():
    document = har_document(JudgedRun(chromium_run(), PASSED))
    del entries(document)[0]["timings"]["wait"]
    with pytest.raises(jsonschema.ValidationError, match="wait"):
        validate(document)
    document = har_document(JudgedRun(chromium_run(), PASSED))
    entries(document)[0]["startedDateTime"] = "yesterday"
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_the_failing_verdict_is_in_the_page_comment_and_names_are_distinct():
    failed = JudgedRun(chromium_run(), Verdict(False, (Rule.QUEUEING.broken("chunk 0 waited 700 ms", 0),)))
    document = har_document(failed)
    assert document["log"]["pages"][0]["comment"] == "verdict: fail; queueing: chunk 0 waited 700 ms"
    names = har_documents([failed, failed])
    assert list(names) == ["01-chromium-h2-media-5.har", "02-chromium-h2-media-5.har"]
    assert har_name(3, failed) == "03-chromium-h2-media-5.har"
    own_app = replace(run(chunk(0), mode="h2 app myapp.main:app"), pressure="the page's own")
    assert har_name(1, JudgedRun(own_app, PASSED)) == "01-chromium-h2-app-myapp.main-app-the-page-s-own.har"
    summed = replace(own_app, pressure="media:5+tabs:2", label="h2")
    assert har_name(1, JudgedRun(summed, PASSED)) == "01-chromium-h2-media-5_tabs-2.har"
