"""did:key creation and resolution (The did:key Method v0.7)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import base58
import pydid
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from vcwork.did import (
    DID_CONTEXT_V1,
    MULTIKEY_CONTEXT_V1,
    create_did_key,
    did_key_from_key_pair,
    public_key_from_did_key,
    resolve_did_key,
)
from vcwork.errors import DidResolutionError
from vcwork.keys import Ed25519KeyPair

DATA = Path(__file__).parent / "data"
VECTOR_DID = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_FRAGMENT = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


@pytest.fixture
def vector_key_pair() -> Ed25519KeyPair:
    return Ed25519KeyPair.from_multikey(json.loads((DATA / "keyPair.json").read_text()))


def _did_key(header: bytes, key: bytes) -> str:
    return "did:key:z" + base58.b58encode(header + key).decode("ascii")


def test_did_from_vector_key_pair(vector_key_pair: Ed25519KeyPair) -> None:
    assert did_key_from_key_pair(vector_key_pair) == VECTOR_DID
    assert did_key_from_key_pair(vector_key_pair.public) == VECTOR_DID


def test_create_sets_id_and_controller(vector_key_pair: Ed25519KeyPair) -> None:
    key_pair, did = create_did_key(vector_key_pair)
    assert key_pair is vector_key_pair
    assert did == VECTOR_DID
    assert key_pair.controller == VECTOR_DID
    assert key_pair.id == f"{VECTOR_DID}#{VECTOR_FRAGMENT}"


def test_create_generates_new_key() -> None:
    key_pair, did = create_did_key()
    assert did.startswith("did:key:z6Mk")
    assert public_key_from_did_key(did) == key_pair.public


def test_resolve_vector_document(vector_key_pair: Ed25519KeyPair) -> None:
    document = resolve_did_key(VECTOR_DID)
    method_id = f"{VECTOR_DID}#{VECTOR_FRAGMENT}"
    assert document["@context"] == [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1]
    assert document["id"] == VECTOR_DID
    assert document["verificationMethod"] == [
        {
            "id": method_id,
            "type": "Multikey",
            "controller": VECTOR_DID,
            "publicKeyMultibase": vector_key_pair.public_key_multibase,
        }
    ]
    for relationship in (
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        assert document[relationship] == [method_id]
    assert "keyAgreement" not in document


def test_resolved_document_passes_pydid() -> None:
    parsed = pydid.DIDDocument.deserialize(resolve_did_key(VECTOR_DID))
    assert str(parsed.id) == VECTOR_DID


def test_resolve_with_explicit_version() -> None:
    did = "did:key:1:" + VECTOR_FRAGMENT
    assert resolve_did_key(did)["id"] == did


def test_key_agreement_matches_x25519_of_seed() -> None:
    seed = bytes(range(32))
    key_pair = Ed25519KeyPair.from_seed(seed)
    did = did_key_from_key_pair(key_pair)
    document = resolve_did_key(did, enable_encryption_key_derivation=True)

    # RFC 8032: the Ed25519 secret scalar is the first half of SHA-512(seed);
    # cryptography clamps it, so its X25519 public key is the same point.
    scalar = hashlib.sha512(seed).digest()[:32]
    expected = (
        X25519PrivateKey.from_private_bytes(scalar)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    agreement = document["verificationMethod"][1]
    assert document["keyAgreement"] == [agreement["id"]]
    decoded = base58.b58decode(agreement["publicKeyMultibase"][1:])
    assert decoded[:2] == b"\xec\x01"
    assert decoded[2:] == expected
    assert agreement["id"] == f"{did}#{agreement['publicKeyMultibase']}"


@pytest.mark.parametrize(
    ("did", "error"),
    [
        ("did:key:", "invalidDid"),
        ("did:key", "invalidDid"),
        ("did:key:6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "invalidDid"),
        ("did:key:zOIl0", "invalidDid"),
        ("did:key:z", "invalidDid"),
        ("did:web:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "invalidDid"),
        ("DID:key:" + VECTOR_FRAGMENT, "invalidDid"),
        ("did:key:2:" + VECTOR_FRAGMENT, "invalidDid"),
        ("did:key:a:b:" + VECTOR_FRAGMENT, "invalidDid"),
        (_did_key(b"\xff\xff", b""), "invalidDid"),
        ("did:key:z111", "unsupportedPublicKeyType"),
        (VECTOR_DID + "#" + VECTOR_FRAGMENT, "invalidDid"),
        (_did_key(b"\xed\x01", b"\x01" * 31), "invalidPublicKeyLength"),
        (_did_key(b"\xed\x01", b"\x01" * 33), "invalidPublicKeyLength"),
        (_did_key(b"\x80\x24", b"\x02" * 33), "unsupportedPublicKeyType"),
        (_did_key(b"\xe7\x01", b"\x02" * 33), "unsupportedPublicKeyType"),
        (_did_key(b"\xec\x01", b"\x09" * 32), "unsupportedPublicKeyType"),
        # y = 2^255 - 1 is not below the field prime, so no point has it.
        (_did_key(b"\xed\x01", b"\xff" * 31 + b"\x7f"), "invalidPublicKey"),
    ],
)
def test_resolve_rejects_malformed_did(did: str, error: str) -> None:
    with pytest.raises(DidResolutionError) as raised:
        resolve_did_key(did)
    assert raised.value.code == error
    assert did in str(raised.value)


def test_resolve_rejects_non_string() -> None:
    with pytest.raises(DidResolutionError) as raised:
        resolve_did_key(42)  # type: ignore[arg-type]
    assert raised.value.code == "invalidDid"


def test_import_loads_neither_httpx_nor_pydid() -> None:
    code = (
        "import sys, vcwork.did; "
        "print(sorted(m for m in ('httpx', 'pydid') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
