"""The library's OpenID4VP messages, as the wallet and the verifier use them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from vcwork.exchange.oid4vp import (
    AuthorizationRequest,
    AuthorizationResponse,
    CredentialQuery,
    Oid4vpError,
    ShareDocument,
    authorization_link,
    decode_request_object,
    encode_request_object,
    matches_credential_query,
    parse_authorization_link,
    parse_direct_post_response,
)

OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
VC = "https://www.w3.org/2018/credentials#VerifiableCredential"
QUERY = CredentialQuery(id="badges", type_values=((VC, OB),), multiple=True)


def _request(**changes: object) -> AuthorizationRequest:
    return AuthorizationRequest.create(
        response_uri="https://verifier.example/oid4vp/response", queries=[QUERY]
    )


def test_request_object_round_trip() -> None:
    request = _request()
    decoded = decode_request_object(encode_request_object(request))
    assert decoded.client_id == "redirect_uri:https://verifier.example/oid4vp/response"
    assert decoded.nonce == request.nonce
    assert decoded.state == request.state
    assert [q.id for q in decoded.queries] == ["badges"]


def test_request_object_is_unsigned_with_typ() -> None:
    token = encode_request_object(_request())
    header = json.loads(
        __import__("base64").urlsafe_b64decode(token.split(".")[0] + "==")
    )
    assert header == {"alg": "none", "typ": "oauth-authz-req+jwt"}
    assert token.endswith(".")


def test_expired_request_object_rejected() -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    request = AuthorizationRequest.create(
        response_uri="https://verifier.example/r",
        queries=[QUERY],
        lifetime=timedelta(minutes=5),
        now=past,
    )
    with pytest.raises(Oid4vpError, match="expired"):
        decode_request_object(encode_request_object(request))


def test_client_id_must_match_response_uri() -> None:
    claims = _request().to_claims()
    claims["client_id"] = "redirect_uri:https://attacker.example/r"
    with pytest.raises(Oid4vpError, match="client_id"):
        AuthorizationRequest.from_claims(claims)


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "e30.e30.sig", "not-base64!.x.", "eyJhbGciOiJub25lIn0.e30."],
)
def test_malformed_request_objects_rejected(token: str) -> None:
    with pytest.raises(Oid4vpError):
        decode_request_object(token)


def test_link_round_trip() -> None:
    link = authorization_link(
        client_id="redirect_uri:https://v.example/r",
        request_uri="https://v.example/oid4vp/request/abc",
    )
    assert link.startswith("openid4vp://?")
    assert parse_authorization_link(link) == (
        "redirect_uri:https://v.example/r",
        "https://v.example/oid4vp/request/abc",
    )


def test_direct_post_round_trip() -> None:
    response = AuthorizationResponse(state="s1", vp_token={"badges": [{"type": "VP"}]})
    parsed = parse_direct_post_response(response.to_form())
    assert parsed.state == "s1"
    assert parsed.presentations() == [("badges", {"type": "VP"})]


@pytest.mark.parametrize(
    "form",
    [
        {"state": "s"},
        {"state": "s", "vp_token": "{"},
        {"state": "s", "vp_token": "[]"},
        {"state": "s", "vp_token": '{"badges": []}'},
        {"state": "s", "vp_token": '{"badges": ["jwt-string"]}'},
        {"state": "bad state!", "vp_token": '{"badges": [{}]}'},
    ],
)
def test_direct_post_malformed_rejected(form: dict[str, str]) -> None:
    with pytest.raises(Oid4vpError):
        parse_direct_post_response(form)


def test_wallet_error_response_parsed() -> None:
    parsed = parse_direct_post_response({"state": "s", "error": "access_denied"})
    assert parsed.error == "access_denied"
    assert parsed.vp_token == {}


def test_query_matches_expanded_types(parties) -> None:  # type: ignore[no-untyped-def]
    assert matches_credential_query(QUERY, parties.badges[0])
    assert not matches_credential_query(QUERY, parties.endorsement)


def test_share_document_round_trip() -> None:
    share = ShareDocument(
        presentation={"type": ["VerifiablePresentation"]},
        challenge="c",
        domain="https://wallet.example",
        expires=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert ShareDocument.from_json(share.to_json()) == share


def test_share_document_wrong_type_rejected() -> None:
    with pytest.raises(Oid4vpError, match="type"):
        ShareDocument.from_json({"presentation": {}, "challenge": "c", "domain": "d"})
