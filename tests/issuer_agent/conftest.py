"""Fixtures that run the issuer agent with uvicorn on loopback, on SQLite or PostgreSQL.

PostgreSQL runs only when ``VCWORK_TEST_POSTGRES_URL`` is set (for example
by ``scripts/start-postgres.sh``); each test gets its own throw-away database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from issuer_agent.db import Database
from issuer_agent.keystore import create_api_key
from issuer_agent_helpers import RunningAgent, free_port, start_agent
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from issuer_agent import Settings

POSTGRES_URL = os.environ.get("VCWORK_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'issuer.db'}"
        return
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"vcwork_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = (
        make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def agent_settings(tmp_path: Path, database_url: str) -> Settings:
    port = free_port()
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_base_url=f"http://localhost:{port}",
        port=port,
    )


@pytest.fixture
def agent(agent_settings: Settings) -> Iterator[RunningAgent]:
    agent_settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(agent_settings.resolved_database_url)
    api_key = create_api_key(database, name="registrar")
    database.close()
    running = start_agent(agent_settings, api_key)
    try:
        yield running
    finally:
        running.stop()
