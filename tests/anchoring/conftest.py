"""Fixtures for the anchoring tests: issuer keys, signed credentials, logs and a local EVM node.

The EVM node is anvil from the npm package ``@foundry-rs/anvil``, pinned in
``evm/package.json`` and ``evm/package-lock.json``. When ``evm/node_modules``
is missing, the first EVM test runs ``npm ci`` there once per session. The
node listens on 127.0.0.1 only. Without node or npm the EVM tests are skipped,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vcwork.anchoring import AnchorLog, sqlite_url
from vcwork.credentials import issue_credential
from vcwork.did import create_did_key
from vcwork.keys import Ed25519KeyPair

EVM_DIR = Path(__file__).resolve().parent / "evm"
NPM_CI_TIMEOUT_SECONDS = 600
# Only stops a node that never starts; no test measures time.
NODE_START_TIMEOUT_SECONDS = 60
ANVIL_CHAIN_ID = 31337


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


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = (
            f"{name} is not on PATH; the EVM anchoring tests need Node.js 20 or later "
            "and npm to install and run anvil"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def anvil_binary() -> Path:
    """Install the pinned anvil package once per session unless already present."""
    _require_tool("node")
    binary = EVM_DIR / "node_modules" / ".bin" / "anvil"
    if not binary.exists():
        npm = _require_tool("npm")
        try:
            completed = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=EVM_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_CI_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"npm ci in tests/anchoring/evm timed out after {NPM_CI_TIMEOUT_SECONDS} s; "
                "check access to the npm registry or run "
                "`npm ci --prefix tests/anchoring/evm` by hand",
                pytrace=False,
            )
        if completed.returncode != 0:
            pytest.fail(
                f"npm ci in tests/anchoring/evm failed with exit status "
                f"{completed.returncode}; fix the error below and rerun.\n"
                f"{completed.stdout}\n{completed.stderr}",
                pytrace=False,
            )
    if not binary.exists():
        pytest.fail(
            "npm ci succeeded but node_modules/.bin/anvil is missing: the package has "
            "no anvil binary for this platform",
            pytrace=False,
        )
    return binary


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def anvil_url(anvil_binary: Path) -> Iterator[str]:
    """Start anvil on 127.0.0.1 for the session and stop it afterwards."""
    port = free_loopback_port()
    # `.bin/anvil` is a Node wrapper that starts the platform binary as a
    # child. A session of its own lets the fixture stop both through the group.
    process = subprocess.Popen(
        [
            str(anvil_binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(ANVIL_CHAIN_ID),
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_port(process, port)
        yield url
    finally:
        _stop_process_group(process)


def _stop_process_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_for_port(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + NODE_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read() if process.stderr else ""
            pytest.fail(
                f"anvil exited with status {process.returncode}: {stderr}",
                pytrace=False,
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(
        f"anvil did not listen on 127.0.0.1:{port} within {NODE_START_TIMEOUT_SECONDS} s"
    )


@pytest.fixture(scope="session")
def web3(anvil_url: str) -> Any:
    from web3 import Web3

    return Web3(Web3.HTTPProvider(anvil_url, request_kwargs={"timeout": 30}))


CredentialFactory = Callable[[int], dict[str, Any]]
