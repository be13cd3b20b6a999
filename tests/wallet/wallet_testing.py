"""Test helpers: a loopback server runner, and small OpenID4VCI issuer and OpenID4VP verifier servers on loopback.

The issuer and verifier here are built from the library only (the shared
``vcwork.exchange`` messages, ``issue_credential``, ``verify_presentation``)
so the wallet's protocol code runs over real HTTP. They keep their state in
memory because they live for one test.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from vcwork.badges import AchievementSubject, Profile, Result, open_badge_credential
from vcwork.badges.catalog import construction_pre_apprenticeship_catalog
from vcwork.credentials import issue_credential, verify_presentation
from vcwork.dates import utcnow
from vcwork.did import create_did_key
from vcwork.exchange.oid4vci import (
    CredentialOffer,
    CredentialRequest,
    TxCode,
    credential_offer_link,
    verify_proof_jwt,
)
from vcwork.exchange.oid4vp import (
    AuthorizationRequest,
    CredentialQuery,
    ShareDocument,
    authorization_link,
    encode_request_object,
    parse_direct_post_response,
)

OB_TYPE = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
PASSPHRASE = "correct horse battery staple"


class LoopbackServer:
    """Run an ASGI app with uvicorn in a thread on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, app: Any) -> LoopbackServer:
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 20 s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.socket.close()


@dataclass
class LoopbackIssuer:
    """An OpenID4VCI issuer of the construction program's badges."""

    url: str
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)
    nonces: set[str] = field(default_factory=set)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    tamper: bool = False

    def __post_init__(self) -> None:
        self.key, self.did = create_did_key()
        self.catalog = construction_pre_apprenticeship_catalog(
            issuer_base="https://construction-pathways.example"
        )

    def offer(self, slugs: list[str], *, tx_code: str | None = None) -> str:
        """Create an offer for catalog entries and return its link (by reference)."""
        offer_id = secrets.token_urlsafe(8)
        code = secrets.token_urlsafe(16)
        offer = CredentialOffer(
            credential_issuer=self.url,
            credential_configuration_ids=tuple(slugs),
            pre_authorized_code=code,
            tx_code=TxCode(length=len(tx_code), description="Sent to you by e-mail")
            if tx_code
            else None,
        )
        self.offers[offer_id] = {"offer": offer, "tx_code": tx_code, "used": False}
        return credential_offer_link(
            credential_offer_uri=f"{self.url}/offers/{offer_id}"
        )

    def issue(self, slug: str, holder: str) -> dict[str, Any]:
        entry = self.catalog.get(slug)
        now = utcnow()
        credential = open_badge_credential(
            id=f"urn:uuid:{uuid.uuid4()}",
            issuer=Profile(id=self.did, name="Construction Pathways Program"),
            subject=AchievementSubject(
                id=holder,
                achievement=entry.achievement,
                result=[Result(status="Completed")],
            ),
            valid_from=now,
            valid_until=now + timedelta(days=365),
        )
        signed = issue_credential(credential, self.key)
        if self.tamper:
            signed["credentialSubject"]["achievement"]["name"] += " (edited)"
        return signed


def issuer_app(issuer: LoopbackIssuer) -> FastAPI:
    app = FastAPI()

    @app.get("/offers/{offer_id}")
    def get_offer(offer_id: str) -> dict[str, Any]:
        if offer_id not in issuer.offers:
            raise HTTPException(404)
        offer: CredentialOffer = issuer.offers[offer_id]["offer"]
        return offer.to_json()

    @app.get("/.well-known/openid-credential-issuer")
    def metadata() -> dict[str, Any]:
        return {
            "credential_issuer": issuer.url,
            "credential_endpoint": f"{issuer.url}/credential",
            "nonce_endpoint": f"{issuer.url}/nonce",
            "display": [{"name": "Construction Pathways Program"}],
            "credential_configurations_supported": {
                entry.slug: {
                    "format": "ldp_vc",
                    "proof_types_supported": {
                        "jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}
                    },
                    "credential_metadata": {
                        "display": [{"name": entry.achievement.name}]
                    },
                }
                for entry in issuer.catalog
            },
        }

    @app.get("/.well-known/oauth-authorization-server")
    def server_metadata() -> dict[str, Any]:
        return {"issuer": issuer.url, "token_endpoint": f"{issuer.url}/token"}

    @app.post("/token")
    def token(
        grant_type: str = Form(...),
        pre_authorized_code: str = Form(..., alias="pre-authorized_code"),
        tx_code: str | None = Form(None),
    ) -> JSONResponse:
        for record in issuer.offers.values():
            offer: CredentialOffer = record["offer"]
            if offer.pre_authorized_code != pre_authorized_code or record["used"]:
                continue
            if record["tx_code"] is not None and tx_code != record["tx_code"]:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            record["used"] = True
            access_token = secrets.token_urlsafe(16)
            issuer.tokens[access_token] = record
            return JSONResponse(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                }
            )
        return JSONResponse({"error": "invalid_grant"}, status_code=400)

    @app.post("/nonce")
    def nonce() -> dict[str, str]:
        value = secrets.token_urlsafe(16)
        issuer.nonces.add(value)
        return {"c_nonce": value}

    @app.post("/credential")
    async def credential(request: Request, authorization: str = Header("")) -> Any:
        record = issuer.tokens.get(authorization.removeprefix("Bearer "))
        if record is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        body = CredentialRequest.from_json(await request.json())
        proof = verify_proof_jwt(body.proofs[0], audience=issuer.url)
        if proof.nonce not in issuer.nonces:
            return JSONResponse({"error": "invalid_nonce"}, status_code=400)
        issuer.nonces.discard(proof.nonce)
        signed = issuer.issue(body.credential_configuration_id, proof.holder)
        return {"credentials": [{"credential": signed}]}

    return app


@dataclass
class LoopbackVerifier:
    """An OpenID4VP verifier asking for Open Badges, and a share-link result page."""

    url: str
    requests: dict[str, AuthorizationRequest] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def request_link(self, *, multiple: bool = True) -> str:
        request = AuthorizationRequest.create(
            response_uri=f"{self.url}/response",
            queries=[
                CredentialQuery(
                    id="badges", type_values=((OB_TYPE,),), multiple=multiple
                )
            ],
            client_name="BuildRight Hiring",
        )
        request_id = secrets.token_urlsafe(8)
        self.requests[request_id] = request
        return authorization_link(
            client_id=request.client_id, request_uri=f"{self.url}/request/{request_id}"
        )


def verifier_app(verifier: LoopbackVerifier) -> FastAPI:
    app = FastAPI()

    @app.get("/request/{request_id}")
    def get_request(request_id: str) -> PlainTextResponse:
        request = verifier.requests[request_id]
        return PlainTextResponse(
            encode_request_object(request), media_type="application/oauth-authz-req+jwt"
        )

    @app.post("/response")
    async def response(request: Request) -> dict[str, str]:
        form = await request.form()
        answer = parse_direct_post_response(dict(form))
        matching = [r for r in verifier.requests.values() if r.state == answer.state]
        if not matching:
            raise HTTPException(400, "unknown state")
        auth = matching[0]
        results = [
            verify_presentation(p, challenge=auth.nonce, domain=auth.client_id)
            for _, p in answer.presentations()
        ]
        result_id = secrets.token_urlsafe(8)
        verifier.results[result_id] = {
            "verified": all(r.verified for r in results),
            "count": sum(len(r.credential_results) for r in results),
            "names": [
                c.document["credentialSubject"]["achievement"]["name"]
                for r in results
                for c in r.credential_results
                if c.document is not None
            ],
        }
        return {"redirect_uri": f"{verifier.url}/result/{result_id}"}

    @app.get("/shared")
    def shared(u: str) -> dict[str, Any]:
        document = ShareDocument.from_json(httpx.get(u).json())
        result = verify_presentation(
            document.presentation, challenge=document.challenge, domain=document.domain
        )
        return {"verified": result.verified, "count": len(result.credential_results)}

    @app.get("/result/{result_id}")
    def result(result_id: str) -> dict[str, Any]:
        return verifier.results[result_id]

    return app
