"""Schema and rule validation of OpenBadgeCredential and EndorsementCredential."""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from typing import Any

import pytest

from vcwork.badges import (
    OB_SCHEMA_ID,
    validate_endorsement_credential,
    validate_open_badge_credential,
)
from vcwork.errors import Problem


def _by_property(problems: list[Problem]) -> dict[str | None, Problem]:
    return {problem.property: problem for problem in problems}


def test_catalog_credentials_valid(catalog_credentials: dict[str, Any]) -> None:
    assert len(catalog_credentials) == 6
    for slug, credential in catalog_credentials.items():
        assert validate_open_badge_credential(credential) == [], slug


def test_full_credential_valid(math_credential: dict[str, Any]) -> None:
    assert validate_open_badge_credential(math_credential) == []


def test_endorsement_credential_valid(endorsement: dict[str, Any]) -> None:
    assert validate_endorsement_credential(endorsement) == []


def _broken(
    credential: dict[str, Any], path: str, action: str, value: Any = None
) -> dict[str, Any]:
    broken = copy.deepcopy(credential)
    *parents, last = path.split(".")
    node = broken
    for key in parents:
        node = node[key]
    if action == "delete":
        del node[last]
    else:
        node[last] = value
    return broken


@pytest.mark.parametrize(
    ("path", "action", "value", "expected_in_detail"),
    [
        ("credentialSubject.achievement.name", "delete", None, "'name' is missing"),
        ("credentialSubject.achievement.achievementType", "set", "Skill", "'ext:"),
        ("issuer", "delete", None, "'issuer' is missing"),
        ("validFrom", "set", "2025-13-01T00:00:00Z", "RFC 3339"),
        ("validFrom", "set", "2025-03-01", "RFC 3339"),
        ("validFrom", "set", "2025-03-01T00:00:00", "RFC 3339"),
        (
            "credentialSubject.achievement.criteria",
            "delete",
            None,
            "'criteria' is missing",
        ),
        ("validUntil", "set", "not a date", "RFC 3339"),
        ("credentialSubject.achievement.description", "delete", None, "'description'"),
        ("issuer.id", "delete", None, "'id' is missing"),
        ("credentialSubject.achievement", "delete", None, "'achievement'"),
        ("name", "set", 7, "expected string"),
    ],
)
def test_schema_problem_names_path(
    catalog_credentials: dict[str, Any],
    path: str,
    action: str,
    value: Any,
    expected_in_detail: str,
) -> None:
    credential = _broken(catalog_credentials["hand-tools"], path, action, value)
    problems = _by_property(validate_open_badge_credential(credential))
    assert path in problems, problems
    problem = problems[path]
    assert problem.code == "MALFORMED_VALUE_ERROR"
    assert expected_in_detail in problem.detail


def test_wrong_achievement_type_message(catalog_credentials: dict[str, Any]) -> None:
    credential = _broken(
        catalog_credentials["hand-tools"],
        "credentialSubject.achievement.achievementType",
        "set",
        "Skill",
    )
    (problem,) = validate_open_badge_credential(credential)
    assert problem.property == "credentialSubject.achievement.achievementType"
    assert problem.value == "Skill"
    assert '"Skill"' in problem.detail
    assert "Competency" in problem.detail
    assert problem.to_json()["type"] == (
        "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
    )


def test_several_problems_reported_together(
    catalog_credentials: dict[str, Any],
) -> None:
    credential = copy.deepcopy(catalog_credentials["hand-tools"])
    del credential["issuer"]
    del credential["credentialSubject"]["achievement"]["name"]
    credential["validFrom"] = "yesterday"
    properties = {p.property for p in validate_open_badge_credential(credential)}
    assert properties == {"issuer", "credentialSubject.achievement.name", "validFrom"}


def test_empty_criteria_rejected(catalog_credentials: dict[str, Any]) -> None:
    credential = _broken(
        catalog_credentials["hand-tools"],
        "credentialSubject.achievement.criteria",
        "set",
        {},
    )
    problems = _by_property(validate_open_badge_credential(credential))
    assert "credentialSubject.achievement.criteria" in problems
    assert "narrative" in problems["credentialSubject.achievement.criteria"].detail


@pytest.mark.parametrize(
    ("contexts", "property"),
    [
        (
            [
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                "https://www.w3.org/ns/credentials/v2",
            ],
            "@context[0]",
        ),
        (
            [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2",
            ],
            "@context",
        ),
    ],
)
def test_context_rules(
    catalog_credentials: dict[str, Any], contexts: list[str], property: str
) -> None:
    credential = _broken(catalog_credentials["hand-tools"], "@context", "set", contexts)
    problems = _by_property(validate_open_badge_credential(credential))
    assert property in problems


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("type", ["VerifiableCredential", "EndorsementCredential"]),
        ("type", ["OpenBadgeCredential"]),
        ("credentialSubject.type", ["Subject"]),
        ("credentialSubject.achievement.type", ["BadgeClass"]),
    ],
)
def test_type_rules(catalog_credentials: dict[str, Any], path: str, value: Any) -> None:
    credential = _broken(catalog_credentials["hand-tools"], path, "set", value)
    problems = _by_property(validate_open_badge_credential(credential))
    assert path in problems
    assert "must contain" in problems[path].detail


def test_achievement_credential_alias_accepted(
    catalog_credentials: dict[str, Any],
) -> None:
    credential = _broken(
        catalog_credentials["hand-tools"],
        "type",
        "set",
        ["VerifiableCredential", "AchievementCredential"],
    )
    assert validate_open_badge_credential(credential) == []


def test_subject_needs_id_or_identifier(catalog_credentials: dict[str, Any]) -> None:
    credential = _broken(
        catalog_credentials["hand-tools"], "credentialSubject.id", "delete"
    )
    problems = _by_property(validate_open_badge_credential(credential))
    assert "credentialSubject.id" in problems


def test_result_must_link_known_description(math_credential: dict[str, Any]) -> None:
    credential = copy.deepcopy(math_credential)
    credential["credentialSubject"]["result"][0]["resultDescription"] = "urn:x:unknown"
    problems = _by_property(validate_open_badge_credential(credential))
    assert "credentialSubject.result[0].resultDescription" in problems


def test_valid_until_before_valid_from(math_credential: dict[str, Any]) -> None:
    credential = _broken(math_credential, "validUntil", "set", "2024-01-01T00:00:00Z")
    (problem,) = validate_open_badge_credential(credential)
    assert problem.property == "validUntil"
    assert problem.code == "RANGE_ERROR"


def test_array_index_in_path(math_credential: dict[str, Any]) -> None:
    credential = copy.deepcopy(math_credential)
    del credential["credentialSubject"]["achievement"]["alignment"][0]["targetUrl"]
    problems = _by_property(validate_open_badge_credential(credential))
    assert "credentialSubject.achievement.alignment[0].targetUrl" in problems


@pytest.mark.parametrize("value", [None, [], "a credential", 3])
def test_non_object_credential(value: Any) -> None:
    (problem,) = validate_open_badge_credential(value)
    assert problem.code == "MALFORMED_VALUE_ERROR"
    assert "JSON object" in problem.detail


@pytest.mark.parametrize(
    ("path", "action", "value"),
    [
        ("credentialSubject.id", "delete", None),
        ("credentialSubject.type", "set", ["AchievementSubject"]),
        ("type", "set", ["VerifiableCredential", "OpenBadgeCredential"]),
        ("validFrom", "set", "soon"),
        ("issuer", "delete", None),
    ],
)
def test_endorsement_problems(
    endorsement: dict[str, Any], path: str, action: str, value: Any
) -> None:
    credential = _broken(endorsement, path, action, value)
    problems = _by_property(validate_endorsement_credential(credential))
    assert path in problems, problems


def test_validation_does_not_fetch(
    monkeypatch: pytest.MonkeyPatch, catalog_credentials: dict[str, Any]
) -> None:
    import socket

    def fail_on_connect(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("validation tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", fail_on_connect)
    monkeypatch.setattr(socket.socket, "connect", fail_on_connect)
    assert validate_open_badge_credential(catalog_credentials["jobsite-safety"]) == []


def test_bundled_schema_is_1edtech_published_id() -> None:
    folder = resources.files("vcwork.badges") / "schemas"
    schema = json.loads(
        (folder / "ob_v3p0_achievementcredential_schema.json").read_text()
    )
    assert schema["$id"] == OB_SCHEMA_ID
    assert "Achievement" in schema["$defs"]


def test_bundled_schema_matches_recorded_digest() -> None:
    folder = resources.files("vcwork.badges") / "schemas"
    raw = (folder / "ob_v3p0_achievementcredential_schema.json").read_bytes()
    readme = (folder / "README.md").read_text("utf-8")
    digest = hashlib.sha256(raw).hexdigest()
    assert f"`{digest}`" in readme


def test_embedded_endorsement_checked_as_vc2(
    catalog_credentials: dict[str, Any], endorsement: dict[str, Any]
) -> None:
    credential = copy.deepcopy(catalog_credentials["pre-apprenticeship-certificate"])
    credential["endorsement"] = [endorsement]
    assert validate_open_badge_credential(credential) == []
    del credential["endorsement"][0]["validFrom"]
    problems = _by_property(validate_open_badge_credential(credential))
    assert "endorsement[0].validFrom" in problems
