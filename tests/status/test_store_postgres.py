"""The status list store on PostgreSQL: the same code as on SQLite.

Runs when ``VCWORK_TEST_POSTGRES_URL`` names a server (``scripts/run-tests.sh``
starts a throw-away one); under ``CI=true`` a missing server is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from vcwork.keys import Ed25519KeyPair
from vcwork.status import StatusListStore, read_status_list

POSTGRES_URL = os.environ.get("VCWORK_TEST_POSTGRES_URL")

if POSTGRES_URL is None and os.environ.get("CI") != "true":
    pytest.skip(
        "VCWORK_TEST_POSTGRES_URL is not set (scripts/run-tests.sh starts a server)",
        allow_module_level=True,
    )


@pytest.fixture
def database_url() -> Iterator[str]:
    assert POSTGRES_URL is not None, "CI needs VCWORK_TEST_POSTGRES_URL"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"vcwork_status_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _store(url: str, issuer: tuple[Ed25519KeyPair, str] | None) -> StatusListStore:
    return StatusListStore(
        url,
        list_base_url="https://issuer.test/status",
        key_pair=issuer[0] if issuer else None,
        _unchecked_list_length=64,
    )


def test_postgres_threads_never_share_an_index(database_url: str) -> None:
    _store(database_url, None)  # creates the schema once

    def work(worker: int) -> list[tuple[str, int]]:
        store = _store(database_url, None)
        pairs = []
        for i in range(20):
            entry = store.allocate(f"urn:uuid:pg{worker}-{i}")
            pairs.append((entry.status_list_credential, entry.status_list_index))
        return pairs

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [pair for chunk in pool.map(work, range(6)) for pair in chunk]
    assert len(results) == 120
    assert len(set(results)) == 120
    assert _store(database_url, None).count_entries() == 120


def test_postgres_revoke_and_publish(
    database_url: str, issuer: tuple[Ed25519KeyPair, str]
) -> None:
    store = _store(database_url, issuer)
    entry = store.allocate("urn:uuid:pg-revoked")
    store.allocate("urn:uuid:pg-kept")
    change = store.revoke("urn:uuid:pg-revoked")
    assert change.changed == ("urn:uuid:pg-revoked",)
    credential = change.status_list_credentials[entry.status_list_credential]
    status_list = read_status_list(credential, url=entry.status_list_credential)
    assert status_list.bitstring.get_status(entry.status_list_index) == 1
