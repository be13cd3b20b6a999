"""Fixtures: wallet settings, and the test issuer and verifier servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wallet.settings import Settings
from wallet_testing import (
    LoopbackIssuer,
    LoopbackServer,
    LoopbackVerifier,
    issuer_app,
    verifier_app,
)


@pytest.fixture
def issuer() -> Iterator[LoopbackIssuer]:
    server = LoopbackServer()
    state = LoopbackIssuer(url=server.url)
    server.start(issuer_app(state))
    yield state
    server.stop()


@pytest.fixture
def verifier() -> Iterator[LoopbackVerifier]:
    server = LoopbackServer()
    state = LoopbackVerifier(url=server.url)
    server.start(verifier_app(state))
    yield state
    server.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # A low scrypt cost keeps the tests fast; production wallets use 2**17.
    return Settings(
        data_dir=tmp_path / "wallet", allow_http_loopback=True, kdf_log2_n=10
    )
