"""OpenID4VP over real HTTP: request, Request Object, direct_post, result; rejections."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import httpx
import pytest

from vcwork.exchange.oid4vp import REQUEST_OBJECT_MEDIA_TYPE

TestWallet = Any  # the wallet fixture's type, defined in conftest


def _new_request(client: httpx.Client) -> dict[str, str]:
    response = client.post("/api/presentation-requests", json={"purpose": "interview"})
    assert response.status_code == 201
    return response.json()


def _status(client: httpx.Client, links: dict[str, str]) -> dict[str, str]:
    return client.get(links["status_url"]).json()


def test_request_answered_and_result_shown(
    client: httpx.Client, wallet: TestWallet
) -> None:
    links = _new_request(client)
    assert _status(client, links)["status"] == "pending"
    request = wallet.fetch_request(links["authorization_link"])
    response = wallet.respond(request)
    assert response.status_code == 200, response.text
    status = _status(client, links)
    assert status["status"] == "responded"
    page = client.get(status["result_url"])
    assert page.status_code == 200
    assert 'data-verdict="verified"' in page.text
    assert "Answer to this request" in page.text


def test_replayed_response_rejected(client: httpx.Client, wallet: TestWallet) -> None:
    links = _new_request(client)
    request = wallet.fetch_request(links["authorization_link"])
    assert wallet.respond(request).status_code == 200
    replay = wallet.respond(request)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_request"
    assert "already answered" in replay.json()["error_description"]


def test_mismatched_nonce_rejected(client: httpx.Client, wallet: TestWallet) -> None:
    links = _new_request(client)
    request = wallet.fetch_request(links["authorization_link"])
    response = wallet.respond(request, nonce="an-old-nonce")
    assert response.status_code == 400
    assert "nonce mismatch" in response.json()["error_description"]
    status = _status(client, links)
    assert status["status"] == "failed"
    assert "nonce" in status["error"]


def test_wrong_audience_rejected(client: httpx.Client, wallet: TestWallet) -> None:
    links = _new_request(client)
    request = wallet.fetch_request(links["authorization_link"])
    response = wallet.respond(request, client_id="redirect_uri:https://other.example/r")
    assert response.status_code == 400
    assert "wrong audience" in response.json()["error_description"]


def test_unknown_state_rejected(client: httpx.Client, wallet: TestWallet) -> None:
    links = _new_request(client)
    request = wallet.fetch_request(links["authorization_link"])
    response = wallet.respond(replace(request, state="unknown-state"))
    assert response.status_code == 400
    assert "state" in response.json()["error_description"]


def test_credential_not_matching_query_rejected(
    client: httpx.Client, wallet: TestWallet, parties
) -> None:  # type: ignore[no-untyped-def]
    links = _new_request(client)
    request = wallet.fetch_request(links["authorization_link"])
    response = wallet.respond(request, credentials=[parties.endorsement])
    assert response.status_code == 400
    assert "matches the query" in response.json()["error_description"]


def test_wallet_error_marks_request_failed(
    client: httpx.Client, wallet: TestWallet
) -> None:
    links = _new_request(client)
    request = wallet.fetch_request(links["authorization_link"])
    response = httpx.post(
        request.response_uri, data={"state": request.state, "error": "access_denied"}
    )
    assert response.status_code == 200
    assert _status(client, links)["status"] == "failed"


def test_request_object_media_type(client: httpx.Client) -> None:
    links = _new_request(client)
    response = client.get(links["request_uri"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(REQUEST_OBJECT_MEDIA_TYPE)


def test_expired_request_rejected(settings, wallet, start_verifier) -> None:  # type: ignore[no-untyped-def]
    # The wallet must fetch the request before it expires, so the lifetime
    # leaves room for a busy machine; the sleep then outlasts it.
    with start_verifier(settings, request_lifetime_seconds=5) as server:
        with httpx.Client(base_url=server.url) as client:
            links = _new_request(client)
            request = wallet.fetch_request(links["authorization_link"])
            time.sleep(5.5)
            assert client.get(links["request_uri"]).status_code == 400
            response = wallet.respond(request)
            assert response.status_code == 400
            assert "expired" in response.json()["error_description"]
            assert _status(client, links)["status"] == "failed"


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b"{}", 415),
        ("application/x-www-form-urlencoded", b"state=abc", 400),
        ("application/x-www-form-urlencoded", b"vp_token=%7B&state=abc", 400),
        ("application/x-www-form-urlencoded", b"\xff\xfe", 400),
        (
            "application/x-www-form-urlencoded",
            b"vp_token=%7B%22a%22%3A%5B%7B%7D%5D%7D",
            400,
        ),
    ],
)
def test_malformed_direct_post_is_4xx(
    client: httpx.Client, content_type: str, body: bytes, status: int
) -> None:
    response = client.post(
        "/oid4vp/response", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == status
    assert response.json()["status"] == status
