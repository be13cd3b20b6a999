"""Unsigned ``OpenBadgeCredential`` and ``EndorsementCredential`` documents.

Both are VC Data Model 2.0 credentials with the Open Badges 3.0.3 context.
Every property they use is defined by those two contexts, so the documents
canonicalize (RDFC-1.0) without dropping or guessing any term. Signing is a
separate step (see ``vcwork.proofs``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import MalformedValueError, RangeError
from ._achievement import Achievement
from ._common import (
    RESULT_STATUS_TYPES,
    Alignment,
    Image,
    Profile,
    as_tuple,
    check_vocabulary,
    format_date_time,
    parse_date_time,
    put,
    require_text,
    require_uri,
)

__all__ = [
    "OB_CONTEXT",
    "VC_CONTEXT",
    "AchievementSubject",
    "EndorsementSubject",
    "Evidence",
    "Result",
    "endorsement_credential",
    "open_badge_credential",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@dataclass(frozen=True, kw_only=True)
class Result:
    """A result the holder achieved, linked to one of the achievement's
    ``resultDescription`` entries by its id."""

    result_description: str | None = None
    value: str | None = None
    status: str | None = None
    achieved_level: str | None = None
    alignment: Sequence[Alignment] = ()

    def __post_init__(self) -> None:
        if self.status is not None:
            check_vocabulary(
                self.status,
                RESULT_STATUS_TYPES,
                property="result.status",
                extensible=False,
            )
        object.__setattr__(self, "alignment", as_tuple(self.alignment))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": ["Result"]}
        put(data, "resultDescription", self.result_description)
        put(data, "value", self.value)
        put(data, "status", self.status)
        put(data, "achievedLevel", self.achieved_level)
        put(data, "alignment", [a.to_json() for a in self.alignment])
        return data


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """Evidence of the holder's work: a URL (``id``) and/or a description of it."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    genre: str | None = None
    audience: str | None = None

    def __post_init__(self) -> None:
        if self.id is None and self.narrative is None and self.name is None:
            raise MalformedValueError(
                "evidence needs at least an id (URL), a name or a narrative",
                property="evidence",
            )
        if self.id is not None:
            require_uri(self.id, property="evidence.id")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": ["Evidence"]}
        put(data, "id", self.id)
        put(data, "name", self.name)
        put(data, "description", self.description)
        put(data, "narrative", self.narrative)
        put(data, "genre", self.genre)
        put(data, "audience", self.audience)
        return data


@dataclass(frozen=True, kw_only=True)
class AchievementSubject:
    """The holder of an OpenBadgeCredential and what they achieved.

    ``id`` identifies the holder, usually a DID. Open Badges 3.0 places
    evidence on the credential rather than on the subject, so
    ``open_badge_credential()`` writes ``evidence`` to the credential's
    ``evidence`` property and ``to_json()`` leaves it out.
    """

    id: str
    achievement: Achievement
    result: Sequence[Result] = ()
    evidence: Sequence[Evidence] = ()
    activity_start_date: datetime | str | None = None
    activity_end_date: datetime | str | None = None
    image: Image | None = None

    def __post_init__(self) -> None:
        require_uri(self.id, property="credentialSubject.id")
        object.__setattr__(self, "result", as_tuple(self.result))
        object.__setattr__(self, "evidence", as_tuple(self.evidence))
        for name in ("activity_start_date", "activity_end_date"):
            value = getattr(self, name)
            if value is not None:
                camel = "activityStartDate" if "start" in name else "activityEndDate"
                formatted = format_date_time(
                    value, property=f"credentialSubject.{camel}"
                )
                object.__setattr__(self, name, formatted)
        self._check_result_links()

    def _check_result_links(self) -> None:
        known = {d.id for d in self.achievement.result_description}
        for index, result in enumerate(self.result):
            linked = result.result_description
            if linked is not None and linked not in known:
                raise MalformedValueError(
                    f"result[{index}].resultDescription {linked!r} is not the id of "
                    "a resultDescription of the achievement",
                    property=f"credentialSubject.result[{index}].resultDescription",
                    value=linked,
                )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": ["AchievementSubject"],
            "achievement": self.achievement.to_json(),
        }
        put(data, "result", [result.to_json() for result in self.result])
        put(data, "activityStartDate", self.activity_start_date)
        put(data, "activityEndDate", self.activity_end_date)
        if self.image is not None:
            data["image"] = self.image.to_json()
        return data


@dataclass(frozen=True, kw_only=True)
class EndorsementSubject:
    """The subject of an endorsement (an achievement, a profile or a credential),
    with the endorser's comment in Markdown."""

    id: str
    endorsement_comment: str | None = None

    def __post_init__(self) -> None:
        require_uri(self.id, property="credentialSubject.id")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": ["EndorsementSubject"]}
        put(data, "endorsementComment", self.endorsement_comment)
        return data


def open_badge_credential(
    *,
    id: str,
    issuer: Profile,
    subject: AchievementSubject,
    valid_from: datetime | str,
    valid_until: datetime | str | None = None,
    name: str | None = None,
    description: str | None = None,
    credential_status: Mapping[str, Any] | None = None,
    image: Image | None = None,
) -> dict[str, Any]:
    """Build an unsigned Open Badges 3.0 ``OpenBadgeCredential``.

    ``name`` defaults to the achievement's name. ``credential_status`` is a
    status entry such as a ``BitstringStatusListEntry`` and is copied as given.
    Raises :class:`MalformedValueError` for a bad id or date and
    :class:`RangeError` when ``valid_until`` is not after ``valid_from``.
    """
    credential = _envelope(
        id=id,
        types=["VerifiableCredential", "OpenBadgeCredential"],
        issuer=issuer,
        name=name if name is not None else subject.achievement.name,
        description=description,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if image is not None:
        credential["image"] = image.to_json()
    credential["credentialSubject"] = subject.to_json()
    put(credential, "evidence", [item.to_json() for item in subject.evidence])
    if credential_status is not None:
        credential["credentialStatus"] = dict(credential_status)
    return credential


def endorsement_credential(
    *,
    id: str,
    issuer: Profile,
    subject: EndorsementSubject,
    valid_from: datetime | str,
    valid_until: datetime | str | None = None,
    name: str,
    description: str | None = None,
    credential_status: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build an unsigned Open Badges 3.0 ``EndorsementCredential``.

    ``issuer`` is the endorser, for example an employer or a union that vouches
    for an achievement of the program. Errors are as for
    :func:`open_badge_credential`.
    """
    credential = _envelope(
        id=id,
        types=["VerifiableCredential", "EndorsementCredential"],
        issuer=issuer,
        name=name,
        description=description,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    credential["credentialSubject"] = subject.to_json()
    if credential_status is not None:
        credential["credentialStatus"] = dict(credential_status)
    return credential


def _envelope(
    *,
    id: str,
    types: list[str],
    issuer: Profile,
    name: str,
    description: str | None,
    valid_from: datetime | str,
    valid_until: datetime | str | None,
) -> dict[str, Any]:
    require_uri(id, property="id")
    require_text(name, property="name")
    start = format_date_time(valid_from, property="validFrom")
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": id,
        "type": types,
        "name": name,
    }
    put(credential, "description", description)
    credential["issuer"] = issuer.to_json()
    credential["validFrom"] = start
    if valid_until is not None:
        end = format_date_time(valid_until, property="validUntil")
        if parse_date_time(end) <= parse_date_time(start):
            raise RangeError(
                f"validUntil {end} must be later than validFrom {start}",
                property="validUntil",
                value=end,
            )
        credential["validUntil"] = end
    return credential
