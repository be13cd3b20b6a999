"""Fixtures: small hand-made cohorts and an issuer agent with the outcomes routes on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from issuer_agent.app import create_app
from issuer_agent.db import Database
from issuer_agent.keystore import create_api_key

from issuer_agent import Settings
from vcwork.outcomes import (
    EarnedCredential,
    EmploymentStatus,
    OutcomeRecord,
    OutcomeSource,
    ParticipantRecord,
)

COMPLETED = date(2024, 3, 1)


def placement(
    participant_id: str,
    days_after_completion: int,
    *,
    hourly_wage: float | None = None,
    annual_salary: float | None = None,
    reported_after: int = 5,
    status: EmploymentStatus = EmploymentStatus.EMPLOYED,
) -> OutcomeRecord:
    start = COMPLETED + timedelta(days=days_after_completion)
    return OutcomeRecord(
        participant_id=participant_id,
        status=status,
        source=OutcomeSource.SELF_REPORT,
        reported_on=start + timedelta(days=reported_after),
        start_date=start,
        hourly_wage=hourly_wage,
        annual_salary=annual_salary,
    )


def participant(
    participant_id: str,
    *achievements: str,
    outcomes: tuple[OutcomeRecord, ...] = (),
    cohort: str = "Cohort 1",
    cohort_start: date = date(2023, 12, 1),
    completed_on: date | None = COMPLETED,
    levels: dict[str, str] | None = None,
) -> ParticipantRecord:
    levels = levels or {}
    return ParticipantRecord(
        participant_id=participant_id,
        cohort=cohort,
        cohort_start=cohort_start,
        completed_on=completed_on,
        credentials=tuple(
            EarnedCredential(
                credential_id=f"urn:uuid:{participant_id}-{a}",
                achievement=a,
                level=levels.get(a, "entry"),
                pathway=a == "certificate",
                issued_on=COMPLETED,
            )
            for a in achievements
        ),
        outcomes=outcomes,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningAgent:
    base_url: str
    api_key: str
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, *, staff: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.api_key}"} if staff else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[RunningAgent]:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        public_base_url=f"http://localhost:{port}",
        port=port,
        outcomes_minimum_cell_size=3,
    )
    settings.data_dir.mkdir(parents=True)
    database = Database(settings.resolved_database_url)
    api_key = create_api_key(database, name="registrar")
    database.close()
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the issuer agent did not start")
        time.sleep(0.02)
    try:
        yield RunningAgent(settings.base_url, api_key, server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
