"""Issue, present and verify through the whole pipeline, with did:key keys."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from vcwork.credentials import (
    CredentialValidationError,
    create_presentation,
    issue_credential,
    sign_presentation,
    verify_credential,
    verify_presentation,
)
from vcwork.did import create_did_key
from vcwork.errors import MalformedValueError

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CREATED = "2026-05-01T09:00:00Z"


@pytest.fixture(scope="module")
def issuer() -> Any:
    return create_did_key()[0]


@pytest.fixture(scope="module")
def holder() -> Any:
    return create_did_key()[0]


def _credential(issuer_did: str, subject_did: str) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:5b0c0a5e-9c8e-4a49-9f57-2c1b0c4a6d11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "OSHA 10 Construction",
        "issuer": {
            "id": issuer_did,
            "type": ["Profile"],
            "name": "Northside Construction Pre-Apprenticeship",
        },
        "validFrom": "2026-05-01T00:00:00Z",
        "validUntil": "2029-05-01T00:00:00Z",
        "credentialSubject": {
            "id": subject_did,
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://training.example/achievements/osha-10",
                "type": ["Achievement"],
                "name": "OSHA 10 Construction",
                "description": "Completed the OSHA 10-hour construction course.",
                "criteria": {"narrative": "Passed the final exam."},
            },
        },
    }


@pytest.fixture(scope="module")
def signed(issuer: Any, holder: Any) -> dict[str, Any]:
    credential = _credential(issuer.controller, holder.controller)
    return issue_credential(credential, issuer, created=CREATED)


def test_issued_credential_verifies(signed: dict[str, Any]) -> None:
    result = verify_credential(signed, now=NOW)
    assert result.verified, result.to_json()
    assert [c.outcome for c in result.checks] == ["passed"] * len(result.checks)
    assert result.check("issuer") is not None


def test_verify_accepts_json_text(signed: dict[str, Any]) -> None:
    assert verify_credential(json.dumps(signed), now=NOW).verified


def test_malformed_json_is_parsing_error() -> None:
    result = verify_credential('{"@context": [', now=NOW)
    assert not result.verified
    assert result.problem_codes == ["PARSING_ERROR"]


def test_json_array_is_parsing_error() -> None:
    result = verify_credential("[1, 2]", now=NOW)
    assert result.problem_codes == ["PARSING_ERROR"]


def test_tampered_claim_fails_signature(signed: dict[str, Any]) -> None:
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "OSHA 30 Construction"
    result = verify_credential(tampered, now=NOW)
    assert not result.verified
    assert "PROOF_VERIFICATION_ERROR" in result.problem_codes
    assert result.check("proof").outcome == "failed"  # type: ignore[union-attr]


def test_expired_credential_is_range_error(signed: dict[str, Any]) -> None:
    later = datetime(2030, 1, 1, tzinfo=UTC)
    result = verify_credential(signed, now=later)
    assert not result.verified
    assert "RANGE_ERROR" in result.problem_codes
    problem = next(p for p in result.problems if p.code == "RANGE_ERROR")
    assert problem.property == "validUntil"


def test_not_yet_valid_is_range_error(signed: dict[str, Any]) -> None:
    earlier = datetime(2026, 4, 1, tzinfo=UTC)
    result = verify_credential(signed, now=earlier)
    assert "RANGE_ERROR" in result.problem_codes


def test_missing_proof_is_reported(issuer: Any, holder: Any) -> None:
    result = verify_credential(
        _credential(issuer.controller, holder.controller), now=NOW
    )
    assert not result.verified
    assert "CRYPTOGRAPHIC_SECURITY_ERROR" in result.problem_codes


@pytest.mark.parametrize(
    "proof",
    ["not a proof", 42, {}, {"type": "DataIntegrityProof"}, [None]],
    ids=["string", "number", "empty", "type-only", "list-of-null"],
)
def test_malformed_proof_never_raises(signed: dict[str, Any], proof: Any) -> None:
    broken = copy.deepcopy(signed)
    broken["proof"] = proof
    result = verify_credential(broken, now=NOW)
    assert not result.verified
    assert result.problems


def test_wrong_key_fails(signed: dict[str, Any]) -> None:
    other = create_did_key()[0]
    forged = copy.deepcopy(signed)
    forged["proof"]["verificationMethod"] = other.id
    result = verify_credential(forged, now=NOW)
    assert not result.verified
    assert "PROOF_VERIFICATION_ERROR" in result.problem_codes


def test_issuer_must_control_the_key(issuer: Any, holder: Any) -> None:
    credential = _credential(issuer.controller, holder.controller)
    impostor = create_did_key()[0]
    with pytest.raises(MalformedValueError):
        issue_credential(credential, impostor)
    credential["issuer"]["id"] = impostor.controller
    signed = issue_credential(credential, impostor, created=CREATED)
    signed["issuer"]["id"] = issuer.controller  # claims another issuer afterwards
    result = verify_credential(signed, now=NOW)
    assert not result.verified


def test_unknown_context_is_reported(signed: dict[str, Any]) -> None:
    changed = copy.deepcopy(signed)
    changed["@context"].append("https://contexts.example/unknown/v1")
    result = verify_credential(changed, now=NOW)
    assert not result.verified
    details = " ".join(p.detail for p in result.problems)
    assert "https://contexts.example/unknown/v1" in details


def test_undefined_term_fails_issue(issuer: Any, holder: Any) -> None:
    credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuer": issuer.controller,
        "issuanceDate": "2026-05-01T00:00:00Z",
        "credentialSubject": {"id": holder.controller, "undefinedSkill": "welding"},
    }
    with pytest.raises(Exception) as raised:
        issue_credential(credential, issuer, created=CREATED)
    assert "undefinedSkill" in str(raised.value)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda c: c.pop("issuer"), "issuer"),
        (lambda c: c.pop("credentialSubject"), "credentialSubject"),
        (lambda c: c.__setitem__("type", ["OpenBadgeCredential"]), "type"),
        (lambda c: c.__setitem__("validFrom", "2026-05-01"), "validFrom"),
        (lambda c: c.__setitem__("id", "not a url"), "id"),
        (lambda c: c.__setitem__("@context", ["https://example.org/x"]), "@context[0]"),
    ],
    ids=["no-issuer", "no-subject", "no-vc-type", "date-only", "bad-id", "bad-context"],
)
def test_invalid_credential_rejected_at_issue(
    issuer: Any, holder: Any, change: Any, path: str
) -> None:
    credential = _credential(issuer.controller, holder.controller)
    change(credential)
    with pytest.raises(CredentialValidationError) as raised:
        issue_credential(credential, issuer)
    assert path in [p.property for p in raised.value.problems]


def test_presentation_round_trip(signed: dict[str, Any], holder: Any) -> None:
    presentation = create_presentation([signed], holder=holder.controller)
    vp = sign_presentation(
        presentation,
        holder,
        challenge="c-123",
        domain="employer.example",
        created=CREATED,
    )
    result = verify_presentation(
        vp, challenge="c-123", domain="employer.example", now=NOW
    )
    assert result.verified, result.to_json()
    assert result.check("holder_binding").outcome == "passed"  # type: ignore[union-attr]
    assert result.check("subject_binding").outcome == "passed"  # type: ignore[union-attr]
    assert len(result.credential_results) == 1


def test_presentation_wrong_challenge(signed: dict[str, Any], holder: Any) -> None:
    presentation = create_presentation([signed], holder=holder.controller)
    vp = sign_presentation(presentation, holder, challenge="c-123", created=CREATED)
    result = verify_presentation(vp, challenge="c-999", now=NOW)
    assert not result.verified
    assert "INVALID_CHALLENGE_ERROR" in result.problem_codes


def test_presentation_wrong_domain(signed: dict[str, Any], holder: Any) -> None:
    presentation = create_presentation([signed], holder=holder.controller)
    vp = sign_presentation(
        presentation, holder, challenge="c-1", domain="a.example", created=CREATED
    )
    result = verify_presentation(vp, challenge="c-1", domain="b.example", now=NOW)
    assert "INVALID_DOMAIN_ERROR" in result.problem_codes


def test_presentation_signed_by_someone_else(
    signed: dict[str, Any], holder: Any
) -> None:
    thief = create_did_key()[0]
    presentation = create_presentation([signed], holder=holder.controller)
    vp = sign_presentation(presentation, thief, challenge="c-1", created=CREATED)
    result = verify_presentation(vp, challenge="c-1", now=NOW)
    assert not result.verified
    assert result.check("holder_binding").outcome == "failed"  # type: ignore[union-attr]


def test_presentation_with_tampered_credential(
    signed: dict[str, Any], holder: Any
) -> None:
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["criteria"]["narrative"] = "Nothing."
    presentation = create_presentation([tampered], holder=holder.controller)
    vp = sign_presentation(presentation, holder, challenge="c-1", created=CREATED)
    result = verify_presentation(vp, challenge="c-1", now=NOW)
    assert not result.verified
    assert result.check("proof").outcome == "passed"  # type: ignore[union-attr]
    assert not result.credential_results[0].verified


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))]
    return [path]


def test_every_mutation_is_reported_never_raised(signed: dict[str, Any]) -> None:
    mutations = [None, 0, "", [], {}, "x" * 10, True, -1.5]
    for path in _leaf_paths(signed):
        for replacement in mutations:
            mutated = copy.deepcopy(signed)
            target = mutated
            for key in path[:-1]:
                target = target[key]
            if target[path[-1]] == replacement:
                continue
            target[path[-1]] = replacement
            result = verify_credential(mutated, now=NOW)
            assert not result.verified, (path, replacement)
            assert result.problems, (path, replacement)


def test_presentation_of_many_similar_badges(issuer: Any, holder: Any) -> None:
    # Identical achievement structures in many named graphs give blank nodes
    # that are related through several quads at once. Canonicalization must
    # not mistake that for a poison dataset.
    badges = []
    for index in range(24):
        credential = _credential(issuer.controller, holder.controller)
        credential["id"] = f"urn:uuid:5b0c0a5e-9c8e-4a49-9f57-2c1b0c4a{index:04d}"
        badges.append(issue_credential(credential, issuer, created=CREATED))
    presentation = create_presentation(badges, holder=holder.controller)
    vp = sign_presentation(presentation, holder, challenge="c-24", created=CREATED)
    result = verify_presentation(vp, challenge="c-24", now=NOW)
    assert result.verified, result.problem_codes
    assert len(result.credential_results) == 24
