"""OpenID for Verifiable Credential Issuance 1.0: messages of the pre-authorized code flow.

The issuer agent and the wallet share this module, so both build and read
the same shapes. It covers the Credential Offer and its
``openid-credential-offer://`` link, the Token Request of the pre-authorized
code grant, and the Credential Request with ``proofs``. It also signs and
checks the ``jwt`` key proof with an Ed25519 key as ``EdDSA`` (RFC 8037).

Spec: https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from ..errors import VcworkError
from ..keys import Ed25519KeyPair, Ed25519PublicKeyMaterial

__all__ = [
    "CREDENTIAL_OFFER_SCHEME",
    "LDP_VC_FORMAT",
    "PRE_AUTHORIZED_CODE_GRANT",
    "PROOF_JWT_TYPE",
    "CredentialOffer",
    "CredentialRequest",
    "Oid4vciError",
    "ProofJwt",
    "TxCode",
    "create_proof_jwt",
    "credential_offer_link",
    "parse_credential_offer_link",
    "token_request_form",
    "verify_proof_jwt",
]

PRE_AUTHORIZED_CODE_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_JWT_TYPE = "openid4vci-proof+jwt"
CREDENTIAL_OFFER_SCHEME = "openid-credential-offer://"
LDP_VC_FORMAT = "ldp_vc"

# A key proof older than this (seconds, by its ``iat``) is rejected; the
# c_nonce it carries is the main replay protection.
DEFAULT_PROOF_MAX_AGE = 300
# Allowed clock difference between wallet and issuer, in seconds.
DEFAULT_CLOCK_SKEW = 60
# The spec limits a transaction code description to 300 characters.
MAX_TX_CODE_DESCRIPTION = 300


class Oid4vciError(VcworkError):
    """A protocol error, with the OAuth or OpenID4VCI ``error`` code to send.

    ``error`` is a code such as ``invalid_request``, ``invalid_grant``,
    ``invalid_proof`` or ``invalid_nonce``; ``status`` is the HTTP status of
    the error response.
    """

    code = "MALFORMED_VALUE_ERROR"
    title = "OpenID4VCI protocol error"

    def __init__(
        self,
        detail: str,
        *,
        error: str = "invalid_request",
        status: int = 400,
        property: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(detail, property=property, value=value)
        self.error = error
        self.status = status

    def to_oauth_json(self) -> dict[str, str]:
        """Render the OAuth error body of RFC 6749, section 5.2 (ASCII description)."""
        description = self.detail.encode("ascii", "replace").decode("ascii")
        description = description.replace('"', "'").replace("\\", "/")
        return {"error": self.error, "error_description": description}


# -- Credential Offer --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TxCode:
    """The ``tx_code`` object of a Credential Offer: the input the wallet requests."""

    input_mode: str = "numeric"
    length: int | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.input_mode not in ("numeric", "text"):
            raise Oid4vciError(
                f"tx_code.input_mode must be 'numeric' or 'text', got {self.input_mode!r}",
                property="tx_code.input_mode",
                value=self.input_mode,
            )
        if self.length is not None and (
            not isinstance(self.length, int) or self.length < 1
        ):
            raise Oid4vciError(
                f"tx_code.length must be a positive integer, got {self.length!r}",
                property="tx_code.length",
                value=self.length,
            )
        if (
            self.description is not None
            and len(self.description) > MAX_TX_CODE_DESCRIPTION
        ):
            raise Oid4vciError(
                f"tx_code.description has {len(self.description)} characters; "
                f"the limit is {MAX_TX_CODE_DESCRIPTION}",
                property="tx_code.description",
            )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"input_mode": self.input_mode}
        if self.length is not None:
            data["length"] = self.length
        if self.description is not None:
            data["description"] = self.description
        return data

    @classmethod
    def from_json(cls, data: object) -> TxCode:
        if not isinstance(data, Mapping):
            raise Oid4vciError(
                f"tx_code must be a JSON object, got {_json_type(data)}",
                property="tx_code",
            )
        length = data.get("length")
        description = data.get("description")
        return cls(
            input_mode=str(data.get("input_mode", "numeric")),
            length=length if isinstance(length, int) else None,
            description=description if isinstance(description, str) else None,
        )


@dataclass(frozen=True, kw_only=True)
class CredentialOffer:
    """A Credential Offer with the pre-authorized code grant.

    ``tx_code`` is set when the Token Request must carry a transaction code,
    which the End-User receives on a second channel.
    """

    credential_issuer: str
    credential_configuration_ids: tuple[str, ...]
    pre_authorized_code: str
    tx_code: TxCode | None = None

    def __post_init__(self) -> None:
        _require_string(self.credential_issuer, "credential_issuer")
        _require_string(self.pre_authorized_code, "pre-authorized_code")
        ids = tuple(self.credential_configuration_ids)
        if not ids or len(set(ids)) != len(ids):
            raise Oid4vciError(
                "credential_configuration_ids must be a non-empty array of unique "
                f"strings, got {list(ids)!r}",
                property="credential_configuration_ids",
            )
        for index, value in enumerate(ids):
            _require_string(value, f"credential_configuration_ids[{index}]")
        object.__setattr__(self, "credential_configuration_ids", ids)

    def to_json(self) -> dict[str, Any]:
        grant: dict[str, Any] = {"pre-authorized_code": self.pre_authorized_code}
        if self.tx_code is not None:
            grant["tx_code"] = self.tx_code.to_json()
        return {
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": list(self.credential_configuration_ids),
            "grants": {PRE_AUTHORIZED_CODE_GRANT: grant},
        }

    @classmethod
    def from_json(cls, data: object) -> CredentialOffer:
        """Read an offer object; raise :class:`Oid4vciError` naming the bad member."""
        if not isinstance(data, Mapping):
            raise Oid4vciError(
                f"a credential offer must be a JSON object, got {_json_type(data)}"
            )
        ids = data.get("credential_configuration_ids")
        if not isinstance(ids, list):
            raise Oid4vciError(
                "credential_configuration_ids must be an array of strings",
                property="credential_configuration_ids",
            )
        grants = data.get("grants")
        grant = (
            grants.get(PRE_AUTHORIZED_CODE_GRANT)
            if isinstance(grants, Mapping)
            else None
        )
        if not isinstance(grant, Mapping):
            raise Oid4vciError(
                f"the offer has no {PRE_AUTHORIZED_CODE_GRANT} grant; only the "
                "pre-authorized code flow is supported",
                property="grants",
            )
        tx_code = grant.get("tx_code")
        return cls(
            credential_issuer=_require_string(
                data.get("credential_issuer"), "credential_issuer"
            ),
            credential_configuration_ids=tuple(ids),
            pre_authorized_code=_require_string(
                grant.get("pre-authorized_code"), "pre-authorized_code"
            ),
            tx_code=None if tx_code is None else TxCode.from_json(tx_code),
        )


def credential_offer_link(
    *, credential_offer_uri: str | None = None, offer: CredentialOffer | None = None
) -> str:
    """Return the ``openid-credential-offer://`` link of an offer, by reference or value.

    Pass exactly one of ``credential_offer_uri`` (the URL the wallet fetches
    the offer from, the usual form for a QR code) and ``offer``.
    """
    if (credential_offer_uri is None) == (offer is None):
        raise Oid4vciError("pass exactly one of credential_offer_uri and offer")
    if credential_offer_uri is not None:
        query = urlencode(
            {"credential_offer_uri": credential_offer_uri}, quote_via=quote
        )
    else:
        assert offer is not None
        text = json.dumps(offer.to_json(), separators=(",", ":"))
        query = urlencode({"credential_offer": text}, quote_via=quote)
    return f"{CREDENTIAL_OFFER_SCHEME}?{query}"


def parse_credential_offer_link(link: str) -> CredentialOffer | str:
    """Read an offer link: return the offer (by value) or its ``credential_offer_uri``.

    Accepts the ``openid-credential-offer://`` scheme and https links with the
    same query parameters. Raises :class:`Oid4vciError` when the link has
    neither parameter, or both.
    """
    if not isinstance(link, str):
        raise Oid4vciError(f"an offer link must be a string, got {_json_type(link)}")
    try:
        parts = urlsplit(link.strip())
    except ValueError as e:
        raise Oid4vciError(f"the offer link is not a valid URI: {e}") from e
    if parts.scheme not in ("openid-credential-offer", "https", "http"):
        raise Oid4vciError(
            f"the offer link has scheme {parts.scheme!r}; expected "
            f"{CREDENTIAL_OFFER_SCHEME} or https",
            value=link[:200],
        )
    query = parse_qs(parts.query)
    by_value = query.get("credential_offer")
    by_reference = query.get("credential_offer_uri")
    if bool(by_value) == bool(by_reference):
        raise Oid4vciError(
            "the offer link must carry exactly one of credential_offer and "
            "credential_offer_uri",
            value=link[:200],
        )
    if by_reference:
        return by_reference[0]
    assert by_value is not None
    try:
        data = json.loads(by_value[0])
    except (ValueError, RecursionError) as e:
        raise Oid4vciError(f"credential_offer is not valid JSON: {e}") from e
    return CredentialOffer.from_json(data)


def token_request_form(
    pre_authorized_code: str, *, tx_code: str | None = None
) -> dict[str, str]:
    """Return the form fields of a Token Request with the pre-authorized code grant."""
    form = {
        "grant_type": PRE_AUTHORIZED_CODE_GRANT,
        "pre-authorized_code": pre_authorized_code,
    }
    if tx_code is not None:
        form["tx_code"] = tx_code
    return form


# -- Credential Request --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CredentialRequest:
    """A Credential Request naming a configuration, with key proofs.

    ``proof_type`` is ``jwt`` or ``di_vp``; ``proofs`` contains the JWT strings
    or the presentation objects. The single ``proof`` member of earlier drafts
    is read as a one-item ``proofs`` so older wallets keep working.
    """

    credential_configuration_id: str
    proof_type: str | None = None
    proofs: tuple[Any, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "credential_configuration_id": self.credential_configuration_id
        }
        if self.proof_type is not None:
            data["proofs"] = {self.proof_type: list(self.proofs)}
        return data

    @classmethod
    def from_json(cls, data: object) -> CredentialRequest:
        if not isinstance(data, Mapping):
            raise Oid4vciError(
                f"the credential request must be a JSON object, got {_json_type(data)}",
                error="invalid_credential_request",
            )
        if "credential_identifier" in data:
            raise Oid4vciError(
                "credential_identifier is not supported: this issuer returns no "
                "credential_identifiers, so send credential_configuration_id",
                error="invalid_credential_request",
                property="credential_identifier",
            )
        configuration_id = data.get("credential_configuration_id")
        if not isinstance(configuration_id, str) or not configuration_id:
            raise Oid4vciError(
                "credential_configuration_id is missing or not a string",
                error="invalid_credential_request",
                property="credential_configuration_id",
            )
        proof_type, proofs = _read_proofs(data)
        return cls(
            credential_configuration_id=configuration_id,
            proof_type=proof_type,
            proofs=proofs,
        )


def _read_proofs(data: Mapping[str, Any]) -> tuple[str | None, tuple[Any, ...]]:
    if "proofs" in data and "proof" in data:
        raise Oid4vciError(
            "send either proofs or proof, not both", error="invalid_proof"
        )
    if "proof" in data:
        single = data["proof"]
        if not isinstance(single, Mapping) or not isinstance(
            single.get("proof_type"), str
        ):
            raise Oid4vciError(
                "proof must be an object with a proof_type", error="invalid_proof"
            )
        proof_type = single["proof_type"]
        return proof_type, (single.get(proof_type),)
    proofs = data.get("proofs")
    if proofs is None:
        return None, ()
    if not isinstance(proofs, Mapping) or len(proofs) != 1:
        raise Oid4vciError(
            "proofs must be an object with exactly one member named by the proof "
            'type, such as {"jwt": [...]}',
            error="invalid_proof",
            property="proofs",
        )
    ((proof_type, values),) = proofs.items()
    if not isinstance(values, list) or not values:
        raise Oid4vciError(
            f"proofs.{proof_type} must be a non-empty array",
            error="invalid_proof",
            property=f"proofs.{proof_type}",
        )
    return str(proof_type), tuple(values)


# -- jwt key proof -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProofJwt:
    """The checked content of a ``jwt`` key proof.

    ``holder`` is the DID the credential is bound to: the DID of the ``kid``
    DID URL, or the did:key of an Ed25519 ``jwk`` header.
    """

    holder: str
    kid: str | None
    public_key: Ed25519PublicKeyMaterial
    nonce: str | None
    issued_at: int
    header: dict[str, Any]
    claims: dict[str, Any]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str, what: str) -> bytes:
    if not isinstance(text, str) or not all(c.isalnum() or c in "-_" for c in text):
        raise Oid4vciError(
            f"the proof JWT {what} is not base64url", error="invalid_proof"
        )
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as e:
        raise Oid4vciError(
            f"the proof JWT {what} is not base64url", error="invalid_proof"
        ) from e


def create_proof_jwt(
    key_pair: Ed25519KeyPair,
    *,
    audience: str,
    nonce: str | None,
    issued_at: int | None = None,
    kid: str | None = None,
    issuer: str | None = None,
) -> str:
    """Sign a ``jwt`` key proof with an Ed25519 key (``alg`` ``EdDSA``).

    ``audience`` is the Credential Issuer Identifier and ``nonce`` the
    ``c_nonce`` from the Nonce Endpoint. ``kid`` defaults to the key pair's
    ``id`` (for a did:key key, ``did:key:z6Mk...#z6Mk...``). ``issuer`` is the
    ``iss`` claim, which anonymous pre-authorized flows leave out.
    """
    key_id = kid or key_pair.id
    if not key_id:
        raise Oid4vciError(
            "the key pair has no id; pass kid= (a DID URL of the holder's key)"
        )
    header = {"alg": "EdDSA", "typ": PROOF_JWT_TYPE, "kid": key_id}
    claims: dict[str, Any] = {
        "aud": audience,
        "iat": int(time.time()) if issued_at is None else issued_at,
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if issuer is not None:
        claims["iss"] = issuer
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = key_pair.sign(signing_input.encode("ascii"))
    return signing_input + "." + _b64url(signature)


def _decode_segment(text: str, what: str) -> dict[str, Any]:
    raw = _b64url_decode(text, what)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise Oid4vciError(
            f"the proof JWT {what} is not JSON", error="invalid_proof"
        ) from e
    if not isinstance(value, dict):
        raise Oid4vciError(
            f"the proof JWT {what} must be a JSON object", error="invalid_proof"
        )
    return value


def _default_key_resolver(kid: str) -> tuple[str, Ed25519PublicKeyMaterial]:
    """Resolve a did:key DID URL offline to (holder DID, public key)."""
    from ..did import public_key_from_did_key

    did = kid.split("#", 1)[0]
    if not did.startswith("did:key:"):
        raise Oid4vciError(
            f"kid {kid!r} is not a did:key DID URL; this issuer binds credentials "
            "to did:key keys (or an Ed25519 jwk header)",
            error="invalid_proof",
            value=kid,
        )
    try:
        return did, public_key_from_did_key(did)
    except VcworkError as e:
        raise Oid4vciError(
            f"kid {kid!r} does not resolve: {e.detail}", error="invalid_proof"
        ) from e


def _key_from_header(
    header: Mapping[str, Any],
    resolve_key: Callable[[str], tuple[str, Ed25519PublicKeyMaterial]],
) -> tuple[str, str | None, Ed25519PublicKeyMaterial]:
    from ..did import did_key_from_key_pair

    present = [name for name in ("kid", "jwk", "x5c") if name in header]
    if len(present) != 1:
        raise Oid4vciError(
            "the proof JWT header must carry exactly one of kid, jwk and x5c, "
            f"got {present or 'none'}",
            error="invalid_proof",
        )
    if present[0] == "x5c":
        raise Oid4vciError(
            "x5c key proofs are not supported; use kid (a did:key DID URL) or jwk",
            error="invalid_proof",
        )
    if present[0] == "jwk":
        jwk = header["jwk"]
        if isinstance(jwk, Mapping) and "d" in jwk:
            raise Oid4vciError(
                "the proof JWT header contains a private key (jwk.d); send only "
                "the public key",
                error="invalid_proof",
            )
        try:
            public_key = Ed25519PublicKeyMaterial.from_jwk(
                dict(jwk) if isinstance(jwk, Mapping) else jwk
            )
        except VcworkError as e:
            raise Oid4vciError(
                f"the proof JWT jwk is not an Ed25519 key: {e.detail}",
                error="invalid_proof",
            ) from e
        return did_key_from_key_pair(public_key), None, public_key
    kid = header["kid"]
    if not isinstance(kid, str) or not kid:
        raise Oid4vciError("the proof JWT kid must be a string", error="invalid_proof")
    holder, public_key = resolve_key(kid)
    return holder, kid, public_key


def verify_proof_jwt(
    jwt: object,
    *,
    audience: str,
    now: float | None = None,
    max_age: int = DEFAULT_PROOF_MAX_AGE,
    clock_skew: int = DEFAULT_CLOCK_SKEW,
    require_nonce: bool = True,
    resolve_key: Callable[[str], tuple[str, Ed25519PublicKeyMaterial]] | None = None,
) -> ProofJwt:
    """Check a ``jwt`` key proof and return its holder, key and nonce.

    Performs the checks of the spec's "Verifying Proof" section except the
    nonce lookup, which needs the issuer's nonce store: the caller checks
    ``ProofJwt.nonce`` against the c_nonces it handed out. ``resolve_key`` maps
    a ``kid`` to (holder DID, public key); the default resolves did:key
    offline. Raises :class:`Oid4vciError` with ``invalid_proof``.
    """
    if not isinstance(jwt, str):
        raise Oid4vciError(
            f"a jwt proof must be a string, got {_json_type(jwt)}",
            error="invalid_proof",
        )
    parts = jwt.split(".")
    if len(parts) != 3:
        raise Oid4vciError(
            f"a jwt proof has three dot-separated parts, got {len(parts)}",
            error="invalid_proof",
        )
    header = _decode_segment(parts[0], "header")
    claims = _decode_segment(parts[1], "payload")

    # The proof is explicitly typed, and its alg is the one this issuer supports.
    if header.get("typ") != PROOF_JWT_TYPE:
        raise Oid4vciError(
            f"the proof JWT typ must be {PROOF_JWT_TYPE!r}, got {header.get('typ')!r}",
            error="invalid_proof",
        )
    if header.get("alg") != "EdDSA":
        raise Oid4vciError(
            f"the proof JWT alg must be 'EdDSA', got {header.get('alg')!r}",
            error="invalid_proof",
        )

    # The signature verifies with the key named in the header.
    holder, kid, public_key = _key_from_header(
        header, resolve_key or _default_key_resolver
    )
    signature = _b64url_decode(parts[2], "signature")
    if not public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii")):
        raise Oid4vciError(
            "the proof JWT signature does not verify", error="invalid_proof"
        )

    # Required claims: aud is the Credential Issuer Identifier, iat is recent.
    if claims.get("aud") != audience:
        raise Oid4vciError(
            f"the proof JWT aud must be {audience!r}, got {claims.get('aud')!r}",
            error="invalid_proof",
        )
    issued_at = claims.get("iat")
    if not isinstance(issued_at, int) or isinstance(issued_at, bool):
        raise Oid4vciError(
            "the proof JWT has no numeric iat claim", error="invalid_proof"
        )
    current = time.time() if now is None else now
    if issued_at > current + clock_skew or issued_at < current - max_age - clock_skew:
        raise Oid4vciError(
            f"the proof JWT iat {issued_at} is outside the accepted window of "
            f"{max_age} s; create a new proof",
            error="invalid_proof",
        )
    nonce = claims.get("nonce")
    if nonce is not None and not isinstance(nonce, str):
        raise Oid4vciError(
            "the proof JWT nonce must be a string", error="invalid_proof"
        )
    if require_nonce and nonce is None:
        raise Oid4vciError(
            "the proof JWT has no nonce claim; get a c_nonce from the nonce endpoint",
            error="invalid_proof",
        )
    return ProofJwt(
        holder=holder,
        kid=kid,
        public_key=public_key,
        nonce=nonce,
        issued_at=issued_at,
        header=header,
        claims=claims,
    )


def _require_string(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise Oid4vciError(
            f"{name} must be a non-empty string, got {_json_type(value)}",
            property=name,
        )
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__
