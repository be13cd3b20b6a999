"""Data Integrity proofs: ``eddsa-rdfc-2022``, ``eddsa-jcs-2022`` and ``Ed25519Signature2020``.

:func:`sign` adds a proof to a document, and :func:`verify` checks every proof
of a secured document and returns a :class:`ProofSetResult`. Cryptosuites live
in one module each and are looked up through :mod:`vcwork.proofs.suites`.
"""

from __future__ import annotations

from .data_integrity import sign
from .suites import (
    Cryptosuite,
    CryptosuiteVerificationResult,
    VerificationMethodLike,
    find_cryptosuite,
    get_cryptosuite,
    register_cryptosuite,
    registered_cryptosuites,
    unregister_cryptosuite,
)
from .verification import (
    CLOCK_SKEW,
    ProofResult,
    ProofSetResult,
    VerificationMethodResolver,
    verify,
)

__all__ = [
    "CLOCK_SKEW",
    "Cryptosuite",
    "CryptosuiteVerificationResult",
    "ProofResult",
    "ProofSetResult",
    "VerificationMethodLike",
    "VerificationMethodResolver",
    "find_cryptosuite",
    "get_cryptosuite",
    "register_cryptosuite",
    "registered_cryptosuites",
    "sign",
    "unregister_cryptosuite",
    "verify",
]
