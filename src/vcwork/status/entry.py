"""``BitstringStatusListEntry``: the ``credentialStatus`` object of a credential.

Bitstring Status List v1.0, section 2.1
(https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistentry).
The older ``StatusList2021Entry`` has the same properties and is read too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from ..errors import MalformedValueError

__all__ = [
    "BITSTRING_STATUS_LIST_ENTRY",
    "STATUS_LIST_2021_ENTRY",
    "STATUS_PURPOSES",
    "BitstringStatusListEntry",
    "StatusMessage",
    "status_entries",
]

BITSTRING_STATUS_LIST_ENTRY = "BitstringStatusListEntry"
STATUS_LIST_2021_ENTRY = "StatusList2021Entry"
_ENTRY_TYPES = (BITSTRING_STATUS_LIST_ENTRY, STATUS_LIST_2021_ENTRY)

# The purposes whose meaning section 2.1 fixes; any other string is allowed.
STATUS_PURPOSES = ("refresh", "revocation", "suspension", "message")

_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
_HEX_STATUS = re.compile(r"^0x[0-9a-fA-F]+$")

# A ``statusSize`` above this many bits would need 2**size status messages.
MAX_STATUS_SIZE = 16


@dataclass(frozen=True)
class StatusMessage:
    """One ``statusMessage`` item: the status value and its debugging message."""

    status: int
    message: str

    def to_json(self) -> dict[str, str]:
        return {"status": f"0x{self.status:x}", "message": self.message}


@dataclass(frozen=True)
class BitstringStatusListEntry:
    """A status entry: which bit(s) of which status list hold a credential's status."""

    status_purpose: str
    status_list_index: int
    status_list_credential: str
    id: str | None = None
    status_size: int = 1
    status_messages: tuple[StatusMessage, ...] = ()
    status_reference: str | None = None
    type: str = BITSTRING_STATUS_LIST_ENTRY

    def message_for(self, status: int) -> str:
        """Return the message of a status value ("set"/"unset" without ``statusMessage``)."""
        for item in self.status_messages:
            if item.status == status:
                return item.message
        if not self.status_messages:
            return "set" if status else "unset"
        return "undefined"

    def to_json(self) -> dict[str, Any]:
        """Render the entry as JSON, with ``statusListIndex`` as a base-10 string."""
        body: dict[str, Any] = {}
        if self.id is not None:
            body["id"] = self.id
        body["type"] = self.type
        body["statusPurpose"] = self.status_purpose
        body["statusListIndex"] = str(self.status_list_index)
        body["statusListCredential"] = self.status_list_credential
        if self.status_size != 1:
            body["statusSize"] = self.status_size
        if self.status_messages:
            body["statusMessage"] = [m.to_json() for m in self.status_messages]
        if self.status_reference is not None:
            body["statusReference"] = self.status_reference
        return body

    @classmethod
    def from_json(cls, data: object, *, property: str = "credentialStatus") -> Self:
        """Parse and check an entry; raise :class:`MalformedValueError` naming the property."""
        if not isinstance(data, dict):
            raise MalformedValueError(
                f"{property} must be an object, got {type(data).__name__}",
                property=property,
            )
        entry_type = data.get("type")
        types = entry_type if isinstance(entry_type, list) else [entry_type]
        known = [t for t in types if t in _ENTRY_TYPES]
        if not known:
            raise MalformedValueError(
                f"{property}.type must be {BITSTRING_STATUS_LIST_ENTRY}, got "
                f"{entry_type!r}",
                property=f"{property}.type",
                value=entry_type,
            )

        purpose = data.get("statusPurpose")
        if not isinstance(purpose, str) or not purpose:
            raise MalformedValueError(
                f"{property}.statusPurpose must be a non-empty string such as "
                f"'revocation', got {purpose!r}",
                property=f"{property}.statusPurpose",
                value=purpose,
            )

        url = data.get("statusListCredential")
        if not isinstance(url, str) or ":" not in url:
            raise MalformedValueError(
                f"{property}.statusListCredential must be the URL of a status list "
                f"credential, got {url!r}",
                property=f"{property}.statusListCredential",
                value=url,
            )
        entry_id = data.get("id")
        if entry_id is not None and (not isinstance(entry_id, str) or entry_id == url):
            raise MalformedValueError(
                f"{property}.id must be a URL other than the status list's URL, "
                f"got {entry_id!r}",
                property=f"{property}.id",
                value=entry_id,
            )

        size = _parse_status_size(data.get("statusSize", 1), property)
        messages = _parse_status_messages(data.get("statusMessage"), size, property)
        reference = data.get("statusReference")
        return cls(
            status_purpose=purpose,
            status_list_index=_parse_index(data.get("statusListIndex"), property),
            status_list_credential=url,
            id=entry_id,
            status_size=size,
            status_messages=messages,
            status_reference=reference if isinstance(reference, str) else None,
            type=known[0],
        )


def _parse_index(value: object, property: str) -> int:
    # The spec requires a base-10 string; a JSON integer is read too because
    # some deployed issuers write one. Twelve digits cover any list a
    # verifier would download, and keep int() away from huge inputs.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DECIMAL.match(value) and len(value) <= 12:
        return int(value)
    raise MalformedValueError(
        f"{property}.statusListIndex must be a base-10 integer string >= 0 such "
        f"as '94567' (at most 12 digits), got {str(value)[:40]!r}",
        property=f"{property}.statusListIndex",
        value=value,
    )


def _parse_status_size(value: object, property: str) -> int:
    if isinstance(value, str) and _DECIMAL.match(value):
        value = int(value)
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 1 <= value <= MAX_STATUS_SIZE
    ):
        return value
    raise MalformedValueError(
        f"{property}.statusSize must be an integer from 1 to {MAX_STATUS_SIZE}, "
        f"got {value!r}",
        property=f"{property}.statusSize",
        value=value,
    )


def _parse_status_messages(
    value: object, size: int, property: str
) -> tuple[StatusMessage, ...]:
    path = f"{property}.statusMessage"
    if value is None:
        if size > 1:
            raise MalformedValueError(
                f"{path} is missing; it is required when statusSize is {size}",
                property=path,
            )
        return ()
    expected = 1 << size
    if not isinstance(value, list) or len(value) != expected:
        count = len(value) if isinstance(value, list) else type(value).__name__
        raise MalformedValueError(
            f"{path} must be a list of {expected} items (2 ** statusSize), got {count}",
            property=path,
        )
    messages = []
    for position, item in enumerate(value):
        status = item.get("status") if isinstance(item, dict) else None
        message = item.get("message") if isinstance(item, dict) else None
        if not isinstance(status, str) or not _HEX_STATUS.match(status):
            raise MalformedValueError(
                f"{path}[{position}].status must be a hexadecimal string such as "
                f"'0x1', got {status!r}",
                property=f"{path}[{position}].status",
                value=status,
            )
        if not isinstance(message, str):
            raise MalformedValueError(
                f"{path}[{position}].message must be a string, got {message!r}",
                property=f"{path}[{position}].message",
                value=message,
            )
        messages.append(StatusMessage(int(status, 16), message))
    return tuple(messages)


def status_entries(credential: dict[str, Any]) -> list[tuple[str, object]]:
    """Return ``(property path, value)`` for each item of ``credentialStatus``."""
    value = credential.get("credentialStatus")
    if value is None:
        return []
    if isinstance(value, list):
        return [(f"credentialStatus[{i}]", item) for i, item in enumerate(value)]
    return [("credentialStatus", value)]


def status_messages_from(
    messages: Sequence[tuple[int, str]] | Sequence[StatusMessage] | None,
) -> tuple[StatusMessage, ...]:
    """Normalize ``(status, message)`` pairs or :class:`StatusMessage` items."""
    if not messages:
        return ()
    return tuple(
        m if isinstance(m, StatusMessage) else StatusMessage(int(m[0]), str(m[1]))
        for m in messages
    )
