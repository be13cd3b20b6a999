"""An outcomes report: the measures for one cohort selection, suppressed, in CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ._measures import (
    CohortDefinition,
    employer_verification_rate,
    employment_rate_by_credential,
    pathway_placement_change,
    select_completers,
    time_to_employment,
    wages_by_credential,
    wages_by_level,
)
from ._privacy import (
    DEFAULT_MINIMUM_CELL_SIZE,
    Cell,
    MeasureTable,
    suppress_small_cells,
)
from ._records import OutcomesInputError, ParticipantRecord

__all__ = [
    "REPORT_FORMATS",
    "OutcomesReport",
    "build_report",
    "render_csv",
    "render_json",
    "write_report",
]

REPORT_FORMATS = ("csv", "json", "html")
CSV_COLUMNS = ("measure", "group", "participants", "statistic", "value", "suppressed")


@dataclass(frozen=True, kw_only=True)
class OutcomesReport:
    """Aggregate outcome measures for one cohort selection, ready to publish.

    Every table has been through :func:`suppress_small_cells`, so the report
    contains no group of fewer than ``minimum_cell_size`` participants.
    """

    title: str
    program: str
    definition: CohortDefinition
    minimum_cell_size: int
    data_sources: tuple[str, ...]
    generated_at: datetime
    tables: tuple[MeasureTable, ...]

    def table(self, key: str) -> MeasureTable:
        """Return the table of measure ``key``; raise KeyError when there is none."""
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)

    def to_json(self) -> dict[str, Any]:
        definition = self.definition
        return {
            "title": self.title,
            "program": self.program,
            "generatedAt": self.generated_at.isoformat().replace("+00:00", "Z"),
            "cohortDefinition": {
                "description": definition.describe(),
                "cohorts": list(definition.cohorts),
                "completedFrom": _iso(definition.completed_from),
                "completedTo": _iso(definition.completed_to),
                "asOf": definition.as_of.isoformat(),
                "followUpDays": definition.follow_up_days,
            },
            "minimumCellSize": self.minimum_cell_size,
            "dataSources": list(self.data_sources),
            "measures": [t.to_json() for t in self.tables],
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _overview(
    participants: Sequence[ParticipantRecord], definition: CohortDefinition
) -> MeasureTable:
    completers = select_completers(participants, definition)
    followed = sum(1 for p in completers if definition.followed_up(p))
    cells = (
        Cell(group="completers selected", participants=len(completers)),
        Cell(
            group="follow-up window closed",
            participants=followed,
            partition="follow-up",
        ),
        Cell(
            group="still in follow-up",
            participants=len(completers) - followed,
            partition="follow-up",
        ),
    )
    return MeasureTable(
        key="overview",
        title="Participants covered",
        description=(
            "Completers in the cohort selection. Outcome measures cover only "
            "those whose follow-up window closed; the verification rate covers all."
        ),
        statistics=(),
        cells=cells,
    )


def build_report(
    participants: Iterable[ParticipantRecord],
    *,
    definition: CohortDefinition,
    verification_counts: Mapping[str, int] | None = None,
    pathways: Sequence[str] | None = None,
    cohort_date: date | None = None,
    minimum_cell_size: int = DEFAULT_MINIMUM_CELL_SIZE,
    program: str = "Workforce program",
    title: str = "Outcomes and impact report",
    data_sources: Sequence[str] = (),
    generated_at: datetime | None = None,
) -> OutcomesReport:
    """Compute every measure for ``definition`` and suppress small cells.

    ``pathways`` names the pathway achievements compared before and after
    ``cohort_date``; when it is None, every achievement marked ``pathway``
    in the records is compared. Without ``cohort_date`` there is no
    comparison. Without ``verification_counts`` the verification rate is
    left out.
    """
    records = list(participants)
    tables = [
        _overview(records, definition),
        employment_rate_by_credential(records, definition=definition),
        time_to_employment(records, definition=definition),
        wages_by_credential(records, definition=definition),
        wages_by_level(records, definition=definition),
    ]
    if verification_counts is not None:
        tables.append(
            employer_verification_rate(
                records,
                verification_counts=verification_counts,
                definition=definition,
            )
        )
    if cohort_date is not None:
        if pathways is None:
            pathways = sorted(
                {c.achievement for p in records for c in p.credentials if c.pathway}
            )
        for pathway in pathways:
            tables.append(
                pathway_placement_change(
                    records,
                    pathway=pathway,
                    cohort_date=cohort_date,
                    definition=definition,
                )
            )
    published = tuple(
        suppress_small_cells(table, minimum=minimum_cell_size) for table in tables
    )
    return OutcomesReport(
        title=title,
        program=program,
        definition=definition,
        minimum_cell_size=minimum_cell_size,
        data_sources=tuple(data_sources),
        generated_at=generated_at or datetime.now(UTC).replace(microsecond=0),
        tables=published,
    )


def render_json(report: OutcomesReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_csv(report: OutcomesReport) -> str:
    """Render the report as one row per cell and statistic (long format).

    A suppressed cell has empty ``participants`` and ``value`` and
    ``suppressed`` set to ``yes``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in report.tables:
        for cell in table.cells:
            flag = "yes" if cell.suppressed else "no"
            participants = "" if cell.participants is None else cell.participants
            if not cell.values:
                writer.writerow((table.key, cell.group, participants, "", "", flag))
            for statistic, value in cell.values.items():
                writer.writerow(
                    (
                        table.key,
                        cell.group,
                        participants,
                        statistic,
                        "" if value is None else value,
                        flag,
                    )
                )
    return buffer.getvalue()


def write_report(
    report: OutcomesReport,
    out_dir: Path,
    *,
    formats: Sequence[str] = REPORT_FORMATS,
    stem: str = "outcomes-report",
) -> list[Path]:
    """Write the report as ``stem.csv``, ``stem.json`` and ``stem.html`` in ``out_dir``."""
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown:
        raise OutcomesInputError(
            f"unknown report format {unknown[0]!r}; expected one of "
            + ", ".join(REPORT_FORMATS),
            property="format",
            value=unknown[0],
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in formats:
        path = out_dir / f"{stem}.{name}"
        if name == "csv":
            path.write_text(render_csv(report), "utf-8")
        elif name == "json":
            path.write_text(render_json(report), "utf-8")
        else:
            from ._html import render_html

            path.write_text(render_html(report), "utf-8")
        written.append(path)
    return written
