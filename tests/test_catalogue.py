"""The catalogues: every entry is runnable as documented."""

from pathlib import Path

import pytest

from playgate.catalogue import HEALTHY_PRESSURES, REGRESSIONS
from playgate.config import Pressure, parse_modes
from playgate.rules import Rule

CATALOGUES_PAGE = (Path(__file__).parent.parent / "docs" / "reference" / "catalogues.md").read_text()


def test_the_catalogues_page_is_made_from_the_catalogues():
    assert "<!-- reference: pressures -->" in CATALOGUES_PAGE
    assert "<!-- reference: regressions -->" in CATALOGUES_PAGE


@pytest.mark.parametrize("regression", REGRESSIONS, ids=lambda r: r.name)
def test_regression_command_is_runnable(regression):
    parse_modes(regression.mode)
    Pressure.parse(regression.pressure)
    assert all(isinstance(rule, Rule) for rule in regression.caught_by)


def test_few_streams_command_names_the_stream_limit():
    (few,) = [r for r in REGRESSIONS if r.name == "few-h2-streams"]
    assert few.command() == "playgate run --mode h2 --h2-max-streams 4 --pressure streams:3"


def test_healthy_pressures_cover_every_kind():
    kinds = {kind for text in HEALTHY_PRESSURES for kind, _ in Pressure.parse(text).parts}
    assert kinds == {"sse", "tabs", "media", "streams"}
