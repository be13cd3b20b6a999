"""Regression cases from attacking the verifier: each once verified or crashed."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from vcwork.credentials import (
    Check,
    create_presentation,
    issue_credential,
    sign_presentation,
    verify_credential,
    verify_presentation,
)
from vcwork.did import DidResolver, create_did_key
from vcwork.keys import Ed25519KeyPair
from vcwork.proofs import sign

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CREATED = "2026-05-01T09:00:00Z"


def _credential(issuer: str, subject: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:7f4c2a2e-1b7e-4d7e-9a51-0e3f2f9f8c11",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-05-01T00:00:00Z",
        "credentialSubject": {"id": subject},
    }


@pytest.fixture(scope="module")
def issuer() -> Ed25519KeyPair:
    return create_did_key()[0]


@pytest.fixture(scope="module")
def holder() -> Ed25519KeyPair:
    return create_did_key()[0]


def test_did_document_cannot_claim_another_controller(issuer: Ed25519KeyPair) -> None:
    attacker = Ed25519KeyPair.generate()
    attacker_did = "did:web:attacker.example"
    document = {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
        ],
        "id": attacker_did,
        "controller": [issuer.controller],
        "verificationMethod": [
            {
                "id": f"{attacker_did}#k",
                "type": "Multikey",
                "controller": issuer.controller,
                "publicKeyMultibase": attacker.public_key_multibase,
            }
        ],
        "assertionMethod": [f"{attacker_did}#k"],
    }
    forged = sign(
        _credential(str(issuer.controller), "did:example:someone"),
        attacker,
        verification_method=f"{attacker_did}#k",
        created=CREATED,
    )
    resolver = DidResolver(documents={attacker_did: document})
    result = verify_credential(forged, resolver=resolver, now=NOW)
    assert not result.verified
    assert result.check("issuer") is None or result.check("issuer").outcome == "failed"  # type: ignore[union-attr]


def test_many_proofs_rejected_quickly(issuer: Ed25519KeyPair) -> None:
    signed = issue_credential(
        _credential(str(issuer.controller), "did:example:s"), issuer, created=CREATED
    )
    proof = signed["proof"]
    signed["proof"] = [
        dict(proof, id=f"urn:uuid:p{i}", previousProof="urn:uuid:p0")
        for i in range(400)
    ]
    started = time.perf_counter()
    result = verify_credential(signed, now=NOW)
    elapsed = time.perf_counter() - started
    assert not result.verified
    assert "PARSING_ERROR" in result.problem_codes
    # Not a timing assertion on speed, only a guard against the quadratic path:
    # the rejection happens before any canonicalization.
    assert elapsed < 60


def test_duplicate_proof_ids_rejected(issuer: Ed25519KeyPair) -> None:
    signed = issue_credential(
        _credential(str(issuer.controller), "did:example:s"), issuer, created=CREATED
    )
    proof = dict(signed["proof"], id="urn:uuid:same")
    signed["proof"] = [proof, copy.deepcopy(proof)]
    result = verify_credential(signed, now=NOW)
    assert not result.verified
    assert "PARSING_ERROR" in result.problem_codes


def test_huge_context_array_rejected(issuer: Ed25519KeyPair) -> None:
    signed = issue_credential(
        _credential(str(issuer.controller), "did:example:s"), issuer, created=CREATED
    )
    signed["@context"] = signed["@context"] * 50_000
    result = verify_credential(signed, now=NOW)
    assert not result.verified
    assert any("@context" in p.detail for p in result.problems)


def test_unsigned_credential_triggers_no_status_fetch(issuer: Ed25519KeyPair) -> None:
    calls: list[dict[str, Any]] = []

    def checker(credential: dict[str, Any]) -> Check:
        calls.append(credential)
        return Check("status", "passed", "checked")

    credential = _credential(str(issuer.controller), "did:example:s")
    credential["credentialStatus"] = [
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(i),
            "statusListCredential": f"https://lists.example/{i}",
        }
        for i in range(300)
    ]
    result = verify_credential(credential, now=NOW, status_checker=checker)
    assert not result.verified
    assert calls == []
    assert result.check("status").outcome == "not_checked"  # type: ignore[union-attr]


def test_presentation_without_expected_challenge_reported(
    issuer: Ed25519KeyPair, holder: Ed25519KeyPair
) -> None:
    signed = issue_credential(
        _credential(str(issuer.controller), str(holder.controller)),
        issuer,
        created=CREATED,
    )
    vp = sign_presentation(
        create_presentation([signed], holder=holder.controller),
        holder,
        challenge="c-1",
        created=CREATED,
    )
    result = verify_presentation(vp, challenge=None, now=NOW)
    assert result.check("challenge").outcome == "not_checked"  # type: ignore[union-attr]


def test_someone_elses_credential_fails_presentation(
    issuer: Ed25519KeyPair, holder: Ed25519KeyPair
) -> None:
    stolen = issue_credential(
        _credential(str(issuer.controller), "did:example:victim"),
        issuer,
        created=CREATED,
    )
    vp = sign_presentation(
        create_presentation([stolen], holder=holder.controller),
        holder,
        challenge="c-1",
        created=CREATED,
    )
    result = verify_presentation(vp, challenge="c-1", now=NOW)
    assert not result.verified
    assert result.check("subject_binding").outcome == "failed"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "appended",
    [{"name": "https://evil.example/name"}, "https://evil.example/ctx.jsonld"],
    ids=["redefine-protected-term", "unbundled-context"],
)
def test_jcs_appended_context_rejected(issuer: Ed25519KeyPair, appended: Any) -> None:
    credential = _credential(str(issuer.controller), "did:example:s")
    credential["name"] = "Welding basics"
    signed = issue_credential(
        credential, issuer, cryptosuite="eddsa-jcs-2022", created=CREATED
    )
    assert verify_credential(signed, now=NOW).verified
    signed["@context"] = [*signed["@context"], appended]
    result = verify_credential(signed, now=NOW)
    assert not result.verified


def test_long_status_list_index_never_raises(issuer: Ed25519KeyPair) -> None:
    from vcwork.status import BitstringStatusListChecker, FetchResponse

    credential = _credential(str(issuer.controller), "did:example:s")
    credential["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "9" * 5000,
        "statusListCredential": "https://lists.example/1",
    }
    signed = issue_credential(credential, issuer, created=CREATED)

    def fetch(url: str) -> FetchResponse:
        raise AssertionError("the malformed entry must be rejected before a fetch")

    result = verify_credential(
        signed, now=NOW, status_checker=BitstringStatusListChecker(fetcher=fetch)
    )
    assert not result.verified
    assert "MALFORMED_VALUE_ERROR" in result.problem_codes


def test_proof_value_with_whitespace_rejected(issuer: Ed25519KeyPair) -> None:
    signed = issue_credential(
        _credential(str(issuer.controller), "did:example:s"), issuer, created=CREATED
    )
    signed["proof"]["proofValue"] += " "
    result = verify_credential(signed, now=NOW)
    assert not result.verified


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["credentialSubject"].__setitem__("@index", "Master Electrician"),
        lambda c: c.__setitem__("name", {"@value": "Basics", "@index": "Master"}),
        lambda c: c.__setitem__("@id", c.pop("id")),
        lambda c: c.__setitem__("@nest", {"name": "Master Electrician"}),
    ],
    ids=["index-on-node", "index-on-value", "id-keyword", "nest"],
)
def test_unsigned_keywords_rejected(issuer: Ed25519KeyPair, change: Any) -> None:
    credential = _credential(str(issuer.controller), "did:example:s")
    credential["name"] = "Basics"
    signed = issue_credential(credential, issuer, created=CREATED)
    change(signed)
    result = verify_credential(signed, now=NOW)
    assert not result.verified
    assert "MALFORMED_VALUE_ERROR" in result.problem_codes


def test_language_value_object_accepted(issuer: Ed25519KeyPair) -> None:
    credential = _credential(str(issuer.controller), "did:example:s")
    credential["name"] = {"@value": "Lecture de plans", "@language": "fr"}
    signed = issue_credential(credential, issuer, created=CREATED)
    assert verify_credential(signed, now=NOW).verified


def test_proof_id_object_is_malformed(issuer: Ed25519KeyPair) -> None:
    signed = issue_credential(
        _credential(str(issuer.controller), "did:example:s"), issuer, created=CREATED
    )
    first = dict(signed["proof"], id={"not": "a string"})
    second = dict(signed["proof"], id="urn:uuid:p2", previousProof="urn:uuid:p1")
    signed["proof"] = [first, second]
    result = verify_credential(signed, now=NOW)
    assert not result.verified
    assert "MALFORMED_VALUE_ERROR" in result.problem_codes
