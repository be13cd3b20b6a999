"""Signed tree heads of the embedded transparency log.

A signed tree head (STH) commits the log to its size and root hash at a time.
The issuer signs it with its Ed25519 key, so a verifier with two tree
heads and a consistency proof between them can show that the log only grew.

Signing input: the bytes ``vcwork tree head v1\\n`` followed by the JCS
(RFC 8785) serialization of every member except ``signatureValue``. The
prefix keeps a tree head signature from being valid as any other message that
the same key signs, such as a credential proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785

from ..dates import format_datetime, parse_datetime
from ..errors import MalformedValueError
from ..keys import Ed25519KeyPair, Ed25519PublicKeyMaterial
from ..proofs.eddsa import decode_proof_value, encode_proof_value
from ._encoding import hash_from_hex, require_member
from ._errors import MalformedReceiptError

__all__ = ["TREE_HEAD_SIGNING_PREFIX", "SignedTreeHead"]

TREE_HEAD_SIGNING_PREFIX = b"vcwork tree head v1\n"


@dataclass(frozen=True)
class SignedTreeHead:
    """A log's size and root hash at a time, signed by the log's key."""

    log_id: str
    tree_size: int
    root_hash: bytes
    timestamp: str
    verification_method: str
    signature_value: str

    @classmethod
    def sign(
        cls,
        *,
        log_id: str,
        tree_size: int,
        root_hash: bytes,
        timestamp: datetime,
        key_pair: Ed25519KeyPair,
    ) -> SignedTreeHead:
        """Sign a tree head with ``key_pair``, named by its verification method id."""
        if not key_pair.id:
            raise MalformedValueError(
                "the log's key pair has no verification method id; create it with "
                "vcwork.did.create_did_key or give it an id",
                property="verificationMethod",
            )
        unsigned = cls(
            log_id=log_id,
            tree_size=tree_size,
            root_hash=root_hash,
            timestamp=format_datetime(timestamp),
            verification_method=key_pair.id,
            signature_value="",
        )
        signature = key_pair.sign(unsigned.signing_input())
        return cls(
            **{**unsigned.__dict__, "signature_value": encode_proof_value(signature)}
        )

    def signing_input(self) -> bytes:
        body = self.to_json()
        del body["signatureValue"]
        return TREE_HEAD_SIGNING_PREFIX + rfc8785.dumps(body)

    def verify_signature(self, public_key: Ed25519PublicKeyMaterial) -> bool:
        """Return whether the signature is valid for ``public_key``."""
        try:
            signature = decode_proof_value(
                self.signature_value, property="treeHead.signatureValue"
            )
        except MalformedValueError:
            return False
        return public_key.verify(signature, self.signing_input())

    @property
    def signer(self) -> str:
        """The DID that controls the signing key: the verification method id before ``#``."""
        return self.verification_method.partition("#")[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "logId": self.log_id,
            "treeSize": self.tree_size,
            "rootHash": self.root_hash.hex(),
            "timestamp": self.timestamp,
            "verificationMethod": self.verification_method,
            "signatureValue": self.signature_value,
        }

    @classmethod
    def from_json(cls, data: Any, *, path: str = "treeHead") -> SignedTreeHead:
        """Read a tree head; raises :class:`MalformedReceiptError` naming the member."""
        timestamp = require_member(data, "timestamp", str, path=path)
        try:
            parse_datetime(timestamp, property=f"{path}.timestamp")
        except MalformedValueError as e:
            raise MalformedReceiptError(
                e.detail, property=f"{path}.timestamp", value=timestamp
            ) from e
        return cls(
            log_id=require_member(data, "logId", str, path=path),
            tree_size=require_member(data, "treeSize", int, path=path),
            root_hash=hash_from_hex(
                data["rootHash"] if "rootHash" in data else None,
                property=f"{path}.rootHash",
            ),
            timestamp=timestamp,
            verification_method=require_member(
                data, "verificationMethod", str, path=path
            ),
            signature_value=require_member(data, "signatureValue", str, path=path),
        )
