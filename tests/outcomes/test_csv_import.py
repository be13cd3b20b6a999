"""CSV import: header checks, one error per bad row, good rows recorded."""

from __future__ import annotations

import pytest

from vcwork.outcomes import (
    OUTCOME_COLUMNS,
    EmploymentStatus,
    OccupationCodeSystem,
    OutcomesInputError,
    outcome_from_row,
    parse_occupation_code,
    parse_verification_counts_csv,
    read_csv_rows,
)

ALLOWED = (*OUTCOME_COLUMNS, "cohort", "cohort_start", "completed_on")
REQUIRED = ("status", "source", "reported_on")


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    return read_csv_rows(text, required=REQUIRED, allowed=ALLOWED)


def test_outcome_row_reads_every_field() -> None:
    ((number, values),) = _rows(
        "Participant_ID,status,start_date,employer,occupation,occupation_code,"
        "hourly_wage,source,reported_on\n"
        "p1,apprenticeship,2024-04-01,Riverbend,Carpenters,47-2031.00,21.50,"
        "employer_confirmation,2024-04-15\n"
    )
    assert number == 2
    outcome = outcome_from_row(values, participant_id="p1")
    assert outcome.status is EmploymentStatus.APPRENTICESHIP
    assert outcome.start_date is not None
    assert outcome.start_date.isoformat() == "2024-04-01"
    assert outcome.occupation_code_system is OccupationCodeSystem.ONET_SOC
    assert outcome.hourly_wage == 21.5


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("employed,,self_report,2024-04-15,,", "start_date", "needs a start_date"),
        ("hired,2024-04-01,self_report,2024-04-15,,", "status", "status 'hired'"),
        ("employed,2024-04-01,rumour,2024-04-15,,", "source", "source 'rumour'"),
        ("employed,2024-04-01,self_report,15/04/2024,,", "reported_on", "not a date"),
        (
            "employed,2024-04-01,self_report,2024-04-15,abc,",
            "hourly_wage",
            "not a number",
        ),
        ("employed,2024-04-01,self_report,2024-04-15,-3,", "hourly_wage", "positive"),
        (
            "employed,2024-04-01,self_report,2024-04-15,,12-34",
            "occupation_code",
            "neither",
        ),
        ("employed,2024-04-01,self_report,,,", "reported_on", "missing value"),
    ],
)
def test_outcome_row_errors_name_the_column(
    row: str, column: str, message: str
) -> None:
    header = "status,start_date,source,reported_on,hourly_wage,occupation_code\n"
    ((_, values),) = _rows(header + row + "\n")
    with pytest.raises(OutcomesInputError, match=message) as caught:
        outcome_from_row(values, participant_id="p1")
    assert caught.value.property == column


def test_header_errors_reject_the_file() -> None:
    with pytest.raises(OutcomesInputError, match="lacks the column"):
        _rows("status,source\nemployed,self_report\n")
    with pytest.raises(OutcomesInputError, match="unknown CSV column"):
        _rows("status,source,reported_on,salary\n")
    with pytest.raises(OutcomesInputError, match="empty"):
        _rows("")


def test_row_with_extra_fields_is_rejected() -> None:
    ((_, values),) = _rows(
        "status,source,reported_on\nunemployed,self_report,2024-04-15,extra\n"
    )
    with pytest.raises(OutcomesInputError, match="more fields than the header"):
        outcome_from_row(values, participant_id="p1")


def test_occupation_codes() -> None:
    assert parse_occupation_code("47-2031.00") == (
        "47-2031.00",
        OccupationCodeSystem.ONET_SOC,
    )
    assert parse_occupation_code("7115.1") == ("7115.1", OccupationCodeSystem.ESCO)
    with pytest.raises(OutcomesInputError, match="not a valid ESCO"):
        parse_occupation_code("47-2031.00", "ESCO")
    with pytest.raises(OutcomesInputError, match="not supported"):
        parse_occupation_code("47-2031.00", "SOC")


def test_verification_counts_csv_errors_per_row() -> None:
    counts, errors = parse_verification_counts_csv(
        "credential_id,verifications\n"
        "urn:uuid:a,3\n"
        ",2\n"
        "urn:uuid:b,many\n"
        "urn:uuid:c,-1\n"
        "urn:uuid:a,4\n"
    )
    assert counts == {"urn:uuid:a": 4}
    assert [(e.row, e.column) for e in errors] == [
        (3, "credential_id"),
        (4, "verifications"),
        (5, "verifications"),
    ]
    assert "not a whole number" in errors[1].message
