"""The builders render the Open Badges 3.0 JSON shape, and reject bad input early."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from vcwork.badges import (
    OB_CONTEXT,
    VC_CONTEXT,
    Achievement,
    AchievementLevel,
    AchievementSubject,
    Alignment,
    AssessmentMethod,
    CompetencyStatement,
    Criteria,
    EndorsementSubject,
    Evidence,
    Image,
    Profile,
    Related,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    achievement_level,
    level_alignment,
    open_badge_credential,
    stacked_achievement_ids,
)
from vcwork.errors import MalformedValueError, RangeError

BASE = "https://training.example.org"


def _statement() -> CompetencyStatement:
    return CompetencyStatement(
        can_do=["Read a tape measure to 1/16 inch.", "Cut a stud to length."],
        assessment_method=AssessmentMethod.OBSERVED_DEMONSTRATION,
        assessment_details="an instructor watched three cuts.",
        context="Training shop.",
    )


def _achievement(**overrides: object) -> Achievement:
    fields: dict[str, object] = {
        "id": f"{BASE}/achievements/cutting",
        "name": "Measuring and Cutting",
        "description": "Measures and cuts lumber accurately.",
        "criteria": Criteria.from_competency(_statement()),
    }
    fields.update(overrides)
    return Achievement(**fields)  # type: ignore[arg-type]


def test_profile_json() -> None:
    profile = Profile(
        id=BASE,
        name="Example Training Center",
        url=f"{BASE}/about",
        email="badges@training.example.org",
        description="Trades training.",
        image=Image(id=f"{BASE}/logo.png", caption="Logo"),
    )
    assert profile.to_json() == {
        "id": BASE,
        "type": ["Profile"],
        "name": "Example Training Center",
        "url": f"{BASE}/about",
        "email": "badges@training.example.org",
        "description": "Trades training.",
        "image": {"id": f"{BASE}/logo.png", "type": "Image", "caption": "Logo"},
    }


def test_profile_omits_unset_fields() -> None:
    assert Profile(id="did:web:training.example.org", name="X").to_json() == {
        "id": "did:web:training.example.org",
        "type": ["Profile"],
        "name": "X",
    }


def test_alignment_json() -> None:
    alignment = Alignment(
        target_name="Carpenters",
        target_url="https://www.onetonline.org/link/summary/47-2031.00",
        target_description="Occupation.",
        target_framework="O*NET-SOC 2019",
        target_code="47-2031.00",
        target_type="ext:Occupation",
    )
    assert alignment.to_json() == {
        "type": ["Alignment"],
        "targetName": "Carpenters",
        "targetUrl": "https://www.onetonline.org/link/summary/47-2031.00",
        "targetDescription": "Occupation.",
        "targetFramework": "O*NET-SOC 2019",
        "targetCode": "47-2031.00",
        "targetType": "ext:Occupation",
    }


def test_alignment_rejects_unknown_target_type() -> None:
    with pytest.raises(MalformedValueError) as caught:
        Alignment(target_name="X", target_url=BASE, target_type="Occupation")
    assert caught.value.property == "alignment.targetType"
    assert "ext:" in caught.value.detail


def test_result_description_json() -> None:
    meets = RubricCriterionLevel(
        id=f"{BASE}/rubric/meets", name="Meets standard", level="2", points="2"
    )
    description = ResultDescription(
        id=f"{BASE}/rubric",
        name="Cut quality",
        result_type="RubricCriterionLevel",
        rubric_criterion_level=[meets],
        required_level=meets.id,
    )
    assert description.to_json() == {
        "id": f"{BASE}/rubric",
        "type": ["ResultDescription"],
        "name": "Cut quality",
        "resultType": "RubricCriterionLevel",
        "requiredLevel": meets.id,
        "rubricCriterionLevel": [
            {
                "id": meets.id,
                "type": ["RubricCriterionLevel"],
                "name": "Meets standard",
                "level": "2",
                "points": "2",
            }
        ],
    }


def test_result_description_rejects_unknown_required_level() -> None:
    with pytest.raises(MalformedValueError) as caught:
        ResultDescription(
            id=f"{BASE}/rubric",
            name="Cut quality",
            result_type="RubricCriterionLevel",
            required_level=f"{BASE}/rubric/missing",
        )
    assert caught.value.property == "resultDescription.requiredLevel"


def test_criteria_json() -> None:
    criteria = Criteria(narrative="Do the thing.", id=f"{BASE}/criteria/x")
    assert criteria.to_json() == {
        "id": f"{BASE}/criteria/x",
        "narrative": "Do the thing.",
    }


def test_criteria_needs_narrative_or_id() -> None:
    with pytest.raises(MalformedValueError) as caught:
        Criteria()
    assert caught.value.property == "criteria"


def test_competency_statement_markdown() -> None:
    markdown = _statement().to_markdown()
    assert markdown.startswith("**What the holder can do**\n\n- Read a tape measure")
    assert "- Cut a stud to length." in markdown
    assert (
        "**How competency was assessed**\n\nObserved demonstration: an instructor"
        in markdown
    )
    assert markdown.endswith("**Context**\n\nTraining shop.")


def test_competency_statement_accepts_method_value() -> None:
    statement = CompetencyStatement(
        can_do="Solve a slab volume problem.",
        assessment_method="exam",
        context="Class.",
    )
    assert statement.assessment_method is AssessmentMethod.EXAM
    assert statement.can_do == ("Solve a slab volume problem.",)


@pytest.mark.parametrize(
    ("fields", "property"),
    [
        ({"can_do": []}, "can_do"),
        ({"can_do": ["ok", " "]}, "can_do[1]"),
        ({"assessment_method": "interview"}, "assessment_method"),
        ({"context": ""}, "context"),
    ],
)
def test_competency_statement_rejects(fields: dict[str, object], property: str) -> None:
    arguments: dict[str, object] = {
        "can_do": ["Do it."],
        "assessment_method": AssessmentMethod.EXAM,
        "context": "Class.",
    }
    arguments.update(fields)
    with pytest.raises(MalformedValueError) as caught:
        CompetencyStatement(**arguments)  # type: ignore[arg-type]
    assert caught.value.property == property


def test_achievement_json() -> None:
    creator = Profile(id=BASE, name="Example Training Center")
    achievement = _achievement(
        achievement_type="Competency",
        alignment=[
            level_alignment(AchievementLevel.ENTRY, levels_url=f"{BASE}/levels")
        ],
        tag=["carpentry"],
        field_of_study="Construction trades",
        human_code="CPA-900",
        creator=creator,
        related=[Related(id=f"{BASE}/achievements/other", version="2")],
        image=Image(id=f"{BASE}/badge.png"),
    )
    data = achievement.to_json()

    assert data["id"] == f"{BASE}/achievements/cutting"
    assert data["type"] == ["Achievement"]
    assert data["name"] == "Measuring and Cutting"
    assert data["description"] == "Measures and cuts lumber accurately."
    assert data["criteria"] == {"narrative": _statement().to_markdown()}

    assert data["achievementType"] == "Competency"
    assert data["tag"] == ["carpentry"]
    assert data["fieldOfStudy"] == "Construction trades"
    assert data["humanCode"] == "CPA-900"
    assert data["creator"] == creator.to_json()
    assert data["related"] == [
        {"id": f"{BASE}/achievements/other", "type": ["Related"], "version": "2"}
    ]
    assert data["image"] == {"id": f"{BASE}/badge.png", "type": "Image"}

    assert data["alignment"][0]["targetType"] == "ext:AchievementLevel"
    assert "resultDescription" not in data


def test_achievement_rejects_wrong_achievement_type() -> None:
    with pytest.raises(MalformedValueError) as caught:
        _achievement(achievement_type="Skill")
    assert caught.value.property == "achievement.achievementType"
    assert "'Skill'" in caught.value.detail


def test_achievement_accepts_extension_type() -> None:
    assert _achievement(achievement_type="ext:Skill").to_json()["achievementType"] == (
        "ext:Skill"
    )


def test_achievement_rejects_relative_id() -> None:
    with pytest.raises(MalformedValueError) as caught:
        _achievement(id="achievements/cutting")
    assert caught.value.property == "achievement.id"


def test_level_alignment_read_back() -> None:
    for level in AchievementLevel:
        achievement = _achievement(
            alignment=[level_alignment(level, levels_url=f"{BASE}/levels")]
        )
        assert achievement_level(achievement.to_json()) == level.value


def test_level_alignment_fields() -> None:
    alignment = level_alignment("intermediate", levels_url=f"{BASE}/levels").to_json()
    assert alignment["targetCode"] == "intermediate"
    assert alignment["targetName"] == "Intermediate level"
    assert alignment["targetUrl"] == f"{BASE}/levels#intermediate"
    assert alignment["targetFramework"] == "vcwork achievement levels"


def test_level_alignment_rejects_unknown_level() -> None:
    with pytest.raises(MalformedValueError) as caught:
        level_alignment("expert", levels_url=f"{BASE}/levels")
    assert caught.value.property == "level"


def test_achievement_level_none_without_alignment() -> None:
    assert achievement_level(_achievement().to_json()) is None


def test_achievement_level_ignores_other_alignments() -> None:
    data = _achievement().to_json()
    data["alignment"] = [
        {
            "type": ["Alignment"],
            "targetName": "x",
            "targetUrl": BASE,
            "targetCode": "entry",
        },
        {"targetType": "ext:AchievementLevel", "targetCode": "expert"},
        "not an object",
    ]
    assert achievement_level(data) is None


def test_stacked_achievement_ids() -> None:
    parts = [f"{BASE}/achievements/a", f"{BASE}/achievements/b"]
    achievement = _achievement(related=[Related(id=part) for part in parts])
    assert stacked_achievement_ids(achievement.to_json()) == parts
    assert stacked_achievement_ids(_achievement().to_json()) == []


def test_result_and_evidence_json() -> None:
    result = Result(result_description=f"{BASE}/exam", value="92", status="Completed")
    assert result.to_json() == {
        "type": ["Result"],
        "resultDescription": f"{BASE}/exam",
        "value": "92",
        "status": "Completed",
    }
    evidence = Evidence(id=f"{BASE}/evidence/1", name="Exam", genre="Written exam")
    assert evidence.to_json() == {
        "type": ["Evidence"],
        "id": f"{BASE}/evidence/1",
        "name": "Exam",
        "genre": "Written exam",
    }


def test_result_rejects_unknown_status() -> None:
    with pytest.raises(MalformedValueError) as caught:
        Result(status="Passed")
    assert caught.value.property == "result.status"


def test_achievement_subject_json() -> None:
    start = datetime(2025, 1, 6, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    subject = AchievementSubject(
        id="did:example:holder",
        achievement=_achievement(),
        activity_start_date=start,
        activity_end_date="2025-02-28T16:00:00Z",
        evidence=[Evidence(name="Observation checklist")],
    )
    assert subject.to_json() == {
        "id": "did:example:holder",
        "type": ["AchievementSubject"],
        "achievement": _achievement().to_json(),
        "activityStartDate": "2025-01-06T14:00:00Z",
        "activityEndDate": "2025-02-28T16:00:00Z",
    }


def test_achievement_subject_rejects_naive_datetime() -> None:
    with pytest.raises(MalformedValueError) as caught:
        AchievementSubject(
            id="did:example:holder",
            achievement=_achievement(),
            activity_start_date=datetime(2025, 1, 6, 9, 0),
        )
    assert caught.value.property == "credentialSubject.activityStartDate"


def test_achievement_subject_rejects_unlinked_result() -> None:
    with pytest.raises(MalformedValueError) as caught:
        AchievementSubject(
            id="did:example:holder",
            achievement=_achievement(),
            result=[Result(result_description=f"{BASE}/no-such-description")],
        )
    assert caught.value.property == "credentialSubject.result[0].resultDescription"


def test_open_badge_credential_json() -> None:
    issuer = Profile(id=BASE, name="Example Training Center")
    evidence = Evidence(
        id=f"{BASE}/evidence/7", narrative="Three cuts within 1/16 inch."
    )
    subject = AchievementSubject(
        id="did:example:holder", achievement=_achievement(), evidence=[evidence]
    )
    credential = open_badge_credential(
        id="urn:uuid:7d1b1d6e-0000-4000-8000-000000000007",
        issuer=issuer,
        subject=subject,
        valid_from=datetime(2025, 3, 1, tzinfo=UTC),
        valid_until="2030-03-01T00:00:00Z",
        credential_status={
            "id": f"{BASE}/status#7",
            "type": "BitstringStatusListEntry",
        },
    )
    assert credential == {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": "urn:uuid:7d1b1d6e-0000-4000-8000-000000000007",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Measuring and Cutting",
        "issuer": issuer.to_json(),
        "validFrom": "2025-03-01T00:00:00Z",
        "validUntil": "2030-03-01T00:00:00Z",
        "credentialSubject": subject.to_json(),
        "evidence": [evidence.to_json()],
        "credentialStatus": {
            "id": f"{BASE}/status#7",
            "type": "BitstringStatusListEntry",
        },
    }
    assert VC_CONTEXT == "https://www.w3.org/ns/credentials/v2"
    assert OB_CONTEXT == "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def test_open_badge_credential_rejects_bad_dates() -> None:
    issuer = Profile(id=BASE, name="X")
    subject = AchievementSubject(id="did:example:holder", achievement=_achievement())
    with pytest.raises(MalformedValueError) as malformed:
        open_badge_credential(
            id="urn:uuid:1", issuer=issuer, subject=subject, valid_from="2025-03-01"
        )
    assert malformed.value.property == "validFrom"
    with pytest.raises(RangeError) as out_of_range:
        open_badge_credential(
            id="urn:uuid:1",
            issuer=issuer,
            subject=subject,
            valid_from="2025-03-01T00:00:00Z",
            valid_until="2025-03-01T00:00:00Z",
        )
    assert out_of_range.value.property == "validUntil"


def test_endorsement_subject_json() -> None:
    subject = EndorsementSubject(
        id=f"{BASE}/achievements/x", endorsement_comment="Solid."
    )
    assert subject.to_json() == {
        "id": f"{BASE}/achievements/x",
        "type": ["EndorsementSubject"],
        "endorsementComment": "Solid.",
    }


def test_endorsement_credential_json(endorsement: dict[str, object]) -> None:
    assert endorsement["@context"] == [VC_CONTEXT, OB_CONTEXT]
    assert endorsement["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert endorsement["validFrom"] == "2025-03-01T00:00:00Z"
    assert endorsement["credentialSubject"] == {
        "id": "https://training.example.org/achievements/pre-apprenticeship-certificate",
        "type": ["EndorsementSubject"],
        "endorsementComment": "We accept this certificate for direct entry.",
    }
