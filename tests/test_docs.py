"""The documentation site: it builds with no warning (a broken link or anchor, a page left
out of the navigation, a reference table that no longer matches the code), and the README
stays a front page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import reference_pages  # noqa: E402  (the MkDocs hook, a file of docs/, not a package)

README_MAX_LINES = 150


def test_the_site_builds_strictly(tmp_path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    built = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stderr[-4000:]
    cli = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text()
    assert "--max-queued-ms" in cli and "playgate diagnose" in cli  # made from the parser
    assert "<!-- reference:" not in (tmp_path / "site" / "reference" / "outputs" / "index.html").read_text()


def test_every_reference_marker_names_a_table():
    markers = {
        m["name"] for page in (ROOT / "docs").rglob("*.md") for m in reference_pages.MARKER.finditer(page.read_text())
    }
    assert markers == set(reference_pages.TABLES)


@pytest.mark.parametrize("name", sorted(reference_pages.TABLES))
def test_each_reference_table_renders(name):
    assert reference_pages.TABLES[name]().strip()


def test_a_figure_left_undocumented_or_documented_but_gone_stops_the_build():
    with pytest.raises(ValueError, match=r"undocumented \['new_figure'\], documented but gone \['old'\]"):
        reference_pages._both_ways("JUnit properties", ["verdict", "new_figure"], {"verdict": "", "old": ""})


def test_the_readme_is_a_front_page_linking_every_docs_section():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= README_MAX_LINES
    assert "make demo" in readme and "make test" in readme
    for section in ("getting-started.md", "guides/", "reference/", "explanations/", "measurements.md"):
        assert f"(docs/{section}" in readme, section
