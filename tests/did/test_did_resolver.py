"""DidResolver: method registry, static documents, caching and dereferencing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vcwork.did import (
    DidResolver,
    DidWebOptions,
    VerificationMethod,
    create_did_key,
    create_did_web_document,
)
from vcwork.errors import DidResolutionError
from vcwork.keys import Ed25519KeyPair

from .conftest import LocalServer, Route

ISSUER_DID = "did:web:issuer.example"
ISSUER_URL = "https://issuer.example/profiles/565049"


@pytest.fixture
def key_pair() -> Ed25519KeyPair:
    return Ed25519KeyPair.from_seed(b"\x07" * 32)


def _issuer_document(key_pair: Ed25519KeyPair) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": ISSUER_DID,
        "verificationMethod": [
            {
                "id": "#multikey",
                "type": "Multikey",
                "controller": ISSUER_DID,
                "publicKeyMultibase": key_pair.public_key_multibase,
            },
            {
                "id": f"{ISSUER_DID}#jwk",
                "type": "JsonWebKey2020",
                "controller": ISSUER_DID,
                "publicKeyJwk": key_pair.export_jwk(),
            },
            {
                "id": f"{ISSUER_DID}#legacy",
                "type": "Ed25519VerificationKey2020",
                "controller": ISSUER_DID,
                "publicKeyMultibase": key_pair.public_key_multibase,
            },
        ],
        "assertionMethod": [
            "#multikey",
            f"{ISSUER_DID}#jwk",
            f"{ISSUER_DID}#legacy",
            {
                "id": f"{ISSUER_DID}#embedded",
                "type": "JsonWebKey",
                "controller": ISSUER_DID,
                "publicKeyJwk": key_pair.export_jwk(),
            },
        ],
        "authentication": [f"{ISSUER_DID}#auth-only"],
        "capabilityInvocation": [
            {
                "id": f"{ISSUER_DID}#auth-only",
                "type": "Multikey",
                "controller": ISSUER_DID,
                "publicKeyMultibase": key_pair.public_key_multibase,
            }
        ],
    }


def _dereference_error(
    resolver: DidResolver, did_url: Any, relationship: str = "assertionMethod"
) -> DidResolutionError:
    with pytest.raises(DidResolutionError) as raised:
        resolver.dereference_verification_method(did_url, relationship=relationship)
    return raised.value


def test_did_key_dereference(key_pair: Ed25519KeyPair) -> None:
    key_pair, did = create_did_key(key_pair)
    assert key_pair.id is not None
    method = DidResolver().dereference_verification_method(
        key_pair.id, relationship="assertionMethod"
    )
    assert isinstance(method, VerificationMethod)
    assert method.id == key_pair.id
    assert method.type == "Multikey"
    assert method.controller == did
    assert method.public_key == key_pair.public
    assert method.document["publicKeyMultibase"] == key_pair.public_key_multibase


@pytest.mark.parametrize(
    ("fragment", "method_type"),
    [
        ("multikey", "Multikey"),
        ("jwk", "JsonWebKey2020"),
        ("legacy", "Ed25519VerificationKey2020"),
        ("embedded", "JsonWebKey"),
    ],
)
def test_static_document_methods(
    key_pair: Ed25519KeyPair, fragment: str, method_type: str
) -> None:
    resolver = DidResolver(documents={ISSUER_DID: _issuer_document(key_pair)})
    method = resolver.dereference_verification_method(
        f"{ISSUER_DID}#{fragment}", relationship="assertionMethod"
    )
    assert method.type == method_type
    assert method.id == f"{ISSUER_DID}#{fragment}"
    assert method.document["id"] == f"{ISSUER_DID}#{fragment}"
    assert method.public_key == key_pair.public


def test_wrong_relationship_rejected(key_pair: Ed25519KeyPair) -> None:
    resolver = DidResolver(documents={ISSUER_DID: _issuer_document(key_pair)})
    error = _dereference_error(resolver, f"{ISSUER_DID}#jwk", "authentication")
    assert error.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"
    assert "authentication" in error.detail
    assert "listed only under assertionMethod" in error.detail


def test_embedded_method_bound_to_its_relationship(key_pair: Ed25519KeyPair) -> None:
    resolver = DidResolver(documents={ISSUER_DID: _issuer_document(key_pair)})
    error = _dereference_error(resolver, f"{ISSUER_DID}#auth-only")
    assert error.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"


def test_did_key_key_agreement_rejected(key_pair: Ed25519KeyPair) -> None:
    key_pair, _ = create_did_key(key_pair)
    error = _dereference_error(DidResolver(), key_pair.id, "keyAgreement")
    assert error.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"


def test_unknown_relationship_rejected(key_pair: Ed25519KeyPair) -> None:
    key_pair, _ = create_did_key(key_pair)
    error = _dereference_error(DidResolver(), key_pair.id, "assertion")
    assert error.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"


@pytest.mark.parametrize(
    "did_url",
    [
        ISSUER_DID,
        ISSUER_DID + "#",
        "#multikey",
        ISSUER_DID + "/path#multikey",
        ISSUER_DID + "?versionId=1#multikey",
        "did:web:issuer example#multikey",
        None,
    ],
)
def test_malformed_did_url_rejected(key_pair: Ed25519KeyPair, did_url: Any) -> None:
    resolver = DidResolver(documents={ISSUER_DID: _issuer_document(key_pair)})
    error = _dereference_error(resolver, did_url)
    assert error.code in ("invalidDidUrl", "invalidDid")


def test_missing_fragment_message(key_pair: Ed25519KeyPair) -> None:
    key_pair, did = create_did_key(key_pair)
    error = _dereference_error(DidResolver(), did)
    assert error.code == "invalidDidUrl"
    assert "no fragment" in error.detail


def test_unknown_fragment_rejected(key_pair: Ed25519KeyPair) -> None:
    resolver = DidResolver(documents={ISSUER_DID: _issuer_document(key_pair)})
    error = _dereference_error(resolver, f"{ISSUER_DID}#key-99")
    assert error.code == "INVALID_VERIFICATION_METHOD"
    assert f"{ISSUER_DID}#key-99" in error.detail


def test_foreign_controller_rejected(key_pair: Ed25519KeyPair) -> None:
    document = _issuer_document(key_pair)
    document["verificationMethod"][0]["controller"] = "did:web:attacker.example"
    resolver = DidResolver(documents={ISSUER_DID: document})
    error = _dereference_error(resolver, f"{ISSUER_DID}#multikey")
    assert error.code == "INVALID_VERIFICATION_METHOD"
    assert "did:web:attacker.example" in error.detail


def test_listed_controller_still_rejected(key_pair: Ed25519KeyPair) -> None:
    # A document may not claim that its key speaks for another DID, even one
    # it lists as its own controller: that would let any did:web host sign
    # credentials in the name of any issuer.
    document = _issuer_document(key_pair)
    document["controller"] = ["did:web:parent.example"]
    document["verificationMethod"][0]["controller"] = "did:web:parent.example"
    resolver = DidResolver(documents={ISSUER_DID: document})
    with pytest.raises(DidResolutionError) as raised:
        resolver.dereference_verification_method(
            f"{ISSUER_DID}#multikey", relationship="assertionMethod"
        )
    assert raised.value.code == "INVALID_VERIFICATION_METHOD"
    assert "did:web:parent.example" in raised.value.detail


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"publicKeyJwk": {"kty": "OKP", "crv": "X25519", "x": "AAAA"}},
            "invalidPublicKey",
        ),
        (
            {"publicKeyJwk": {"kty": "EC", "crv": "P-256", "x": "A", "y": "B"}},
            "invalidPublicKey",
        ),
        (
            {"publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}},
            "invalidPublicKey",
        ),
        ({"publicKeyJwk": None}, "invalidPublicKey"),
        ({"type": "ExampleKey2030"}, "unsupportedPublicKeyType"),
    ],
)
def test_bad_jwk_method_rejected(
    key_pair: Ed25519KeyPair, change: dict[str, Any], error: str
) -> None:
    document = _issuer_document(key_pair)
    document["verificationMethod"][1].update(change)
    resolver = DidResolver(documents={ISSUER_DID: document})
    raised = _dereference_error(resolver, f"{ISSUER_DID}#jwk")
    assert raised.code == error


def test_jwk_with_private_key_rejected(key_pair: Ed25519KeyPair) -> None:
    document = _issuer_document(key_pair)
    document["verificationMethod"][1]["publicKeyJwk"] = key_pair.export_jwk(
        include_secret=True
    )
    resolver = DidResolver(documents={ISSUER_DID: document})
    error = _dereference_error(resolver, f"{ISSUER_DID}#jwk")
    assert error.code == "invalidPublicKey"
    assert "'d'" in error.detail
    assert key_pair.export_jwk(include_secret=True)["d"] not in error.detail


def test_https_controller_document(key_pair: Ed25519KeyPair) -> None:
    profile = {
        "id": ISSUER_URL,
        "type": "Profile",
        "verificationMethod": [
            {
                "id": f"{ISSUER_URL}#key-1",
                "type": "Multikey",
                "controller": ISSUER_URL,
                "publicKeyMultibase": key_pair.public_key_multibase,
            }
        ],
        "assertionMethod": [f"{ISSUER_URL}#key-1"],
    }
    resolver = DidResolver(documents={ISSUER_URL: profile})
    method = resolver.dereference_verification_method(
        f"{ISSUER_URL}#key-1", relationship="assertionMethod"
    )
    assert method.public_key == key_pair.public
    assert method.controller == ISSUER_URL


def test_unregistered_https_url_not_found() -> None:
    error = _dereference_error(DidResolver(), f"{ISSUER_URL}#key-1")
    assert error.code == "notFound"
    assert "documents=" in error.detail


def test_static_document_id_must_match(key_pair: Ed25519KeyPair) -> None:
    with pytest.raises(DidResolutionError) as raised:
        DidResolver(documents={"did:web:other.example": _issuer_document(key_pair)})
    assert raised.value.code == "invalidDidDocument"


def test_static_document_key_must_be_did_or_https() -> None:
    with pytest.raises(DidResolutionError) as raised:
        DidResolver(
            documents={"http://issuer.example": {"id": "http://issuer.example"}}
        )
    assert raised.value.code == "invalidDid"


def test_static_document_validated_with_pydid() -> None:
    document = {"id": ISSUER_DID, "verificationMethod": [{"id": f"{ISSUER_DID}#k"}]}
    resolver = DidResolver(documents={ISSUER_DID: document})
    with pytest.raises(DidResolutionError) as raised:
        resolver.resolve(ISSUER_DID)
    assert raised.value.code == "invalidDidDocument"


def test_did_web_off_by_default() -> None:
    with pytest.raises(DidResolutionError) as raised:
        DidResolver().resolve(ISSUER_DID)
    assert raised.value.code == "methodNotSupported"
    assert "DidWebOptions" in raised.value.detail


def test_unknown_method_rejected() -> None:
    with pytest.raises(DidResolutionError) as raised:
        DidResolver().resolve("did:example:123")
    assert raised.value.code == "methodNotSupported"
    assert "did:key" in raised.value.detail


def test_resolve_rejects_did_url() -> None:
    with pytest.raises(DidResolutionError) as raised:
        DidResolver().resolve("did:example:123#key-1")
    assert raised.value.code == "invalidDid"
    assert "DID URL" in raised.value.detail


def test_custom_method_registered(key_pair: Ed25519KeyPair) -> None:
    did = "did:example:123"
    document = {"id": did, "assertionMethod": []}
    resolver = DidResolver(methods={"example": lambda _: document})
    assert resolver.resolve(did) == document


def test_custom_method_wrong_id_rejected() -> None:
    resolver = DidResolver(methods={"example": lambda _: {"id": "did:example:456"}})
    with pytest.raises(DidResolutionError) as raised:
        resolver.resolve("did:example:123")
    assert raised.value.code == "invalidDidDocument"


def test_resolved_copy_does_not_change_cache(key_pair: Ed25519KeyPair) -> None:
    _, did = create_did_key(key_pair)
    resolver = DidResolver()
    first = resolver.resolve(did)
    first["assertionMethod"].clear()
    assert resolver.resolve(did)["assertionMethod"] != []


def test_did_web_resolved_once_and_cached(
    http_server: LocalServer, key_pair: Ed25519KeyPair
) -> None:
    did = http_server.did()
    key_pair.id = "#key-1"
    document = create_did_web_document(did, [key_pair])
    http_server.routes["/.well-known/did.json"] = Route(
        body=json.dumps(document).encode()
    )
    resolver = DidResolver(web=DidWebOptions(allow_http_loopback=True, timeout=2.0))

    first = resolver.dereference_verification_method(
        f"{did}#key-1", relationship="assertionMethod"
    )
    second = resolver.dereference_verification_method(
        f"{did}#key-1", relationship="authentication"
    )
    assert first.public_key == key_pair.public
    assert second.public_key == key_pair.public
    assert http_server.requests == ["/.well-known/did.json"]
