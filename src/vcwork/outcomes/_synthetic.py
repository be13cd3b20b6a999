"""A synthetic cohort of a construction pre-apprenticeship program, for demos and benchmarks.

The people, employers and numbers are invented. The distributions are
chosen to look plausible for such a program and are not fitted to any data
set. About 80 % complete. Holders of the certificate are placed more often
and at higher wages than others. Most placements start within three months.
Cohorts in the second half are placed more often, a program change whose
effect the before/after measure shows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ..badges.catalog import CERTIFICATE_SLUG, ENTRY_SLUGS
from ._records import (
    EarnedCredential,
    EmploymentStatus,
    OccupationCodeSystem,
    OutcomeRecord,
    OutcomesInputError,
    OutcomeSource,
    ParticipantRecord,
)

__all__ = ["SyntheticCohort", "generate_synthetic_cohort"]

COHORT_SPACING_DAYS = 91
PROGRAM_DAYS = 84
DEFAULT_START = date(2023, 1, 9)

_OCCUPATIONS = (
    ("Construction Laborers", "47-2061.00"),
    ("Carpenters", "47-2031.00"),
    ("Electricians", "47-2111.00"),
    ("Plumbers, Pipefitters, and Steamfitters", "47-2152.00"),
)
_EMPLOYERS = (
    "Northside Builders",
    "Riverbend Construction",
    "Keystone Carpentry Co.",
    "Lakeshore Electric",
    "Summit Mechanical",
    "Carpenters Local Training Center",
)


@dataclass(frozen=True, kw_only=True)
class SyntheticCohort:
    """Generated participants with the inputs a report needs alongside them."""

    participants: tuple[ParticipantRecord, ...]
    verification_counts: dict[str, int]
    pathway: str
    cohort_date: date
    as_of: date


def generate_synthetic_cohort(
    *,
    participants: int = 600,
    cohorts: int = 6,
    seed: int = 1,
    start: date = DEFAULT_START,
) -> SyntheticCohort:
    """Generate ``participants`` spread evenly over ``cohorts`` quarterly cohorts.

    The same arguments give the same cohort. ``as_of`` is set so the last
    cohort is still in its 180-day follow-up window; ``cohort_date`` is the
    start of the first improved cohort.
    """
    if participants < 1 or cohorts < 1:
        raise OutcomesInputError(
            f"participants and cohorts must be at least 1, got {participants} "
            f"and {cohorts}"
        )
    rng = random.Random(seed)
    improved_from = max(1, cohorts // 2)
    records = []
    counts: dict[str, int] = {}
    for index in range(participants):
        cohort = index * cohorts // participants
        cohort_start = start + timedelta(days=cohort * COHORT_SPACING_DAYS)
        record = _participant(
            rng,
            participant_id=f"synthetic-{index + 1:06d}",
            cohort=f"Cohort {cohort + 1}",
            cohort_start=cohort_start,
            improved=cohort >= improved_from,
        )
        records.append(record)
        for credential in record.credentials:
            chance = 0.6 if credential.pathway else 0.3
            if rng.random() < chance:
                counts[credential.credential_id] = rng.randint(1, 4)
    last_start = start + timedelta(days=(cohorts - 1) * COHORT_SPACING_DAYS)
    return SyntheticCohort(
        participants=tuple(records),
        verification_counts=counts,
        pathway=CERTIFICATE_SLUG,
        cohort_date=start + timedelta(days=improved_from * COHORT_SPACING_DAYS),
        as_of=last_start + timedelta(days=PROGRAM_DAYS + 90),
    )


def _participant(
    rng: random.Random,
    *,
    participant_id: str,
    cohort: str,
    cohort_start: date,
    improved: bool,
) -> ParticipantRecord:
    completes = rng.random() < 0.8
    completed_on = (
        cohort_start + timedelta(days=PROGRAM_DAYS + rng.randint(0, 7))
        if completes
        else None
    )
    earn_chance = 0.92 if completes else 0.35
    credentials = []
    for number, slug in enumerate(ENTRY_SLUGS):
        if rng.random() < earn_chance:
            credentials.append(
                EarnedCredential(
                    credential_id=f"urn:uuid:{participant_id}-{number}",
                    achievement=slug,
                    level="entry",
                    issued_on=cohort_start + timedelta(days=14 * (number + 1)),
                )
            )
    has_certificate = completed_on is not None and len(credentials) == len(ENTRY_SLUGS)
    if has_certificate:
        assert completed_on is not None
        credentials.append(
            EarnedCredential(
                credential_id=f"urn:uuid:{participant_id}-certificate",
                achievement=CERTIFICATE_SLUG,
                level="intermediate",
                pathway=True,
                issued_on=completed_on,
            )
        )
    outcomes = (
        _outcomes(rng, participant_id, completed_on, has_certificate, improved)
        if completed_on is not None
        else ()
    )
    return ParticipantRecord(
        participant_id=participant_id,
        cohort=cohort,
        cohort_start=cohort_start,
        completed_on=completed_on,
        credentials=tuple(credentials),
        outcomes=outcomes,
    )


def _outcomes(
    rng: random.Random,
    participant_id: str,
    completed_on: date,
    has_certificate: bool,
    improved: bool,
) -> tuple[OutcomeRecord, ...]:
    chance = 0.42
    if has_certificate:
        chance += 0.22
    if improved:
        chance += 0.2

    if rng.random() >= chance:
        if rng.random() < 0.6:
            return (
                OutcomeRecord(
                    participant_id=participant_id,
                    status=EmploymentStatus.UNEMPLOYED,
                    source=OutcomeSource.SELF_REPORT,
                    reported_on=completed_on + timedelta(days=rng.randint(30, 150)),
                ),
            )
        return ()
    if rng.random() < 0.08:
        days = -rng.randint(1, 30)
    else:
        days = min(int(rng.expovariate(1 / 40)), 170)
    start_date = completed_on + timedelta(days=days)
    roll = rng.random()
    status = (
        EmploymentStatus.APPRENTICESHIP
        if roll < 0.35
        else EmploymentStatus.SELF_EMPLOYED
        if roll < 0.4
        else EmploymentStatus.EMPLOYED
    )
    base = 18.0 if status is EmploymentStatus.APPRENTICESHIP else 20.0
    wage = max(12.0, rng.gauss(base + (1.5 if has_certificate else 0.0), 2.5))
    occupation, code = rng.choice(_OCCUPATIONS)
    source = rng.choices(list(OutcomeSource), weights=(0.5, 0.3, 0.2), k=1)[0]
    salaried = rng.random() < 0.15
    return (
        OutcomeRecord(
            participant_id=participant_id,
            status=status,
            source=source,
            reported_on=start_date + timedelta(days=rng.randint(7, 60)),
            start_date=start_date,
            employer=rng.choice(_EMPLOYERS),
            occupation=occupation,
            occupation_code=code,
            occupation_code_system=OccupationCodeSystem.ONET_SOC,
            hourly_wage=None if salaried else round(wage, 2),
            annual_salary=round(wage * 2080, -2) if salaried else None,
        ),
    )
