"""Fixtures for the anchoring tests: issuer keys, signed credentials, logs and a local EVM node.

The EVM node is anvil from the npm package ``@foundry-rs/anvil``, pinned in
``evm/package.json`` and ``evm/package-lock.json``. When ``evm/node_modules``
is missing, the first EVM test runs ``npm ci`` there once per session. The
node listens on 127.0.0.1 only. Without node or npm the EVM tests are skipped,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.evm_node import ANVIL_CHAIN_ID as ANVIL_CHAIN_ID
from tests.evm_node import start_anvil, stop_process_group

from vcwork.anchoring import AnchorLog, sqlite_url
from vcwork.credentials import issue_credential
from vcwork.did import create_did_key
from vcwork.keys import Ed25519KeyPair


class FakeClock:
    """A clock the tests move forward by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def issuer_key() -> Ed25519KeyPair:
    return create_did_key()[0]


@pytest.fixture(scope="session")
def other_key() -> Ed25519KeyPair:
    return create_did_key()[0]


def make_credential(key: Ed25519KeyPair, number: int) -> dict[str, Any]:
    """Return a signed VC 2.0 credential of ``key``'s controller."""
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "validFrom": "2026-05-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:participant",
            "name": f"Participant {number}",
        },
    }
    return issue_credential(
        unsigned, key, cryptosuite="eddsa-jcs-2022", created="2026-05-01T09:00:00Z"
    )


@pytest.fixture(scope="session")
def credentials(issuer_key: Ed25519KeyPair) -> list[dict[str, Any]]:
    return [make_credential(issuer_key, n) for n in range(1, 8)]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "anchors.db")


@pytest.fixture
def anchor_log(
    database_url: str, issuer_key: Ed25519KeyPair, clock: FakeClock
) -> AnchorLog:
    return AnchorLog(database_url, key_pair=issuer_key, clock=clock)


# -- local EVM node ---------------------------------------------------------------


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """Start anvil on 127.0.0.1 for the session and stop it afterwards."""
    port = free_loopback_port()
    process = start_anvil(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_group(process)


@pytest.fixture(scope="session")
def web3(anvil_url: str) -> Any:
    from web3 import Web3

    return Web3(Web3.HTTPProvider(anvil_url, request_kwargs={"timeout": 30}))


CredentialFactory = Callable[[int], dict[str, Any]]
