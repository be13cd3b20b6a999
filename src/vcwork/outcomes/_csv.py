"""Reading outcome and verification-count CSV files, with an error per bad row.

Rows are numbered as a spreadsheet shows them: the header is row 1, so the
first data row is row 2. A bad row never stops the rows after it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._records import (
    EmploymentStatus,
    OutcomeRecord,
    OutcomesInputError,
    OutcomeSource,
    parse_date,
    parse_occupation_code,
)

__all__ = [
    "OUTCOME_COLUMNS",
    "PROGRAM_COLUMNS",
    "VERIFICATION_COUNT_COLUMNS",
    "RowError",
    "outcome_from_row",
    "parse_verification_counts_csv",
    "read_csv_rows",
]

# Columns of an outcomes CSV. A row names its participant by
# ``participant_id`` or ``email``. The program columns are optional and
# set the participant's cohort and completion date.
OUTCOME_COLUMNS = (
    "participant_id",
    "email",
    "status",
    "start_date",
    "employer",
    "occupation",
    "occupation_code",
    "occupation_code_system",
    "hourly_wage",
    "annual_salary",
    "source",
    "reported_on",
)
PROGRAM_COLUMNS = ("cohort", "cohort_start", "completed_on")
REQUIRED_OUTCOME_COLUMNS = ("status", "source", "reported_on")
VERIFICATION_COUNT_COLUMNS = ("credential_id", "verifications")

# Largest count one credential can report; a larger value is a data error.
MAX_VERIFICATIONS = 10**9


@dataclass(frozen=True)
class RowError:
    """Why one CSV row was rejected: its row number, the column if known, the message."""

    row: int
    message: str
    column: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"row": self.row, "ok": False, "error": self.message}
        if self.column is not None:
            body["column"] = self.column
        return body


def read_csv_rows(
    text: str,
    *,
    required: tuple[str, ...],
    allowed: tuple[str, ...],
) -> list[tuple[int, dict[str, str]]]:
    """Parse CSV text into (row number, values) pairs with trimmed, lower-case column names.

    Raises :class:`OutcomesInputError` when the header lacks a required
    column or has a column not in ``allowed``, because then no row can be
    read as intended.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise OutcomesInputError("the CSV file is empty; it needs a header row")
    missing = [c for c in required if c not in header]
    if missing:
        raise OutcomesInputError(
            f"the CSV header lacks the column(s) {', '.join(missing)}; the header "
            f"is {', '.join(header)}",
            property="header",
        )
    unknown = [c for c in header if c not in allowed]
    if unknown:
        raise OutcomesInputError(
            f"unknown CSV column(s) {', '.join(unknown)}; allowed columns are "
            f"{', '.join(allowed)}",
            property="header",
        )
    reader.fieldnames = header
    rows = []
    for number, row in enumerate(reader, start=2):
        values = {
            key: (value or "").strip()
            for key, value in row.items()
            if isinstance(key, str) and isinstance(value, str)
        }
        if None in row:
            values["__extra__"] = "yes"
        rows.append((number, values))
    return rows


def _number(values: Mapping[str, str], column: str) -> float | None:
    text = values.get(column, "")
    if not text:
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise OutcomesInputError(
            f"{column} {text!r} is not a number", property=column, value=text
        ) from None
    if not value > 0 or value == float("inf"):
        raise OutcomesInputError(
            f"{column} must be a positive number, got {text!r}",
            property=column,
            value=text,
        )
    return value


def _choice(values: Mapping[str, str], column: str, kind: type[Any]) -> Any:
    text = values.get(column, "")
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise OutcomesInputError(
            f"{column} {text!r} is not valid; expected one of {allowed}",
            property=column,
            value=text,
        ) from None


def outcome_from_row(
    values: Mapping[str, str], *, participant_id: str
) -> OutcomeRecord:
    """Build an outcome from one CSV row; raise :class:`OutcomesInputError` naming the column."""
    if values.get("__extra__"):
        raise OutcomesInputError(
            "the row has more fields than the header; quote values that contain commas"
        )
    for column in REQUIRED_OUTCOME_COLUMNS:
        if not values.get(column):
            raise OutcomesInputError(
                f"missing value in column {column}", property=column
            )
    status = _choice(values, "status", EmploymentStatus)
    source = _choice(values, "source", OutcomeSource)
    start_date = (
        parse_date(values["start_date"], name="start_date")
        if values.get("start_date")
        else None
    )
    code = values.get("occupation_code") or None
    system = None
    if code is not None:
        code, system = parse_occupation_code(
            code, values.get("occupation_code_system") or None
        )
    return OutcomeRecord(
        participant_id=participant_id,
        status=status,
        source=source,
        reported_on=parse_date(values["reported_on"], name="reported_on"),
        start_date=start_date,
        employer=values.get("employer") or None,
        occupation=values.get("occupation") or None,
        occupation_code=code,
        occupation_code_system=system,
        hourly_wage=_number(values, "hourly_wage"),
        annual_salary=_number(values, "annual_salary"),
    )


def parse_verification_counts_csv(text: str) -> tuple[dict[str, int], list[RowError]]:
    """Read ``credential_id,verifications`` rows into counts and per-row errors.

    A credential listed twice keeps its last count, because each row is the
    verifier's running total for that credential.
    """
    rows = read_csv_rows(
        text,
        required=VERIFICATION_COUNT_COLUMNS,
        allowed=VERIFICATION_COUNT_COLUMNS,
    )
    counts: dict[str, int] = {}
    errors: list[RowError] = []
    for number, values in rows:
        credential_id = values.get("credential_id", "")
        text_count = values.get("verifications", "")
        if not credential_id:
            errors.append(
                RowError(
                    number, "missing value in column credential_id", "credential_id"
                )
            )
            continue
        try:
            count = int(text_count)
        except ValueError:
            errors.append(
                RowError(
                    number,
                    f"verifications {text_count!r} is not a whole number",
                    "verifications",
                )
            )
            continue
        if count < 0 or count > MAX_VERIFICATIONS:
            errors.append(
                RowError(
                    number,
                    f"verifications must be from 0 to {MAX_VERIFICATIONS}, got {count}",
                    "verifications",
                )
            )
            continue
        counts[credential_id] = count
    return counts, errors
