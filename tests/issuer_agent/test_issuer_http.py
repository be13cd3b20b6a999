"""The issuer agent's flows, driven over real HTTP against uvicorn on loopback."""

from __future__ import annotations

import httpx
import pytest
from issuer_agent.db import Database
from issuer_agent.service import IssuerService
from issuer_agent_helpers import (
    ENTRY_SLUGS,
    METHODS,
    RunningAgent,
    WalletClient,
    enrol_and_record,
    resolver,
    start_agent,
    status_checker,
)

from vcwork.badges import EndorsementSubject, Profile, endorsement_credential
from vcwork.credentials import issue_credential, verify_credential
from vcwork.did import create_did_key

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_catalog_lists_pathway_with_associations(agent: RunningAgent) -> None:
    with agent.client(staff=False) as client:
        catalog = client.get("/catalog").json()
    slugs = [entry["slug"] for entry in catalog["achievements"]]
    assert set(ENTRY_SLUGS) <= set(slugs)
    certificate = next(
        e
        for e in catalog["achievements"]
        if e["slug"] == "pre-apprenticeship-certificate"
    )
    assert certificate["level"] == "intermediate"
    assert certificate["autoAward"] is True
    types = {a["associationType"] for a in certificate["associations"]}
    assert types == {"isPartOf", "precedes"}
    assert len(certificate["achievement"]["related"]) == 5


def test_define_achievement_with_competency(agent: RunningAgent) -> None:
    body = {
        "slug": "scaffold-basics",
        "name": "Scaffold Basics",
        "description": "Erects and inspects a frame scaffold.",
        "level": "entry",
        "can_do": ["Inspect a frame scaffold before use."],
        "assessment_method": "observed demonstration",
        "context": "Training yard, two-person crew.",
        "alignments": [
            {
                "targetName": "Construction Laborers",
                "targetUrl": "https://www.onetonline.org/link/summary/47-2061.00",
            }
        ],
    }
    with agent.client() as client:
        created = client.post("/catalog", json=body)
        duplicate = client.post("/catalog", json=body)
        metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert created.status_code == 201, created.text
    assert (
        "Inspect a frame scaffold"
        in created.json()["achievement"]["criteria"]["narrative"]
    )
    assert duplicate.status_code == 409
    assert (
        metadata["credential_configurations_supported"]["scaffold-basics"]["format"]
        == "ldp_vc"
    )


def test_record_issues_verifiable_badge_with_status(agent: RunningAgent) -> None:
    with agent.client() as client:
        record = enrol_and_record(client, email="ana@example.org")
    credential = record["credential"]
    assert credential["issuer"]["id"] == "did:web:localhost%3A" + str(
        agent.settings.port
    )
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"
    result = verify_credential(
        credential, resolver=resolver(), status_checker=status_checker()
    )
    assert result.verified, result.problems


def test_revocation_is_visible_to_verifiers(agent: RunningAgent) -> None:
    with agent.client() as client:
        credential = enrol_and_record(client)["credential"]
        response = client.post(
            f"/credentials/{credential['id']}/revoke",
            json={"reason": "assessment voided"},
        )
        audit = client.get("/audit", params={"credential_id": credential["id"]}).json()
        suspend = client.post(
            f"/credentials/{credential['id']}/suspend", json={"reason": "x"}
        )
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert audit["entries"][0]["reason"] == "assessment voided"
    assert suspend.status_code == 409
    result = verify_credential(
        credential, resolver=resolver(), status_checker=status_checker()
    )
    assert not result.verified


def test_status_list_has_caching_headers(agent: RunningAgent) -> None:
    with agent.client() as client:
        credential = enrol_and_record(client)["credential"]
        url = credential["credentialStatus"]["statusListCredential"]
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert first.status_code == 200
    assert "max-age=" in first.headers["cache-control"]
    assert again.status_code == 304


def test_openid4vci_offer_redeemed_by_wallet(agent: RunningAgent) -> None:
    wallet = WalletClient()
    with agent.client() as client:
        credential_id = enrol_and_record(client)["credential"]["id"]
        offer = client.post(
            f"/credentials/{credential_id}/offers", json={"tx_code": True}
        ).json()
        png = client.get(offer["qrPng"])
        svg = client.get(offer["qrSvg"])
    assert offer["link"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert png.headers["content-type"] == "image/png"
    assert svg.content.lstrip().startswith(b"<?xml") or b"<svg" in svg.content
    credential = wallet.redeem(offer["link"], tx_code=offer["txCode"])
    assert credential["id"] == credential_id
    assert credential["credentialSubject"]["id"] == wallet.did
    result = verify_credential(
        credential, resolver=resolver(), status_checker=status_checker()
    )
    assert result.verified, result.problems


def test_openid4vci_rejects_wrong_tx_code_and_reuse(agent: RunningAgent) -> None:
    wallet = WalletClient()
    with agent.client() as client:
        credential_id = enrol_and_record(client)["credential"]["id"]
        offer = client.post(
            f"/credentials/{credential_id}/offers", json={"tx_code": True}
        ).json()
    with pytest.raises(httpx.HTTPStatusError) as wrong:
        wallet.redeem(
            offer["link"], tx_code="000000" if offer["txCode"] != "000000" else "111111"
        )
    assert wrong.value.response.json()["error"] == "invalid_grant"
    wallet.redeem(offer["link"], tx_code=offer["txCode"])
    with pytest.raises(httpx.HTTPStatusError) as reused:
        wallet.redeem(offer["link"], tx_code=offer["txCode"])
    assert reused.value.response.status_code == 404


def test_credential_endpoint_rejects_bad_proofs(agent: RunningAgent) -> None:
    from vcwork.exchange.oid4vci import create_proof_jwt, token_request_form

    with agent.client() as client:
        credential_id = enrol_and_record(client)["credential"]["id"]
        offer = client.post(
            f"/credentials/{credential_id}/offers", json={"tx_code": False}
        ).json()
        code = client.get(offer["credentialOfferUri"]).json()["grants"][
            "urn:ietf:params:oauth:grant-type:pre-authorized_code"
        ]["pre-authorized_code"]
        token = client.post("/token", data=token_request_form(code)).json()[
            "access_token"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        holder, _ = create_did_key()
        wrong_audience = create_proof_jwt(
            holder,
            audience="https://elsewhere.example",
            nonce=client.post("/nonce").json()["c_nonce"],
        )
        unknown_nonce = create_proof_jwt(
            holder, audience=agent.base_url, nonce="not-issued"
        )
        cases = {
            "wrong audience": {
                "credential_configuration_id": "hand-tools",
                "proofs": {"jwt": [wrong_audience]},
            },
            "unknown nonce": {
                "credential_configuration_id": "hand-tools",
                "proofs": {"jwt": [unknown_nonce]},
            },
            "no proofs": {"credential_configuration_id": "hand-tools"},
            "wrong configuration": {
                "credential_configuration_id": "jobsite-safety",
                "proofs": {"jwt": [unknown_nonce]},
            },
            "garbage jwt": {
                "credential_configuration_id": "hand-tools",
                "proofs": {"jwt": ["a.b.c"]},
            },
        }
        errors = {
            name: client.post("/credential", json=body, headers=headers)
            for name, body in cases.items()
        }
        no_token = client.post(
            "/credential",
            json=cases["no proofs"],
            headers={"Authorization": "Bearer nope"},
        )
    assert errors["wrong audience"].json()["error"] == "invalid_proof"
    assert errors["unknown nonce"].json()["error"] == "invalid_nonce"
    assert errors["no proofs"].json()["error"] == "invalid_proof"
    assert (
        errors["wrong configuration"].json()["error"]
        == "unknown_credential_configuration"
    )
    assert errors["garbage jwt"].json()["error"] == "invalid_proof"
    assert all(r.status_code == 400 for r in errors.values())
    assert no_token.status_code == 401


@pytest.mark.parametrize(
    "reserved",
    [
        {
            "credentialStatus": {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "1",
                "statusListCredential": "https://elsewhere.example/list",
            }
        },
        {"proof": {"type": "DataIntegrityProof", "proofValue": "z1"}},
    ],
    ids=["caller-status", "caller-proof"],
)
def test_vc_api_issue_rejects_reserved_properties(
    agent: RunningAgent, reserved: dict[str, object]
) -> None:
    _, holder = create_did_key()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": holder},
        **reserved,
    }
    with agent.client() as client:
        response = client.post("/credentials/issue", json={"credential": credential})
    assert response.status_code in (400, 422), response.text
    assert next(iter(reserved)) in response.json()["detail"]


def test_vc_api_issue_and_status(agent: RunningAgent) -> None:
    _, holder = create_did_key()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": holder},
    }
    with agent.client() as client:
        issued = client.post("/credentials/issue", json={"credential": credential})
        vc = issued.json()["verifiableCredential"]
        suspend = client.post(
            "/credentials/status",
            json={
                "credentialId": vc["id"],
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "suspension",
                },
                "status": True,
            },
        )
        suspended = verify_credential(
            vc, resolver=resolver(), status_checker=status_checker()
        )
        reinstate = client.post(
            "/credentials/status",
            json={
                "credentialId": vc["id"],
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "suspension",
                },
                "status": False,
            },
        )
        bad_context = client.post(
            "/credentials/issue",
            json={
                "credential": {**credential, "@context": ["https://example.org/ctx"]}
            },
        )
        undefined_term = client.post(
            "/credentials/issue", json={"credential": {**credential, "notATerm": 1}}
        )
    assert issued.status_code == 201
    assert suspend.status_code == 200
    assert not suspended.verified
    assert reinstate.json()["status"] == "active"
    assert bad_context.status_code in (400, 422)
    assert undefined_term.status_code in (400, 422)
    assert "notATerm" in undefined_term.json()["detail"]


def test_endorsement_shown_with_achievement(agent: RunningAgent) -> None:
    association_key, association_did = create_did_key()
    achievement_id = f"{agent.base_url}/achievements/hand-tools"
    unsigned = endorsement_credential(
        id="urn:uuid:5d1d3c49-2f0a-4a43-a7c8-0f3c1f1b9e01",
        issuer=Profile(id=association_did, name="Builders Association"),
        subject=EndorsementSubject(
            id=achievement_id, endorsement_comment="Meets our hiring bar."
        ),
        valid_from="2024-01-01T00:00:00Z",
        name="Endorsement of Hand Tool Proficiency",
    )
    signed = issue_credential(unsigned, association_key)
    with agent.client() as client:
        stored = client.post("/endorsements", json=signed)
        tampered = client.post("/endorsements", json={**signed, "name": "changed"})
        shown = client.get("/achievements/hand-tools").json()
    assert stored.status_code == 201, stored.text
    assert tampered.status_code == 422
    assert shown["endorsement"][0]["issuer"]["id"] == association_did


def test_pathway_awarded_after_all_parts(agent: RunningAgent) -> None:
    with agent.client() as client:
        participant = client.post("/participants", json={"name": "Sam Lee"}).json()
        awarded = []
        for slug in ENTRY_SLUGS:
            record = client.post(
                f"/participants/{participant['id']}/records",
                json={
                    "achievement": slug,
                    "assessment_method": METHODS[slug],
                    "assessor": "J. Smith",
                    "assessed_on": "2024-06-01",
                },
            ).json()
            awarded.extend(record["awarded"])
        held = client.get(f"/participants/{participant['id']}").json()["credentials"]
    assert len(awarded) == 1
    assert [c["achievement"] for c in held][-1] == "pre-apprenticeship-certificate"


def test_roster_import_reports_rows(agent: RunningAgent) -> None:
    roster = (
        "name,email,achievement,assessment_method,assessor,assessed_on,evidence_url\n"
        "Ana,ana@example.org,hand-tools,observed demonstration,J. Smith,2024-05-01,https://example.org/e/1\n"
        "Ben,ben@example.org,no-such-badge,exam,J. Smith,2024-05-01,\n"
        "Cy,cy@example.org,construction-math,exam,J. Smith,not-a-date,\n"
        "Di,di@example.org,construction-math,exam,J. Smith,2024-05-02,\n"
    )
    with agent.client() as client:
        response = client.post(
            "/roster", content=roster, headers={"Content-Type": "text/csv"}
        )
        result = response.json()
        ben = client.get("/participants/none").status_code
    assert result["issued"] == 2
    assert result["failed"] == 2
    assert [r["row"] for r in result["results"] if not r["ok"]] == [3, 4]
    assert ben == 404


def test_staff_routes_need_api_key(agent: RunningAgent) -> None:
    with agent.client(staff=False) as client:
        anonymous = client.post("/participants", json={"name": "X"})
        wrong = client.post(
            "/participants",
            json={"name": "X"},
            headers={"Authorization": "Bearer wrong"},
        )
        issue = client.post("/credentials/issue", json={"credential": {}})
        public = client.get("/.well-known/did.json")
    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert issue.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert public.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/participants", b'{"name": 5}'),
        ("/participants", b'{"nam": "x"}'),
        ("/participants", b"[]"),
        ("/participants", b"{not json"),
        ("/participants/x/records", b'{"achievement": "hand-tools"}'),
        ("/credentials/issue", b"[" * 50000 + b"]" * 50000),
        ("/credentials/issue", b'{"credential": "text"}'),
        ("/credentials/issue", b'{"credential": {"@context": 5}}'),
        ("/credentials/status", b'{"credentialId": 1}'),
        (
            "/credentials/status",
            b'{"credentialId": "urn:x", "credentialStatus": {"statusPurpose": "revocation"}, "status": true}',
        ),
        ("/endorsements", b'{"@context": []}'),
        (
            "/catalog",
            b'{"slug": "x y", "name": "n", "description": "d", "level": "entry", "criteria_narrative": "c"}',
        ),
        ("/token", b"grant_type=password"),
        ("/credential", b"{}"),
        ("/credentials/x/revoke", b'{"reason": ""}'),
    ],
)
def test_hostile_bodies_get_4xx_json(
    agent: RunningAgent, path: str, body: bytes
) -> None:
    with agent.client() as client:
        response = client.post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json(), dict)


def test_body_limit_returns_413(agent: RunningAgent) -> None:
    big = b'{"credential": "' + b"a" * (agent.settings.max_body_bytes + 10) + b'"}'

    def chunks():  # sent without Content-Length
        yield big

    with agent.client() as client:
        declared = client.post(
            "/credentials/issue",
            content=big,
            headers={"Content-Type": "application/json"},
        )
        streamed = client.post(
            "/credentials/issue",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert declared.json()["status"] == 413


def test_restart_keeps_data_and_keys(agent: RunningAgent) -> None:
    with agent.client() as client:
        credential = enrol_and_record(client)["credential"]
        before = client.get("/.well-known/did.json").json()
    agent.stop()
    again = start_agent(agent.settings, agent.api_key)
    try:
        with again.client() as client:
            after = client.get("/.well-known/did.json").json()
            stored = client.get(f"/credentials/{credential['id']}")
        assert after == before
        assert stored.json()["verifiableCredential"] == credential
        assert verify_credential(
            credential, resolver=resolver(), status_checker=status_checker()
        ).verified
    finally:
        again.stop()


def test_key_rotation_keeps_old_credentials_valid(agent: RunningAgent) -> None:
    with agent.client() as client:
        old = enrol_and_record(client)["credential"]
    service = IssuerService(agent.settings)
    try:
        service.rotate_key()
    finally:
        service.close()
    with agent.client() as client:
        new = enrol_and_record(client)["credential"]
        document = client.get("/.well-known/did.json").json()
    assert len(document["verificationMethod"]) == 2
    assert old["proof"]["verificationMethod"] != new["proof"]["verificationMethod"]
    for credential in (old, new):
        result = verify_credential(
            credential, resolver=resolver(), status_checker=status_checker()
        )
        assert result.verified, result.problems


def test_signing_key_not_in_database_in_clear(agent: RunningAgent) -> None:
    database = Database(agent.settings.resolved_database_url)
    try:
        with database.engine.connect() as connection:
            from sqlalchemy import text

            rows = connection.execute(
                text("SELECT encrypted_seed FROM issuer_key")
            ).all()
    finally:
        database.close()
    assert rows
    assert all(len(row[0]) == 32 + 16 for row in rows)


def test_openapi_document_is_served(agent: RunningAgent) -> None:
    with agent.client(staff=False) as client:
        spec = client.get("/openapi.json").json()
    assert "/credentials/issue" in spec["paths"]
    assert "/token" in spec["paths"]
