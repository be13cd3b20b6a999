"""Reading and writing the JSON members of receipts, tree heads and proofs."""

from __future__ import annotations

from typing import Any

from ._errors import MalformedReceiptError
from .merkle import HASH_SIZE


def hash_from_hex(value: Any, *, property: str) -> bytes:
    """Decode a 32-byte hash written as 64 lowercase hex digits."""
    if not isinstance(value, str) or len(value) != 2 * HASH_SIZE:
        raise MalformedReceiptError(
            f"{property} must be a SHA-256 hash as 64 hex digits, got {value!r}",
            property=property,
            value=value,
        )
    try:
        return bytes.fromhex(value)
    except ValueError as e:
        raise MalformedReceiptError(
            f"{property} is not hexadecimal: {value!r}", property=property, value=value
        ) from e


def hashes_from_hex(value: Any, *, property: str) -> list[bytes]:
    """Decode a JSON array of hex hashes, such as an inclusion path."""
    if not isinstance(value, list):
        raise MalformedReceiptError(
            f"{property} must be an array of hex hashes, got {type(value).__name__}",
            property=property,
        )
    return [
        hash_from_hex(item, property=f"{property}[{i}]") for i, item in enumerate(value)
    ]


def hashes_to_hex(hashes: list[bytes]) -> list[str]:
    return [item.hex() for item in hashes]


def require_member(document: Any, name: str, kind: type, *, path: str) -> Any:
    """Return ``document[name]`` after checking that it exists and has type ``kind``."""
    where = f"{path}.{name}" if path else name
    if not isinstance(document, dict):
        raise MalformedReceiptError(
            f"{path or 'the receipt'} must be a JSON object, got {type(document).__name__}",
            property=path or None,
        )
    if name not in document:
        raise MalformedReceiptError(f"{where} is missing", property=where)
    value = document[name]
    # bool is a subclass of int, but true is never a valid size or index.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedReceiptError(
            f"{where} must be a {kind.__name__}, got {type(value).__name__}",
            property=where,
            value=value,
        )
    if kind is int and isinstance(value, int) and value < 0:
        raise MalformedReceiptError(
            f"{where} must not be negative, got {value}", property=where, value=value
        )
    return value
