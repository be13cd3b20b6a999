"""The wallet side of OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow.

The wallet parses the credential offer (section 4.1). It fetches the
Credential Issuer Metadata (section 12.2) and the authorization server's
metadata (RFC 8414). It redeems the pre-authorized code with the ``tx_code``
at the token endpoint (section 6) and gets a ``c_nonce`` from the Nonce
Endpoint (section 7). Then it requests each offered credential configuration
with a key proof bound to the holder's DID (section 8). Only the ``ldp_vc`` format (a JSON-LD credential
with a Data Integrity proof) is stored. The messages themselves come from
:mod:`vcwork.exchange.oid4vci`, shared with the issuer agent; this module
adds the HTTP round trips.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from vcwork.credentials import create_presentation, sign_presentation
from vcwork.errors import VcworkError
from vcwork.exchange.oid4vci import (
    LDP_VC_FORMAT,
    CredentialOffer,
    CredentialRequest,
    create_proof_jwt,
    parse_credential_offer_link,
    token_request_form,
)

from .errors import ExchangeError
from .http import ExchangeClient
from .store import HolderKey

__all__ = [
    "IssuerMetadata",
    "fetch_issuer_metadata",
    "parse_credential_offer",
    "request_credentials",
    "well_known_url",
]

MAX_OFFER_LENGTH = 64 * 1024


@dataclass(frozen=True)
class IssuerMetadata:
    """The parts of the Credential Issuer Metadata the wallet uses."""

    credential_issuer: str
    credential_endpoint: str
    token_endpoint: str
    nonce_endpoint: str | None
    configurations: dict[str, dict[str, Any]] = field(default_factory=dict)
    display_name: str | None = None

    def configuration_name(self, configuration_id: str) -> str:
        """Return the display name of a credential configuration, or its id."""
        config = self.configurations.get(configuration_id, {})
        for holder in (config.get("credential_metadata"), config):
            display = holder.get("display") if isinstance(holder, dict) else None
            if isinstance(display, list) and display and isinstance(display[0], dict):
                name = display[0].get("name")
                if isinstance(name, str):
                    return name
        return configuration_id


def parse_credential_offer(text: str, *, client: ExchangeClient) -> CredentialOffer:
    """Read a credential offer from its link (by value or reference) or its JSON."""
    if not isinstance(text, str) or not text.strip():
        raise ExchangeError("the credential offer is empty; paste the offer link")
    if len(text) > MAX_OFFER_LENGTH:
        raise ExchangeError(
            f"the credential offer has {len(text)} characters, more than "
            f"{MAX_OFFER_LENGTH}"
        )
    text = text.strip()
    try:
        if text.startswith("{"):
            offer = CredentialOffer.from_json(_loads(text, "the credential offer"))
        else:
            parsed = parse_credential_offer_link(text)
            if isinstance(parsed, str):
                data = client.get_json(parsed, what="the credential offer URI")
                parsed = CredentialOffer.from_json(data)
            offer = parsed
    except VcworkError as e:
        if isinstance(e, ExchangeError):
            raise
        raise ExchangeError(f"the credential offer is not valid: {e.detail}") from e
    client.check(offer.credential_issuer, "credential_issuer")
    return offer


def _loads(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ExchangeError(f"{what} is not valid JSON: {e}") from e


def well_known_url(identifier: str, suffix: str) -> str:
    """Insert ``/.well-known/<suffix>`` between host and path (RFC 8615, RFC 8414)."""
    parts = urlsplit(identifier)
    path = parts.path.rstrip("/")
    return urlunsplit(
        (parts.scheme, parts.netloc, f"/.well-known/{suffix}{path}", "", "")
    )


def fetch_issuer_metadata(
    offer: CredentialOffer, *, client: ExchangeClient
) -> IssuerMetadata:
    """Fetch the Credential Issuer Metadata and the token endpoint of its server."""
    issuer = offer.credential_issuer
    metadata = client.get_json(
        well_known_url(issuer, "openid-credential-issuer"),
        what="the credential issuer metadata",
    )
    if metadata.get("credential_issuer") != issuer:
        raise ExchangeError(
            f"the issuer metadata names credential_issuer "
            f"{metadata.get('credential_issuer')!r}, but the offer came from {issuer!r}"
        )
    endpoint = client.check(metadata.get("credential_endpoint"), "credential_endpoint")
    nonce = metadata.get("nonce_endpoint")
    servers = metadata.get("authorization_servers")
    server = servers[0] if isinstance(servers, list) and servers else issuer
    configurations = metadata.get("credential_configurations_supported")
    display = metadata.get("display")
    name = None
    if isinstance(display, list) and display and isinstance(display[0], dict):
        value = display[0].get("name")
        name = value if isinstance(value, str) else None
    return IssuerMetadata(
        credential_issuer=issuer,
        credential_endpoint=endpoint,
        token_endpoint=_token_endpoint(str(server), client),
        nonce_endpoint=client.check(nonce, "nonce_endpoint") if nonce else None,
        configurations=configurations if isinstance(configurations, dict) else {},
        display_name=name,
    )


def _token_endpoint(server: str, client: ExchangeClient) -> str:
    last_error: ExchangeError | None = None
    for suffix in ("oauth-authorization-server", "openid-configuration"):
        try:
            metadata = client.get_json(
                well_known_url(server, suffix),
                what="the authorization server metadata",
            )
        except ExchangeError as e:
            last_error = e
            continue
        return client.check(metadata.get("token_endpoint"), "token_endpoint")
    raise ExchangeError(f"could not find the token endpoint of {server}: {last_error}")


def _request_token(
    offer: CredentialOffer,
    metadata: IssuerMetadata,
    tx_code: str | None,
    client: ExchangeClient,
) -> str:
    if offer.tx_code is not None and not tx_code:
        raise ExchangeError("this offer needs the transaction code the issuer sent")
    form = token_request_form(
        offer.pre_authorized_code,
        tx_code=tx_code if offer.tx_code is not None else None,
    )
    response = client.request(
        "POST", metadata.token_endpoint, what="the token endpoint", data=form
    )
    if response.status_code == 400 and b"invalid_grant" in response.content:
        raise ExchangeError(
            "the issuer rejected the offer: the transaction code is wrong, or the "
            "offer was already used or has expired"
        )
    token = client.json(response, "the token endpoint").get("access_token")
    if not isinstance(token, str) or not token:
        raise ExchangeError("the token response has no access_token")
    return token


def _request_nonce(metadata: IssuerMetadata, client: ExchangeClient) -> str | None:
    if metadata.nonce_endpoint is None:
        return None
    response = client.request(
        "POST", metadata.nonce_endpoint, what="the nonce endpoint"
    )
    nonce = client.json(response, "the nonce endpoint").get("c_nonce")
    if not isinstance(nonce, str) or not nonce:
        raise ExchangeError("the nonce response has no c_nonce")
    return nonce


def _credential_request(
    configuration_id: str,
    config: dict[str, Any],
    *,
    issuer: str,
    nonce: str | None,
    holder: HolderKey,
) -> CredentialRequest:
    """Build the Credential Request with a key proof of a type the issuer accepts."""
    supported = config.get("proof_types_supported")
    if not isinstance(supported, dict) or not supported:
        return CredentialRequest(credential_configuration_id=configuration_id)
    if "jwt" in supported:
        proof = create_proof_jwt(holder.key_pair, audience=issuer, nonce=nonce)
        return CredentialRequest(
            credential_configuration_id=configuration_id,
            proof_type="jwt",
            proofs=(proof,),
        )
    if "di_vp" in supported and nonce is not None:
        presentation = create_presentation([], holder=holder.did)
        del presentation["verifiableCredential"]
        signed = sign_presentation(
            presentation, holder.key_pair, challenge=nonce, domain=issuer
        )
        return CredentialRequest(
            credential_configuration_id=configuration_id,
            proof_type="di_vp",
            proofs=(signed,),
        )
    raise ExchangeError(
        f"the issuer accepts key proofs of type {sorted(supported)}; this wallet "
        "can send jwt, or di_vp when the issuer has a nonce endpoint"
    )


def request_credentials(
    offer: CredentialOffer,
    metadata: IssuerMetadata,
    *,
    tx_code: str | None,
    holder: HolderKey,
    client: ExchangeClient,
) -> list[dict[str, Any]]:
    """Redeem the offer and return every credential issued, unverified."""
    access_token = _request_token(offer, metadata, tx_code, client)
    credentials = []
    for configuration_id in offer.credential_configuration_ids:
        config = metadata.configurations.get(configuration_id)
        if not isinstance(config, dict):
            raise ExchangeError(
                f"the issuer metadata does not describe credential configuration "
                f"{configuration_id!r}"
            )
        if config.get("format") != LDP_VC_FORMAT:
            raise ExchangeError(
                f"credential format {config.get('format')!r} is not supported; "
                f"this wallet stores {LDP_VC_FORMAT}"
            )
        request = _credential_request(
            configuration_id,
            config,
            issuer=metadata.credential_issuer,
            nonce=_request_nonce(metadata, client),
            holder=holder,
        )
        response = client.request(
            "POST",
            metadata.credential_endpoint,
            what="the credential endpoint",
            headers={"Authorization": f"Bearer {access_token}"},
            json_body=request.to_json(),
        )
        credentials.extend(
            _issued_credentials(client.json(response, "the credential endpoint"))
        )
    return credentials


def _issued_credentials(response: dict[str, Any]) -> list[dict[str, Any]]:
    if "transaction_id" in response and "credentials" not in response:
        raise ExchangeError(
            "the issuer deferred issuance; this wallet cannot collect deferred "
            "credentials yet, so ask the issuer for a new offer later"
        )
    items = response.get("credentials")
    if not isinstance(items, list) or not items:
        raise ExchangeError("the credential response has no credentials")
    credentials = []
    for index, item in enumerate(items):
        credential = item.get("credential") if isinstance(item, dict) else None
        if not isinstance(credential, dict):
            raise ExchangeError(
                f"credentials[{index}] of the credential response is not an ldp_vc "
                "JSON credential"
            )
        credentials.append(credential)
    return credentials
