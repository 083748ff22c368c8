"""Parsing of what users type: pressure, modes, browsers, scenario bounds."""

import sys

import pytest

from playgate.capture.browser_finder import browser_names
from playgate.config import GateRules, Pressure, Scenario, parse_modes
from playgate.errors import UsageError
from playgate.server.settings import Mode


@pytest.mark.parametrize(
    ("text", "parts", "canonical"),
    [
        ("none", (), "none"),
        ("", (), "none"),
        ("media:5", (("media", 5),), "media:5"),
        ("sse:3", (("sse", 3),), "sse:3"),
        ("media:5+sse:1", (("media", 5), ("sse", 1)), "media:5+sse:1"),
        ("media:5+tabs:2", (("media", 5), ("tabs", 2)), "media:5+tabs:2"),
        ("streams:3", (("streams", 3),), "streams:3"),
    ],
)
def test_pressure_parses(text, parts, canonical):
    pressure = Pressure.parse(text)
    assert pressure.parts == parts
    assert str(pressure) == canonical


@pytest.mark.parametrize("text", ["media", "media:x", "windows:2", "media:0", "media:51", "media:5+", "MEDIA:5"])
def test_bad_pressure_is_one_clear_error(text):
    with pytest.raises(UsageError, match="pressure"):
        Pressure.parse(text)


def test_pressure_counts_a_kind_across_parts():
    pressure = Pressure.parse("tabs:2+media:5+tabs:1")
    assert pressure.count("tabs") == 3
    assert pressure.count("sse") == 0


def test_modes_parse_lists_and_reject_unknown():
    assert parse_modes("h2,h1-tls") == [Mode.H2, Mode.H1_TLS]
    assert parse_modes(["h1", "h1"]) == [Mode.H1]
    with pytest.raises(UsageError, match="unknown mode 'h4': choose one of h2, h1-tls, h1"):
        parse_modes("h4")


def test_browser_names(monkeypatch):
    monkeypatch.setenv("PLAYGATE_WEBKIT", "/nowhere/WebKitWebDriver")  # WebKit not installed
    assert browser_names("all") == ["chromium", "firefox"]
    assert browser_names("firefox,chromium,firefox") == ["firefox", "chromium"]
    assert browser_names("webkit") == ["webkit"]  # named: an error later says how to install it
    with pytest.raises(UsageError, match="unknown browser 'safari': choose chromium, firefox, webkit or all"):
        browser_names("safari")


def test_all_takes_webkit_where_installed_and_never_for_a_user_page(monkeypatch):
    monkeypatch.setenv("PLAYGATE_WEBKIT", sys.executable)  # stands in for an installed WebKitWebDriver
    assert browser_names("all") == ["chromium", "firefox", "webkit"]
    assert browser_names("all", optional=False) == ["chromium", "firefox"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"chunks": 0},
        {"pace_ms": -1},
        {"hold_ms": -5},
        {"timeout_s": 0},
        {"chunk_delay_ms": -1},
        {"missing_chunks": (5,)},
    ],
)
def test_scenario_bounds(kwargs):
    with pytest.raises(UsageError):
        Scenario(**kwargs)


def test_scenario_page_query_carries_injected_faults():
    scenario = Scenario(chunks=3, pressure=Pressure.parse("media:5"), chunk_delay_ms=300, missing_chunks=(1, 2))
    assert scenario.page_query() == ("chunks=3&pace_ms=200&hold_ms=400&pressure=media:5&chunk_delay_ms=300&missing=1,2")


def test_gate_rules_reject_negative_limits():
    with pytest.raises(UsageError):
        GateRules(max_queued_ms=-1)
