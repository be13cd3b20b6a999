"""Anchor receipts: the proof that a credential's digest is in an anchored batch.

A receipt is a JSON document kept beside the credential, not a proof inside
it. It contains the credential digest, the leaf index and inclusion path in the
batch's Merkle tree, the batch's tree size and root, and the ``ledger``
member that records where the root was written. See ``docs/anchoring.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._encoding import hash_from_hex, hashes_from_hex, hashes_to_hex, require_member
from ._errors import MalformedReceiptError
from .digest import DIGEST_METHOD

__all__ = ["ANCHOR_RECEIPT_TYPE", "AnchorReceipt"]

ANCHOR_RECEIPT_TYPE = "MerkleAnchorReceipt"


@dataclass(frozen=True)
class AnchorReceipt:
    """A parsed anchor receipt; ``ledger`` stays JSON for the ledger's own checks."""

    credential_id: str
    credential_digest: bytes
    batch_id: str
    leaf_index: int
    tree_size: int
    root_hash: bytes
    inclusion_path: tuple[bytes, ...]
    ledger: dict[str, Any]

    @property
    def ledger_type(self) -> str:
        return str(self.ledger.get("type"))

    def to_json(self) -> dict[str, Any]:
        return {
            "type": ANCHOR_RECEIPT_TYPE,
            "credentialId": self.credential_id,
            "digestMethod": DIGEST_METHOD,
            "credentialDigest": self.credential_digest.hex(),
            "batch": {
                "id": self.batch_id,
                "leafIndex": self.leaf_index,
                "treeSize": self.tree_size,
                "rootHash": self.root_hash.hex(),
                "inclusionPath": hashes_to_hex(list(self.inclusion_path)),
            },
            "ledger": self.ledger,
        }

    @classmethod
    def from_json(cls, data: Any) -> AnchorReceipt:
        """Read a receipt; raises :class:`MalformedReceiptError` naming the member."""
        kind = require_member(data, "type", str, path="")
        if kind != ANCHOR_RECEIPT_TYPE:
            raise MalformedReceiptError(
                f"type must be {ANCHOR_RECEIPT_TYPE!r}, got {kind!r}",
                property="type",
                value=kind,
            )
        method = require_member(data, "digestMethod", str, path="")
        if method != DIGEST_METHOD:
            raise MalformedReceiptError(
                f"digestMethod {method!r} is not supported; expected {DIGEST_METHOD!r}",
                property="digestMethod",
                value=method,
            )
        batch = require_member(data, "batch", dict, path="")
        ledger = require_member(data, "ledger", dict, path="")
        require_member(ledger, "type", str, path="ledger")
        return cls(
            credential_id=require_member(data, "credentialId", str, path=""),
            credential_digest=hash_from_hex(
                data.get("credentialDigest"), property="credentialDigest"
            ),
            batch_id=require_member(batch, "id", str, path="batch"),
            leaf_index=require_member(batch, "leafIndex", int, path="batch"),
            tree_size=require_member(batch, "treeSize", int, path="batch"),
            root_hash=hash_from_hex(batch.get("rootHash"), property="batch.rootHash"),
            inclusion_path=tuple(
                hashes_from_hex(
                    batch.get("inclusionPath"), property="batch.inclusionPath"
                )
            ),
            ledger=ledger,
        )
