"""The digest that anchors a signed credential.

``credential digest = SHA-256(JCS(credential))``: the SHA-256 hash of the
credential, proofs included, serialized with the JSON Canonicalization
Scheme (RFC 8785). The batch's Merkle tree leaf input is this 32-byte digest,
so the ledger stores digests only and never a credential's content.

JCS rather than RDFC-1.0 canonicalization: it is fast, needs no JSON-LD
context, and it changes when any JSON member changes, including members that
a JSON-LD context would drop. Because the digest covers the proof, it pins
the exact signed credential that was issued.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from ..errors import MalformedValueError

__all__ = ["DIGEST_METHOD", "credential_digest"]

DIGEST_METHOD = "JCS-SHA-256"
"""Name of the digest definition, written into each anchor receipt."""


def credential_digest(credential: dict[str, Any]) -> bytes:
    """Return the 32-byte anchor digest of a signed credential.

    Raises :class:`MalformedValueError` when the credential is not JSON that
    RFC 8785 can serialize (a float such as NaN, or a non-string key).
    """
    if not isinstance(credential, dict):
        raise MalformedValueError(
            f"a credential must be a JSON object, got {type(credential).__name__}"
        )
    try:
        canonical = rfc8785.dumps(credential)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise MalformedValueError(
            f"the credential cannot be serialized with JCS (RFC 8785): {e}"
        ) from e
    return hashlib.sha256(canonical).digest()
