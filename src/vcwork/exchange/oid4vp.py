"""OpenID for Verifiable Presentations 1.0 messages for ``ldp_vc`` credentials.

The verifier agent builds these messages and the wallet reads them, so both
sides share one definition:

- the Authorization Request, passed by reference (``request_uri``) as a
  Request Object (RFC 9101, JAR), with a DCQL query, a fresh ``nonce``,
  ``response_mode`` ``direct_post`` and a ``response_uri``;
- the link a QR code carries: ``openid4vp://?client_id=...&request_uri=...``;
- the Authorization Response the wallet POSTs to ``response_uri``
  (``vp_token`` as a JSON object keyed by Credential Query id, and ``state``);
- the share document a wallet serves behind a share link, which is vcwork's
  own format (see :class:`ShareDocument`).

Spec: https://openid.net/specs/openid-4-verifiable-presentations-1_0.html

The verifier uses the ``redirect_uri`` Client Identifier Prefix (section
5.9.3): ``client_id`` is ``redirect_uri:`` followed by the ``response_uri``,
and the request MUST NOT be signed. The Request Object is therefore an
unsecured JWT (``alg`` ``none``) with ``typ`` ``oauth-authz-req+jwt``.
For ``ldp_vc`` (appendix B.1.3.2) the presentation's proof carries the
``nonce`` as ``challenge`` and the full ``client_id`` as ``domain``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ..errors import VcworkError

__all__ = [
    "AUTHORIZATION_SCHEME",
    "FORMAT_LDP_VC",
    "REDIRECT_URI_PREFIX",
    "REQUEST_OBJECT_MEDIA_TYPE",
    "SHARE_DOCUMENT_TYPE",
    "AuthorizationRequest",
    "AuthorizationResponse",
    "CredentialQuery",
    "Oid4vpError",
    "ShareDocument",
    "authorization_link",
    "dcql_query",
    "decode_request_object",
    "encode_request_object",
    "expanded_types",
    "matches_credential_query",
    "new_nonce",
    "origin_of",
    "parse_authorization_link",
    "parse_dcql_query",
    "parse_direct_post_response",
    "sign_ldp_vp_response",
]

AUTHORIZATION_SCHEME = "openid4vp"
FORMAT_LDP_VC = "ldp_vc"
REDIRECT_URI_PREFIX = "redirect_uri:"
REQUEST_OBJECT_MEDIA_TYPE = "application/oauth-authz-req+jwt"
REQUEST_OBJECT_TYPE = "oauth-authz-req+jwt"
RESPONSE_TYPE_VP_TOKEN = "vp_token"
RESPONSE_MODE_DIRECT_POST = "direct_post"
# RFC 9101 and OpenID4VP section 5.8: the audience of a Request Object sent to
# a wallet that publishes no metadata of its own.
STATIC_WALLET_AUDIENCE = "https://self-issued.me/v2"
SHARE_DOCUMENT_TYPE = "VcworkPresentationShare"

# Proof types and cryptosuites the vcwork verifier accepts, as
# ``vp_formats_supported`` metadata (OpenID4VP appendix B.1.3.2.3).
LDP_VC_FORMAT_METADATA: dict[str, Any] = {
    "proof_type_values": ["DataIntegrityProof", "Ed25519Signature2020"],
    "cryptosuite_values": ["eddsa-rdfc-2022", "eddsa-jcs-2022"],
}

# Section 5.2: nonce and state use only the URL-safe ASCII characters.
_URL_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)
_MAX_ID_LENGTH = 256


class Oid4vpError(VcworkError):
    """An OpenID4VP message is malformed or does not fit the request.

    ``error`` is the OAuth 2.0 error code to send back (``invalid_request``,
    ``invalid_request_object``, ``access_denied`` ...).
    """

    code = "MALFORMED_VALUE_ERROR"
    title = "Invalid OpenID4VP message"

    def __init__(
        self,
        detail: str,
        *,
        error: str = "invalid_request",
        property: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(detail, property=property, value=value)
        self.error = error


def new_nonce() -> str:
    """Return a fresh nonce or state: 256 random bits, base64url without padding."""
    return secrets.token_urlsafe(32)


def _check_url_safe(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise Oid4vpError(
            f"{name} must be a non-empty string, got {type(value).__name__}",
            property=name,
        )
    if len(value) > _MAX_ID_LENGTH or not set(value) <= _URL_SAFE:
        raise Oid4vpError(
            f"{name} must be at most {_MAX_ID_LENGTH} URL-safe ASCII characters "
            "(letters, digits, '-', '.', '_', '~')",
            property=name,
            value=value,
        )
    return value


# -- DCQL ---------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialQuery:
    """One DCQL Credential Query for an ``ldp_vc`` credential (section 6.1).

    ``type_values`` lists alternatives: the credential matches when its fully
    expanded types contain every IRI of one alternative. ``claims`` are claim
    paths the verifier wants, such as ``("credentialSubject", "achievement")``.
    """

    id: str
    type_values: tuple[tuple[str, ...], ...]
    claims: tuple[tuple[str, ...], ...] = ()
    multiple: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "format": FORMAT_LDP_VC,
            "meta": {"type_values": [list(v) for v in self.type_values]},
        }
        if self.multiple:
            body["multiple"] = True
        if self.claims:
            body["claims"] = [{"path": list(path)} for path in self.claims]
        return body

    @classmethod
    def from_json(cls, value: Any, *, index: int = 0) -> CredentialQuery:
        where = f"dcql_query.credentials[{index}]"
        if not isinstance(value, dict):
            raise Oid4vpError(f"{where} must be an object", property=where)
        query_id = _check_url_safe(f"{where}.id", value.get("id"))
        if value.get("format") != FORMAT_LDP_VC:
            raise Oid4vpError(
                f"{where}.format is {value.get('format')!r}; vcwork supports only "
                f"{FORMAT_LDP_VC!r} queries",
                property=f"{where}.format",
                value=value.get("format"),
            )
        meta = value.get("meta")
        raw_types = meta.get("type_values") if isinstance(meta, dict) else None
        if (
            not isinstance(raw_types, list)
            or not raw_types
            or not all(
                isinstance(v, list) and v and all(isinstance(t, str) for t in v)
                for v in raw_types
            )
        ):
            raise Oid4vpError(
                f"{where}.meta.type_values must be a non-empty array of non-empty "
                "string arrays",
                property=f"{where}.meta.type_values",
            )
        claims: list[tuple[str, ...]] = []
        for claim in value.get("claims") or []:
            path = claim.get("path") if isinstance(claim, dict) else None
            if not isinstance(path, list) or not all(
                isinstance(p, (str, int)) or p is None for p in path
            ):
                raise Oid4vpError(
                    f"{where}.claims has an entry without a valid path",
                    property=f"{where}.claims",
                )
            claims.append(tuple(str(p) for p in path))
        return cls(
            id=query_id,
            type_values=tuple(tuple(v) for v in raw_types),
            claims=tuple(claims),
            multiple=value.get("multiple") is True,
        )


def dcql_query(queries: Sequence[CredentialQuery]) -> dict[str, Any]:
    """Return the ``dcql_query`` object for ``queries`` (section 6)."""
    return {"credentials": [q.to_json() for q in queries]}


def parse_dcql_query(value: Any) -> list[CredentialQuery]:
    """Read the Credential Queries of a ``dcql_query``; raise Oid4vpError if malformed."""
    credentials = value.get("credentials") if isinstance(value, dict) else None
    if not isinstance(credentials, list) or not credentials:
        raise Oid4vpError(
            "dcql_query.credentials must be a non-empty array",
            property="dcql_query.credentials",
        )
    queries = [CredentialQuery.from_json(q, index=i) for i, q in enumerate(credentials)]
    ids = [q.id for q in queries]
    if len(set(ids)) != len(ids):
        raise Oid4vpError(
            "dcql_query.credentials ids must be unique", property="dcql_query"
        )
    return queries


def expanded_types(credential: Mapping[str, Any], *, loader: Any = None) -> set[str]:
    """Return the credential's ``type`` values expanded to IRIs with its ``@context``.

    Types no context defines stay as they are, as DCQL ``type_values``
    matching requires. Raises :class:`Oid4vpError` when the context cannot
    be processed (for example a context that is not bundled).
    """
    from pyld import jsonld

    from ..jsonld.loader import default_loader

    document = {"@context": credential.get("@context"), "type": credential.get("type")}
    try:
        expanded = jsonld.expand(
            document, {"documentLoader": loader or default_loader(), "base": None}
        )
    except (jsonld.JsonLdError, VcworkError, TypeError, ValueError) as e:
        raise Oid4vpError(
            f"the credential's @context could not be processed to expand its types: {e}",
            property="@context",
        ) from e
    types: set[str] = set()
    for node in expanded:
        values = node.get("@type", []) if isinstance(node, dict) else []
        types.update(v for v in values if isinstance(v, str))
    return types


def matches_credential_query(
    query: CredentialQuery, credential: Mapping[str, Any], *, loader: Any = None
) -> bool:
    """Return whether ``credential`` satisfies one of the query's ``type_values``."""
    try:
        types = expanded_types(credential, loader=loader)
    except Oid4vpError:
        return False
    return any(set(alternative) <= types for alternative in query.type_values)


# -- Authorization Request ----------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    """An OpenID4VP Authorization Request with ``response_mode`` ``direct_post``.

    ``client_id`` includes its Client Identifier Prefix. ``expires_at`` and
    ``issued_at`` become the Request Object's ``exp`` and ``iat`` claims.
    """

    client_id: str
    response_uri: str
    nonce: str
    state: str
    dcql_query: dict[str, Any]
    expires_at: datetime
    issued_at: datetime
    client_metadata: dict[str, Any] = field(
        default_factory=lambda: {
            "vp_formats_supported": {FORMAT_LDP_VC: dict(LDP_VC_FORMAT_METADATA)}
        }
    )

    @classmethod
    def create(
        cls,
        *,
        response_uri: str,
        queries: Sequence[CredentialQuery],
        lifetime: timedelta = timedelta(minutes=10),
        now: datetime | None = None,
        client_name: str | None = None,
    ) -> AuthorizationRequest:
        """Create a request with a fresh nonce and state for the ``redirect_uri`` prefix."""
        issued_at = now or datetime.now(UTC)
        metadata: dict[str, Any] = {
            "vp_formats_supported": {FORMAT_LDP_VC: dict(LDP_VC_FORMAT_METADATA)}
        }
        if client_name:
            metadata["client_name"] = client_name
        return cls(
            client_id=REDIRECT_URI_PREFIX + response_uri,
            response_uri=response_uri,
            nonce=new_nonce(),
            state=new_nonce(),
            dcql_query=dcql_query(queries),
            expires_at=issued_at + lifetime,
            issued_at=issued_at,
            client_metadata=metadata,
        )

    @property
    def queries(self) -> list[CredentialQuery]:
        return parse_dcql_query(self.dcql_query)

    def to_claims(self) -> dict[str, Any]:
        """Return the Request Object's claims (section 5 parameters plus JWT claims)."""
        return {
            "aud": STATIC_WALLET_AUDIENCE,
            "iat": int(self.issued_at.timestamp()),
            "exp": int(self.expires_at.timestamp()),
            "response_type": RESPONSE_TYPE_VP_TOKEN,
            "response_mode": RESPONSE_MODE_DIRECT_POST,
            "client_id": self.client_id,
            "response_uri": self.response_uri,
            "nonce": self.nonce,
            "state": self.state,
            "dcql_query": self.dcql_query,
            "client_metadata": self.client_metadata,
        }

    @classmethod
    def from_claims(
        cls, claims: Any, *, now: datetime | None = None
    ) -> AuthorizationRequest:
        """Validate Request Object claims as a wallet must before it responds.

        Checks the response type and mode, the ``redirect_uri`` prefix (the
        ``client_id`` must be ``redirect_uri:`` plus the ``response_uri``),
        the nonce, state, DCQL query and expiry.
        """
        if not isinstance(claims, dict):
            raise Oid4vpError(
                "the Request Object payload must be a JSON object",
                error="invalid_request_object",
            )
        for name, expected in (
            ("response_type", RESPONSE_TYPE_VP_TOKEN),
            ("response_mode", RESPONSE_MODE_DIRECT_POST),
        ):
            if claims.get(name) != expected:
                raise Oid4vpError(
                    f"{name} is {claims.get(name)!r}, expected {expected!r}",
                    error="invalid_request_object",
                    property=name,
                )
        response_uri = claims.get("response_uri")
        client_id = claims.get("client_id")
        if not isinstance(response_uri, str) or not _is_http_url(response_uri):
            raise Oid4vpError(
                "response_uri must be an http(s) URL",
                error="invalid_request_object",
                property="response_uri",
                value=response_uri,
            )
        if client_id != REDIRECT_URI_PREFIX + response_uri:
            raise Oid4vpError(
                f"client_id {client_id!r} must be {REDIRECT_URI_PREFIX!r} followed by "
                "the response_uri (the redirect_uri Client Identifier Prefix)",
                error="invalid_client",
                property="client_id",
                value=client_id,
            )
        expires_at = _timestamp(claims, "exp")
        issued_at = _timestamp(claims, "iat")
        if (now or datetime.now(UTC)) >= expires_at:
            raise Oid4vpError(
                f"the request expired at {expires_at.isoformat()}",
                error="invalid_request_object",
                property="exp",
            )
        metadata = claims.get("client_metadata", {})
        if not isinstance(metadata, dict):
            raise Oid4vpError(
                "client_metadata must be a JSON object",
                error="invalid_request_object",
                property="client_metadata",
            )
        request = cls(
            client_id=client_id,
            response_uri=response_uri,
            nonce=_check_url_safe("nonce", claims.get("nonce")),
            state=_check_url_safe("state", claims.get("state")),
            dcql_query=claims.get("dcql_query"),  # type: ignore[arg-type]
            expires_at=expires_at,
            issued_at=issued_at,
            client_metadata=metadata,
        )
        request.queries  # noqa: B018 -- parses and validates the DCQL query
        return request


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def _timestamp(claims: Mapping[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Oid4vpError(
            f"{name} must be a NumericDate (integer seconds), got {value!r}",
            error="invalid_request_object",
            property=name,
        )
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise Oid4vpError(
            f"{name} is out of range: {value}",
            error="invalid_request_object",
            property=name,
        ) from e


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(segment: str, what: str) -> Any:
    try:
        padded = segment + "=" * (-len(segment) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError, RecursionError) as e:
        raise Oid4vpError(
            f"the Request Object {what} is not base64url-encoded JSON",
            error="invalid_request_object",
        ) from e


def encode_request_object(request: AuthorizationRequest) -> str:
    """Serialize the request as an unsecured JWT (``alg`` ``none``).

    NOTE: OpenID4VP forbids signing a request of the ``redirect_uri``
    prefix, and RFC 9101 allows an unsecured Request Object, so the JWT ends
    with an empty signature segment.
    """
    header = {"alg": "none", "typ": REQUEST_OBJECT_TYPE}
    encoded_header = _b64url(json.dumps(header, separators=(",", ":")).encode())
    payload = json.dumps(request.to_claims(), separators=(",", ":")).encode()
    return f"{encoded_header}.{_b64url(payload)}."


def decode_request_object(
    token: str, *, now: datetime | None = None
) -> AuthorizationRequest:
    """Parse and validate an unsecured Request Object of the ``redirect_uri`` prefix."""
    if not isinstance(token, str) or len(token) > 64 * 1024:
        raise Oid4vpError(
            "the Request Object must be a JWT string of at most 64 KiB",
            error="invalid_request_object",
        )
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise Oid4vpError(
            f"the Request Object must have 3 dot-separated parts, got {len(parts)}",
            error="invalid_request_object",
        )
    header = _b64url_json(parts[0], "header")
    if not isinstance(header, dict) or header.get("typ") != REQUEST_OBJECT_TYPE:
        raise Oid4vpError(
            f"the Request Object header must have typ {REQUEST_OBJECT_TYPE!r}",
            error="invalid_request_object",
        )
    if header.get("alg") != "none" or parts[2]:
        raise Oid4vpError(
            "a request with the redirect_uri Client Identifier Prefix must not be "
            "signed (expected alg 'none' and an empty signature)",
            error="invalid_request_object",
        )
    return AuthorizationRequest.from_claims(_b64url_json(parts[1], "payload"), now=now)


def authorization_link(
    *, client_id: str, request_uri: str, scheme: str = AUTHORIZATION_SCHEME
) -> str:
    """Return the link a QR code carries: ``openid4vp://?client_id=...&request_uri=...``."""
    query = urlencode({"client_id": client_id, "request_uri": request_uri})
    return f"{scheme}://?{query}"


def parse_authorization_link(link: str) -> tuple[str, str]:
    """Return ``(client_id, request_uri)`` from an authorization link.

    Accepts any scheme (``openid4vp://`` or a wallet's https universal link).
    """
    if not isinstance(link, str) or len(link) > 8192:
        raise Oid4vpError("the authorization link must be a string of at most 8 KiB")
    values = parse_qs(urlsplit(link.strip()).query, keep_blank_values=True)
    client_id = values.get("client_id", [""])[0]
    request_uri = values.get("request_uri", [""])[0]
    if not client_id or not request_uri:
        raise Oid4vpError(
            "the authorization link must carry client_id and request_uri",
            value=link[:200],
        )
    if not _is_http_url(request_uri):
        raise Oid4vpError(
            "request_uri must be an http(s) URL",
            property="request_uri",
            value=request_uri,
        )
    return client_id, request_uri


# -- Authorization Response ---------------------------------------------------


@dataclass(frozen=True)
class AuthorizationResponse:
    """An Authorization Response sent with ``direct_post`` (section 8.2).

    ``vp_token`` maps each Credential Query id to its presentations. An
    error response has ``error`` set and an empty ``vp_token``.
    """

    state: str | None
    vp_token: dict[str, list[Any]]
    error: str | None = None
    error_description: str | None = None

    def to_form(self) -> dict[str, str]:
        """Return the ``application/x-www-form-urlencoded`` fields to POST."""
        form: dict[str, str] = {}
        if self.error is not None:
            form["error"] = self.error
            if self.error_description:
                form["error_description"] = self.error_description
        else:
            form["vp_token"] = json.dumps(self.vp_token, separators=(",", ":"))
        if self.state is not None:
            form["state"] = self.state
        return form

    def presentations(self) -> list[tuple[str, Any]]:
        """Return ``(query id, presentation)`` pairs in the order received."""
        return [(qid, p) for qid, items in self.vp_token.items() for p in items]


def parse_direct_post_response(form: Mapping[str, Any]) -> AuthorizationResponse:
    """Read a ``direct_post`` body (already form-decoded) into a response.

    ``vp_token`` must be a JSON object whose values are non-empty arrays;
    for ``ldp_vc`` each element is a presentation object. Raises
    :class:`Oid4vpError` with ``invalid_request`` for anything else.
    """
    state = form.get("state")
    if state is not None:
        state = _check_url_safe("state", state)
    error = form.get("error")
    if error is not None:
        if not isinstance(error, str) or not error:
            raise Oid4vpError("error must be a non-empty string", property="error")
        description = form.get("error_description")
        return AuthorizationResponse(
            state=state,
            vp_token={},
            error=error[:100],
            error_description=str(description)[:500] if description else None,
        )
    raw = form.get("vp_token")
    if not isinstance(raw, str) or not raw:
        raise Oid4vpError(
            "the response has neither vp_token nor error", property="vp_token"
        )
    try:
        token = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise Oid4vpError("vp_token is not valid JSON", property="vp_token") from e
    if not isinstance(token, dict) or not token:
        raise Oid4vpError(
            "vp_token must be a JSON object keyed by Credential Query id",
            property="vp_token",
        )
    vp_token: dict[str, list[Any]] = {}
    for query_id, items in token.items():
        if not isinstance(items, list) or not items:
            raise Oid4vpError(
                f"vp_token[{query_id!r}] must be a non-empty array of presentations",
                property=f"vp_token.{query_id}",
            )
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise Oid4vpError(
                    f"vp_token[{query_id!r}][{index}] must be a presentation object "
                    f"for {FORMAT_LDP_VC}, got {type(item).__name__}",
                    property=f"vp_token.{query_id}[{index}]",
                )
        vp_token[query_id] = items
    return AuthorizationResponse(state=state, vp_token=vp_token)


# -- Share document -----------------------------------------------------------


@dataclass(frozen=True)
class ShareDocument:
    """A presentation a wallet serves behind a share link (a vcwork format).

    JSON shape: ``{"type": "VcworkPresentationShare", "presentation": VP,
    "challenge": str, "domain": str, "expires": ISO 8601}``. The wallet
    signs the presentation with ``challenge`` (random per share) and
    ``domain``, which must be the origin of the share URL
    (``https://wallet.example``), so a copy served from another host fails.
    A verifier fetches the document, checks that the domain is the origin it
    fetched from and that ``expires`` has not passed, then verifies the
    presentation with that challenge and domain.
    """

    presentation: dict[str, Any]
    challenge: str
    domain: str
    expires: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": SHARE_DOCUMENT_TYPE,
            "presentation": self.presentation,
            "challenge": self.challenge,
            "domain": self.domain,
        }
        if self.expires is not None:
            body["expires"] = (
                self.expires.astimezone(UTC).isoformat().replace("+00:00", "Z")
            )
        return body

    @classmethod
    def from_json(cls, value: Any) -> ShareDocument:
        """Validate the shape of a share document; raise Oid4vpError if malformed."""
        if not isinstance(value, dict) or value.get("type") != SHARE_DOCUMENT_TYPE:
            raise Oid4vpError(
                f"a share document must be a JSON object with type "
                f"{SHARE_DOCUMENT_TYPE!r}",
                property="type",
            )
        presentation = value.get("presentation")
        if not isinstance(presentation, dict):
            raise Oid4vpError(
                "the share document's presentation must be a JSON object",
                property="presentation",
            )
        for name in ("challenge", "domain"):
            if not isinstance(value.get(name), str) or not value[name]:
                raise Oid4vpError(
                    f"the share document's {name} must be a non-empty string",
                    property=name,
                )
        expires = None
        if value.get("expires") is not None:
            try:
                expires = datetime.fromisoformat(str(value["expires"]))
            except ValueError as e:
                raise Oid4vpError(
                    "the share document's expires is not an ISO 8601 date-time",
                    property="expires",
                    value=value["expires"],
                ) from e
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
        return cls(
            presentation=presentation,
            challenge=value["challenge"],
            domain=value["domain"],
            expires=expires,
        )


def origin_of(url: str) -> str:
    """Return the origin (``scheme://host[:port]``) of an http(s) URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sign_ldp_vp_response(
    request: AuthorizationRequest,
    credentials_by_query: Mapping[str, Sequence[dict[str, Any]]],
    key_pair: Any,
    *,
    holder: str,
) -> AuthorizationResponse:
    """Build the wallet's response: one presentation per Credential Query.

    Each presentation is signed by ``key_pair`` (the holder's key) with the
    request's ``nonce`` as ``challenge`` and its ``client_id`` as ``domain``
    (appendix B.1.3.2.5).
    """
    from ..credentials import create_presentation, sign_presentation

    vp_token: dict[str, list[Any]] = {}
    for query_id, credentials in credentials_by_query.items():
        presentation = create_presentation(list(credentials), holder=holder)
        signed = sign_presentation(
            presentation,
            key_pair,
            challenge=request.nonce,
            domain=request.client_id,
        )
        vp_token[query_id] = [signed]
    return AuthorizationResponse(state=request.state, vp_token=vp_token)
