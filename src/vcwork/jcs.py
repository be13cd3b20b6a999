"""JSON Canonicalization Scheme (RFC 8785) with a fast path for common documents.

The ``rfc8785`` package implements the whole scheme in Python. Credentials
rarely need its hard parts. Their numbers are small integers and their
strings are in the Basic Multilingual Plane. There, sorting by code point (as
Python does) equals RFC 8785's sort by UTF-16 code unit, and ``json.dumps``
escapes exactly the characters RFC 8785 escapes. Documents
with floats, large integers, astral or surrogate characters take the
``rfc8785`` path, so both paths give identical bytes (checked in the tests).
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

__all__ = ["canonicalize_json"]

# Integers that ECMAScript's Number prints exactly, the same way Python does.
_MAX_SAFE_INTEGER = 2**53 - 1


def _is_plain(value: Any) -> bool:
    """Return whether ``json.dumps`` writes ``value`` exactly as RFC 8785 does."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not _is_bmp_text(item):
                return False
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str) or not _is_bmp_text(key):
                    return False
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > _MAX_SAFE_INTEGER:
                return False
        else:
            return False
    return True


def _is_bmp_text(text: str) -> bool:
    # Astral characters sort differently in UTF-16, and surrogates are invalid.
    return text.isascii() or all(
        ord(c) < 0xD800 or 0xE000 <= ord(c) <= 0xFFFF for c in text
    )


def canonicalize_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises ``rfc8785.CanonicalizationError`` (or ``TypeError``) for values
    RFC 8785 cannot represent, such as NaN or a lone surrogate.
    """
    if _is_plain(value):
        text = json.dumps(
            value, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return text.encode("utf-8")
    return rfc8785.dumps(value)
