"""Every W3C EdDSA test vector reproduces byte for byte and verifies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from vcwork.proofs import get_cryptosuite, sign, verify
from vcwork.proofs.eddsa import encode_proof_value, hashing

from .conftest import VectorResolver, load_json, load_key_pair, load_text

# The vectors were created in 2023, so they are verified at a fixed later time.
VERIFICATION_TIME = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SuiteVector:
    cryptosuite: str
    folder: str
    suffix: str
    unsigned: str

    def file(self, stem: str, extension: str = "txt") -> str:
        return f"{self.folder}/{stem}{self.suffix}.{extension}"


SUITE_VECTORS = [
    SuiteVector(
        "eddsa-rdfc-2022", "eddsa-rdfc-2022", "DataInt", "common/unsigned.json"
    ),
    SuiteVector(
        "eddsa-rdfc-2022",
        "eddsa-rdfc-2022/employ",
        "DataInt",
        "common/employmentAuth.json",
    ),
    SuiteVector("eddsa-jcs-2022", "eddsa-jcs-2022", "JCS", "common/unsigned.json"),
    SuiteVector(
        "Ed25519Signature2020",
        "Ed25519Signature2020",
        "EdSig",
        "common/unsigned.json",
    ),
]
SUITE_IDS = ["rdfc", "rdfc-employ", "jcs", "ed25519-2020"]


def _proof_options(vector: SuiteVector) -> dict[str, Any]:
    config = load_json(vector.file("proofConfig", "json"))
    return {key: value for key, value in config.items() if key != "@context"}


def _canonical_forms(vector: SuiteVector) -> tuple[str, str]:
    """Return the suite's canonical document and canonical proof configuration."""
    suite: Any = get_cryptosuite(vector.cryptosuite)
    document = suite.prepare_document(load_json(vector.unsigned))
    options = _proof_options(vector)
    if vector.cryptosuite == "eddsa-jcs-2022":
        # JCS hashes the proof options with the @context that the proof keeps.
        with_context = {**options, "@context": document["@context"]}
        return (
            suite.transformation(document, options),
            suite.proof_configuration(with_context),
        )
    return (
        suite.transformation(document, options, loader=None),
        suite.proof_configuration(document, options, loader=None),
    )


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=SUITE_IDS)
def test_canonical_document_matches_vector(vector: SuiteVector) -> None:
    canonical_document, _ = _canonical_forms(vector)
    assert canonical_document == load_text(vector.file("canonDoc"))


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=SUITE_IDS)
def test_document_hash_matches_vector(vector: SuiteVector) -> None:
    canonical_document, _ = _canonical_forms(vector)
    digest = hashlib.sha256(canonical_document.encode("utf-8")).hexdigest()
    assert digest == load_text(vector.file("docHash")).strip()


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=SUITE_IDS)
def test_proof_canonical_form_matches_vector(vector: SuiteVector) -> None:
    _, canonical_proof = _canonical_forms(vector)
    assert canonical_proof == load_text(vector.file("proofCanon"))


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=SUITE_IDS)
def test_proof_hash_matches_vector(vector: SuiteVector) -> None:
    _, canonical_proof = _canonical_forms(vector)
    digest = hashlib.sha256(canonical_proof.encode("utf-8")).hexdigest()
    assert digest == load_text(vector.file("proofHash")).strip()


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=SUITE_IDS)
def test_combined_hash_matches_vector(vector: SuiteVector) -> None:
    canonical_document, canonical_proof = _canonical_forms(vector)
    hash_data = hashing(canonical_document, canonical_proof)
    assert hash_data.hex() == load_text(vector.file("combinedHash")).strip()


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=SUITE_IDS)
def test_signature_matches_vector(vector: SuiteVector) -> None:
    key_pair = load_key_pair("common/keyPair.json")
    signature = key_pair.sign(hashing(*_canonical_forms(vector)))
    assert signature.hex() == load_text(vector.file("sigHex")).strip()
    assert encode_proof_value(signature) == load_text(vector.file("sigBTC58")).strip()


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=SUITE_IDS)
def test_sign_reproduces_signed_document(vector: SuiteVector) -> None:
    options = _proof_options(vector)
    unsigned = load_json(vector.unsigned)
    signed = sign(
        unsigned,
        load_key_pair("common/keyPair.json"),
        cryptosuite=vector.cryptosuite,
        verification_method=options["verificationMethod"],
        created=options["created"],
    )
    assert signed == load_json(vector.file("signed", "json"))
    assert unsigned == load_json(vector.unsigned), "sign must not modify its input"


@pytest.mark.parametrize("vector", SUITE_VECTORS, ids=SUITE_IDS)
def test_signed_vector_verifies(vector: SuiteVector, resolver: VectorResolver) -> None:
    result = verify(
        load_json(vector.file("signed", "json")),
        resolver=resolver,
        now=VERIFICATION_TIME,
    )
    assert result.problems == ()
    assert result.verified
    assert len(result.results) == 1
    assert result.results[0].cryptosuite == vector.cryptosuite
    assert result.results[0].verification_method is not None
    assert resolver.calls == [
        (result.results[0].proof["verificationMethod"], "assertionMethod")
    ]
