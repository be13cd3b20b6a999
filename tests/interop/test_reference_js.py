"""Interoperability of vcwork's Data Integrity proofs with the reference JS stack.

The reference is Digital Bazaar's JavaScript stack (``@digitalbazaar/vc`` and
its suites, versions pinned in ``package.json``), run offline through
``reference.mjs``. Each suite is checked both ways. What one side signs, the
other verifies. The same key and ``created`` give byte-identical proofs. A
tampered copy fails on both sides.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from vcwork.did import DidResolver
from vcwork.keys import Ed25519KeyPair
from vcwork.proofs import sign, verify

pytestmark = pytest.mark.interop

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
CREATED = "2024-03-15T09:00:00Z"
CHALLENGE = "7c1e9b4a-3f2d-4e8a-b6c0-5d9f1a2e3b47"
DOMAIN = "https://verifier.vcwork.example"

# Each suite with the credential fixture it signs: Ed25519Signature2020 is the
# legacy suite, so it gets the VC Data Model 1.1 credential.
CREDENTIAL_CASES = [
    pytest.param("eddsa-rdfc-2022", "ob3-credential.json", id="eddsa-rdfc-2022"),
    pytest.param("eddsa-jcs-2022", "ob3-credential.json", id="eddsa-jcs-2022"),
    pytest.param(
        "Ed25519Signature2020", "vc11-credential.json", id="Ed25519Signature2020"
    ),
]
PRESENTATION_SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]

# The W3C vector signed with each suite, copied into fixtures/w3c-eddsa/.
W3C_VECTORS = {
    "eddsa-rdfc-2022": "signedDataInt.json",
    "eddsa-jcs-2022": "signedJCS.json",
    "Ed25519Signature2020": "signedEdSig.json",
}


# -- helpers --------------------------------------------------------------------

ReferenceRunner = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES_DIR / name).read_text("utf-8"))


@pytest.fixture(scope="module")
def issuer_key() -> dict[str, Any]:
    key: dict[str, Any] = load_fixture("issuer-key.json")
    return key


@pytest.fixture(scope="module")
def holder_key() -> dict[str, Any]:
    key: dict[str, Any] = load_fixture("holder-key.json")
    return key


@pytest.fixture(scope="module")
def resolver() -> DidResolver:
    return DidResolver()


def canonical_json(document: Any) -> bytes:
    """Return the RFC 8785 (JCS) serialization, so key order does not matter."""
    return rfc8785.dumps(document)


def run_one(reference_js: ReferenceRunner, request: dict[str, Any]) -> dict[str, Any]:
    """Run one request and fail the test if the reference stack raised."""
    (response,) = reference_js([request])
    assert "error" not in response, f"reference stack failed: {response['error']}"
    return response


def js_sign(
    reference_js: ReferenceRunner,
    document: dict[str, Any],
    key: dict[str, Any],
    suite: str,
) -> dict[str, Any]:
    request = {
        "op": "sign",
        "document": document,
        "keyPair": key,
        "suite": suite,
        "created": CREATED,
    }
    signed: dict[str, Any] = run_one(reference_js, request)["document"]
    return signed


def js_sign_presentation(
    reference_js: ReferenceRunner,
    presentation: dict[str, Any],
    key: dict[str, Any],
    suite: str,
) -> dict[str, Any]:
    request = {
        "op": "signPresentation",
        "document": presentation,
        "keyPair": key,
        "suite": suite,
        "created": CREATED,
        "challenge": CHALLENGE,
        "domain": DOMAIN,
    }
    signed: dict[str, Any] = run_one(reference_js, request)["document"]
    return signed


def js_verify(
    reference_js: ReferenceRunner, document: dict[str, Any], **options: Any
) -> dict[str, Any]:
    return run_one(reference_js, {"op": "verify", "document": document, **options})


def vcwork_sign(
    document: dict[str, Any], key: dict[str, Any], suite: str, **options: Any
) -> dict[str, Any]:
    key_pair = Ed25519KeyPair.from_multikey(key)
    return sign(document, key_pair, cryptosuite=suite, created=CREATED, **options)


def vcwork_sign_presentation(
    presentation: dict[str, Any], key: dict[str, Any], suite: str
) -> dict[str, Any]:
    return vcwork_sign(
        presentation,
        key,
        suite,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )


def presentation_with(credential: dict[str, Any]) -> dict[str, Any]:
    presentation: dict[str, Any] = load_fixture("presentation.json")
    presentation["verifiableCredential"] = [credential]
    return presentation


def tampered_claim(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy whose credential subject names someone else."""
    tampered = copy.deepcopy(document)
    tampered["credentialSubject"]["id"] = "did:example:someone-else"
    return tampered


def tampered_proof_value(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy with one base58 character of ``proofValue`` changed."""
    tampered = copy.deepcopy(document)
    value = tampered["proof"]["proofValue"]
    replacement = "2" if value[10] != "2" else "3"
    tampered["proof"]["proofValue"] = value[:10] + replacement + value[11:]
    return tampered


# -- the harness itself ---------------------------------------------------------


@pytest.mark.parametrize("suite", list(W3C_VECTORS))
def test_reference_reproduces_w3c_vector(
    reference_js: ReferenceRunner, suite: str
) -> None:
    vectors = FIXTURES_DIR / "w3c-eddsa"
    expected = json.loads((vectors / W3C_VECTORS[suite]).read_text("utf-8"))
    unsigned = json.loads((vectors / "unsigned.json").read_text("utf-8"))
    unsigned["@context"] = expected["@context"]
    key = json.loads((vectors / "keyPair.json").read_text("utf-8"))
    request = {
        "op": "sign",
        "document": unsigned,
        "keyPair": key,
        "suite": suite,
        "created": expected["proof"]["created"],
    }

    signed = run_one(reference_js, request)["document"]

    assert signed["proof"]["proofValue"] == expected["proof"]["proofValue"]
    assert canonical_json(signed) == canonical_json(expected)


def test_reference_reports_unknown_suite(
    reference_js: ReferenceRunner, issuer_key: dict[str, Any]
) -> None:
    request = {
        "op": "sign",
        "document": load_fixture("ob3-credential.json"),
        "keyPair": issuer_key,
        "suite": "no-such-suite",
    }

    (response,) = reference_js([request])

    assert "no-such-suite" in response["error"]


# -- credentials ----------------------------------------------------------------


@pytest.mark.parametrize(("suite", "fixture"), CREDENTIAL_CASES)
def test_vcwork_verifies_reference_credential(
    reference_js: ReferenceRunner,
    resolver: DidResolver,
    issuer_key: dict[str, Any],
    suite: str,
    fixture: str,
) -> None:
    signed = js_sign(reference_js, load_fixture(fixture), issuer_key, suite)

    result = verify(signed, resolver=resolver)

    assert result.verified, result


@pytest.mark.parametrize(("suite", "fixture"), CREDENTIAL_CASES)
def test_reference_verifies_vcwork_credential(
    reference_js: ReferenceRunner,
    issuer_key: dict[str, Any],
    suite: str,
    fixture: str,
) -> None:
    signed = vcwork_sign(load_fixture(fixture), issuer_key, suite)

    response = js_verify(reference_js, signed, suite=suite)

    assert response["verified"] is True, response["errors"]
    assert response["errors"] == []


@pytest.mark.parametrize(("suite", "fixture"), CREDENTIAL_CASES)
def test_credential_identical_on_both_sides(
    reference_js: ReferenceRunner,
    issuer_key: dict[str, Any],
    suite: str,
    fixture: str,
) -> None:
    document = load_fixture(fixture)

    ours = vcwork_sign(document, issuer_key, suite)
    theirs = js_sign(reference_js, document, issuer_key, suite)

    assert ours["proof"]["proofValue"] == theirs["proof"]["proofValue"]
    assert canonical_json(ours) == canonical_json(theirs)


@pytest.mark.parametrize(("suite", "fixture"), CREDENTIAL_CASES)
def test_tampered_credential_fails_both_sides(
    reference_js: ReferenceRunner,
    resolver: DidResolver,
    issuer_key: dict[str, Any],
    suite: str,
    fixture: str,
) -> None:
    document = load_fixture(fixture)
    from_reference = tampered_claim(js_sign(reference_js, document, issuer_key, suite))
    from_vcwork = tampered_claim(vcwork_sign(document, issuer_key, suite))

    responses = reference_js(
        [
            {"op": "verify", "document": from_reference, "suite": suite},
            {"op": "verify", "document": from_vcwork, "suite": suite},
        ]
    )

    assert responses[0]["verified"] is False
    assert responses[1]["verified"] is False
    assert not verify(from_reference, resolver=resolver).verified
    assert not verify(from_vcwork, resolver=resolver).verified


@pytest.mark.parametrize(("suite", "fixture"), CREDENTIAL_CASES)
def test_changed_proof_value_fails_both_sides(
    reference_js: ReferenceRunner,
    resolver: DidResolver,
    issuer_key: dict[str, Any],
    suite: str,
    fixture: str,
) -> None:
    signed = vcwork_sign(load_fixture(fixture), issuer_key, suite)
    tampered = tampered_proof_value(signed)

    response = js_verify(reference_js, tampered, suite=suite)

    assert response["verified"] is False
    assert not verify(tampered, resolver=resolver).verified


# -- presentations --------------------------------------------------------------


@pytest.mark.parametrize("suite", PRESENTATION_SUITES)
def test_vcwork_verifies_reference_presentation(
    reference_js: ReferenceRunner,
    resolver: DidResolver,
    issuer_key: dict[str, Any],
    holder_key: dict[str, Any],
    suite: str,
) -> None:
    credential = js_sign(
        reference_js, load_fixture("ob3-credential.json"), issuer_key, suite
    )
    presentation = js_sign_presentation(
        reference_js, presentation_with(credential), holder_key, suite
    )

    result = verify(
        presentation,
        resolver=resolver,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    embedded = verify(presentation["verifiableCredential"][0], resolver=resolver)

    assert result.verified, result
    assert embedded.verified, embedded


@pytest.mark.parametrize("suite", PRESENTATION_SUITES)
def test_vcwork_rejects_reference_presentation_wrong_binding(
    reference_js: ReferenceRunner,
    resolver: DidResolver,
    issuer_key: dict[str, Any],
    holder_key: dict[str, Any],
    suite: str,
) -> None:
    credential = js_sign(
        reference_js, load_fixture("ob3-credential.json"), issuer_key, suite
    )
    presentation = js_sign_presentation(
        reference_js, presentation_with(credential), holder_key, suite
    )

    wrong_challenge = verify(
        presentation,
        resolver=resolver,
        proof_purpose="authentication",
        challenge="another-challenge",
        domain=DOMAIN,
    )
    wrong_domain = verify(
        presentation,
        resolver=resolver,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain="https://another-verifier.vcwork.example",
    )

    assert not wrong_challenge.verified
    assert not wrong_domain.verified


@pytest.mark.parametrize("suite", PRESENTATION_SUITES)
def test_reference_verifies_vcwork_presentation(
    reference_js: ReferenceRunner,
    issuer_key: dict[str, Any],
    holder_key: dict[str, Any],
    suite: str,
) -> None:
    credential = vcwork_sign(load_fixture("ob3-credential.json"), issuer_key, suite)
    presentation = vcwork_sign_presentation(
        presentation_with(credential), holder_key, suite
    )
    verify_request = {"op": "verify", "document": presentation, "suite": suite}

    right, wrong_challenge, wrong_domain = reference_js(
        [
            {**verify_request, "challenge": CHALLENGE, "domain": DOMAIN},
            {**verify_request, "challenge": "another-challenge", "domain": DOMAIN},
            {
                **verify_request,
                "challenge": CHALLENGE,
                "domain": "https://another-verifier.vcwork.example",
            },
        ]
    )

    assert right["verified"] is True, right
    assert wrong_challenge["verified"] is False
    assert wrong_domain["verified"] is False


@pytest.mark.parametrize("suite", PRESENTATION_SUITES)
def test_presentation_identical_on_both_sides(
    reference_js: ReferenceRunner,
    issuer_key: dict[str, Any],
    holder_key: dict[str, Any],
    suite: str,
) -> None:
    credential = vcwork_sign(load_fixture("ob3-credential.json"), issuer_key, suite)
    presentation = presentation_with(credential)

    ours = vcwork_sign_presentation(presentation, holder_key, suite)
    theirs = js_sign_presentation(reference_js, presentation, holder_key, suite)

    assert ours["proof"]["proofValue"] == theirs["proof"]["proofValue"]
    assert canonical_json(ours) == canonical_json(theirs)


@pytest.mark.parametrize("suite", PRESENTATION_SUITES)
def test_tampered_presentation_fails_both_sides(
    reference_js: ReferenceRunner,
    resolver: DidResolver,
    issuer_key: dict[str, Any],
    holder_key: dict[str, Any],
    suite: str,
) -> None:
    credential = vcwork_sign(load_fixture("ob3-credential.json"), issuer_key, suite)
    signed = vcwork_sign_presentation(presentation_with(credential), holder_key, suite)
    tampered = copy.deepcopy(signed)
    tampered["id"] = "urn:uuid:00000000-0000-4000-8000-000000000000"

    response = js_verify(
        reference_js, tampered, suite=suite, challenge=CHALLENGE, domain=DOMAIN
    )
    result = verify(
        tampered,
        resolver=resolver,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )

    assert response["verified"] is False
    assert not result.verified
