"""The proof engine works with vcwork.did.DidResolver as its resolver."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vcwork.keys import Ed25519KeyPair
from vcwork.proofs import sign, verify

from .conftest import load_json

did = pytest.importorskip("vcwork.did")

VERIFICATION_TIME = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "file",
    [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
        "Ed25519Signature2020/signedEdSig.json",
        "proof-set-chain/signedProofChain2.json",
    ],
    ids=["rdfc", "jcs", "ed25519-2020", "chain"],
)
def test_vector_verifies_with_did_resolver(file: str) -> None:
    result = verify(load_json(file), resolver=did.DidResolver(), now=VERIFICATION_TIME)
    assert result.problems == ()
    assert result.verified


def test_signed_with_new_did_key_verifies() -> None:
    key_pair, identifier = did.create_did_key(Ed25519KeyPair.generate())
    signed = sign(load_json("common/unsigned.json"), key_pair)
    result = verify(signed, resolver=did.DidResolver())
    assert result.verified
    method = result.results[0].verification_method
    assert method is not None
    assert method.controller == identifier


def test_unlisted_relationship_fails() -> None:
    # did:key lists its key under the standard relationships, not this one.
    signed = load_json("eddsa-rdfc-2022/signedDataInt.json")
    result = verify(
        signed,
        resolver=did.DidResolver(),
        proof_purpose="keyAgreement",
        now=VERIFICATION_TIME,
    )
    assert not result.verified
    # The purpose mismatch, then the resolver's own error passed through.
    assert len(result.problems) == 2
    assert result.problems[0].code == "PROOF_VERIFICATION_ERROR"
    assert result.problems[1].property != "proof.proofValue"
