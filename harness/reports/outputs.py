"""Where a gate run's files go: the JSON result, a HAR per run, the HTML report, JUnit XML.

``--output DIR`` puts them all there (``result.json``, ``har/``, ``report.html``,
``junit.xml``); ``--json``, ``--har`` and ``--report`` name one each, and win over ``--output``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from playgate.errors import UsageError
from playgate.judging.gate import JudgedRun
from playgate.reports.files import write_atomic, write_document
from playgate.reports.har import har_documents
from playgate.reports.html import write_report
from playgate.reports.result import write_json
from playgate.reports.shards import junit_document

JSON_NAME, HAR_FOLDER, REPORT_NAME, JUNIT_NAME = "result.json", "har", "report.html", "junit.xml"


@dataclass(frozen=True)
class Outputs:
    json: Path | None = None
    har_dir: Path | None = None
    report: Path | None = None
    junit: Path | None = None  # a test case per run: with --output only

    @classmethod
    def choose(
        cls, output: Path | None, json: Path | None = None, har: Path | None = None, report: Path | None = None
    ) -> Outputs:
        if output is not None and output.exists() and not output.is_dir():
            raise UsageError(f"--output {output} is a file; give a folder (it is created if missing)")
        if har is not None and har.exists() and not har.is_dir():
            raise UsageError(f"--har {har} is a file; give a folder: one HAR file per run goes there")
        for flag, path in (("--json", json), ("--report", report)):
            if path is not None and path.is_dir():
                raise UsageError(f"{flag} {path} is a folder; give a file name")
        base = output
        return cls(
            json=json or (base / JSON_NAME if base else None),
            har_dir=har or (base / HAR_FOLDER if base else None),
            report=report or (base / REPORT_NAME if base else None),
            junit=base / JUNIT_NAME if base else None,
        )

    @property
    def wanted(self) -> bool:
        return any((self.json, self.har_dir, self.report))

    def write(self, runs: Sequence[JudgedRun]) -> list[Path]:
        """Write what was asked for; return the paths written."""
        written: list[Path] = []
        if self.json:
            write_json(self.json, runs)
            written.append(self.json)
        if self.har_dir:
            for name, document in har_documents(runs).items():
                write_document(self.har_dir / name, document)
                written.append(self.har_dir / name)
        if self.report:
            write_report(self.report, runs)
            written.append(self.report)
        if self.junit:
            write_atomic(self.junit, junit_document(runs))
            written.append(self.junit)
        return written
