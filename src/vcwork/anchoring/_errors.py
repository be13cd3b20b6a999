"""Errors of ledger anchoring.

Anchoring has no W3C specification, so the codes reuse the VC Data Model's
problem types where one fits (``CRYPTOGRAPHIC_SECURITY_ERROR`` for a proof
that does not check out, ``MALFORMED_VALUE_ERROR`` for a malformed receipt).
``LEDGER_RETRIEVAL_ERROR`` is vcwork's own code, modeled on Bitstring Status
List's ``STATUS_RETRIEVAL_ERROR``: the ledger could not be reached, which is
neither a pass nor a forgery.
"""

from __future__ import annotations

from ..errors import CryptographicSecurityError, MalformedValueError, VcworkError

__all__ = [
    "AnchorNotFoundError",
    "AnchorVerificationError",
    "LedgerRetrievalError",
    "LogIntegrityError",
    "MalformedReceiptError",
]


class AnchorVerificationError(CryptographicSecurityError):
    """An anchor receipt does not check out: a digest, path, root or signature differs."""

    title = "Anchor verification error"


class LogIntegrityError(AnchorVerificationError):
    """A transparency log is not append-only: a consistency proof failed."""

    title = "Transparency log inconsistent"


class MalformedReceiptError(MalformedValueError):
    """An anchor receipt or ledger response is missing a member or has a wrong type."""

    title = "Malformed anchor receipt"


class AnchorNotFoundError(MalformedValueError):
    """The batcher or log has no record of a credential, batch or entry."""

    title = "Anchor record not found"


class LedgerRetrievalError(VcworkError):
    """The ledger could not be reached or timed out."""

    code = "LEDGER_RETRIEVAL_ERROR"
    title = "Ledger retrieval error"
