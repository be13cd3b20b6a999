"""The wallet side of OpenID for Verifiable Presentations 1.0, and share documents.

The wallet fetches the Request Object behind an ``openid4vp://`` link,
matches its DCQL query against the stored ``ldp_vc`` credentials, and posts
the ``vp_token`` with ``response_mode`` ``direct_post``. The message shapes
come from :mod:`vcwork.exchange.oid4vp`, shared with the verifier agent,
which accepts the ``redirect_uri`` Client Identifier Prefix (unsigned
requests) only.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcwork.errors import VcworkError
from vcwork.exchange.oid4vp import (
    REQUEST_OBJECT_MEDIA_TYPE,
    AuthorizationRequest,
    CredentialQuery,
    decode_request_object,
    matches_credential_query,
    parse_authorization_link,
    sign_ldp_vp_response,
)

from .errors import ExchangeError
from .http import ExchangeClient
from .store import HolderKey, StoredCredential

__all__ = [
    "PresentationRequest",
    "fetch_authorization_request",
    "send_presentations",
]

MAX_LINK_LENGTH = 8192


@dataclass(frozen=True)
class PresentationRequest:
    """A checked Authorization Request and the wallet's credentials that fit each query."""

    request: AuthorizationRequest
    link: str
    matches: dict[str, list[StoredCredential]]

    @property
    def verifier_name(self) -> str:
        name = self.request.client_metadata.get("client_name")
        return name if isinstance(name, str) and name else self.request.response_uri

    @property
    def queries(self) -> list[CredentialQuery]:
        return self.request.queries


def fetch_authorization_request(
    link: str,
    credentials: list[StoredCredential],
    *,
    client: ExchangeClient,
) -> PresentationRequest:
    """Fetch and check the request behind ``link`` and match it against ``credentials``."""
    if not isinstance(link, str) or not link.strip():
        raise ExchangeError("the presentation request is empty; paste the request link")
    if len(link) > MAX_LINK_LENGTH:
        raise ExchangeError(
            f"the request link has {len(link)} characters, more than {MAX_LINK_LENGTH}"
        )
    try:
        client_id, request_uri = parse_authorization_link(link.strip())
    except VcworkError as e:
        raise ExchangeError(f"this is not a presentation request: {e.detail}") from e
    response = client.request(
        "GET",
        request_uri,
        what="the verifier's request URI",
        headers={"Accept": REQUEST_OBJECT_MEDIA_TYPE},
    )
    if response.status_code >= 400:
        client.json(response, "the verifier's request URI")
    try:
        request = decode_request_object(response.text)
    except VcworkError as e:
        raise ExchangeError(f"the verifier's request is not valid: {e.detail}") from e
    if request.client_id != client_id:
        raise ExchangeError(
            f"the request object's client_id {request.client_id!r} differs from the "
            f"link's {client_id!r}"
        )
    client.check(request.response_uri, "the verifier's response_uri")
    matches = {
        query.id: [
            c for c in credentials if matches_credential_query(query, c.credential)
        ]
        for query in request.queries
    }
    return PresentationRequest(request=request, link=link.strip(), matches=matches)


def holder_key_for(
    credentials: list[StoredCredential], keys: list[HolderKey]
) -> HolderKey:
    """Return the holder key whose DID is the subject of the credentials.

    The presentation is signed with one key, so every credential should name
    the same holder DID; the default key is used when none matches.
    """
    subject_ids: set[str] = set()
    for item in credentials:
        subject = item.credential.get("credentialSubject")
        for entry in subject if isinstance(subject, list) else [subject]:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                subject_ids.add(entry["id"])
    for key in keys:
        if key.did in subject_ids:
            return key
    return next((k for k in keys if k.is_default), keys[0])


def send_presentations(
    pending: PresentationRequest,
    selection: dict[str, list[StoredCredential]],
    keys: list[HolderKey],
    *,
    client: ExchangeClient,
) -> str | None:
    """Sign the chosen credentials for the verifier and post them.

    Returns the ``redirect_uri`` from the verifier's response, if any.
    """
    chosen = {query_id: items for query_id, items in selection.items() if items}
    if not chosen:
        raise ExchangeError("pick at least one credential to share")
    for query in pending.queries:
        if len(chosen.get(query.id, [])) > 1 and not query.multiple:
            raise ExchangeError(
                f"the verifier asks for one credential for {query.id!r}; pick one"
            )
    everything = [item for items in chosen.values() for item in items]
    key = holder_key_for(everything, keys)
    response = sign_ldp_vp_response(
        pending.request,
        {query_id: [i.credential for i in items] for query_id, items in chosen.items()},
        key.key_pair,
        holder=key.did,
    )
    reply = client.request(
        "POST",
        pending.request.response_uri,
        what="the verifier's response_uri",
        data=response.to_form(),
    )
    body = client.json(reply, "the verifier") if reply.content.strip() else {}
    redirect = body.get("redirect_uri")
    return redirect if isinstance(redirect, str) else None
