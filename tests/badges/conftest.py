"""Shared fixtures: an issuer, the construction catalog and credentials built from it."""

from __future__ import annotations

from typing import Any

import pytest

from vcwork.badges import (
    AchievementSubject,
    EndorsementSubject,
    Evidence,
    Profile,
    Result,
    endorsement_credential,
    open_badge_credential,
)
from vcwork.badges.catalog import (
    ProgramCatalog,
    construction_pre_apprenticeship_catalog,
)

ISSUER_BASE = "https://training.example.org"
HOLDER = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VALID_FROM = "2025-03-01T00:00:00Z"


@pytest.fixture
def issuer() -> Profile:
    return Profile(
        id=ISSUER_BASE,
        name="Example Training Center",
        url="https://training.example.org/about",
        email="badges@training.example.org",
        description="Pre-apprenticeship programs for the building trades.",
    )


@pytest.fixture
def catalog() -> ProgramCatalog:
    return construction_pre_apprenticeship_catalog(issuer_base=ISSUER_BASE)


@pytest.fixture
def catalog_credentials(
    catalog: ProgramCatalog, issuer: Profile
) -> dict[str, dict[str, Any]]:
    """One OpenBadgeCredential per catalog entry, keyed by slug."""
    credentials = {}
    for number, entry in enumerate(catalog, start=1):
        subject = AchievementSubject(id=HOLDER, achievement=entry.achievement)
        credentials[entry.slug] = open_badge_credential(
            id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
            issuer=issuer,
            subject=subject,
            valid_from=VALID_FROM,
        )
    return credentials


@pytest.fixture
def math_credential(catalog: ProgramCatalog, issuer: Profile) -> dict[str, Any]:
    """The math badge with an exam result, evidence, activity dates and a status entry."""
    achievement = catalog.get("construction-math").achievement
    exam = achievement.result_description[0]
    subject = AchievementSubject(
        id=HOLDER,
        achievement=achievement,
        result=[Result(result_description=exam.id, value="92", status="Completed")],
        evidence=[
            Evidence(
                id="https://training.example.org/evidence/math-exam-0042",
                name="Graded exam",
                narrative="Scored 92 percent on the applied problems exam.",
            )
        ],
        activity_start_date="2025-01-06T09:00:00Z",
        activity_end_date="2025-02-28T16:00:00Z",
    )
    return open_badge_credential(
        id="urn:uuid:00000000-0000-4000-8000-000000000042",
        issuer=issuer,
        subject=subject,
        valid_from=VALID_FROM,
        valid_until="2030-03-01T00:00:00Z",
        credential_status={
            "id": "https://training.example.org/status/1#42",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "42",
            "statusListCredential": "https://training.example.org/status/1",
        },
    )


@pytest.fixture
def endorsement(catalog: ProgramCatalog) -> dict[str, Any]:
    certificate = catalog.get("pre-apprenticeship-certificate").achievement
    return endorsement_credential(
        id="urn:uuid:00000000-0000-4000-8000-0000000000e1",
        issuer=Profile(
            id="did:web:carpenters-local.example.org", name="Carpenters Local"
        ),
        subject=EndorsementSubject(
            id=certificate.id,
            endorsement_comment="We accept this certificate for direct entry.",
        ),
        valid_from=VALID_FROM,
        name="Union endorsement of the pre-apprenticeship certificate",
    )
