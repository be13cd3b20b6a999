"""DID and DID URL syntax, as DID Core 1.0 section 3 defines it.

The grammar this module checks::

    did                = "did:" method-name ":" method-specific-id
    method-name        = 1*( %x61-7A / DIGIT )
    method-specific-id = *( *idchar ":" ) 1*idchar
    idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
    did-url            = did path-abempty [ "?" query ] [ "#" fragment ]

Path, query and fragment follow RFC 3986.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DidResolutionError

__all__ = ["DidUrl", "is_did", "parse_did", "parse_did_url"]

_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID_PATTERN = rf"did:(?P<method>[a-z0-9]+):(?P<msid>(?:{_IDCHAR}|:)*{_IDCHAR})"
# RFC 3986 pchar, plus "/" and "?" for queries and fragments.
_PCHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"

_DID_RE = re.compile(_DID_PATTERN)
_DID_URL_RE = re.compile(
    rf"(?P<did>{_DID_PATTERN})"
    rf"(?P<path>(?:/{_PCHAR}*)*)"
    rf"(?:\?(?P<query>(?:{_PCHAR}|[/?])*))?"
    rf"(?:#(?P<fragment>(?:{_PCHAR}|[/?])*))?"
)

# NOTE: DID Core sets no maximum length. This cap only bounds the work spent on
# hostile input; real DIDs and DID URLs are far shorter.
MAX_DID_URL_LENGTH = 4096


@dataclass(frozen=True)
class DidUrl:
    """A parsed DID URL: the DID and its optional path, query and fragment."""

    did: str
    method: str
    method_specific_id: str
    path: str = ""
    query: str | None = None
    fragment: str | None = None


def _check_text(value: object, kind: str, error: str) -> str:
    if not isinstance(value, str):
        raise DidResolutionError(
            f"{kind} must be a string, got {type(value).__name__}", error=error
        )
    if len(value) > MAX_DID_URL_LENGTH:
        raise DidResolutionError(
            f"{kind} is {len(value)} characters long, over the limit of "
            f"{MAX_DID_URL_LENGTH}",
            error=error,
            value=value,
        )
    return value


def is_did(value: object) -> bool:
    """Return whether ``value`` is a DID (no path, query or fragment)."""
    return isinstance(value, str) and _DID_RE.fullmatch(value) is not None


def parse_did(did: object) -> DidUrl:
    """Parse a DID; raise ``invalidDid`` for anything else, DID URLs included."""
    text = _check_text(did, "a DID", "invalidDid")
    match = _DID_RE.fullmatch(text)
    if match is None:
        hint = ""
        if _DID_URL_RE.fullmatch(text):
            hint = " (this is a DID URL; remove its path, query and fragment)"
        raise DidResolutionError(
            f"{text!r} is not a valid DID{hint}: expected "
            "'did:<method>:<method-specific-id>' as DID Core 1.0 section 3.1 "
            "defines it",
            error="invalidDid",
            value=text,
        )
    return DidUrl(did=text, method=match["method"], method_specific_id=match["msid"])


def parse_did_url(did_url: object) -> DidUrl:
    """Parse a DID URL; raise ``invalidDidUrl`` when it does not match DID Core."""
    text = _check_text(did_url, "a DID URL", "invalidDidUrl")
    match = _DID_URL_RE.fullmatch(text)
    if match is None:
        raise DidResolutionError(
            f"{text!r} is not a valid DID URL: expected "
            "'did:<method>:<method-specific-id>[/path][?query][#fragment]'",
            error="invalidDidUrl",
            value=text,
        )
    return DidUrl(
        did=match["did"],
        method=match["method"],
        method_specific_id=match["msid"],
        path=match["path"],
        query=match["query"],
        fragment=match["fragment"],
    )
