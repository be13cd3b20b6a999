"""VC API verify endpoints over real HTTP."""

from __future__ import annotations

import copy

import httpx
import pytest

from vcwork.credentials import create_presentation, sign_presentation


def test_credential_verifies(client: httpx.Client, parties) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": parties.badges[0]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is True
    assert "proof" in body["checks"]
    assert body["errors"] == []


def test_tampered_credential_is_400(client: httpx.Client, parties) -> None:  # type: ignore[no-untyped-def]
    tampered = copy.deepcopy(parties.badges[0])
    tampered["credentialSubject"]["achievement"]["name"] = "Master Carpenter"
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": tampered}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert body["errors"]


def test_presentation_verifies_with_challenge(client: httpx.Client, parties) -> None:  # type: ignore[no-untyped-def]
    presentation = sign_presentation(
        create_presentation(parties.badges, holder=parties.holder_did),
        parties.holder_key,
        challenge="c-123",
        domain="hiring.example",
    )
    body = {
        "verifiablePresentation": presentation,
        "options": {"challenge": "c-123", "domain": "hiring.example"},
    }
    response = client.post("/presentations/verify", json=body)
    assert response.status_code == 200
    assert response.json()["verified"] is True


@pytest.mark.parametrize(
    "options",
    [{"challenge": "other"}, {"challenge": "c-123", "domain": "evil.example"}],
)
def test_presentation_wrong_binding_is_400(
    client: httpx.Client, parties, options
) -> None:  # type: ignore[no-untyped-def]
    presentation = sign_presentation(
        create_presentation(parties.badges[:1], holder=parties.holder_did),
        parties.holder_key,
        challenge="c-123",
        domain="hiring.example",
    )
    response = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": presentation, "options": options},
    )
    assert response.status_code == 400
    assert response.json()["verified"] is False


def test_result_page_shows_achievement(client: httpx.Client, parties) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": parties.badges[0]}
    )
    page = client.get(f"/results/{response.json()['resultId']}")
    assert page.status_code == 200
    assert parties.badges[0]["credentialSubject"]["achievement"]["name"] in page.text
    assert "Known program" in page.text
    assert 'data-verdict="verified"' in page.text


def test_unknown_issuer_marked_not_hidden(client: httpx.Client, parties) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": parties.endorsement}
    )
    assert response.status_code == 200
    page = client.get(f"/results/{response.json()['resultId']}")
    assert "Unknown issuer" in page.text


def test_counts_are_aggregate(client: httpx.Client, parties) -> None:  # type: ignore[no-untyped-def]
    client.post("/credentials/verify", json={"verifiableCredential": parties.badges[0]})
    response = client.get(
        "/api/verification-counts", params={"issuer": parties.issuer_did}
    )
    counts = response.json()["counts"]
    assert response.status_code == 200
    assert counts[0]["count"] == 1
    assert set(counts[0]) == {"issuer", "day", "outcome", "count"}
