"""Errors and problem details named by the specifications.

Every error carries a ``code``: a problem type from the VC Data Model 2.0
(section 7.1, "Problem Details"), Data Integrity 1.0 (section 4.7,
"Processing Errors"), Bitstring Status List 1.0 or DID Resolution. Public
``verify_*`` functions collect these as :class:`Problem` values instead of
raising them.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PROBLEM_TYPE_BASE",
    "CryptographicSecurityError",
    "DidResolutionError",
    "DocumentLoaderError",
    "InvalidChallengeError",
    "InvalidDomainError",
    "InvalidKeyError",
    "MalformedValueError",
    "ParsingError",
    "Problem",
    "ProofGenerationError",
    "ProofTransformationError",
    "ProofVerificationError",
    "RangeError",
    "VcworkError",
]

# VC Data Model 2.0, section 7.1: problem types are URLs under this base;
# the Data Integrity ones live under the security vocabulary.
PROBLEM_TYPE_BASE = "https://www.w3.org/TR/vc-data-model#"
SECURITY_PROBLEM_TYPE_BASE = "https://w3id.org/security#"
# Bitstring Status List 1.0, section 3.5, names its own problem types.
STATUS_LIST_PROBLEM_TYPE_BASE = "https://www.w3.org/ns/credentials/status-list#"
_STATUS_LIST_CODES = {
    "STATUS_RETRIEVAL_ERROR",
    "STATUS_VERIFICATION_ERROR",
    "STATUS_LIST_LENGTH_ERROR",
}
# DID Resolution names its errors in camelCase (invalidDid, notFound, ...).
DID_PROBLEM_TYPE_BASE = "https://www.w3.org/ns/did#"

# Numeric codes that VC Data Model 2.0 and Data Integrity 1.0 assign.
_NUMERIC_CODES = {
    "PARSING_ERROR": -64,
    "CRYPTOGRAPHIC_SECURITY_ERROR": -65,
    "MALFORMED_VALUE_ERROR": -66,
    "RANGE_ERROR": -67,
    "PROOF_GENERATION_ERROR": -16,
    "PROOF_VERIFICATION_ERROR": -17,
    "PROOF_TRANSFORMATION_ERROR": -18,
    "INVALID_DOMAIN_ERROR": -19,
    "INVALID_CHALLENGE_ERROR": -20,
}

_SECURITY_CODES = {
    "INVALID_VERIFICATION_METHOD",
    "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD",
    "PROOF_GENERATION_ERROR",
    "PROOF_VERIFICATION_ERROR",
    "PROOF_TRANSFORMATION_ERROR",
    "INVALID_DOMAIN_ERROR",
    "INVALID_CHALLENGE_ERROR",
}


def problem_type_url(code: str) -> str:
    """Return the problem type URL for a spec problem code."""
    if code in _SECURITY_CODES:
        return SECURITY_PROBLEM_TYPE_BASE + code
    if code in _STATUS_LIST_CODES:
        return STATUS_LIST_PROBLEM_TYPE_BASE + code
    if code[:1].islower():
        return DID_PROBLEM_TYPE_BASE + code
    return PROBLEM_TYPE_BASE + code


@dataclass(frozen=True)
class Problem:
    """One problem found while verifying, in the shape of RFC 9457 problem details.

    ``code`` is the spec's name (``MALFORMED_VALUE_ERROR``); ``property`` is a
    JSON path such as ``credentialSubject.achievement.name`` or ``proof[0].created``.
    """

    code: str
    title: str
    detail: str
    property: str | None = None
    value: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @builtins.property
    def type(self) -> str:
        return problem_type_url(self.code)

    def to_json(self) -> dict[str, Any]:
        """Render the problem as RFC 9457 problem details plus the spec code."""
        body: dict[str, Any] = {
            "type": self.type,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
        }
        numeric = _NUMERIC_CODES.get(self.code)
        if numeric is not None:
            body["status"] = numeric
        if self.property is not None:
            body["property"] = self.property
        if self.value is not None:
            body["value"] = _printable_value(self.value)
        body.update(self.extra)
        return body


def _printable_value(value: Any) -> Any:
    text = value if isinstance(value, str) else repr(value)
    if isinstance(value, (int, float, bool)):
        return value
    return text if len(text) <= 200 else text[:197] + "..."


class VcworkError(Exception):
    """Base of every error vcwork raises; ``code`` is the spec problem type."""

    code = "PARSING_ERROR"
    title = "Invalid input"

    def __init__(
        self, detail: str, *, property: str | None = None, value: Any = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.property = property
        self.value = value

    def to_problem(self) -> Problem:
        return Problem(
            code=self.code,
            title=self.title,
            detail=self.detail,
            property=self.property,
            value=self.value,
        )


class ParsingError(VcworkError):
    """The input is not well-formed JSON or JSON-LD."""

    code = "PARSING_ERROR"
    title = "Parsing error"


class CryptographicSecurityError(VcworkError):
    """A signature, key or digest check failed."""

    code = "CRYPTOGRAPHIC_SECURITY_ERROR"
    title = "Cryptographic security error"


class MalformedValueError(VcworkError):
    """A property has a value of the wrong type or form."""

    code = "MALFORMED_VALUE_ERROR"
    title = "Malformed value"


class RangeError(VcworkError):
    """A value is outside its permitted range, such as an expired validity period."""

    code = "RANGE_ERROR"
    title = "Value out of range"


class ProofGenerationError(VcworkError):
    code = "PROOF_GENERATION_ERROR"
    title = "Proof generation error"


class ProofVerificationError(VcworkError):
    code = "PROOF_VERIFICATION_ERROR"
    title = "Proof verification error"


class ProofTransformationError(VcworkError):
    code = "PROOF_TRANSFORMATION_ERROR"
    title = "Proof transformation error"


class InvalidDomainError(VcworkError):
    code = "INVALID_DOMAIN_ERROR"
    title = "Invalid domain"


class InvalidChallengeError(VcworkError):
    code = "INVALID_CHALLENGE_ERROR"
    title = "Invalid challenge"


class DocumentLoaderError(VcworkError):
    """A JSON-LD document (usually a context) could not be loaded."""

    code = "PARSING_ERROR"
    title = "JSON-LD document not loadable"


class DidResolutionError(VcworkError):
    """A DID or DID URL could not be resolved or dereferenced.

    ``code`` is one of DID Resolution's error names: ``invalidDid``, ``notFound``,
    ``methodNotSupported``, ``representationNotSupported``, ``invalidDidUrl``.
    """

    title = "DID resolution error"

    def __init__(
        self,
        detail: str,
        *,
        error: str = "notFound",
        property: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(detail, property=property, value=value)
        self.code = error


class InvalidKeyError(VcworkError):
    """A key is malformed or does not fit its use; the message never shows a secret."""

    code = "MALFORMED_VALUE_ERROR"
    title = "Invalid key"
