"""Plain-language wording of verification checks for employers.

Each check of :class:`vcwork.credentials.VerificationResult` gets a label, a
category (``passed``, ``failed``, ``unavailable`` when a source could not be
reached, ``not_checked``) and a sentence an employer can act on. The
technical detail from the library is kept next to it.
"""

from __future__ import annotations

from typing import Any

from vcwork.credentials import Check

__all__ = ["UNAVAILABLE_CODES", "describe_check", "verdict_of"]

# Problem codes meaning "a source could not be reached", not "forged".
UNAVAILABLE_CODES = frozenset({"notFound", "STATUS_RETRIEVAL_ERROR"})

_LABELS = {
    "parse": "Readable document",
    "data_model": "Well-formed credential",
    "proof": "Signature",
    "issuer": "Issuer key",
    "validity_period": "Validity period",
    "status": "Revocation status",
    "anchor": "Ledger anchor",
    "holder_binding": "Holder binding",
    "subject_binding": "Issued to the holder",
    "challenge": "Answer to this request",
    "credentials": "Enclosed credentials",
}

# (check, category) -> sentence. Missing entries fall back to a generic one.
_PLAIN = {
    (
        "parse",
        "failed",
    ): "The document is not readable JSON, so nothing could be checked.",
    ("data_model", "passed"): "It has the structure a verifiable credential must have.",
    ("data_model", "failed"): "It is missing required parts or has invalid values, "
    "so it does not count as a valid credential.",
    ("proof", "passed"): "The content has not been changed since it was signed.",
    ("proof", "failed"): "The signature does not match the content: it was changed "
    "after signing, or the signature is not genuine. Do not rely on it.",
    ("proof", "unavailable"): "The signer's public key could not be fetched, so the "
    "signature could not be checked. This is not evidence of forgery; try again later.",
    (
        "issuer",
        "passed",
    ): "It was signed with a key that belongs to the issuer named on it.",
    (
        "issuer",
        "failed",
    ): "It was not signed by the issuer it names. Do not rely on it.",
    (
        "validity_period",
        "passed",
    ): "It is within the period the issuer made it valid for.",
    ("validity_period", "failed"): "It has expired or is not valid yet.",
    ("status", "passed"): "The issuer has not revoked or suspended it.",
    ("status", "failed"): "The issuer has revoked or suspended it, or its status "
    "list is invalid.",
    ("status", "unavailable"): "The issuer's status list could not be reached, so we "
    "cannot tell whether it was revoked. This is not evidence of forgery; try again later.",
    ("status", "not_checked"): "Its revocation status was not checked.",
    ("anchor", "passed"): "Its fingerprint is recorded in the issuer's public ledger.",
    ("anchor", "failed"): "Its fingerprint does not match the issuer's public ledger.",
    ("anchor", "not_checked"): "Its fingerprint was not found in the issuer's public "
    "ledger (not anchored yet, or the ledger could not be reached); the signature "
    "check above does not depend on it.",
    ("holder_binding", "passed"): "The person who answered controls the key named "
    "as the holder.",
    ("holder_binding", "failed"): "The answer was not signed by the holder it names.",
    ("holder_binding", "not_checked"): "The presentation names no holder, so who "
    "presented it is unknown.",
    ("subject_binding", "passed"): "Every credential was issued to the person who "
    "presented it.",
    ("subject_binding", "not_checked"): "Some credentials name someone other than "
    "the presenter as their subject; ask the candidate about them.",
    ("subject_binding", "failed"): "Some credentials were issued to someone else.",
    ("challenge", "passed"): "The answer was made for this request, so it is not a "
    "copy of an older answer.",
    ("challenge", "failed"): "The answer was made for a different request or "
    "verifier (a replay or a mix-up). Do not rely on it.",
    ("challenge", "not_checked"): "It was shared as a link, not made for a request "
    "of yours; the holder proved control when they created the link.",
    ("credentials", "failed"): "Some enclosed items are not credentials this "
    "verifier can read.",
}


def _category(check: Check) -> str:
    if check.outcome == "passed":
        return "passed"
    if check.outcome == "not_checked":
        codes = {p.code for p in check.problems}
        return "unavailable" if codes and codes <= UNAVAILABLE_CODES else "not_checked"
    codes = {p.code for p in check.problems}
    if codes and codes <= UNAVAILABLE_CODES:
        return "unavailable"
    return "failed"


def describe_check(check: Check) -> dict[str, Any]:
    """Return the display form of a check: label, category, sentence and detail."""
    category = _category(check)
    label = _LABELS.get(check.name, check.name.replace("_", " ").capitalize())
    plain = _PLAIN.get((check.name, category))
    if plain is None:
        plain = {
            "passed": "Passed.",
            "failed": "Failed.",
            "unavailable": "Could not be checked because a source was unreachable.",
            "not_checked": "Not checked.",
        }[category]
    return {
        "name": check.name,
        "label": label,
        "outcome": check.outcome,
        "category": category,
        "plain": plain,
        "detail": check.detail,
        "problems": [p.to_json() for p in check.problems],
    }


def verdict_of(checks: list[dict[str, Any]]) -> str:
    """Return ``verified``, ``partial`` (something could not be checked) or ``failed``."""
    categories = {c["category"] for c in checks}
    if "failed" in categories:
        return "failed"
    if "unavailable" in categories:
        return "partial"
    return "verified"
