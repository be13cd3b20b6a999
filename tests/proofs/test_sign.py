"""sign(): proof options, defaults, input checks and the cryptosuite registry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from vcwork.dates import format_datetime, parse_datetime
from vcwork.errors import ProofGenerationError, ProofTransformationError
from vcwork.keys import Ed25519KeyPair
from vcwork.proofs import (
    CryptosuiteVerificationResult,
    VerificationMethodLike,
    get_cryptosuite,
    register_cryptosuite,
    registered_cryptosuites,
    sign,
    unregister_cryptosuite,
    verify,
)

from .conftest import VectorResolver, load_json, load_key_pair

VECTOR_METHOD = (
    "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
)


def _key_pair_with_id() -> Ed25519KeyPair:
    key_pair = load_key_pair("common/keyPair.json")
    key_pair.id = VECTOR_METHOD
    return key_pair


def test_created_defaults_to_current_second() -> None:
    signed = sign(load_json("common/unsigned.json"), _key_pair_with_id())
    created = signed["proof"]["created"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", created)
    assert parse_datetime(created, property="created").tzinfo is not None


def test_verification_method_defaults_to_key_id() -> None:
    signed = sign(load_json("common/unsigned.json"), _key_pair_with_id())
    assert signed["proof"]["verificationMethod"] == VECTOR_METHOD


def test_datetime_options_written_in_utc() -> None:
    created = datetime(
        2024, 6, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))
    )
    signed = sign(
        load_json("common/unsigned.json"),
        _key_pair_with_id(),
        created=created,
        expires=created + timedelta(days=30),
    )
    assert signed["proof"]["created"] == "2024-06-01T12:00:00Z"
    assert signed["proof"]["expires"] == "2024-07-01T12:00:00Z"


def test_string_created_kept_as_given() -> None:
    signed = sign(
        load_json("common/unsigned.json"),
        _key_pair_with_id(),
        created="2024-06-01T14:00:00.5+02:00",
    )
    assert signed["proof"]["created"] == "2024-06-01T14:00:00.5+02:00"


def test_all_options_signed_and_verified(resolver: VectorResolver) -> None:
    signed = sign(
        load_json("common/unsigned.json"),
        _key_pair_with_id(),
        cryptosuite="eddsa-jcs-2022",
        proof_purpose="authentication",
        created="2024-06-01T12:00:00Z",
        expires="2024-06-02T12:00:00Z",
        challenge="c-1",
        domain=["a.example", "b.example"],
        proof_id="urn:uuid:0b7c3a4e-0000-4000-8000-000000000001",
    )
    proof = signed["proof"]
    assert list(proof) == [
        "type",
        "id",
        "cryptosuite",
        "created",
        "expires",
        "verificationMethod",
        "proofPurpose",
        "challenge",
        "domain",
        "@context",
        "proofValue",
    ]
    result = verify(
        signed,
        resolver=resolver,
        proof_purpose="authentication",
        challenge="c-1",
        domain=["a.example", "b.example"],
        now=datetime(2024, 6, 1, 18, tzinfo=UTC),
    )
    assert result.problems == ()
    assert result.verified
    assert resolver.calls == [(VECTOR_METHOD, "authentication")]


def test_legacy_suite_adds_its_context() -> None:
    signed = sign(
        load_json("common/unsigned.json"),
        _key_pair_with_id(),
        cryptosuite="Ed25519Signature2020",
    )
    assert signed["@context"][-1] == "https://w3id.org/security/suites/ed25519-2020/v1"
    assert "cryptosuite" not in signed["proof"]
    assert signed["proof"]["type"] == "Ed25519Signature2020"


def test_vc_1_1_document_gets_data_integrity_context(resolver: VectorResolver) -> None:
    document = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
    }
    signed = sign(document, _key_pair_with_id())
    assert signed["@context"] == [
        "https://www.w3.org/2018/credentials/v1",
        "https://w3id.org/security/data-integrity/v2",
    ]
    assert len(document["@context"]) == 1, "sign must not modify its input"
    assert verify(signed, resolver=resolver).verified


def test_jcs_signs_plain_json(resolver: VectorResolver) -> None:
    signed = sign({"name": "plain"}, _key_pair_with_id(), cryptosuite="eddsa-jcs-2022")
    assert "@context" not in signed
    assert "@context" not in signed["proof"]
    assert verify(signed, resolver=resolver).verified


@pytest.mark.parametrize(
    ("options", "property_name"),
    [
        ({"cryptosuite": "eddsa-rdfc-2099"}, "cryptosuite"),
        ({"created": "June 1st"}, "created"),
        ({"expires": "2024-06-01"}, "expires"),
        ({"challenge": ""}, "challenge"),
        ({"domain": []}, "domain"),
        ({"previous_proof": "urn:uuid:missing"}, "previousProof"),
        ({"proof_purpose": ""}, "proofPurpose"),
    ],
    ids=[
        "unknown-cryptosuite",
        "bad-created",
        "bad-expires",
        "empty-challenge",
        "empty-domain",
        "unknown-previous-proof",
        "empty-purpose",
    ],
)
def test_invalid_option_raises(options: dict[str, Any], property_name: str) -> None:
    with pytest.raises(ProofGenerationError) as raised:
        sign(load_json("common/unsigned.json"), _key_pair_with_id(), **options)
    assert raised.value.code == "PROOF_GENERATION_ERROR"
    assert raised.value.property == property_name


def test_missing_verification_method_raises() -> None:
    key_pair = load_key_pair("common/keyPair.json")
    with pytest.raises(ProofGenerationError) as raised:
        sign(load_json("common/unsigned.json"), key_pair)
    assert raised.value.property == "verificationMethod"


def test_rdfc_without_context_raises() -> None:
    with pytest.raises(ProofGenerationError) as raised:
        sign({"name": "plain"}, _key_pair_with_id())
    assert raised.value.property == "@context"


def test_format_datetime_naive_is_utc() -> None:
    assert format_datetime(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"


class _UpperCaseSuite:
    """A toy suite, registered at run time, that 'signs' by upper-casing a name."""

    proof_type = "DataIntegrityProof"
    cryptosuite = "test-uppercase-2024"

    def prepare_document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return dict(document)

    def create_proof(
        self,
        unsecured_document: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        key_pair: Ed25519KeyPair,
        loader: Any,
    ) -> dict[str, Any]:
        return {**options, "proofValue": str(unsecured_document["name"]).upper()}

    def verify_proof(
        self,
        input_document: Mapping[str, Any],
        proof: Mapping[str, Any],
        *,
        verification_method: VerificationMethodLike,
        loader: Any,
    ) -> CryptosuiteVerificationResult:
        verified = proof["proofValue"] == str(input_document["name"]).upper()
        return CryptosuiteVerificationResult(
            verified=verified,
            verified_document=dict(input_document) if verified else None,
        )


def test_registered_suite_used_without_engine_change(resolver: VectorResolver) -> None:
    suite = _UpperCaseSuite()
    register_cryptosuite(suite)
    try:
        _check_uppercase_suite(suite, resolver)
    finally:
        unregister_cryptosuite("test-uppercase-2024")
    assert "test-uppercase-2024" not in registered_cryptosuites()


def _check_uppercase_suite(suite: _UpperCaseSuite, resolver: VectorResolver) -> None:
    assert "test-uppercase-2024" in registered_cryptosuites()
    assert get_cryptosuite("test-uppercase-2024") is suite
    signed = sign({"name": "x"}, _key_pair_with_id(), cryptosuite="test-uppercase-2024")
    assert signed["proof"]["proofValue"] == "X"
    assert verify(signed, resolver=resolver).verified
    signed["name"] = "y"
    assert not verify(signed, resolver=resolver).verified


def test_duplicate_registration_raises() -> None:
    with pytest.raises(ValueError, match="eddsa-rdfc-2022"):
        register_cryptosuite(get_cryptosuite("eddsa-rdfc-2022"))


def test_rdfc_empty_dataset_raises() -> None:
    # A document with nothing but a context has an empty RDF dataset.
    document = {"@context": {"@version": 1.1}}
    with pytest.raises(ProofTransformationError) as raised:
        sign(document, _key_pair_with_id())
    assert raised.value.property == "@context"


def test_rdfc_undefined_term_raises_naming_it() -> None:
    document = {"@context": {"@version": 1.1}, "name": "nothing defined"}
    with pytest.raises(ProofTransformationError) as raised:
        sign(document, _key_pair_with_id())
    assert raised.value.property == "name"
