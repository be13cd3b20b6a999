"""Outcomes and impact reporting: what credentials did for participants.

Measures over plain records (participants, credentials earned, employment
outcomes, verification counts), small-cell suppression, a synthetic cohort
for demos, employment attestations signed by employers, and reports as
CSV, JSON and a self-contained HTML page with charts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._attestation import (
    EMPLOYMENT_ATTESTATION_CONTEXT,
    EMPLOYMENT_ATTESTATION_TYPE,
    EmploymentAttestation,
    employment_attestation_credential,
    verify_employment_attestation,
)
from ._csv import (
    OUTCOME_COLUMNS,
    PROGRAM_COLUMNS,
    VERIFICATION_COUNT_COLUMNS,
    RowError,
    outcome_from_row,
    parse_verification_counts_csv,
    read_csv_rows,
)
from ._demo import write_demo_report
from ._files import load_records, records_to_json
from ._measures import (
    CohortDefinition,
    employer_verification_rate,
    employment_rate_by_credential,
    pathway_placement_change,
    placement_of,
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
from ._records import (
    PLACED_STATUSES,
    EarnedCredential,
    EmploymentStatus,
    OccupationCodeSystem,
    OutcomeRecord,
    OutcomesInputError,
    OutcomeSource,
    ParticipantRecord,
    parse_date,
    parse_occupation_code,
)
from ._report import (
    REPORT_FORMATS,
    OutcomesReport,
    build_report,
    render_csv,
    render_json,
    write_report,
)
from ._synthetic import SyntheticCohort, generate_synthetic_cohort

__all__ = [
    "DEFAULT_MINIMUM_CELL_SIZE",
    "EMPLOYMENT_ATTESTATION_CONTEXT",
    "EMPLOYMENT_ATTESTATION_TYPE",
    "OUTCOME_COLUMNS",
    "PLACED_STATUSES",
    "PROGRAM_COLUMNS",
    "REPORT_FORMATS",
    "VERIFICATION_COUNT_COLUMNS",
    "Cell",
    "CohortDefinition",
    "EarnedCredential",
    "EmploymentAttestation",
    "EmploymentStatus",
    "MeasureTable",
    "OccupationCodeSystem",
    "OutcomeRecord",
    "OutcomeSource",
    "OutcomesInputError",
    "OutcomesReport",
    "ParticipantRecord",
    "RowError",
    "SyntheticCohort",
    "build_report",
    "employer_verification_rate",
    "employment_attestation_credential",
    "employment_rate_by_credential",
    "generate_synthetic_cohort",
    "load_records",
    "outcome_from_row",
    "parse_date",
    "parse_occupation_code",
    "parse_verification_counts_csv",
    "pathway_placement_change",
    "placement_of",
    "read_csv_rows",
    "records_to_json",
    "render_csv",
    "render_html",
    "render_json",
    "suppress_small_cells",
    "time_to_employment",
    "verify_employment_attestation",
    "wages_by_credential",
    "wages_by_level",
    "write_demo_report",
    "write_report",
]


if TYPE_CHECKING:
    from ._html import render_html


def __getattr__(name: str) -> object:
    # matplotlib is imported only when an HTML report is rendered.
    if name == "render_html":
        from ._html import render_html

        return render_html
    raise AttributeError(name)
