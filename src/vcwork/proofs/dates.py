"""The ``created`` and ``expires`` timestamps of a Data Integrity proof.

Data Integrity 1.0, section 2.1 "Proofs": both are XML Schema 1.1
``dateTimeStamp`` strings, so a time zone (``Z`` or ``+hh:mm``) is required.
Proofs that vcwork creates use ``YYYY-MM-DDTHH:MM:SSZ``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ..errors import MalformedValueError

__all__ = ["format_date_time_stamp", "parse_date_time_stamp"]

# xsd:dateTimeStamp lexical form: a year of at least four digits, optional
# fractional seconds and a mandatory time zone offset.
_DATE_TIME_STAMP = re.compile(
    r"^(?P<date>\d{4,}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})"
    r"(?P<fraction>\.\d+)?(?P<zone>Z|[+-]\d{2}:\d{2})$"
)


def format_date_time_stamp(moment: datetime) -> str:
    """Format ``moment`` in UTC as ``YYYY-MM-DDTHH:MM:SSZ``, dropping microseconds.

    A naive datetime is taken to be UTC.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date_time_stamp(value: object, *, property: str) -> datetime:
    """Parse an ``xsd:dateTimeStamp`` string to a timezone-aware datetime.

    Raises :class:`MalformedValueError` naming ``property`` when the value is
    not a string, has no time zone or names an impossible date or time.
    """
    if not isinstance(value, str):
        raise MalformedValueError(
            f"{property} must be an XML Schema dateTimeStamp string, "
            f"got {type(value).__name__}",
            property=property,
            value=value,
        )
    match = _DATE_TIME_STAMP.match(value)
    if match is None:
        raise MalformedValueError(
            f"{property} is not an XML Schema dateTimeStamp: got {value!r}, "
            "expected a value such as 2024-05-01T12:00:00Z with a time zone",
            property=property,
            value=value,
        )
    # Python's datetime keeps at most six fractional digits.
    fraction = (match["fraction"] or "")[:7]
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    try:
        return datetime.fromisoformat(
            f"{match['date']}T{match['time']}{fraction}{zone}"
        )
    except ValueError as e:
        raise MalformedValueError(
            f"{property} names an impossible or unsupported date or time: {value!r}",
            property=property,
            value=value,
        ) from e
