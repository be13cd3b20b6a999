"""Ed25519 key pairs: encodings, and secrets that never leak."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from vcwork.errors import InvalidKeyError
from vcwork.keys import (
    Ed25519KeyPair,
    Ed25519PublicKeyMaterial,
    decode_public_key_multibase,
)

VECTOR_KEY = Path(__file__).parent / "vectors" / "common" / "keyPair.json"


@pytest.fixture
def vector_pair() -> dict[str, str]:
    data: dict[str, str] = json.loads(VECTOR_KEY.read_text())
    return data


def test_vector_key_round_trip(vector_pair: dict[str, str]) -> None:
    pair = Ed25519KeyPair.from_multikey(vector_pair)
    assert pair.public_key_multibase == vector_pair["publicKeyMultibase"]
    exported = pair.export_multikey(include_secret=True)
    assert exported["secretKeyMultibase"] == vector_pair["privateKeyMultibase"]


def test_public_export_has_no_secret() -> None:
    pair = Ed25519KeyPair.generate()
    assert "secretKeyMultibase" not in pair.export_multikey()
    assert "d" not in pair.export_jwk()


def test_jwk_round_trip() -> None:
    pair = Ed25519KeyPair.generate()
    jwk = pair.export_jwk(include_secret=True)
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    again = Ed25519KeyPair.from_jwk(jwk)
    assert again.public_key == pair.public_key
    public = Ed25519PublicKeyMaterial.from_jwk(pair.export_jwk())
    assert public.public_key == pair.public_key


def test_seed_is_deterministic() -> None:
    seed = bytes(range(32))
    assert Ed25519KeyPair.from_seed(seed).public_key == (
        Ed25519KeyPair.from_seed(seed).public_key
    )


def test_sign_and_verify() -> None:
    pair = Ed25519KeyPair.generate()
    signature = pair.sign(b"message")
    assert pair.verify(signature, b"message")
    assert not pair.verify(signature, b"messagf")
    assert not pair.public.verify(b"short", b"message")


def test_repr_hides_secret(vector_pair: dict[str, str]) -> None:
    pair = Ed25519KeyPair.from_multikey(vector_pair)
    text = repr(pair) + str(pair)
    assert vector_pair["privateKeyMultibase"] not in text
    assert vector_pair["publicKeyMultibase"] in text


def test_mismatched_public_key_error_hides_secret(vector_pair: dict[str, str]) -> None:
    other = Ed25519KeyPair.generate().public_key_multibase
    data = {
        "secretKeyMultibase": vector_pair["privateKeyMultibase"],
        "publicKeyMultibase": other,
    }
    with pytest.raises(InvalidKeyError) as raised:
        Ed25519KeyPair.from_multikey(data)
    assert vector_pair["privateKeyMultibase"] not in str(raised.value)
    assert vector_pair["privateKeyMultibase"] not in repr(raised.value.to_problem())


@pytest.mark.parametrize(
    "secret",
    ["z", "not-multibase", "z0OIl", "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XH"],
    ids=["empty", "no-prefix", "bad-alphabet", "truncated"],
)
def test_malformed_secret_rejected_without_echo(secret: str) -> None:
    with pytest.raises(InvalidKeyError) as raised:
        Ed25519KeyPair.from_multikey({"secretKeyMultibase": secret})
    if len(secret) > 3:
        assert secret not in str(raised.value)


def test_secret_never_logged(
    vector_pair: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    from vcwork.credentials import issue_credential
    from vcwork.did import create_did_key

    caplog.set_level(logging.DEBUG)
    pair, did = create_did_key(Ed25519KeyPair.from_multikey(vector_pair))
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "credentialSubject": {"id": did},
    }
    issue_credential(credential, pair)
    assert vector_pair["privateKeyMultibase"] not in caplog.text


@pytest.mark.parametrize(
    "value",
    ["z6Mk", "u6MkrJVnaZ", "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"],
    ids=["short", "wrong-base", "secp256k1"],
)
def test_bad_public_key_multibase(value: str) -> None:
    with pytest.raises(InvalidKeyError):
        decode_public_key_multibase(value)
