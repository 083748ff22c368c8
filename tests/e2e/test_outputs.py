"""The files a run leaves, from real runs: HAR valid against the schema, and the HTML
report opened in the same real browser, a bar per request, no console error."""

import json
from pathlib import Path

import jsonschema
import pytest

from playgate.judging.gate import JudgedRun, Verdict
from playgate.reports.html import render
from playgate.reports.outputs import Outputs
from playgate.reports.waterfall import time_span_ms
from tests import factory
from tests.reports.test_report import validate_result

pytestmark = pytest.mark.browser

SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "har-1.2.schema.json").read_text())


def test_a_run_writes_har_json_and_a_report_that_renders(playgate_run, playgate_browser, tmp_path):
    runs = [playgate_run(mode="h2", pressure="sse:5"), playgate_run(mode="h1-tls", pressure="sse:5")]
    outputs = Outputs.choose(tmp_path)
    written = outputs.write(runs)
    assert outputs.json in written and outputs.report in written
    document = json.loads(outputs.json.read_text())
    validate_result(document)  # the documented schema, on real runs
    assert [r["verdict"] for r in document["runs"]] == ["pass", "fail"]
    check_har(runs, outputs)
    check_report_in_browser(runs, outputs, playgate_browser)


@pytest.mark.parametrize("width", [1600, 1464])  # 1464: the narrowest viewport with two panels a row
@pytest.mark.parametrize("blocked_ms", [137, 914, 1700, 9000])
def test_the_time_axis_stays_inside_every_panel_whatever_the_scale(playgate_browser, tmp_path, blocked_ms, width):
    """The scale follows the data, so a tick can land near the lane's end (these blocked
    times put the last tick where a centred label stuck out of the panel, or where the
    last two labels ran into each other)."""
    passed = Verdict(True, ())
    slow = factory.run(factory.chunk(0, blocked_ms=float(blocked_ms)))
    runs = [JudgedRun(slow, passed), JudgedRun(factory.run(factory.chunk(0)), passed)]
    report = tmp_path / "report.html"
    report.write_text(render(runs))
    page = playgate_browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(report.as_uri())
        overflow = page.locator("section.run").evaluate_all("panels => panels.map(p => p.scrollWidth - p.clientWidth)")
        assert overflow == [0, 0], f"time span {time_span_ms([r.run for r in runs]):.0f} ms"
        labels = page.locator(".axis").evaluate_all(
            """axes => axes.map(axis => ({
                lane: axis.getBoundingClientRect().toJSON(),
                boxes: [...axis.children].map(label => label.getBoundingClientRect().toJSON()),
            }))"""
        )
        for axis in labels:
            lane, boxes = axis["lane"], axis["boxes"]
            assert all(
                lane["left"] - 0.5 <= b["left"] and b["right"] <= lane["right"] + 0.5 for b in boxes
            )  # none clipped
            assert all(a["right"] < b["left"] for a, b in zip(boxes, boxes[1:], strict=False))  # none overlapping
    finally:
        page.close()


def test_the_waterfall_shows_what_held_a_chunk_until_it_let_go(playgate_browser, output_path):
    """Six holders until 1.3 s and chunk 0 on the network as they let go, as Chromium gives
    it (every end) and as Firefox does (no end: held to the run's end, drawn as unknown)."""
    from tests.reports.test_html_report import held_connections

    report = Path(output_path) / "waterfall.html"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(render([held_connections(), held_connections(source="bidi", ends=False)]))
    page = playgate_browser.new_page(viewport={"width": 1600, "height": 900})
    try:
        page.goto(report.as_uri())
        page.screenshot(path=str(report.with_suffix(".png")), full_page=True)  # for the person who looks
        chromium_like, firefox_like = page.locator("section.run").all()
        held = chromium_like.locator("tr.holder .held").evaluate_all(
            "bars => bars.map(b => b.getBoundingClientRect().right)"
        )
        chunk_bar = chromium_like.locator("tr.chunk .bar").bounding_box()
        blocked = chromium_like.locator("tr.chunk .bar span").first.bounding_box()
        went = blocked["x"] + blocked["width"]  # the chunk's first network phase
        assert len(held) == 6 and all(abs(right - went) <= 2 for right in held), (held, went)
        assert chunk_bar["x"] < went - 40  # it waited (801 ms), and the wait shows beside the holders
        unknown = firefox_like.locator("tr.holder .held.unknown").evaluate_all(
            "bars => bars.map(b => b.getBoundingClientRect().right)"
        )
        lane_end = firefox_like.locator("tr.chunk .track").bounding_box()
        assert len(unknown) == 6 and all(right > went for right in unknown), (unknown, went)
        assert all(right <= lane_end["x"] + lane_end["width"] + 0.5 for right in unknown)
    finally:
        page.close()


def check_har(runs, outputs):
    files = sorted(outputs.har_dir.glob("*.har"))
    assert len(files) == len(runs)
    for judged, path in zip(runs, files, strict=True):
        document = json.loads(path.read_text())
        jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
        entries = document["log"]["entries"]
        assert len(entries) == sum(r.started_at is not None for r in judged.run.requests) >= len(judged.run.chunks)
        chunk_entries = [e for e in entries if "_playgate_chunk" in e]
        assert [e["_playgate_chunk"] for e in chunk_entries] == [c.index for c in judged.run.chunks]
        for entry, chunk in zip(chunk_entries, judged.run.chunks, strict=True):
            assert entry["response"]["httpVersion"] == chunk.network.protocol
            assert entry["timings"]["blocked"] == pytest.approx(chunk.network.blocked_ms, abs=0.001)
            if judged.run.browser == "chromium":
                assert entry["timings"]["_blocked_queueing"] == pytest.approx(chunk.network.queued_ms, abs=0.001)
                assert entry["connection"] == chunk.network.connection_id
            else:
                assert "_blocked_queueing" not in entry["timings"]
    h1 = json.loads(files[1].read_text())["log"]["entries"]
    assert max(e["timings"]["blocked"] for e in h1 if "_playgate_chunk" in e) > 300  # the queueing is in the HAR


def check_report_in_browser(runs, outputs, playgate_browser):
    page = playgate_browser.new_page(viewport={"width": 1600, "height": 900})  # two panels a row
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(outputs.report.as_uri(), wait_until="load")
        sections = page.locator("section.run")
        assert sections.count() == len(runs)
        for index, judged in enumerate(runs):
            section = sections.nth(index)
            timed = sum(r.started_at is not None for r in judged.run.requests)
            assert section.locator(".bar").count() == timed
            assert section.locator("tr.chunk").count() == len(judged.run.chunks)
            assert section.locator("h2").inner_text().startswith(judged.verdict.label.upper())
            widths = section.locator(".bar").evaluate_all("bars => bars.map(b => b.getBoundingClientRect().width)")
            assert all(w >= 1 for w in widths)
        assert page.locator("table.summary td").count() == 2  # h2 and h1-tls, side by side rows
        overflow = page.locator("section.run").evaluate_all("panels => panels.map(p => p.scrollWidth - p.clientWidth)")
        assert overflow == [0] * len(runs)  # every waterfall fits its panel
        cut = page.locator(".waterfall th").evaluate_all("ths => ths.filter(t => t.scrollWidth > t.clientWidth)")
        assert cut == []  # every column heading readable whole
    finally:
        page.close()
    assert problems == []
    # Self-contained: nothing fetched but the file itself (Firefox reports no file:// request).
    assert set(requested) <= {outputs.report.as_uri()}
