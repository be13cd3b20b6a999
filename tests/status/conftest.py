"""Shared fixtures: an issuer key, a status list store and a counting fetcher."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vcwork.credentials import issue_credential
from vcwork.did import create_did_key
from vcwork.keys import Ed25519KeyPair
from vcwork.status import FetchResponse, StatusListStore, sqlite_url

LIST_BASE_URL = "https://issuer.test/status"


@pytest.fixture(scope="session")
def issuer() -> tuple[Ed25519KeyPair, str]:
    return create_did_key(Ed25519KeyPair.from_seed(bytes(range(32))))


@pytest.fixture
def store(tmp_path: Path, issuer: tuple[Ed25519KeyPair, str]) -> StatusListStore:
    key_pair, _ = issuer
    return StatusListStore(
        sqlite_url(tmp_path / "status.db"),
        list_base_url=LIST_BASE_URL,
        key_pair=key_pair,
    )


class CountingFetcher:
    """Serve signed status list credentials from a dict and count the fetches."""

    def __init__(
        self,
        documents: dict[str, Any] | None = None,
        *,
        store: StatusListStore | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.documents = documents if documents is not None else {}
        self.store = store
        self.headers = headers or {}
        self.calls: list[str] = []

    def __call__(self, url: str) -> FetchResponse:
        self.calls.append(url)
        document = self.documents.get(url)
        if document is None and self.store is not None:
            document = self.store.status_list_credential(url)
        if document is None:
            from vcwork.status import StatusRetrievalError

            raise StatusRetrievalError(f"test fetcher has no document at {url}")
        body = (
            document if isinstance(document, bytes) else json.dumps(document).encode()
        )
        return FetchResponse(body, self.headers)


@pytest.fixture
def make_credential(
    issuer: tuple[Ed25519KeyPair, str],
) -> Callable[..., dict[str, Any]]:
    key_pair, did = issuer

    def make(credential_id: str, status: Any) -> dict[str, Any]:
        credential = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": credential_id,
            "type": ["VerifiableCredential"],
            "issuer": did,
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:learner"},
            "credentialStatus": status,
        }
        return issue_credential(credential, key_pair, created="2025-01-01T00:00:00Z")

    return make
