"""Ledger anchoring: tamper-evident batches of issued credentials.

Issued credentials are hashed (:func:`credential_digest`), collected into
batches (:class:`AnchorBatcher`) and each batch's RFC 9162 Merkle root is
written once to a ledger: the embedded transparency log (:class:`AnchorLog`,
the default) or an EVM chain (:class:`EvmLedger`). Every credential gets an
anchor receipt that :class:`AnchorChecker` verifies as the ``anchor`` step of
:func:`vcwork.credentials.verify_credential`. The anchor is an extra proof
beside the issuer's signature, never a replacement for it.
"""

from ._db import create_anchor_engine, sqlite_url
from ._errors import (
    AnchorNotFoundError,
    AnchorVerificationError,
    LedgerRetrievalError,
    LogIntegrityError,
    MalformedReceiptError,
)
from .batcher import AnchorBatcher, BatchInfo, Ledger
from .checker import AnchorChecker, LedgerConfirmation, ReceiptLookup
from .digest import DIGEST_METHOD, credential_digest
from .evm import EVM_TRANSACTION, EvmLedger, anchor_transaction_data, verify_evm_anchor
from .log import TRANSPARENCY_LOG_ENTRY, AnchorLog, TransparencyLogClient
from .merkle import MerkleTree, verify_consistency, verify_inclusion
from .receipt import ANCHOR_RECEIPT_TYPE, AnchorReceipt
from .tree_head import SignedTreeHead

__all__ = [
    "ANCHOR_RECEIPT_TYPE",
    "DIGEST_METHOD",
    "EVM_TRANSACTION",
    "TRANSPARENCY_LOG_ENTRY",
    "AnchorBatcher",
    "AnchorChecker",
    "AnchorLog",
    "AnchorNotFoundError",
    "AnchorReceipt",
    "AnchorVerificationError",
    "BatchInfo",
    "EvmLedger",
    "Ledger",
    "LedgerConfirmation",
    "LedgerRetrievalError",
    "LogIntegrityError",
    "MalformedReceiptError",
    "MerkleTree",
    "ReceiptLookup",
    "SignedTreeHead",
    "TransparencyLogClient",
    "anchor_transaction_data",
    "create_anchor_engine",
    "credential_digest",
    "sqlite_url",
    "verify_consistency",
    "verify_evm_anchor",
    "verify_inclusion",
]
