"""1EdTech Open Badges 3.0 and CLR 2.0 canonical forms reproduce the guide's values."""

from __future__ import annotations

import hashlib

import pytest

from vcwork.keys import Ed25519KeyPair, Ed25519PublicKeyMaterial
from vcwork.proofs.eddsa import (
    decode_proof_value,
    encode_proof_value,
    hashing,
    proof_verification,
)

from .conftest import ONE_EDTECH_PUBLIC_KEY, ONE_EDTECH_SEED_HEX, load_text

PROOF_HASH = "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19"

# (folder, document hash, proofValue) from the implementation guide pages.
CASES = [
    (
        "1edtech-ob-clr/obv3p0",
        "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773",
        "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr",
    ),
    (
        "1edtech-ob-clr/clrv2p0",
        "768d7015ae69e0210e1c2a45194d9c1d15d7a6022e52b946574a2a27f6fa85fe",
        "zF52sU1nfPAjcwCqtgxPNSor6SJnAzRBwZW5VNQXPt8xXCHkd39sgqj32DnMjhFCzbyHsLkhQ8HpBqQTkMgXy329",
    ),
]
IDS = ["open-badge", "clr"]


def _key_pair() -> Ed25519KeyPair:
    return Ed25519KeyPair.from_seed(bytes.fromhex(ONE_EDTECH_SEED_HEX))


def test_seed_derives_published_public_key() -> None:
    assert _key_pair().public_key_multibase == ONE_EDTECH_PUBLIC_KEY


@pytest.mark.parametrize(("folder", "document_hash", "proof_value"), CASES, ids=IDS)
def test_document_hash_matches_guide(
    folder: str, document_hash: str, proof_value: str
) -> None:
    canonical = load_text(f"{folder}/document-canon.txt")
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == document_hash


@pytest.mark.parametrize(("folder", "document_hash", "proof_value"), CASES, ids=IDS)
def test_proof_hash_matches_guide(
    folder: str, document_hash: str, proof_value: str
) -> None:
    canonical = load_text(f"{folder}/proof-canon.txt")
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == PROOF_HASH


@pytest.mark.parametrize(("folder", "document_hash", "proof_value"), CASES, ids=IDS)
def test_signature_matches_guide_proof_value(
    folder: str, document_hash: str, proof_value: str
) -> None:
    hash_data = hashing(
        load_text(f"{folder}/document-canon.txt"),
        load_text(f"{folder}/proof-canon.txt"),
    )
    assert hash_data == bytes.fromhex(PROOF_HASH + document_hash)
    assert encode_proof_value(_key_pair().sign(hash_data)) == proof_value


@pytest.mark.parametrize(("folder", "document_hash", "proof_value"), CASES, ids=IDS)
def test_guide_proof_value_verifies(
    folder: str, document_hash: str, proof_value: str
) -> None:
    public_key = Ed25519PublicKeyMaterial.from_multibase(ONE_EDTECH_PUBLIC_KEY)
    hash_data = bytes.fromhex(PROOF_HASH + document_hash)
    proof_bytes = decode_proof_value(proof_value)
    assert proof_verification(hash_data, proof_bytes, public_key)
    tampered = bytes.fromhex(PROOF_HASH + document_hash[:-1] + "0")
    assert not proof_verification(tampered, proof_bytes, public_key)
