"""The plain records the measures read: participants, credentials earned, outcomes.

A program's system of record (the issuer agent, a spreadsheet, a synthetic
cohort) is turned into these values first, so every measure runs and is
tested without a database. Dates are calendar days (``datetime.date``) and
wages are in the program's currency, per hour or per year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from ..errors import MalformedValueError

__all__ = [
    "HOURS_PER_YEAR",
    "PLACED_STATUSES",
    "EarnedCredential",
    "EmploymentStatus",
    "OccupationCodeSystem",
    "OutcomeRecord",
    "OutcomeSource",
    "OutcomesInputError",
    "ParticipantRecord",
    "parse_date",
    "parse_occupation_code",
]

# Full-time year used to turn an annual salary into an hourly wage (40 hours
# a week for 52 weeks), the convention of US wage statistics.
HOURS_PER_YEAR = 2080

_ONET_SOC = re.compile(r"^\d{2}-\d{4}\.\d{2}$")
# ESCO occupations are ISCO-08 unit group codes extended with dotted parts
# (7115.1), or the concept URI of the occupation.
_ESCO_CODE = re.compile(r"^\d{4}(\.\d+)+$")
_ESCO_URI_PREFIX = "http://data.europa.eu/esco/occupation/"


class OutcomesInputError(MalformedValueError):
    """An outcome, participant or import row has an invalid value."""


class EmploymentStatus(StrEnum):
    """A participant's labor market status as recorded for one outcome."""

    EMPLOYED = "employed"
    APPRENTICESHIP = "apprenticeship"
    SELF_EMPLOYED = "self_employed"
    UNEMPLOYED = "unemployed"
    IN_EDUCATION = "in_education"
    NOT_IN_LABOR_FORCE = "not_in_labor_force"


# Statuses that count as a placement: a job, a registered apprenticeship or
# self-employment.
PLACED_STATUSES = frozenset(
    {
        EmploymentStatus.EMPLOYED,
        EmploymentStatus.APPRENTICESHIP,
        EmploymentStatus.SELF_EMPLOYED,
    }
)


class OutcomeSource(StrEnum):
    """The source of an outcome, from weakest to strongest evidence."""

    SELF_REPORT = "self_report"
    EMPLOYER_CONFIRMATION = "employer_confirmation"
    WAGE_RECORD = "wage_record"

    @property
    def label(self) -> str:
        return {
            "self_report": "participant self-report",
            "employer_confirmation": "employer confirmation",
            "wage_record": "wage record",
        }[self.value]


class OccupationCodeSystem(StrEnum):
    ONET_SOC = "O*NET-SOC"
    ESCO = "ESCO"


@dataclass(frozen=True, kw_only=True)
class EarnedCredential:
    """A credential a participant holds: which achievement, its level, when issued.

    ``pathway`` is true for an achievement that stacks others (a certificate
    built from badges). Revoked credentials are left out by the caller.
    """

    credential_id: str
    achievement: str
    level: str | None = None
    pathway: bool = False
    issued_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class OutcomeRecord:
    """One employment fact about a participant, with its source and date.

    A placement (a status in :data:`PLACED_STATUSES`) has a ``start_date``.
    Give ``hourly_wage`` or ``annual_salary``, not both.
    """

    participant_id: str
    status: EmploymentStatus
    source: OutcomeSource
    reported_on: date
    start_date: date | None = None
    employer: str | None = None
    occupation: str | None = None
    occupation_code: str | None = None
    occupation_code_system: OccupationCodeSystem | None = None
    hourly_wage: float | None = None
    annual_salary: float | None = None

    def __post_init__(self) -> None:
        if self.status in PLACED_STATUSES and self.start_date is None:
            raise OutcomesInputError(
                f"status {self.status.value!r} is a placement and needs a start_date",
                property="start_date",
            )
        if self.hourly_wage is not None and self.annual_salary is not None:
            raise OutcomesInputError(
                "give hourly_wage or annual_salary, not both",
                property="hourly_wage",
            )
        for name in ("hourly_wage", "annual_salary"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise OutcomesInputError(
                    f"{name} must be a positive number, got {value!r}",
                    property=name,
                    value=value,
                )

    @property
    def is_placement(self) -> bool:
        return self.status in PLACED_STATUSES

    @property
    def hourly_wage_equivalent(self) -> float | None:
        """The hourly wage, or the annual salary over :data:`HOURS_PER_YEAR` hours."""
        if self.hourly_wage is not None:
            return self.hourly_wage
        if self.annual_salary is not None:
            return self.annual_salary / HOURS_PER_YEAR
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant_id,
            "status": self.status.value,
            "source": self.source.value,
            "reported_on": self.reported_on.isoformat(),
            "start_date": _iso(self.start_date),
            "employer": self.employer,
            "occupation": self.occupation,
            "occupation_code": self.occupation_code,
            "occupation_code_system": (
                self.occupation_code_system.value
                if self.occupation_code_system
                else None
            ),
            "hourly_wage": self.hourly_wage,
            "annual_salary": self.annual_salary,
        }


@dataclass(frozen=True, kw_only=True)
class ParticipantRecord:
    """A participant with their cohort, completion, credentials and outcomes.

    ``cohort_start`` is the first day of the participant's cohort;
    ``completed_on`` is None while the participant has not completed.
    """

    participant_id: str
    cohort: str
    cohort_start: date
    completed_on: date | None = None
    credentials: tuple[EarnedCredential, ...] = ()
    outcomes: tuple[OutcomeRecord, ...] = field(default=())

    def holds(self, achievement: str) -> bool:
        return any(c.achievement == achievement for c in self.credentials)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_date(value: object, *, name: str) -> date:
    """Read a YYYY-MM-DD date, raising :class:`OutcomesInputError` naming the field."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise OutcomesInputError(
            f"{name} is missing; give a date as YYYY-MM-DD", property=name
        )
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise OutcomesInputError(
            f"{name} {value!r} is not a date; use YYYY-MM-DD",
            property=name,
            value=value,
        ) from None


def parse_occupation_code(
    code: str, system: str | None = None
) -> tuple[str, OccupationCodeSystem]:
    """Check an O*NET-SOC or ESCO occupation code and return it with its system.

    Without ``system`` the system is inferred from the form of the code:
    ``47-2031.00`` is O*NET-SOC, ``7115.1`` or an ESCO occupation URI is ESCO.
    """
    code = code.strip()
    is_onet = bool(_ONET_SOC.match(code))
    is_esco = bool(_ESCO_CODE.match(code)) or code.startswith(_ESCO_URI_PREFIX)
    if system is not None and system.strip():
        try:
            expected = OccupationCodeSystem(system.strip())
        except ValueError:
            raise OutcomesInputError(
                f"occupation_code_system {system!r} is not supported; expected "
                "'O*NET-SOC' or 'ESCO'",
                property="occupation_code_system",
                value=system,
            ) from None
        valid = is_onet if expected is OccupationCodeSystem.ONET_SOC else is_esco
        if not valid:
            raise OutcomesInputError(
                f"occupation_code {code!r} is not a valid {expected.value} code",
                property="occupation_code",
                value=code,
            )
        return code, expected
    if is_onet:
        return code, OccupationCodeSystem.ONET_SOC
    if is_esco:
        return code, OccupationCodeSystem.ESCO
    raise OutcomesInputError(
        f"occupation_code {code!r} is neither an O*NET-SOC code (such as "
        "47-2031.00) nor an ESCO code (such as 7115.1 or an ESCO occupation URI)",
        property="occupation_code",
        value=code,
    )
