"""The construction pre-apprenticeship catalog."""

from __future__ import annotations

import pytest

from vcwork.badges import (
    AchievementLevel,
    AssessmentMethod,
    Profile,
    achievement_level,
    stacked_achievement_ids,
)
from vcwork.badges.catalog import (
    CERTIFICATE_SLUG,
    ENTRY_SLUGS,
    ProgramCatalog,
    construction_pre_apprenticeship_catalog,
)
from vcwork.errors import MalformedValueError


def test_catalog_has_five_entry_badges(catalog: ProgramCatalog) -> None:
    entries = catalog.at_level(AchievementLevel.ENTRY)
    assert [entry.slug for entry in entries] == list(ENTRY_SLUGS)
    assert len(entries) == 5
    names = {entry.achievement.name for entry in entries}
    assert names == {
        "OSHA 10-Hour Construction Safety",
        "Hand Tool Proficiency",
        "Jobsite Safety Awareness",
        "Math for Construction",
        "Blueprint Reading Basics",
    }


def test_entry_narratives_state_competency(catalog: ProgramCatalog) -> None:
    for entry in catalog.at_level(AchievementLevel.ENTRY):
        narrative = entry.achievement.criteria.narrative
        assert narrative is not None
        assert entry.competency is not None
        method = entry.assessment_method
        assert isinstance(method, AssessmentMethod)
        assert method.label in narrative, entry.slug
        assert "**What the holder can do**" in narrative
        assert "**How competency was assessed**" in narrative
        assert "**Context**" in narrative
        assert entry.competency.context in narrative


def test_catalog_uses_every_assessment_method(catalog: ProgramCatalog) -> None:
    methods = {
        entry.assessment_method for entry in catalog.at_level(AchievementLevel.ENTRY)
    }
    assert methods == set(AssessmentMethod)


def test_entry_badges_align_to_frameworks(catalog: ProgramCatalog) -> None:
    for entry in catalog.at_level(AchievementLevel.ENTRY):
        frameworks = {a.target_framework for a in entry.achievement.alignment}
        assert "O*NET-SOC 2019" in frameworks, entry.slug
    osha = catalog.get("osha-10-construction").achievement
    codes = {(a.target_framework, a.target_code) for a in osha.alignment}
    assert ("OSHA Outreach Training Program", "construction-10") in codes
    assert ("O*NET-SOC 2019", "47-2061.00") in codes
    tools = catalog.get("hand-tools").achievement
    assert ("O*NET-SOC 2019", "47-2031.00") in {
        (a.target_framework, a.target_code) for a in tools.alignment
    }


def test_levels_read_back(catalog: ProgramCatalog) -> None:
    for entry in catalog:
        assert achievement_level(entry.achievement.to_json()) == entry.level.value
    assert catalog.get(CERTIFICATE_SLUG).level is AchievementLevel.INTERMEDIATE


def test_certificate_stacks_entry_badges(catalog: ProgramCatalog) -> None:
    certificate = catalog.get(CERTIFICATE_SLUG)
    assert certificate.achievement.achievement_type == "Certificate"
    assert certificate.competency is None
    parts = [entry.achievement.id for entry in catalog.at_level(AchievementLevel.ENTRY)]
    assert stacked_achievement_ids(certificate.achievement.to_json()) == parts
    narrative = certificate.achievement.criteria.narrative or ""
    for entry in catalog.at_level(AchievementLevel.ENTRY):
        assert entry.achievement.name in narrative


def test_ids_use_issuer_base() -> None:
    catalog = construction_pre_apprenticeship_catalog(
        issuer_base="did:web:training.example.org"
    )
    for entry in catalog:
        assert entry.achievement.id == (
            f"did:web:training.example.org/achievements/{entry.slug}"
        )


def test_creator_recorded() -> None:
    creator = Profile(id="https://training.example.org", name="Example Training Center")
    catalog = construction_pre_apprenticeship_catalog(
        issuer_base="https://training.example.org", creator=creator
    )
    assert all(entry.achievement.creator == creator for entry in catalog)


@pytest.mark.parametrize(
    "issuer_base",
    ["training.example.org", "https://training.example.org/", "https://x.org/#a", ""],
)
def test_bad_issuer_base_rejected(issuer_base: str) -> None:
    with pytest.raises(MalformedValueError) as caught:
        construction_pre_apprenticeship_catalog(issuer_base=issuer_base)
    assert caught.value.property == "issuer_base"


def test_unknown_slug(catalog: ProgramCatalog) -> None:
    with pytest.raises(MalformedValueError) as caught:
        catalog.get("welding")
    assert "hand-tools" in caught.value.detail
