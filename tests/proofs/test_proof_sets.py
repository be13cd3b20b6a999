"""Proof sets and chains: the W3C proof-set-chain vectors, both ways."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from vcwork.errors import ProofGenerationError
from vcwork.proofs import sign, verify

from .conftest import VectorResolver, load_json, load_key_pair

FOLDER = "proof-set-chain"
VERIFICATION_TIME = datetime(2025, 1, 1, tzinfo=UTC)

# (starting document, proof options, key pair, expected proof, expected output);
# a starting document of None means the unsigned document.
STEPS = [
    (None, "proofSetConfig1", "keyPair1", "proofSetConfigSigned1", "signedProofSet1"),
    (
        "signedProofSet1",
        "proofSetConfig2",
        "keyPair2",
        "proofSetConfigSigned2",
        "signedProofSet2",
    ),
    (
        "signedProofSet2",
        "proofChainConfig1",
        "keyPair3",
        "proofChainConfigSigned1",
        "signedProofChain1",
    ),
    (
        "signedProofChain1",
        "proofChainConfig2",
        "keyPair4",
        "proofChainConfigSigned2",
        "signedProofChain2",
    ),
]
STEP_IDS = ["set-first", "set-second", "chain-to-set", "chain-to-chain"]


def _load(name: str) -> Any:
    return load_json(f"{FOLDER}/{name}.json")


def _sign_step(start: str | None, config_name: str, key_name: str) -> dict[str, Any]:
    document = _load(start) if start else _load("unsigned")
    config = _load(config_name)
    return sign(
        document,
        load_key_pair(f"{FOLDER}/multiKeyPairs.json", key_name),
        cryptosuite=config["cryptosuite"],
        verification_method=config["verificationMethod"],
        created=config["created"],
        proof_id=config.get("id"),
        previous_proof=config.get("previousProof"),
    )


@pytest.mark.parametrize(
    ("start", "config", "key", "proof", "output"), STEPS, ids=STEP_IDS
)
def test_signing_step_reproduces_proof(
    start: str | None, config: str, key: str, proof: str, output: str
) -> None:
    signed = _sign_step(start, config, key)
    new_proof = (
        signed["proof"][-1] if isinstance(signed["proof"], list) else signed["proof"]
    )
    assert new_proof == _load(proof)


@pytest.mark.parametrize(
    ("start", "config", "key", "proof", "output"), STEPS, ids=STEP_IDS
)
def test_signing_step_reproduces_document(
    start: str | None, config: str, key: str, proof: str, output: str
) -> None:
    assert _sign_step(start, config, key) == _load(output)


@pytest.mark.parametrize(
    "name",
    ["signedProofSet1", "signedProofSet2", "signedProofChain1", "signedProofChain2"],
)
def test_signed_set_or_chain_verifies(name: str, resolver: VectorResolver) -> None:
    document = _load(name)
    result = verify(document, resolver=resolver, now=VERIFICATION_TIME)
    assert result.problems == ()
    assert result.verified
    expected_count = (
        len(document["proof"]) if isinstance(document["proof"], list) else 1
    )
    assert len(result.results) == expected_count
    assert all(proof_result.verified for proof_result in result.results)


def test_chain_missing_previous_proof_fails(resolver: VectorResolver) -> None:
    document = _load("signedProofChain2")
    # Drop the proof that the third and fourth proofs build on.
    document["proof"] = [
        p for p in document["proof"] if not p.get("id", "").endswith("c23")
    ]
    result = verify(document, resolver=resolver, now=VERIFICATION_TIME)
    assert not result.verified
    chained = result.results[-1]
    assert not chained.verified
    assert [p.code for p in chained.problems] == ["PROOF_VERIFICATION_ERROR"]
    assert chained.problems[0].property == "proof[2].previousProof"


def test_chain_fails_when_previous_proof_fails(resolver: VectorResolver) -> None:
    document = _load("signedProofChain2")
    tampered = document["proof"][0]
    tampered["proofValue"] = tampered["proofValue"][:-1] + (
        "1" if tampered["proofValue"][-1] != "1" else "2"
    )
    result = verify(document, resolver=resolver, now=VERIFICATION_TIME)
    assert not result.verified
    # Proof 3 signed over proof 1, so both fail. Proof 4 chains to proof 3.
    verified = [proof_result.verified for proof_result in result.results]
    assert verified == [False, True, False, False]
    assert result.results[3].problems[-1].property == "proof[3].previousProof"


def test_proof_set_member_tampered_fails(resolver: VectorResolver) -> None:
    document = _load("signedProofSet2")
    document["proof"][1]["created"] = "2023-02-24T23:36:39Z"
    result = verify(document, resolver=resolver, now=VERIFICATION_TIME)
    assert not result.verified
    assert [r.verified for r in result.results] == [True, False]


def test_sign_unknown_previous_proof_raises() -> None:
    with pytest.raises(ProofGenerationError) as raised:
        sign(
            _load("signedProofSet2"),
            load_key_pair(f"{FOLDER}/multiKeyPairs.json", "keyPair3"),
            verification_method="did:key:z6MkmEq87wkHCYnWnNZkigeDMGTN7oUw1upkhzd77KuXERS1"
            "#z6MkmEq87wkHCYnWnNZkigeDMGTN7oUw1upkhzd77KuXERS1",
            previous_proof="urn:uuid:not-in-the-document",
        )
    assert raised.value.code == "PROOF_GENERATION_ERROR"
    assert "urn:uuid:not-in-the-document" in raised.value.detail


def test_sign_existing_proof_becomes_set() -> None:
    first = _load("signedProofSet1")
    original = copy.deepcopy(first)
    signed = _sign_step("signedProofSet1", "proofSetConfig2", "keyPair2")
    assert isinstance(signed["proof"], list)
    assert signed["proof"][0] == first["proof"]
    assert first == original, "sign must not modify its input"
