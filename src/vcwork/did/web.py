"""The did:web method: DID to URL mapping, issuer documents and resolution.

Follows the did:web Method Specification (W3C Credentials Community Group,
https://w3c-ccg.github.io/did-method-web/). ``did:web:example.com`` names the
document at ``https://example.com/.well-known/did.json`` and
``did:web:example.com%3A8443:user:alice`` the one at
``https://example.com:8443/user/alice/did.json``.

Resolution fetches over HTTPS with httpx, imported only when a did:web DID is
actually fetched. Plain HTTP is used only for loopback host names, and only
when the caller sets ``DidWebOptions(allow_http_loopback=True)``.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

from ..errors import DidResolutionError
from ..keys import Ed25519KeyPair, Ed25519PublicKeyMaterial
from .document import (
    DID_CONTEXT_V1,
    MULTIKEY_CONTEXT_V1,
    VERIFICATION_RELATIONSHIPS,
    absolute_id,
    validate_did_document,
)
from .syntax import parse_did

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DidWebOptions",
    "create_did_web_document",
    "did_web_to_url",
    "resolve_did_web",
    "url_to_did_web",
]

logger = logging.getLogger(__name__)

DID_WEB_PREFIX = "did:web:"
_LOOPBACK_NAMES = ("localhost",)
_ACCEPT = "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8"
_JSON_MEDIA_TYPES = (
    "application/did+json",
    "application/did+ld+json",
    "application/json",
    "application/ld+json",
)
# RFC 3986 unreserved characters plus the sub-delims, ":" and "@" (pchar): the
# characters a URL path segment may contain unencoded.
_PATH_SAFE = "-._~!$&'()*+,;=:@"
_DEFAULT_RELATIONSHIPS = ("assertionMethod", "authentication")


# -- DID <-> URL ------------------------------------------------------------


def _invalid(did: str, reason: str) -> DidResolutionError:
    return DidResolutionError(
        f"{did!r} is not a valid did:web DID: {reason}", error="invalidDid", value=did
    )


def _is_ip_address(host: str) -> bool:
    """Return whether the system resolver would read ``host`` as an IP address.

    ``inet_aton`` also accepts short and hexadecimal forms such as ``127.1``
    and ``0x7f.0.0.1``. It parses locally and sends nothing on the network.
    """
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def _check_host_name(did: str, host: str) -> None:
    """Check a host name against the LDH rules of RFC 1035 and RFC 1123."""
    if len(host) > 253:
        raise _invalid(did, "the domain name is longer than 253 characters")
    labels = host.split(".")
    for label in labels:
        if not label:
            raise _invalid(did, f"the domain name {host!r} has an empty label")
        if len(label) > 63:
            raise _invalid(did, f"the label {label!r} is longer than 63 characters")
        if label.startswith("-") or label.endswith("-"):
            raise _invalid(did, f"the label {label!r} starts or ends with '-'")
        if not all(c.isascii() and (c.isalnum() or c == "-") for c in label):
            raise _invalid(
                did,
                f"the label {label!r} may contain only letters, digits and '-'; "
                "write internationalized names in their xn-- (punycode) form",
            )
        if label.lower().startswith("xn--"):
            try:
                label[4:].encode("ascii").decode("punycode")
            except UnicodeError as e:
                raise _invalid(did, f"the label {label!r} is not valid punycode") from e
    if labels[-1].isdigit() or _is_ip_address(host):
        raise _invalid(
            did,
            f"{host!r} is an IP address; the did:web specification allows only "
            "domain names",
        )


def _split_host(did: str, segment: str) -> tuple[str, int | None]:
    """Decode the host segment: a domain name and an optional ``%3A`` port."""
    if "%" in segment.replace("%3A", "").replace("%3a", ""):
        raise _invalid(
            did,
            "the domain name may not contain percent-encoded characters other "
            "than '%3A' before a port",
        )
    host, separator, port_text = segment.replace("%3a", "%3A").partition("%3A")
    _check_host_name(did, host)
    if not separator:
        return host.lower(), None
    if not port_text.isascii() or not port_text.isdigit() or len(port_text) > 5:
        raise _invalid(did, f"the port {port_text!r} is not a number")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise _invalid(did, f"the port {port} is outside 1-65535")
    return host.lower(), port


def _decode_path_segment(did: str, segment: str) -> str:
    """Percent-decode a path segment, check it and re-encode it for a URL path."""
    if not segment:
        raise _invalid(did, "it has an empty path segment ('::' or a trailing ':')")
    try:
        text = unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError as e:
        raise _invalid(
            did, f"the path segment {segment!r} does not decode to UTF-8"
        ) from e
    if text in (".", ".."):
        raise _invalid(did, f"the path segment {segment!r} is a dot segment")
    if any(c in "/\\?#" or ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise _invalid(
            did,
            f"the path segment {segment!r} decodes to a '/', '\\', '?', '#' or "
            "control character",
        )
    return quote(text, safe=_PATH_SAFE)


def _parse_did_web(did: str) -> tuple[str, int | None, list[str]]:
    if isinstance(did, str) and not did.isascii():
        raise _invalid(
            did,
            "it contains non-ASCII characters; write internationalized domain "
            "names in their xn-- (punycode) form and percent-encode paths",
        )
    parsed = parse_did(did)
    if parsed.method != "web":
        raise _invalid(did, f"the method is {parsed.method!r}, expected 'web'")
    host_segment, *path_segments = parsed.method_specific_id.split(":")
    host, port = _split_host(did, host_segment)
    path = [_decode_path_segment(did, segment) for segment in path_segments]
    return host, port, path


def did_web_to_url(did: str) -> str:
    """Return the HTTPS URL of a did:web DID's document.

    Implements steps 1-5 of the did:web Read (Resolve) operation. Raises
    ``invalidDid`` for DIDs that do not follow the did:web and DID Core
    syntax, for IP addresses, empty or dot path segments and percent-encoded
    separators.
    """
    host, port, path = _parse_did_web(did)
    authority = host if port is None else f"{host}:{port}"
    if not path:
        return f"https://{authority}/.well-known/did.json"
    return f"https://{authority}/{'/'.join(path)}/did.json"


def _encode_did_segment(text: str) -> str:
    # DID Core idchar is ALPHA / DIGIT / "." / "-" / "_". Everything else is
    # percent-encoded, ":" included, because ":" separates path segments.
    # quote() never encodes "~", so that one is replaced by hand.
    return quote(text, safe="-._").replace("~", "%7E")


def url_to_did_web(url: str) -> str:
    """Return the did:web DID whose document is served at ``url``.

    Accepts the document URL (``https://example.com/.well-known/did.json``,
    ``https://example.com/user/alice/did.json``) or the base it lives under
    (``https://example.com``, ``https://example.com/user/alice``). Plain
    ``http`` is accepted only for loopback host names. Internationalized host
    names are converted to their xn-- form.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError) as e:
        raise DidResolutionError(
            f"{url!r} is not a valid URL: {e}", error="invalidDid", value=url
        ) from e
    if parts.scheme not in ("https", "http"):
        raise DidResolutionError(
            f"{url!r} must be an https URL", error="invalidDid", value=url
        )
    host = parts.hostname or ""
    if parts.scheme == "http" and not _is_loopback_name(host):
        raise DidResolutionError(
            f"{url!r} uses plain http; did:web documents are served over https "
            "(http is accepted only for localhost)",
            error="invalidDid",
            value=url,
        )
    if parts.username is not None or parts.password is not None:
        raise DidResolutionError(
            f"{url!r} contains user information; remove the part before '@'",
            error="invalidDid",
            value=url,
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise DidResolutionError(
            f"{url!r} has a query or fragment; a did:web URL has neither",
            error="invalidDid",
            value=url,
        )
    if not host.isascii():
        import idna

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as e:
            raise DidResolutionError(
                f"{url!r} has an invalid internationalized host name: {e}",
                error="invalidDid",
                value=url,
            ) from e
    path = parts.path
    if path in ("/.well-known/did.json", "/"):
        path = ""
    elif path.endswith("/did.json"):
        path = path[: -len("/did.json")]
    elif path.endswith("/"):
        path = path[:-1]
    try:
        segments = [unquote_to_bytes(s).decode("utf-8") for s in path.split("/")]
    except UnicodeDecodeError as e:
        raise DidResolutionError(
            f"{url!r} has a path that does not decode to UTF-8",
            error="invalidDid",
            value=url,
        ) from e
    did = DID_WEB_PREFIX + _encode_did_segment(host)
    if port is not None:
        did += f"%3A{port}"
    for segment in segments[1:]:
        did += ":" + _encode_did_segment(segment)
    did_web_to_url(did)  # rejects what the forward mapping would reject
    return did


# -- documents for issuers ----------------------------------------------------


def _method_id(did: str, key: Ed25519KeyPair | Ed25519PublicKeyMaterial) -> str:
    key_id = key.id if isinstance(key, Ed25519KeyPair) else None
    if not key_id:
        return f"{did}#{key.public_key_multibase}"
    method_id = absolute_id(key_id, did)
    if not method_id.startswith(did + "#") or method_id == did + "#":
        raise DidResolutionError(
            f"key id {key_id!r} is not a fragment of {did}; use '#name' or "
            f"'{did}#name'",
            error="invalidDidUrl",
            value=key_id,
        )
    return method_id


def create_did_web_document(
    did: str,
    keys: Sequence[Ed25519KeyPair | Ed25519PublicKeyMaterial],
    *,
    relationships: Sequence[str] | Mapping[str, Sequence[str]] = (
        _DEFAULT_RELATIONSHIPS
    ),
) -> dict[str, Any]:
    """Build the DID document an issuer serves for a did:web DID.

    Every key becomes a ``Multikey`` verification method. Its id is the key
    pair's ``id`` (``#key-1`` or an absolute DID URL) or, without one,
    ``<did>#<publicKeyMultibase>``. ``relationships`` is either a list applied
    to every key or a mapping from method id (absolute or ``#fragment``) to
    that key's relationships. To keep credentials signed with a retired key
    verifiable after a rotation, keep the old key in ``keys`` and its
    ``assertionMethod`` entry. The result is checked with pydid.
    """
    did_web_to_url(did)
    if not keys:
        raise DidResolutionError(
            "a did:web document needs at least one key", error="invalidDidDocument"
        )
    methods: list[dict[str, Any]] = []
    for key in keys:
        method_id = _method_id(did, key)
        if any(method["id"] == method_id for method in methods):
            raise DidResolutionError(
                f"two keys have the verification method id {method_id}",
                error="invalidDidDocument",
                value=method_id,
            )
        methods.append(
            {
                "id": method_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key_multibase,
            }
        )

    if isinstance(relationships, str):
        relationships = (relationships,)
    if isinstance(relationships, Mapping):
        per_method = {absolute_id(k, did): list(v) for k, v in relationships.items()}
        unknown = set(per_method) - {method["id"] for method in methods}
        if unknown:
            raise DidResolutionError(
                f"relationships name unknown verification methods: {sorted(unknown)}",
                error="invalidDidDocument",
            )
    else:
        per_method = {method["id"]: list(relationships) for method in methods}
    for names in per_method.values():
        for name in names:
            if name not in VERIFICATION_RELATIONSHIPS:
                raise DidResolutionError(
                    f"{name!r} is not a verification relationship; use one of "
                    f"{', '.join(VERIFICATION_RELATIONSHIPS)}",
                    error="invalidDidDocument",
                    value=name,
                )

    document: dict[str, Any] = {
        "@context": [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1],
        "id": did,
        "verificationMethod": methods,
    }
    for relationship in VERIFICATION_RELATIONSHIPS:
        listed = [
            m["id"] for m in methods if relationship in per_method.get(m["id"], ())
        ]
        if listed:
            document[relationship] = listed
    return validate_did_document(document, did=did)


# -- resolution ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DidWebOptions:
    """Settings for fetching did:web documents.

    ``client`` is an ``httpx.Client`` to send requests with (its own TLS and
    proxy settings apply). ``transport`` is an ``httpx.BaseTransport`` for a
    client that vcwork creates. Set at most one of them. ``timeout`` (seconds)
    limits connecting and each network read, and the whole body must arrive
    within it. ``max_response_bytes`` limits the body size, checked while the
    body streams in. ``allow_http_loopback`` lets a DID on a loopback host name
    (``localhost``) be fetched over plain http, for development and tests.
    ``max_redirects`` limits same-origin redirects.
    """

    client: httpx.Client | None = None
    transport: httpx.BaseTransport | None = None
    timeout: float = 5.0
    max_response_bytes: int = 256 * 1024
    allow_http_loopback: bool = False
    max_redirects: int = 3

    def __post_init__(self) -> None:
        if self.client is not None and self.transport is not None:
            raise ValueError("DidWebOptions takes a client or a transport, not both")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")
        if self.max_response_bytes < 1:
            raise ValueError(
                f"max_response_bytes must be positive, got {self.max_response_bytes}"
            )
        if self.max_redirects < 0:
            raise ValueError(
                f"max_redirects must be 0 or more, got {self.max_redirects}"
            )


def _is_loopback_name(host: str) -> bool:
    # RFC 6761, section 6.3: "localhost" and names under ".localhost" are
    # loopback names. IP addresses are not listed because did:web forbids them.
    host = host.lower().rstrip(".")
    return host in _LOOPBACK_NAMES or host.endswith(".localhost")


def _not_found(did: str, url: str, reason: str) -> DidResolutionError:
    return DidResolutionError(
        f"could not resolve {did}: {reason} (fetching {url})",
        error="notFound",
        value=did,
    )


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _next_url(did: str, url: str, location: str | None) -> str:
    """Return the target of a redirect, which must stay on the same origin."""
    import httpx

    if not location:
        raise _not_found(did, url, "a redirect response has no Location header")
    current = httpx.URL(url)
    target = current.join(location)
    if (target.scheme, target.host, target.port) != (
        current.scheme,
        current.host,
        current.port,
    ):
        raise _not_found(
            did,
            url,
            f"the server redirects to another origin ({target.scheme}://"
            f"{target.host}); did:web follows redirects only on the same host",
        )
    return str(target)


def _read_body(
    did: str,
    url: str,
    response: httpx.Response,
    options: DidWebOptions,
    deadline: float,
) -> bytes:
    """Read a response body, enforcing the size limit and the overall deadline."""
    limit = options.max_response_bytes
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _not_found(
            did, url, f"the document is {declared} bytes; the limit is {limit} bytes"
        )
    body = bytearray()
    # NOTE: the deadline is checked only between body chunks. Before the body,
    # httpx limits each network operation separately, so a server that
    # trickles its headers can take longer than ``timeout`` in total.
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise _not_found(
                did, url, f"the document is larger than the limit of {limit} bytes"
            )
        if time.monotonic() > deadline:
            raise _not_found(
                did, url, f"reading the document timed out after {options.timeout} s"
            )
    return bytes(body)


def _fetch(did: str, url: str, options: DidWebOptions) -> bytes:
    import httpx

    client = options.client or httpx.Client(transport=options.transport)
    deadline = time.monotonic() + options.timeout
    try:
        for _ in range(options.max_redirects + 1):
            logger.debug("fetching did:web document %s", url)
            with client.stream(
                "GET",
                url,
                headers={"Accept": _ACCEPT},
                timeout=options.timeout,
                follow_redirects=False,
            ) as response:
                if response.is_redirect:
                    url = _next_url(did, url, response.headers.get("location"))
                    continue
                if response.status_code != 200:
                    raise _not_found(
                        did, url, f"the server returned HTTP {response.status_code}"
                    )
                media_type = _media_type(response.headers.get("content-type"))
                if media_type not in _JSON_MEDIA_TYPES:
                    raise DidResolutionError(
                        f"could not resolve {did}: the server returned content "
                        f"type {media_type or 'none'!r}, expected "
                        f"{' or '.join(_JSON_MEDIA_TYPES)} (fetching {url})",
                        error="representationNotSupported",
                        value=did,
                    )
                return _read_body(did, url, response, options, deadline)
        raise _not_found(
            did, url, f"the server sent more than {options.max_redirects} redirects"
        )
    except httpx.TimeoutException as e:
        raise _not_found(
            did, url, f"the request timed out after {options.timeout} s"
        ) from e
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as e:
        raise _not_found(
            did, url, f"the request failed: {e or type(e).__name__}"
        ) from e
    finally:
        if options.client is None:
            client.close()


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(did: str, url: str, body: bytes) -> object:
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise DidResolutionError(
            f"could not resolve {did}: the document at {url} is not valid JSON: {e}",
            error="representationNotSupported",
            value=did,
        ) from e


def resolve_did_web(did: str, *, options: DidWebOptions) -> dict[str, Any]:
    """Fetch and check the DID document of a did:web DID.

    Implements the did:web Read (Resolve) operation, then checks that the
    document is a JSON object whose ``id`` is ``did`` and that pydid accepts
    it. Redirects are followed only on the same origin. Every failure is a
    :class:`DidResolutionError`.
    """
    url = did_web_to_url(did)
    if options.allow_http_loopback and _is_loopback_name(urlsplit(url).hostname or ""):
        url = "http://" + url[len("https://") :]
    body = _fetch(did, url, options)
    document = _parse_json(did, url, body)
    return validate_did_document(document, did=did)
