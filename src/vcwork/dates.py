"""XML Schema date-time values as the VC and Data Integrity specs use them.

VC Data Model 2.0 requires ``validFrom``/``validUntil`` to be
``xsd:dateTimeStamp`` (a time zone is mandatory); VC 1.1's ``issuanceDate``
and ``expirationDate`` are ``xsd:dateTime``, where a missing time zone is
read as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import MalformedValueError

__all__ = ["format_datetime", "parse_datetime", "utcnow"]

_DATETIME = re.compile(
    r"^(?P<date>-?\d{4,}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?$"
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_datetime(moment: datetime) -> str:
    """Format as ``YYYY-MM-DDTHH:MM:SSZ``, the form Data Integrity proofs use."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(
    value: object, *, property: str, require_timezone: bool = True
) -> datetime:
    """Parse an ``xsd:dateTimeStamp`` (or ``xsd:dateTime``) string to an aware datetime.

    Raises :class:`MalformedValueError` naming ``property`` when the value is
    not a string of that form or names an impossible date.
    """
    if not isinstance(value, str):
        raise MalformedValueError(
            f"{property} must be an XML Schema dateTime string, got "
            f"{type(value).__name__}",
            property=property,
            value=value,
        )
    match = _DATETIME.match(value)
    if match is None or (require_timezone and match["tz"] is None):
        expected = "e.g. 2026-01-31T09:30:00Z" + (
            ", with a time zone" if require_timezone else ""
        )
        raise MalformedValueError(
            f"{property} is not a valid XML Schema dateTime: got {value!r}, "
            f"expected {expected}",
            property=property,
            value=value,
        )
    text = f"{match['date']}T{match['time']}"
    frac = (match["frac"] or "")[:7]
    tz = match["tz"] or "Z"
    try:
        parsed = datetime.fromisoformat(text + frac + ("+00:00" if tz == "Z" else tz))
    except ValueError as e:
        raise MalformedValueError(
            f"{property} names an impossible date or time: {value!r}",
            property=property,
            value=value,
        ) from e
    return parsed
