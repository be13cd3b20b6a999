"""Verifiable Credentials Data Model 2.0: issue, present and verify (1.1 verify too)."""

from __future__ import annotations

from .issue import (
    CredentialValidationError,
    create_presentation,
    issue_credential,
    sign_presentation,
)
from .model import (
    VC_V1_CONTEXT,
    VC_V2_CONTEXT,
    validate_credential,
    validate_presentation,
)
from .result import Check, VerificationResult
from .verify import (
    AnchorChecker,
    StatusChecker,
    parse_document,
    verify_credential,
    verify_presentation,
)

__all__ = [
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "AnchorChecker",
    "Check",
    "CredentialValidationError",
    "StatusChecker",
    "VerificationResult",
    "create_presentation",
    "issue_credential",
    "parse_document",
    "sign_presentation",
    "validate_credential",
    "validate_presentation",
    "verify_credential",
    "verify_presentation",
]
