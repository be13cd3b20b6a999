"""Data model checks of VC Data Model 2.0 (and 1.1 for reading).

Each check returns :class:`Problem` values naming the property and its value
rather than raising, so a verifier can report every problem at once.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Literal

from ..dates import parse_datetime
from ..errors import MalformedValueError, Problem

__all__ = [
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "DataModelVersion",
    "credential_subject_ids",
    "data_model_version",
    "is_url",
    "issuer_id",
    "types_of",
    "validate_credential",
    "validate_presentation",
    "validity_period",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"

DataModelVersion = Literal["2.0", "1.1"]

# A URL in the sense of VC Data Model 2.0 section 4.4: an absolute URL with a
# scheme and no whitespace (urn:uuid:, did:, https: ...).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")


def is_url(value: object) -> bool:
    return isinstance(value, str) and _URL.match(value) is not None


def _malformed(prop: str, detail: str, value: Any = None) -> Problem:
    return MalformedValueError(detail, property=prop, value=value).to_problem()


def types_of(document: dict[str, Any]) -> list[str]:
    """Return the ``type`` values as a list (a single string becomes one item)."""
    value = document.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def data_model_version(document: dict[str, Any]) -> DataModelVersion | None:
    """Return which VC Data Model the first ``@context`` entry selects."""
    context = document.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    if first == VC_V2_CONTEXT:
        return "2.0"
    if first == VC_V1_CONTEXT:
        return "1.1"
    return None


def issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        value = issuer.get("id")
        return value if isinstance(value, str) else None
    return issuer if isinstance(issuer, str) else None


def credential_subject_ids(credential: dict[str, Any]) -> list[str]:
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    return [
        s["id"]
        for s in subjects
        if isinstance(s, dict) and isinstance(s.get("id"), str)
    ]


def _check_context(document: dict[str, Any]) -> list[Problem]:
    context = document.get("@context")
    if context is None:
        return [
            _malformed(
                "@context",
                f"@context is missing; the first entry must be {VC_V2_CONTEXT!r} "
                f"(or {VC_V1_CONTEXT!r} for VC 1.1)",
            )
        ]
    if data_model_version(document) is None:
        first = context[0] if isinstance(context, list) and context else context
        return [
            _malformed(
                "@context[0]",
                f"the first @context entry must be {VC_V2_CONTEXT!r} (or "
                f"{VC_V1_CONTEXT!r} for VC 1.1), got {first!r}",
                first,
            )
        ]
    problems = []
    if isinstance(context, list):
        for index, entry in enumerate(context):
            if not isinstance(entry, (str, dict)):
                problems.append(
                    _malformed(
                        f"@context[{index}]",
                        "each @context entry must be a URL or a context object, "
                        f"got {type(entry).__name__}",
                        entry,
                    )
                )
    return problems


def _check_type(document: dict[str, Any], required: str) -> list[Problem]:
    value = document.get("type")
    if value is None:
        return [_malformed("type", f"type is missing; it must include {required!r}")]
    if not isinstance(value, (str, list)) or (
        isinstance(value, list) and not all(isinstance(v, str) for v in value)
    ):
        return [_malformed("type", "type must be a string or a list of strings", value)]
    if required not in types_of(document):
        return [
            _malformed("type", f"type must include {required!r}, got {value!r}", value)
        ]
    return []


def _check_optional_url(
    document: dict[str, Any], prop: str, path: str
) -> list[Problem]:
    if prop in document and not is_url(document[prop]):
        return [
            _malformed(
                path,
                f"{path} must be a URL (e.g. urn:uuid:..., https://...)",
                document[prop],
            )
        ]
    return []


def _check_typed_objects(document: dict[str, Any], prop: str) -> list[Problem]:
    """Check properties like ``credentialStatus`` whose values need a ``type``."""
    if prop not in document:
        return []
    value = document[prop]
    items = value if isinstance(value, list) else [value]
    problems = []
    for index, item in enumerate(items):
        path = f"{prop}[{index}]" if isinstance(value, list) else prop
        if not isinstance(item, dict):
            problems.append(_malformed(path, f"{path} must be an object", item))
            continue
        if "type" not in item:
            problems.append(_malformed(f"{path}.type", f"{path} has no type"))
        problems.extend(_check_optional_url(item, "id", f"{path}.id"))
    return problems


def _check_subjects(credential: dict[str, Any]) -> list[Problem]:
    subject = credential.get("credentialSubject")
    if subject is None:
        return [_malformed("credentialSubject", "credentialSubject is missing")]
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects:
        return [_malformed("credentialSubject", "credentialSubject is an empty list")]
    problems = []
    for index, item in enumerate(subjects):
        path = (
            f"credentialSubject[{index}]"
            if isinstance(subject, list)
            else ("credentialSubject")
        )
        if not isinstance(item, dict) or not item:
            problems.append(
                _malformed(path, f"{path} must be a non-empty object", item)
            )
            continue
        problems.extend(_check_optional_url(item, "id", f"{path}.id"))
    return problems


def _check_issuer(credential: dict[str, Any]) -> list[Problem]:
    issuer = credential.get("issuer")
    if issuer is None:
        return [
            _malformed(
                "issuer", "issuer is missing; it must be a URL or an object with an id"
            )
        ]
    if isinstance(issuer, dict):
        if not is_url(issuer.get("id")):
            return [
                _malformed("issuer.id", "issuer.id must be a URL", issuer.get("id"))
            ]
        return []
    if not is_url(issuer):
        return [
            _malformed("issuer", "issuer must be a URL or an object with an id", issuer)
        ]
    return []


def validity_period(
    credential: dict[str, Any],
) -> tuple[datetime | None, datetime | None, list[Problem]]:
    """Return (validFrom, validUntil) and problems; 1.1 dates for 1.1 credentials."""
    version = data_model_version(credential)
    if version == "1.1":
        start_prop, end_prop, strict = "issuanceDate", "expirationDate", False
    else:
        start_prop, end_prop, strict = "validFrom", "validUntil", True
    problems: list[Problem] = []
    parsed: dict[str, datetime | None] = {start_prop: None, end_prop: None}
    for prop in (start_prop, end_prop):
        if prop not in credential:
            continue
        try:
            parsed[prop] = parse_datetime(
                credential[prop], property=prop, require_timezone=strict
            )
        except MalformedValueError as e:
            problems.append(e.to_problem())
    if version == "1.1" and "issuanceDate" not in credential:
        problems.append(
            _malformed("issuanceDate", "a VC 1.1 credential must have issuanceDate")
        )
    start, end = parsed[start_prop], parsed[end_prop]
    if start is not None and end is not None and end < start:
        problems.append(
            _malformed(
                end_prop,
                f"{end_prop} {credential[end_prop]!r} is before "
                f"{start_prop} {credential[start_prop]!r}",
                credential[end_prop],
            )
        )
    return start, end, problems


# JSON-LD keywords a credential may use as written. The rest either carry
# text that no signature covers (@index), or move data where a JSON reader
# of the VC data model does not look (@id for id, @nest, @set, @graph ...).
_ALLOWED_KEYWORDS = frozenset({"@context", "@value", "@language", "@direction"})


def _check_keywords(document: dict[str, Any]) -> list[Problem]:
    """Report JSON-LD keywords outside the compacted form the data model reads.

    Also reports NaN and Infinity, which Python's JSON parser accepts but JSON
    does not allow.
    """
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack and len(problems) < 10:
        value, path = stack.pop()
        if isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
            continue
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(
                _malformed(
                    path or "$",
                    f"{value!r} is not a valid JSON number (NaN and Infinity are "
                    "not allowed)",
                )
            )
            continue
        if not isinstance(value, dict):
            continue
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            if key == "@context":
                continue
            if key.startswith("@") and key not in _ALLOWED_KEYWORDS:
                problems.append(
                    _malformed(
                        child_path,
                        f"the JSON-LD keyword {key} is not accepted in a "
                        "credential; write the data in compacted form (id, type, "
                        "plain properties), because a signature does not cover "
                        "every keyword and JSON readers skip them",
                    )
                )
            stack.append((child, child_path))
    return problems


def validate_credential(credential: Any) -> list[Problem]:
    """Check a credential against the VC Data Model's required properties and forms."""
    if not isinstance(credential, dict):
        return [
            _malformed(
                "$",
                f"a credential must be a JSON object, got {type(credential).__name__}",
            )
        ]
    problems = _check_context(credential)
    problems += _check_keywords(credential)
    problems += _check_type(credential, "VerifiableCredential")
    problems += _check_optional_url(credential, "id", "id")
    problems += _check_issuer(credential)
    problems += _check_subjects(credential)
    problems += validity_period(credential)[2]
    for prop in (
        "credentialStatus",
        "credentialSchema",
        "evidence",
        "termsOfUse",
        "refreshService",
    ):
        problems += _check_typed_objects(credential, prop)
    return problems


def validate_presentation(presentation: Any) -> list[Problem]:
    """Check a presentation's required properties; its credentials are checked apart."""
    if not isinstance(presentation, dict):
        return [
            _malformed(
                "$",
                "a presentation must be a JSON object, got "
                f"{type(presentation).__name__}",
            )
        ]
    problems = _check_context(presentation)
    problems += _check_keywords(
        {k: v for k, v in presentation.items() if k != "verifiableCredential"}
    )
    problems += _check_type(presentation, "VerifiablePresentation")
    problems += _check_optional_url(presentation, "id", "id")
    holder = presentation.get("holder")
    if isinstance(holder, dict):
        problems += _check_optional_url(holder, "id", "holder.id")
    elif holder is not None and not is_url(holder):
        problems.append(_malformed("holder", "holder must be a URL", holder))
    credentials = presentation.get("verifiableCredential", [])
    if not isinstance(credentials, (list, dict)):
        problems.append(
            _malformed(
                "verifiableCredential",
                "verifiableCredential must be an object or a list of objects",
                credentials,
            )
        )
    return problems
