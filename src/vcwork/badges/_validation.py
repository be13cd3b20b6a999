"""Validate Open Badges 3.0 credentials against the bundled JSON schemas.

Validation runs offline: the schemas under ``schemas/`` are registered in a
local ``referencing`` registry that has no retrieve function, so a ``$ref``
to any other URI fails instead of being fetched. Two layers run:

1. JSON Schema (draft 2019-09). The vcwork envelope schema checks the VC Data
   Model 2.0 properties and takes every Open Badges class (Achievement,
   Profile, Criteria ...) from 1EdTech's published schema by ``$ref``.
   NOTE: that schema predates VC 2.0, so an endorsement embedded in an
   achievement or profile is checked for ``issuanceDate`` (see
   ``schemas/README.md``).
2. Rules a JSON schema cannot express: the contexts, the required ``type``
   values, criteria content, links between results and result descriptions,
   and the order of ``validFrom`` and ``validUntil``.

Each finding is a :class:`vcwork.errors.Problem` whose ``property`` is the
JSON path of the value, such as ``credentialSubject.achievement.criteria``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft201909Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT201909

from ..errors import MalformedValueError, Problem, RangeError
from ._common import is_date_time, parse_date_time
from ._credentials import OB_CONTEXT, VC_CONTEXT

__all__ = [
    "OB_SCHEMA_ID",
    "validate_endorsement_credential",
    "validate_open_badge_credential",
]

logger = logging.getLogger(__name__)

OB_SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
    "ob_v3p0_achievementcredential_schema.json"
)
_ENVELOPE_SCHEMA_ID = "urn:vcwork:schema:ob-v3p0-vcdm2"
_SCHEMA_FILES = (
    "ob_v3p0_achievementcredential_schema.json",
    "vcwork_ob_v3p0_vcdm2_schema.json",
)

# Every Open Badges 3.0 context URL 1EdTech has published; 3.0.3 is the one
# for VC Data Model 2.0 credentials, and the one vcwork writes.
OB_CONTEXTS = frozenset(
    {
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        OB_CONTEXT,
    }
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MALFORMED = MalformedValueError.code
_MALFORMED_TITLE = MalformedValueError.title


def validate_open_badge_credential(credential: Any) -> list[Problem]:
    """Return every problem found in an ``OpenBadgeCredential``; empty means valid.

    Checks structure only. Proofs, status and validity at a given time are
    checked by the verification pipeline.
    """
    problems = _schema_problems(credential, "AchievementCredential")
    if not isinstance(credential, Mapping):
        return problems
    problems += _check_contexts(credential)
    problems += _check_types(
        credential.get("type"),
        ("VerifiableCredential",),
        ("OpenBadgeCredential", "AchievementCredential"),
        property="type",
    )
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping):
        problems += _check_achievement_subject(subject)
    problems += _check_validity_period(credential)
    return problems


def validate_endorsement_credential(credential: Any) -> list[Problem]:
    """Return every problem found in an ``EndorsementCredential``; empty means valid."""
    problems = _schema_problems(credential, "EndorsementCredential")
    if not isinstance(credential, Mapping):
        return problems
    problems += _check_contexts(credential)
    problems += _check_types(
        credential.get("type"),
        ("VerifiableCredential", "EndorsementCredential"),
        (),
        property="type",
    )
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping):
        problems += _check_types(
            subject.get("type"),
            ("EndorsementSubject",),
            (),
            property="credentialSubject.type",
        )
    problems += _check_validity_period(credential)
    return problems


# --- JSON Schema layer ---------------------------------------------------


def _schema_problems(credential: Any, definition: str) -> list[Problem]:
    if not isinstance(credential, Mapping):
        return [
            _problem(
                f"a credential must be a JSON object, got {type(credential).__name__}",
                property=None,
                value=None,
            )
        ]
    validator = _validator(definition)
    try:
        errors = sorted(validator.iter_errors(credential), key=_error_sort_key)
    except (Unresolvable, RecursionError) as e:
        # NOTE: only a broken bundled schema or absurd nesting gets here.
        logger.debug("schema validation stopped: %s", e)
        return [_problem(f"schema validation failed: {e}", property=None, value=None)]
    problems: list[Problem] = []
    seen: set[tuple[str | None, str]] = set()
    for error in errors:
        for problem in _problems_from_error(error):
            key = (problem.property, problem.detail)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
    return problems


def _error_sort_key(error: ValidationError) -> str:
    return _json_path(error.absolute_path) or ""


@cache
def _validator(definition: str) -> Draft201909Validator:
    registry: Registry[Any] = Registry()
    folder = resources.files("vcwork.badges") / "schemas"
    for name in _SCHEMA_FILES:
        contents = json.loads((folder / name).read_text("utf-8"))
        registry = registry.with_resource(
            contents["$id"], DRAFT201909.create_resource(contents)
        )
    registry = registry.crawl()
    root = {"$ref": f"{_ENVELOPE_SCHEMA_ID}#/$defs/{definition}"}
    return Draft201909Validator(
        root, registry=registry, format_checker=_format_checker()
    )


def _format_checker() -> FormatChecker:
    # jsonschema checks "date-time" only when the optional rfc3339-validator
    # package is installed; this checker makes the result independent of it.
    # A format applies to strings only; the "type" keyword reports the rest.
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time_format)
    checker.checks("date")(_is_date_format)
    return checker


def _is_date_time_format(value: object) -> bool:
    return not isinstance(value, str) or is_date_time(value)


def _is_date_format(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _problems_from_error(error: ValidationError) -> Iterator[Problem]:
    path = _json_path(error.absolute_path)
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        for name in error.validator_value:
            if name not in instance:
                where = path or "the credential"
                yield _problem(
                    f"required property '{name}' is missing from {where}",
                    property=_join(path, name),
                    value=None,
                )
        return
    yield _problem(_describe(error, path), property=path, value=error.instance)


def _describe(error: ValidationError, path: str | None) -> str:
    where = path or "the credential"
    value = _short(error.instance)
    if error.validator == "format":
        return (
            f"{where} has value {value}, expected an RFC 3339 {error.validator_value} "
            "with a time zone, such as 2025-03-01T14:00:00Z"
        )
    if error.validator == "type":
        return (
            f"{where} is a JSON {_json_type(error.instance)}, "
            f"expected {error.validator_value}"
        )
    if error.validator in ("anyOf", "oneOf"):
        allowed = _allowed_values(error.validator_value)
        if allowed is not None:
            return f"{where} has value {value}, expected {allowed}"
        forms = "; ".join(sorted({sub.message for sub in error.context or ()}))
        return f"{where} has value {value}, which matches none of the allowed forms ({forms})"
    if error.validator == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return f"{where} has value {value}, expected one of {options}"
    if error.validator == "additionalProperties":
        return f"{where}: {error.message}; remove the property"
    return f"{where}: {error.message}"


def _allowed_values(subschemas: Sequence[Any]) -> str | None:
    """Describe an Open Badges extensible enumeration (an enum plus an ``ext:`` pattern)."""
    options: list[str] = []
    extensible = False
    for sub in subschemas:
        if not isinstance(sub, Mapping):
            return None
        if "enum" in sub:
            options += [str(v) for v in sub["enum"]]
        elif "pattern" in sub and "ext:" in str(sub["pattern"]):
            extensible = True
        else:
            return None
    text = "one of " + ", ".join(options)
    if extensible:
        text += ", or an extension value such as 'ext:MyValue'"
    return text


# --- rules the schema cannot express ------------------------------------


def _check_contexts(credential: Mapping[str, Any]) -> list[Problem]:
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not contexts:
        return []  # the schema layer already reports it
    problems = []
    if contexts[0] != VC_CONTEXT:
        problems.append(
            _problem(
                f"the first @context must be {VC_CONTEXT}, got {_short(contexts[0])}",
                property="@context[0]",
                value=contexts[0],
            )
        )
    if not any(isinstance(c, str) and c in OB_CONTEXTS for c in contexts):
        problems.append(
            _problem(
                f"@context must include the Open Badges 3.0 context {OB_CONTEXT}",
                property="@context",
                value=contexts,
            )
        )
    return problems


def _check_types(
    value: Any,
    required: Iterable[str],
    one_of: Sequence[str],
    *,
    property: str,
) -> list[Problem]:
    types = [value] if isinstance(value, str) else value
    if not isinstance(types, list):
        return []  # the schema layer reports a missing or malformed type
    problems = []
    for name in required:
        if name not in types:
            problems.append(
                _problem(
                    f"{property} must contain '{name}', got {_short(value)}",
                    property=property,
                    value=value,
                )
            )
    if one_of and not any(name in types for name in one_of):
        expected_types = " or ".join(f"'{name}'" for name in one_of)
        problems.append(
            _problem(
                f"{property} must contain {expected_types}, got {_short(value)}",
                property=property,
                value=value,
            )
        )
    return problems


def _check_achievement_subject(subject: Mapping[str, Any]) -> list[Problem]:
    problems = _check_types(
        subject.get("type"),
        ("AchievementSubject",),
        (),
        property="credentialSubject.type",
    )
    if "id" not in subject and not subject.get("identifier"):
        problems.append(
            _problem(
                "credentialSubject needs an id (the holder, usually a DID) "
                "or at least one identifier",
                property="credentialSubject.id",
                value=None,
            )
        )
    achievement = subject.get("achievement")
    if not isinstance(achievement, Mapping):
        return problems
    problems += _check_types(
        achievement.get("type"),
        ("Achievement",),
        (),
        property="credentialSubject.achievement.type",
    )
    criteria = achievement.get("criteria")
    if isinstance(criteria, Mapping) and not (
        _text(criteria.get("narrative")) or _text(criteria.get("id"))
    ):
        problems.append(
            _problem(
                "credentialSubject.achievement.criteria has neither a narrative "
                "nor an id; say what the holder did to earn the achievement",
                property="credentialSubject.achievement.criteria",
                value=criteria,
            )
        )
    problems += _check_result_links(subject, achievement)
    return problems


def _check_result_links(
    subject: Mapping[str, Any], achievement: Mapping[str, Any]
) -> list[Problem]:
    descriptions = achievement.get("resultDescription")
    known: dict[str, Mapping[str, Any]] = {}
    if isinstance(descriptions, list):
        for item in descriptions:
            if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                known[item["id"]] = item
    results = subject.get("result")
    if not isinstance(results, list):
        return []
    problems = []
    for index, result in enumerate(results):
        if not isinstance(result, Mapping):
            continue
        linked = result.get("resultDescription")
        if linked is None:
            continue
        path = f"credentialSubject.result[{index}]"
        if linked not in known:
            problems.append(
                _problem(
                    f"{path}.resultDescription {_short(linked)} is not the id of a "
                    "resultDescription of the achievement",
                    property=f"{path}.resultDescription",
                    value=linked,
                )
            )
            continue
        level = result.get("achievedLevel")
        levels = known[linked].get("rubricCriterionLevel")
        level_ids = {
            entry.get("id") for entry in levels or () if isinstance(entry, Mapping)
        }
        if level is not None and level not in level_ids:
            problems.append(
                _problem(
                    f"{path}.achievedLevel {_short(level)} is not the id of a "
                    f"rubricCriterionLevel of resultDescription {linked}",
                    property=f"{path}.achievedLevel",
                    value=level,
                )
            )
    return problems


def _check_validity_period(credential: Mapping[str, Any]) -> list[Problem]:
    start = credential.get("validFrom")
    end = credential.get("validUntil")
    if not isinstance(start, str) or not isinstance(end, str):
        return []  # the schema layer reports a missing or non-string date
    if not (is_date_time(start) and is_date_time(end)):
        return []  # the schema layer reports a malformed date
    if parse_date_time(end) > parse_date_time(start):
        return []
    return [
        Problem(
            code=RangeError.code,
            title=RangeError.title,
            detail=f"validUntil {end} must be later than validFrom {start}",
            property="validUntil",
            value=end,
        )
    ]


# --- helpers --------------------------------------------------------------


def _problem(detail: str, *, property: str | None, value: Any) -> Problem:
    return Problem(
        code=_MALFORMED,
        title=_MALFORMED_TITLE,
        detail=detail,
        property=property,
        value=value,
    )


def _json_path(parts: Iterable[Any]) -> str | None:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or None


def _join(path: str | None, name: str) -> str:
    return f"{path}.{name}" if path else name


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else type(value).__name__


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
