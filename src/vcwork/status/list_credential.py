"""``BitstringStatusListCredential``: build one, and read the list out of one.

Bitstring Status List v1.0, section 2.2
(https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential).
The older ``StatusList2021Credential`` (subject type ``StatusList2021``) is read too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..credentials.model import VC_V2_CONTEXT, issuer_id, types_of
from ..dates import format_datetime, utcnow
from ..errors import MalformedValueError
from ._errors import StatusVerificationError
from .bitstring import Bitstring

__all__ = [
    "BITSTRING_STATUS_LIST",
    "BITSTRING_STATUS_LIST_CREDENTIAL",
    "StatusList",
    "build_status_list_credential",
    "read_status_list",
]

BITSTRING_STATUS_LIST_CREDENTIAL = "BitstringStatusListCredential"
BITSTRING_STATUS_LIST = "BitstringStatusList"
_LEGACY_CREDENTIAL = "StatusList2021Credential"
_LEGACY_SUBJECT = "StatusList2021"


def build_status_list_credential(
    *,
    url: str,
    issuer: str,
    status_purpose: str | Sequence[str],
    bitstring: Bitstring,
    valid_from: datetime | None = None,
    valid_for: timedelta | None = None,
    ttl: timedelta | None = None,
) -> dict[str, Any]:
    """Return an unsigned VC 2.0 ``BitstringStatusListCredential`` (Generate Algorithm steps 2-4).

    ``url`` becomes the credential's ``id``, the URL it is published at.
    ``validUntil`` is ``valid_from + valid_for`` when ``valid_for`` is given,
    and ``ttl`` is written in milliseconds as the spec defines it.
    """
    start = valid_from or utcnow()
    subject: dict[str, Any] = {
        "id": f"{url}#list",
        "type": BITSTRING_STATUS_LIST,
        "statusPurpose": (
            status_purpose if isinstance(status_purpose, str) else list(status_purpose)
        ),
        "encodedList": bitstring.encode(),
    }
    if ttl is not None:
        subject["ttl"] = int(ttl.total_seconds() * 1000)
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", BITSTRING_STATUS_LIST_CREDENTIAL],
        "issuer": issuer,
        "validFrom": format_datetime(start),
    }
    if valid_for is not None:
        credential["validUntil"] = format_datetime(start + valid_for)
    credential["credentialSubject"] = subject
    return credential


@dataclass(frozen=True)
class StatusList:
    """The status list carried by a verified status list credential."""

    url: str
    issuer: str | None
    status_purposes: tuple[str, ...]
    bitstring: Bitstring
    ttl: timedelta | None
    valid_until: datetime | None


def read_status_list(
    credential: dict[str, Any], *, url: str, valid_until: datetime | None = None
) -> StatusList:
    """Check the shape of a status list credential and decode its list.

    Raises :class:`StatusVerificationError` when the credential is not a
    status list credential or names another URL as its ``id``, and
    :class:`MalformedValueError` for a malformed subject or ``encodedList``.
    """
    types = types_of(credential)
    if (
        BITSTRING_STATUS_LIST_CREDENTIAL not in types
        and _LEGACY_CREDENTIAL not in types
    ):
        raise StatusVerificationError(
            f"the document at {url} is not a {BITSTRING_STATUS_LIST_CREDENTIAL}: "
            f"its type is {types}",
            property="type",
            value=types,
        )
    credential_id = credential.get("id")
    if credential_id is not None and credential_id != url:
        raise StatusVerificationError(
            f"the status list credential fetched from {url} has the id "
            f"{credential_id!r}; it must be the URL it was fetched from",
            property="id",
            value=credential_id,
        )
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, dict):
        raise MalformedValueError(
            "credentialSubject of a status list credential must be one object",
            property="credentialSubject",
        )
    subject_types = subject.get("type")
    if subject_types not in (BITSTRING_STATUS_LIST, _LEGACY_SUBJECT) and not (
        isinstance(subject_types, list)
        and {BITSTRING_STATUS_LIST, _LEGACY_SUBJECT} & set(subject_types)
    ):
        raise MalformedValueError(
            f"credentialSubject.type must be {BITSTRING_STATUS_LIST}, got "
            f"{subject_types!r}",
            property="credentialSubject.type",
            value=subject_types,
        )
    return StatusList(
        url=url,
        issuer=issuer_id(credential),
        status_purposes=_purposes(subject.get("statusPurpose")),
        bitstring=Bitstring.decode(subject.get("encodedList")),
        ttl=_ttl(subject.get("ttl")),
        valid_until=valid_until,
    )


def _purposes(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        raise MalformedValueError(
            "credentialSubject.statusPurpose must be a string or a list of "
            f"strings, got {value!r}",
            property="credentialSubject.statusPurpose",
            value=value,
        )
    return tuple(str(item) for item in items)


def _ttl(value: object) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise MalformedValueError(
            f"credentialSubject.ttl must be a number of milliseconds >= 0, got {value!r}",
            property="credentialSubject.ttl",
            value=value,
        )
    return timedelta(milliseconds=value)
