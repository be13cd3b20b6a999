"""DID documents: constants, validation and verification methods.

Validation uses pydid's document model. pydid is imported only inside
:func:`validate_did_document` because importing it took 150-200 ms in one
measurement (``python -X importtime`` and ``time.perf_counter``, pydid 0.5.3
with pydantic 2.14, a 2-core Linux container), which the CLI's start-up should
not pay for commands that never validate a document.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import DidResolutionError, InvalidKeyError
from ..keys import Ed25519PublicKeyMaterial

__all__ = [
    "DID_CONTEXT_V1",
    "MULTIKEY_CONTEXT_V1",
    "VERIFICATION_RELATIONSHIPS",
    "VerificationMethod",
    "absolute_id",
    "public_key_from_verification_method",
    "validate_did_document",
]

DID_CONTEXT_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT_V1 = "https://w3id.org/security/multikey/v1"

# Verification relationships of DID Core 1.0, section 5.3.
VERIFICATION_RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)

_MULTIBASE_TYPES = ("Multikey", "Ed25519VerificationKey2020")
_JWK_TYPES = ("JsonWebKey2020", "JsonWebKey")


@dataclass(frozen=True)
class VerificationMethod:
    """A verification method found by dereferencing a DID URL.

    ``document`` is the method's JSON object as the DID document lists it,
    with its ``id`` made absolute.
    """

    id: str
    type: str
    controller: str
    public_key: Ed25519PublicKeyMaterial
    document: dict[str, Any]


def absolute_id(reference: str, document_id: str) -> str:
    """Resolve a relative reference such as ``#key-1`` against the document id."""
    if reference.startswith("#"):
        return document_id + reference
    return reference


def validate_did_document(document: object, *, did: str) -> dict[str, Any]:
    """Check that ``document`` is a DID document for ``did`` and return it.

    Raises ``notFound`` when the document's ``id`` is not ``did`` (the document
    belongs to another subject) and ``invalidDidDocument`` when pydid rejects
    its structure.
    """
    if not isinstance(document, dict):
        raise DidResolutionError(
            f"the DID document of {did} must be a JSON object, "
            f"got {type(document).__name__}",
            error="invalidDidDocument",
        )
    document_id = document.get("id")
    if document_id != did:
        raise DidResolutionError(
            f"the document found for {did} has id {document_id!r}; a DID "
            "document's id must be the DID being resolved",
            error="notFound",
            value=document_id,
        )
    import pydid

    try:
        pydid.DIDDocument.deserialize(document)
    # NOTE: pydid reports bad input as ValueError, but also lets AttributeError
    # and TypeError escape for some malformed values, so every error is caught.
    except Exception as e:
        reason = str(e).splitlines()[-1].strip() if str(e) else type(e).__name__
        raise DidResolutionError(
            f"the DID document of {did} is not valid per DID Core 1.0: {reason}",
            error="invalidDidDocument",
        ) from e
    return document


def public_key_from_verification_method(
    method: Mapping[str, Any],
) -> Ed25519PublicKeyMaterial:
    """Decode the Ed25519 public key of a verification method.

    Supports ``Multikey`` and ``Ed25519VerificationKey2020`` with
    ``publicKeyMultibase``, and ``JsonWebKey2020`` and ``JsonWebKey`` with an
    OKP/Ed25519 ``publicKeyJwk``.
    """
    method_type = method.get("type")
    method_id = method.get("id")
    try:
        if method_type in _MULTIBASE_TYPES:
            value = method.get("publicKeyMultibase")
            if not isinstance(value, str):
                raise InvalidKeyError(
                    f"a {method_type} verification method needs publicKeyMultibase"
                )
            return Ed25519PublicKeyMaterial.from_multibase(value)
        if method_type in _JWK_TYPES:
            jwk = method.get("publicKeyJwk")
            if not isinstance(jwk, dict):
                raise InvalidKeyError(
                    f"a {method_type} verification method needs publicKeyJwk"
                )
            if "d" in jwk:
                raise InvalidKeyError(
                    "publicKeyJwk contains the private key member 'd'; a DID "
                    "document must publish only the public key"
                )
            return Ed25519PublicKeyMaterial.from_jwk(jwk)
    except InvalidKeyError as e:
        raise DidResolutionError(
            f"verification method {method_id!r}: {e.detail}",
            error="invalidPublicKey",
            property=e.property,
            value=method_id,
        ) from e
    supported = ", ".join(_MULTIBASE_TYPES + _JWK_TYPES)
    raise DidResolutionError(
        f"verification method {method_id!r} has type {method_type!r}; "
        f"vcwork supports Ed25519 keys in these types: {supported}",
        error="unsupportedPublicKeyType",
        value=method_type,
    )


def copy_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy, so that callers cannot change a cached document."""
    return copy.deepcopy(dict(document))
