"""The processing errors of Bitstring Status List v1.0, section 3.5.

``MALFORMED_VALUE_ERROR`` and ``RANGE_ERROR`` come from the VC Data Model and
live in :mod:`vcwork.errors`; the three status errors are defined here.
"""

from __future__ import annotations

from ..errors import STATUS_LIST_PROBLEM_TYPE_BASE, MalformedValueError, VcworkError

__all__ = [
    "STATUS_PROBLEM_TYPE_BASE",
    "StatusChangeError",
    "StatusEntryNotFoundError",
    "StatusListError",
    "StatusListLengthError",
    "StatusRetrievalError",
    "StatusVerificationError",
]

# Bitstring Status List v1.0, section 3.5: the problem ``type`` URL of its own
# errors starts with this value. The Recommendation assigns them no numeric
# code (the -128/-129/-130 codes of earlier drafts were removed).
STATUS_PROBLEM_TYPE_BASE = STATUS_LIST_PROBLEM_TYPE_BASE


class StatusListError(VcworkError):
    """Base of the errors that Bitstring Status List v1.0 names itself."""


class StatusRetrievalError(StatusListError):
    """The status list credential could not be retrieved."""

    code = "STATUS_RETRIEVAL_ERROR"
    title = "Status list retrieval error"


class StatusVerificationError(StatusListError):
    """The status list credential or the status entry did not validate."""

    code = "STATUS_VERIFICATION_ERROR"
    title = "Status verification error"


class StatusListLengthError(StatusListError):
    """The status list is shorter than the minimum needed for herd privacy."""

    code = "STATUS_LIST_LENGTH_ERROR"
    title = "Status list too short"


class StatusEntryNotFoundError(MalformedValueError):
    """The status list store has no entry for a credential id and purpose."""

    title = "Status entry not found"


class StatusChangeError(MalformedValueError):
    """A status change is not allowed, such as reinstating a revoked credential."""

    title = "Status change not allowed"
