"""Small Open Badges 3.0 value objects shared by achievements and credentials.

Field names are the spec's property names in snake_case, and ``to_json()`` renders
the camelCase JSON of the Open Badges 3.0 data model (context 3.0.3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import MalformedValueError

__all__ = [
    "Alignment",
    "Image",
    "Profile",
    "Related",
    "format_date_time",
    "is_date_time",
    "parse_date_time",
]

# RFC 3339 date-time with a mandatory offset: what JSON Schema's "date-time"
# format and VC Data Model 2.0's dateTimeStamp both require.
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)

# Open Badges ids and URLs are absolute, so a URI must start with a scheme.
_ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")


def is_date_time(value: object) -> bool:
    """Return whether ``value`` is an RFC 3339 date-time string with an offset."""
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return False
    try:
        parse_date_time(value)
    except ValueError:
        return False
    return True


def parse_date_time(value: str) -> datetime:
    """Parse a string that :func:`is_date_time` accepted into an aware datetime."""
    return datetime.fromisoformat(value.upper())


def format_date_time(value: datetime | str, *, property: str) -> str:
    """Render ``value`` as an RFC 3339 date-time, such as ``2025-03-01T14:00:00Z``.

    A ``datetime`` must be timezone-aware and is converted to UTC. A string is
    checked and kept as given.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise MalformedValueError(
                f"{property} must be a timezone-aware datetime, got {value!r}; "
                "pass e.g. datetime(..., tzinfo=timezone.utc)",
                property=property,
                value=str(value),
            )
        utc = value.astimezone(UTC).replace(microsecond=0)
        return utc.isoformat().replace("+00:00", "Z")
    if is_date_time(value):
        return value
    raise MalformedValueError(
        f"{property} must be an RFC 3339 date-time with a time zone such as "
        f"2025-03-01T14:00:00Z, got {value!r}",
        property=property,
        value=value,
    )


def require_text(value: object, *, property: str) -> str:
    """Return ``value`` if it is a non-blank string, else raise."""
    if not isinstance(value, str) or not value.strip():
        raise MalformedValueError(
            f"{property} must be a non-empty string, got {value!r}",
            property=property,
            value=value,
        )
    return value


def require_uri(value: object, *, property: str) -> str:
    """Return ``value`` if it is an absolute URI (``https:``, ``did:``, ``urn:``)."""
    if not isinstance(value, str) or not _ABSOLUTE_URI.match(value):
        raise MalformedValueError(
            f"{property} must be an absolute URI such as https://example.org/x "
            f"or a DID, got {value!r}",
            property=property,
            value=value,
        )
    return value


def put(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``data[key]`` unless ``value`` is None or an empty sequence."""
    if value is None:
        return
    if isinstance(value, (list, tuple)) and not value:
        return
    data[key] = value


def as_tuple(values: Iterable[Any] | None) -> tuple[Any, ...]:
    """Return ``values`` as a tuple, so frozen dataclasses stay hashable."""
    if values is None:
        return ()
    if isinstance(values, (str, bytes)):
        raise MalformedValueError(
            f"expected a list of values, got the single string {values!r}",
            value=values,
        )
    return tuple(values)


@dataclass(frozen=True, kw_only=True)
class Image:
    """An Open Badges ``Image``: the URI or data URI of a picture, with a caption."""

    id: str
    caption: str | None = None

    def __post_init__(self) -> None:
        require_uri(self.id, property="image.id")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "Image"}
        put(data, "caption", self.caption)
        return data


@dataclass(frozen=True, kw_only=True)
class Profile:
    """An Open Badges ``Profile``: the issuer, an endorser or an achievement creator."""

    id: str
    name: str
    url: str | None = None
    email: str | None = None
    description: str | None = None
    image: Image | None = None

    def __post_init__(self) -> None:
        require_uri(self.id, property="issuer.id")
        require_text(self.name, property="issuer.name")
        if self.url is not None:
            require_uri(self.url, property="issuer.url")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        put(data, "url", self.url)
        put(data, "email", self.email)
        put(data, "description", self.description)
        if self.image is not None:
            data["image"] = self.image.to_json()
        return data


@dataclass(frozen=True, kw_only=True)
class Alignment:
    """An Open Badges ``Alignment``: a link to a node of an external framework.

    ``target_type`` is from the spec's AlignmentTargetType vocabulary
    (``ceasn:Competency``, ``ceterms:Credential``, ``CFItem``, ``CFRubric``,
    ``CFRubricCriterion``, ``CFRubricCriterionLevel``, ``CTDL``) or an
    extension value starting with ``ext:``.
    """

    target_name: str
    target_url: str
    target_description: str | None = None
    target_framework: str | None = None
    target_code: str | None = None
    target_type: str | None = None

    def __post_init__(self) -> None:
        require_text(self.target_name, property="alignment.targetName")
        require_uri(self.target_url, property="alignment.targetUrl")
        if self.target_type is not None:
            check_vocabulary(
                self.target_type,
                ALIGNMENT_TARGET_TYPES,
                property="alignment.targetType",
            )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": ["Alignment"],
            "targetName": self.target_name,
            "targetUrl": self.target_url,
        }
        put(data, "targetDescription", self.target_description)
        put(data, "targetFramework", self.target_framework)
        put(data, "targetCode", self.target_code)
        put(data, "targetType", self.target_type)
        return data


@dataclass(frozen=True, kw_only=True)
class Related:
    """An Open Badges ``Related`` entry: the id of another achievement."""

    id: str
    version: str | None = None
    in_language: str | None = None

    def __post_init__(self) -> None:
        require_uri(self.id, property="related.id")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": ["Related"]}
        put(data, "version", self.version)
        put(data, "inLanguage", self.in_language)
        return data


# Open Badges 3.0 extensible enumerations. A value outside the list must use
# the spec's extension form: "ext:" followed by a name.
ACHIEVEMENT_TYPES = (
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
)

ALIGNMENT_TARGET_TYPES = (
    "ceasn:Competency",
    "ceterms:Credential",
    "CFItem",
    "CFRubric",
    "CFRubricCriterion",
    "CFRubricCriterionLevel",
    "CTDL",
)

RESULT_TYPES = (
    "GradePointAverage",
    "LetterGrade",
    "Percent",
    "PerformanceLevel",
    "PredictedScore",
    "RawScore",
    "Result",
    "RubricCriterion",
    "RubricCriterionLevel",
    "RubricScore",
    "ScaledScore",
    "Status",
)

RESULT_STATUS_TYPES = (
    "Completed",
    "Enrolled",
    "Failed",
    "InProgress",
    "OnHold",
    "Withdrew",
)

_EXTENSION_VALUE = re.compile(r"^ext:[A-Za-z0-9._\-]+$")


def check_vocabulary(
    value: object,
    allowed: tuple[str, ...],
    *,
    property: str,
    extensible: bool = True,
) -> str:
    """Return ``value`` if it is in ``allowed`` (or an ``ext:`` value), else raise."""
    if isinstance(value, str):
        if value in allowed:
            return value
        if extensible and _EXTENSION_VALUE.match(value):
            return value
    extension = " or an extension value such as 'ext:MyType'" if extensible else ""
    raise MalformedValueError(
        f"{property} {value!r} is not in the Open Badges 3.0 vocabulary; "
        f"expected one of {', '.join(allowed)}{extension}",
        property=property,
        value=value,
    )
