"""EdDSA steps shared by eddsa-rdfc-2022, eddsa-jcs-2022 and Ed25519Signature2020.

Data Integrity EdDSA Cryptosuites v1.0 gives each suite its own Hashing,
Proof Serialization and Proof Verification sections, but the three suites
define them identically: SHA-256 of the canonical proof configuration followed
by SHA-256 of the transformed document, signed with pure Ed25519 (RFC 8032).
The ``proofValue`` is the 64-byte signature as multibase base58btc (``z``
prefix, Controlled Identifiers 1.0, section 2.4 "Multibase").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import base58

from ..errors import (
    MalformedValueError,
    ProofGenerationError,
    ProofVerificationError,
)
from ..keys import Ed25519KeyPair, Ed25519PublicKeyMaterial

__all__ = [
    "DATA_INTEGRITY_V1_CONTEXT",
    "DATA_INTEGRITY_V2_CONTEXT",
    "ED25519_SIGNATURE_LENGTH",
    "VC_V2_CONTEXT",
    "context_urls",
    "decode_proof_value",
    "encode_proof_value",
    "hashing",
    "proof_serialization",
    "proof_verification",
    "with_context",
]

ED25519_SIGNATURE_LENGTH = 64

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
DATA_INTEGRITY_V1_CONTEXT = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"


def hashing(transformed_document: str, canonical_proof_config: str) -> bytes:
    """Return the 64-byte hash data: SHA-256(proof config) || SHA-256(document).

    This is the Hashing algorithm of all three suites. Both inputs are
    encoded as UTF-8 before hashing.
    """
    # Steps 1-2: hash each canonical form into a 32-byte digest.
    proof_config_hash = hashlib.sha256(canonical_proof_config.encode("utf-8"))
    transformed_document_hash = hashlib.sha256(transformed_document.encode("utf-8"))
    # Step 3: the proof configuration hash comes first.
    return proof_config_hash.digest() + transformed_document_hash.digest()


def proof_serialization(hash_data: bytes, key_pair: Ed25519KeyPair) -> bytes:
    """Sign ``hash_data`` with pure Ed25519 and return the 64-byte signature."""
    return key_pair.sign(hash_data)


def proof_verification(
    hash_data: bytes, proof_bytes: bytes, public_key: Ed25519PublicKeyMaterial
) -> bool:
    """Return whether ``proof_bytes`` is a valid Ed25519 signature of ``hash_data``."""
    return public_key.verify(proof_bytes, hash_data)


def encode_proof_value(proof_bytes: bytes) -> str:
    """Encode a signature as a multibase base58btc ``proofValue``."""
    return "z" + base58.b58encode(proof_bytes).decode("ascii")


def decode_proof_value(value: object, *, property: str = "proof.proofValue") -> bytes:
    """Decode a multibase base58btc ``proofValue`` to the 64 signature bytes.

    A missing value (``None``) raises :class:`ProofVerificationError`, because
    ``proofValue`` is a required property. Raises :class:`MalformedValueError`
    when the value is not a string, does not start with ``z``, is not
    base58btc or does not decode to 64 bytes.
    """
    if value is None:
        raise ProofVerificationError(
            f"the proof has no {property.rpartition('.')[2]}", property=property
        )
    if not isinstance(value, str):
        raise MalformedValueError(
            f"{property} must be a multibase base58btc string, "
            f"got {type(value).__name__}",
            property=property,
            value=value,
        )
    if not value.startswith("z"):
        raise MalformedValueError(
            f"{property} must be multibase base58btc and start with 'z', "
            f"got {value[:1]!r} as the first character",
            property=property,
            value=value,
        )
    try:
        proof_bytes: bytes = base58.b58decode(value[1:])
    except ValueError as e:
        raise MalformedValueError(
            f"{property} is not valid base58btc: {e}", property=property, value=value
        ) from e
    if len(proof_bytes) != ED25519_SIGNATURE_LENGTH:
        raise MalformedValueError(
            f"{property} must decode to a {ED25519_SIGNATURE_LENGTH}-byte Ed25519 "
            f"signature, got {len(proof_bytes)} bytes",
            property=property,
            value=value,
        )
    # base58 decoding skips surrounding whitespace, so one signature could be
    # written many ways; only its canonical encoding is accepted.
    if "z" + base58.b58encode(proof_bytes).decode("ascii") != value:
        raise MalformedValueError(
            f"{property} is not the canonical base58btc encoding of its bytes "
            "(extra characters such as whitespace?)",
            property=property,
            value=value,
        )
    return proof_bytes


def context_urls(context: object) -> list[Any]:
    """Return an ``@context`` value as a list (a single value becomes one entry)."""
    if context is None:
        return []
    if isinstance(context, list):
        return list(context)
    return [context]


def with_context(
    document: Mapping[str, Any],
    *,
    suite_context: str,
    satisfied_by: Sequence[str],
    suite_name: str,
) -> dict[str, Any]:
    """Return a copy of ``document`` whose ``@context`` defines the suite's terms.

    When no entry of ``satisfied_by`` is in the ``@context``, ``suite_context``
    is appended. A document without ``@context`` raises
    :class:`ProofGenerationError`, because the suite processes JSON-LD.
    """
    if "@context" not in document:
        raise ProofGenerationError(
            f"{suite_name} signs JSON-LD but the document has no @context. "
            f"Add one, for example {VC_V2_CONTEXT!r}",
            property="@context",
        )
    contexts = context_urls(document["@context"])
    output = dict(document)
    if not any(entry in satisfied_by for entry in contexts):
        output["@context"] = [*contexts, suite_context]
    return output
