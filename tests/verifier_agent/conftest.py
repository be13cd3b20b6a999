"""Fixtures: signed badges from the library, and a verifier agent on loopback."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from vcwork.badges import (
    AchievementSubject,
    EndorsementSubject,
    Profile,
    Result,
    endorsement_credential,
    open_badge_credential,
)
from vcwork.badges.catalog import construction_pre_apprenticeship_catalog
from vcwork.credentials import issue_credential
from vcwork.dates import utcnow
from vcwork.did import create_did_key
from vcwork.exchange.oid4vp import (
    REQUEST_OBJECT_MEDIA_TYPE,
    AuthorizationRequest,
    decode_request_object,
    parse_authorization_link,
    sign_ldp_vp_response,
)
from vcwork.keys import Ed25519KeyPair
from verifier_agent import Settings, TrustedIssuer, create_app

PROGRAM_URL = "https://construction-pathways.example"


@dataclass
class Parties:
    issuer_key: Ed25519KeyPair
    issuer_did: str
    holder_key: Ed25519KeyPair
    holder_did: str
    badges: list[dict[str, Any]]
    endorsement: dict[str, Any]


@pytest.fixture(scope="session")
def parties() -> Parties:
    issuer_key, issuer_did = create_did_key()
    holder_key, holder_did = create_did_key()
    endorser_key, endorser_did = create_did_key()
    issuer = Profile(
        id=issuer_did, name="Construction Pathways Program", url=PROGRAM_URL
    )
    catalog = construction_pre_apprenticeship_catalog(issuer_base=PROGRAM_URL)
    now = utcnow()
    badges = []
    for entry in list(catalog)[:2]:
        credential = open_badge_credential(
            id=f"urn:uuid:{uuid.uuid4()}",
            issuer=issuer,
            subject=AchievementSubject(
                id=holder_did,
                achievement=entry.achievement,
                result=[Result(status="Completed")],
            ),
            valid_from=now - timedelta(minutes=1),
            valid_until=now + timedelta(days=365),
        )
        badges.append(issue_credential(credential, issuer_key))
    endorsement = issue_credential(
        endorsement_credential(
            id=f"urn:uuid:{uuid.uuid4()}",
            issuer=Profile(id=endorser_did, name="Regional Builders Association"),
            subject=EndorsementSubject(
                id=issuer_did, endorsement_comment="Graduates are jobsite ready."
            ),
            valid_from=now - timedelta(minutes=1),
            name="Endorsement of the program",
        ),
        endorser_key,
    )
    return Parties(issuer_key, issuer_did, holder_key, holder_did, badges, endorsement)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A uvicorn server in a thread on 127.0.0.1."""

    def __init__(self, app: Any, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError(f"the test server at {self.url} did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def settings(tmp_path: Path, parties: Parties) -> Settings:
    port = free_port()
    return Settings(
        data_dir=tmp_path / "verifier",
        public_base_url=f"http://127.0.0.1:{port}",
        port=port,
        trusted_issuers=(
            TrustedIssuer(id=parties.issuer_did, name="Construction Pathways Program"),
        ),
        allow_http_loopback=True,
        rate_limit_requests=10_000,
    )


@pytest.fixture
def verifier(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings), settings.port) as server:
        yield server


@pytest.fixture
def client(verifier: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=verifier.url, timeout=30) as http:
        yield http


@pytest.fixture
def wallet(parties: Parties) -> TestWallet:
    return TestWallet(parties)


class TestWallet:
    __test__ = False

    """A minimal wallet built on the library: fetch the request, sign, direct_post."""

    def __init__(self, parties: Parties) -> None:
        self.parties = parties

    def fetch_request(self, link: str) -> AuthorizationRequest:
        _, request_uri = parse_authorization_link(link)
        response = httpx.get(request_uri, timeout=30)
        response.raise_for_status()
        assert response.headers["content-type"].startswith(REQUEST_OBJECT_MEDIA_TYPE)
        return decode_request_object(response.text)

    def respond(
        self,
        request: AuthorizationRequest,
        *,
        nonce: str | None = None,
        client_id: str | None = None,
        credentials: list[dict[str, Any]] | None = None,
    ) -> httpx.Response:
        signed_for = replace(
            request,
            nonce=nonce or request.nonce,
            client_id=client_id or request.client_id,
        )
        answer = sign_ldp_vp_response(
            signed_for,
            {"badges": credentials or self.parties.badges},
            self.parties.holder_key,
            holder=self.parties.holder_did,
        )
        form = replace(answer, state=request.state).to_form()
        return httpx.post(request.response_uri, data=form, timeout=30)


@pytest.fixture
def start_verifier() -> Any:
    """Return a function that starts a verifier with changed settings on a new port."""

    def start(base: Settings, **changes: Any) -> LiveServer:
        port = free_port()
        changed = replace(
            base, port=port, public_base_url=f"http://127.0.0.1:{port}", **changes
        )
        return LiveServer(create_app(changed), port)

    return start
