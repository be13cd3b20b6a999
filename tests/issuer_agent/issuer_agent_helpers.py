"""A minimal test wallet client and verifier setup for the issuer agent tests."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from issuer_agent.app import create_app

from issuer_agent import Settings
from vcwork.did import DidResolver, DidWebOptions, create_did_key
from vcwork.exchange.oid4vci import (
    CredentialOffer,
    CredentialRequest,
    create_proof_jwt,
    parse_credential_offer_link,
    token_request_form,
)
from vcwork.keys import Ed25519KeyPair
from vcwork.status import BitstringStatusListChecker

ENTRY_SLUGS = (
    "osha-10-construction",
    "hand-tools",
    "jobsite-safety",
    "construction-math",
    "blueprint-reading",
)
METHODS = {
    "osha-10-construction": "exam",
    "hand-tools": "observed demonstration",
    "jobsite-safety": "skills assessment",
    "construction-math": "exam",
    "blueprint-reading": "project completion",
}


def resolver() -> DidResolver:
    return DidResolver(web=DidWebOptions(allow_http_loopback=True))


def status_checker() -> BitstringStatusListChecker:
    return BitstringStatusListChecker(resolver=resolver(), allow_http_loopback=True)


def enrol_and_record(
    client: httpx.Client, slug: str = "hand-tools", **participant: Any
) -> dict[str, Any]:
    body = {"name": "Ana Lopez", **participant}
    enrolled = client.post("/participants", json=body)
    assert enrolled.status_code == 201, enrolled.text
    record = client.post(
        f"/participants/{enrolled.json()['id']}/records",
        json={
            "achievement": slug,
            "assessment_method": METHODS[slug],
            "assessor": "Jordan Smith",
            "assessed_on": "2024-05-01",
            "evidence": [
                {"url": "https://training.example.org/work/42", "name": "Shop task"}
            ],
        },
    )
    assert record.status_code == 201, record.text
    return dict(record.json())


class WalletClient:
    """Redeems a credential offer link as a wallet would, over HTTP."""

    def __init__(self) -> None:
        self.key_pair: Ed25519KeyPair
        self.key_pair, self.did = create_did_key()

    def redeem(self, link: str, *, tx_code: str | None) -> dict[str, Any]:
        offer_uri = parse_credential_offer_link(link)
        assert isinstance(offer_uri, str)
        with httpx.Client(timeout=30) as http:
            offer = CredentialOffer.from_json(
                http.get(offer_uri).raise_for_status().json()
            )
            metadata = (
                http.get(
                    f"{offer.credential_issuer}/.well-known/openid-credential-issuer"
                )
                .raise_for_status()
                .json()
            )
            as_metadata = (
                http.get(
                    f"{offer.credential_issuer}/.well-known/oauth-authorization-server"
                )
                .raise_for_status()
                .json()
            )
            token = http.post(
                as_metadata["token_endpoint"],
                data=token_request_form(offer.pre_authorized_code, tx_code=tx_code),
            )
            token.raise_for_status()
            nonce = (
                http.post(metadata["nonce_endpoint"])
                .raise_for_status()
                .json()["c_nonce"]
            )
            proof = create_proof_jwt(
                self.key_pair, audience=offer.credential_issuer, nonce=nonce
            )
            request = CredentialRequest(
                credential_configuration_id=offer.credential_configuration_ids[0],
                proof_type="jwt",
                proofs=(proof,),
            )
            response = http.post(
                metadata["credential_endpoint"],
                json=request.to_json(),
                headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            )
            response.raise_for_status()
            return dict(response.json()["credentials"][0]["credential"])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningAgent:
    """An agent serving on 127.0.0.1, reached as http://localhost:PORT."""

    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread
    api_key: str

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def client(self, *, staff: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.api_key}"} if staff else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start_agent(settings: Settings, api_key: str) -> RunningAgent:
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the issuer agent did not start")
        time.sleep(0.02)
    return RunningAgent(settings, server, thread, api_key)
