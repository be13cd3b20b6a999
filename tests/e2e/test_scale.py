"""Scale mode end to end: PostgreSQL, two workers per agent, anchors on a local EVM node.

Runs when ``VCWORK_TEST_POSTGRES_URL`` names a PostgreSQL server
(``scripts/run-tests.sh`` starts a throw-away one); under ``CI=true`` a
missing server is a failure. The test starts anvil, the issuer agent and
the verifier agent on 127.0.0.1 as process groups of their own, and stops
every group when it ends, also on failure.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_helpers import free_port
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.evm_node import (
    ANVIL_CHAIN_ID,
    fund_account,
    start_anvil,
    stop_process_group,
    wait_for_port,
)

from vcwork.anchoring import AnchorChecker
from vcwork.anchoring.http_client import HttpReceiptLookup
from vcwork.credentials import verify_credential
from vcwork.did import DidResolver, DidWebOptions, create_did_key

POSTGRES_URL = os.environ.get("VCWORK_TEST_POSTGRES_URL")

if POSTGRES_URL is None and os.environ.get("CI") != "true":
    pytest.skip(
        "VCWORK_TEST_POSTGRES_URL is not set (scripts/run-tests.sh starts a server)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CREDENTIAL_COUNT = 6
WORKERS = "2"


@dataclass
class ScaleSystem:
    """The running services of one test and what the test needs to reach them."""

    issuer_url: str
    issuer_did: str
    verifier_url: str
    anvil: subprocess.Popen[bytes]
    web3: Any
    account_id: str
    api_key: str
    logs: Path

    def issuer_client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.issuer_url,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=60,
        )


def _create_database(admin_url: str, prefix: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _prepare_issuer_database(data_dir: Path, database_url: str, port: int) -> str:
    """Create the issuer's schema, signing key and catalog once; return a staff API key.

    Two workers that start on an empty database would each create a signing
    key, so the first start runs here in one process.
    """
    from issuer_agent.db import Database
    from issuer_agent.keystore import create_api_key
    from issuer_agent.service import IssuerService

    from issuer_agent import Settings

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        public_base_url=f"http://localhost:{port}",
        port=port,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    IssuerService(settings).close()
    database = Database(database_url)
    try:
        return create_api_key(database, name="scale-test")
    finally:
        database.close()


def _start_service(
    command: list[str], *, port: int, name: str, log: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        wait_for_port(process, port, name=name)
    except BaseException:
        stop_process_group(process)
        raise
    return process


def _wait_until_ready(url: str, log: Path) -> None:
    """Wait until ``url`` returns 200: every worker has run its start-up by then."""
    deadline = time.monotonic() + 60
    last = ""
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as e:
            last = str(e)
        time.sleep(0.2)
    pytest.fail(f"{url} is not ready ({last}); log:\n{log.read_text()[-3000:]}")


@pytest.fixture
def scale_system(tmp_path: Path) -> Iterator[ScaleSystem]:
    assert POSTGRES_URL is not None, "CI needs VCWORK_TEST_POSTGRES_URL"
    from eth_account import Account
    from web3 import Web3

    logs = tmp_path / "logs"
    logs.mkdir()
    with ExitStack() as cleanup:
        anvil_port = free_port()
        anvil = start_anvil(anvil_port)
        cleanup.callback(stop_process_group, anvil)
        anvil_url = f"http://127.0.0.1:{anvil_port}"
        web3 = Web3(Web3.HTTPProvider(anvil_url, request_kwargs={"timeout": 10}))
        account = Account.create()
        fund_account(web3, account.address)

        issuer_db = _create_database(POSTGRES_URL, "vcwork_scale_issuer")
        cleanup.callback(_drop_database, POSTGRES_URL, issuer_db)
        verifier_db = _create_database(POSTGRES_URL, "vcwork_scale_verifier")
        cleanup.callback(_drop_database, POSTGRES_URL, verifier_db)

        issuer_port = free_port()
        issuer_dir = tmp_path / "issuer"
        api_key = _prepare_issuer_database(issuer_dir, issuer_db, issuer_port)
        env = {
            **os.environ,
            "VCWORK_ISSUER_EVM_ACCOUNT_KEY": account.key.hex(),
        }
        issuer = _start_service(
            [
                sys.executable,
                "-m",
                "vcwork",
                "issuer",
                "serve",
                "--data-dir",
                str(issuer_dir),
                "--port",
                str(issuer_port),
                "--database-url",
                issuer_db,
                "--workers",
                WORKERS,
                "--anchor-close-interval",
                "0",
                "--status-list-max-age",
                "0",
                "--evm-rpc-url",
                anvil_url,
                "--evm-allow-http-loopback",
            ],
            port=issuer_port,
            name="issuer agent",
            log=logs / "issuer.log",
            env=env,
        )
        cleanup.callback(stop_process_group, issuer)
        issuer_url = f"http://localhost:{issuer_port}"
        _wait_until_ready(f"{issuer_url}/.well-known/did.json", logs / "issuer.log")

        verifier_port = free_port()
        verifier = _start_service(
            [
                sys.executable,
                "-m",
                "vcwork",
                "verifier",
                "serve",
                "--data-dir",
                str(tmp_path / "verifier"),
                "--port",
                str(verifier_port),
                "--database-url",
                verifier_db,
                "--workers",
                WORKERS,
                "--allow-http-loopback",
                "--evm-node",
                f"{ANVIL_CHAIN_ID}={anvil_url}",
            ],
            port=verifier_port,
            name="verifier agent",
            log=logs / "verifier.log",
            env=dict(os.environ),
        )
        cleanup.callback(stop_process_group, verifier)
        verifier_url = f"http://127.0.0.1:{verifier_port}"
        _wait_until_ready(f"{verifier_url}/healthz", logs / "verifier.log")

        yield ScaleSystem(
            issuer_url=issuer_url,
            issuer_did=f"did:web:localhost%3A{issuer_port}",
            verifier_url=verifier_url,
            anvil=anvil,
            web3=web3,
            account_id=f"eip155:{ANVIL_CHAIN_ID}:{account.address}",
            api_key=api_key,
            logs=logs,
        )


def _issue(system: ScaleSystem, number: int) -> dict[str, Any]:
    _, holder = create_did_key()
    body = {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": holder, "name": f"Participant {number}"},
        }
    }
    with system.issuer_client() as client:
        response = client.post("/credentials/issue", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["verifiableCredential"])


def _library_check(
    system: ScaleSystem, credential: dict[str, Any], accounts: list[str]
) -> Any:
    resolver = DidResolver(web=DidWebOptions(allow_http_loopback=True))
    checker = AnchorChecker(
        receipts=HttpReceiptLookup(allow_http_loopback=True),
        evm_nodes={ANVIL_CHAIN_ID: system.web3},
        evm_accounts={system.issuer_did: accounts},
    )
    return verify_credential(credential, resolver=resolver, anchor_checker=checker)


def _verifier_anchor_check(
    system: ScaleSystem, credential: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    response = httpx.post(
        f"{system.verifier_url}/credentials/verify",
        json={"verifiableCredential": credential},
        timeout=60,
    )
    checks = {c["check"]: c for c in response.json()["details"]["checks"]}
    return response.status_code, checks["anchor"]


def test_scale_issue_anchor_on_evm_and_verify(scale_system: ScaleSystem) -> None:
    system = scale_system

    did_document = httpx.get(f"{system.issuer_url}/.well-known/did.json").json()
    declared = [s.get("blockchainAccountId") for s in did_document.get("service", [])]
    assert declared == [system.account_id]

    with ThreadPoolExecutor(max_workers=CREDENTIAL_COUNT) as pool:
        credentials = list(
            pool.map(lambda n: _issue(system, n), range(CREDENTIAL_COUNT))
        )
    assert len({c["id"] for c in credentials}) == CREDENTIAL_COUNT

    with system.issuer_client() as client:
        closed = client.post("/anchor/batches/close")
    assert closed.status_code == 200, closed.text
    batches = closed.json()["closed"]
    assert sum(batch["size"] for batch in batches) == CREDENTIAL_COUNT

    receipt_lookup = HttpReceiptLookup(allow_http_loopback=True)
    for credential in credentials:
        receipt = receipt_lookup(credential)
        assert receipt is not None
        ledger = receipt["ledger"]
        assert ledger["type"] == "EvmTransaction"
        assert ledger["chainId"] == ANVIL_CHAIN_ID
        assert f"eip155:{ANVIL_CHAIN_ID}:{ledger['from']}" == system.account_id

    # The library, with the sender the issuer's DID document declares.
    for credential in credentials:
        result = _library_check(system, credential, [system.account_id])
        assert result.verified, result.problems
        anchor = next(c for c in result.checks if c.name == "anchor")
        assert anchor.outcome == "passed", anchor.detail

    # Another declared sender makes the same anchor fail on ledger.from.
    other = f"eip155:{ANVIL_CHAIN_ID}:0x{'11' * 20}"
    result = _library_check(system, credentials[0], [other])
    anchor = next(c for c in result.checks if c.name == "anchor")
    assert anchor.outcome == "failed"
    assert anchor.problems[0].property == "ledger.from"

    # The verifier agent: both workers read the sender from the DID document.
    for credential in credentials:
        status, anchor_check = _verifier_anchor_check(system, credential)
        assert status == 200, anchor_check
        assert anchor_check["outcome"] == "passed", anchor_check

    # Without the node the anchor cannot be checked, and the signature still verifies.
    stop_process_group(system.anvil)
    result = _library_check(system, credentials[0], [system.account_id])
    anchor = next(c for c in result.checks if c.name == "anchor")
    assert anchor.outcome == "not_checked", anchor.detail
    assert result.verified
    status, anchor_check = _verifier_anchor_check(system, credentials[1])
    assert status == 200, anchor_check
    assert anchor_check["outcome"] == "not_checked", anchor_check
