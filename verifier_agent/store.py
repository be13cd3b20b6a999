"""Storage of the verifier agent: presentation requests, the verification log,
daily counts per issuer and rate-limit counters, through SQLAlchemy.

Everything another replica needs lives here, so several processes can serve
one database (SQLite by default, PostgreSQL by URL).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from vcwork.storage import configure_sqlite_engine

__all__ = [
    "PresentationRequestRow",
    "Store",
    "VerificationCountRow",
    "VerificationRecordRow",
]

logger = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes; every stored time is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class PresentationRequestRow(Base):
    """An OpenID4VP request: ``request_id`` is in the QR, ``page_id`` only in
    the employer's browser, ``state`` and ``nonce`` in the Request Object."""

    __tablename__ = "presentation_request"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    page_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    state: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(512))
    request_object: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # pending -> responded (a verified answer) or failed (a rejected answer,
    # a wallet error). Each request accepts one response.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    result_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class VerificationRecordRow(Base):
    """One verification in the log. ``summary`` contains what the result page shows."""

    __tablename__ = "verification_record"

    result_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    credential_ids: Mapped[list[str]] = mapped_column(JSON)
    issuers: Mapped[list[str]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class VerificationCountRow(Base):
    """Daily verification counts per issuer, kept after the log records expire."""

    __tablename__ = "verification_count"

    issuer: Mapped[str] = mapped_column(String(512), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class RateLimitRow(Base):
    __tablename__ = "rate_limit"

    client: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class LoggedVerification:
    result_id: str
    outcome: str


class Store:
    """The verifier agent's database; every method runs in its own transaction."""

    def __init__(self, database_url: str) -> None:
        self.engine: Engine = create_engine(database_url, future=True)
        if self.engine.dialect.name == "sqlite":
            configure_sqlite_engine(self.engine, foreign_keys=False)
        Base.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    # -- presentation requests ---------------------------------------------

    def add_request(self, row: PresentationRequestRow) -> None:
        with self.session() as session:
            session.add(row)

    def request_by_id(self, request_id: str) -> PresentationRequestRow | None:
        with self.session() as session:
            return session.get(PresentationRequestRow, request_id)

    def request_by_page(self, page_id: str) -> PresentationRequestRow | None:
        with self.session() as session:
            return session.scalar(
                select(PresentationRequestRow).where(
                    PresentationRequestRow.page_id == page_id
                )
            )

    def request_by_state(self, state: str) -> PresentationRequestRow | None:
        with self.session() as session:
            return session.scalar(
                select(PresentationRequestRow).where(
                    PresentationRequestRow.state == state
                )
            )

    def claim_request(self, state: str) -> bool:
        """Claim a pending request for one response; return False if it was claimed before.

        The conditional update is atomic, so two concurrent answers to one
        request (a replay) cannot both be accepted, on any replica.
        """
        with self.session() as session:
            result = session.execute(
                update(PresentationRequestRow)
                .where(
                    PresentationRequestRow.state == state,
                    PresentationRequestRow.status == "pending",
                )
                .values(status="answering")
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def finish_request(
        self, state: str, *, status: str, result_id: str | None, error: str | None
    ) -> None:
        with self.session() as session:
            session.execute(
                update(PresentationRequestRow)
                .where(PresentationRequestRow.state == state)
                .values(status=status, result_id=result_id, error=error)
            )

    # -- verification log ----------------------------------------------------

    def log_verification(
        self,
        *,
        channel: str,
        kind: str,
        outcome: str,
        credential_ids: list[str],
        issuers: list[str],
        summary: dict[str, Any],
        now: datetime | None = None,
    ) -> LoggedVerification:
        """Record a verification and add it to the daily counts of each issuer."""
        now = now or utcnow()
        result_id = secrets.token_urlsafe(24)
        with self.session() as session:
            session.add(
                VerificationRecordRow(
                    result_id=result_id,
                    created_at=now,
                    channel=channel,
                    kind=kind,
                    outcome=outcome,
                    credential_ids=credential_ids,
                    issuers=issuers,
                    summary=json.loads(json.dumps(summary, default=str)),
                )
            )
            for issuer in sorted(set(issuers)):
                key = (issuer, now.date(), outcome)
                row = session.get(VerificationCountRow, key)
                if row is None:
                    session.add(
                        VerificationCountRow(
                            issuer=issuer, day=now.date(), outcome=outcome, count=1
                        )
                    )
                else:
                    row.count += 1
        return LoggedVerification(result_id=result_id, outcome=outcome)

    def record(self, result_id: str) -> VerificationRecordRow | None:
        with self.session() as session:
            return session.get(VerificationRecordRow, result_id)

    def recent_records(self, limit: int = 50) -> list[VerificationRecordRow]:
        with self.session() as session:
            rows = session.scalars(
                select(VerificationRecordRow)
                .order_by(VerificationRecordRow.created_at.desc())
                .limit(limit)
            )
            return list(rows)

    def counts(
        self, *, issuer: str | None = None, since: date | None = None
    ) -> list[VerificationCountRow]:
        with self.session() as session:
            query = select(VerificationCountRow)
            if issuer is not None:
                query = query.where(VerificationCountRow.issuer == issuer)
            if since is not None:
                query = query.where(VerificationCountRow.day >= since)
            query = query.order_by(
                VerificationCountRow.day, VerificationCountRow.issuer
            )
            return list(session.scalars(query))

    def purge(self, *, retention: timedelta, now: datetime | None = None) -> int:
        """Delete log records and expired requests older than ``retention``."""
        cutoff = (now or utcnow()) - retention
        with self.session() as session:
            removed = session.execute(
                delete(VerificationRecordRow).where(
                    VerificationRecordRow.created_at < cutoff
                )
            ).rowcount  # type: ignore[attr-defined]
            session.execute(
                delete(PresentationRequestRow).where(
                    PresentationRequestRow.expires_at < cutoff
                )
            )
            session.execute(
                delete(RateLimitRow).where(
                    RateLimitRow.window_start < int(cutoff.timestamp())
                )
            )
        if removed:
            logger.info("purged %d verification records older than %s", removed, cutoff)
        return int(removed or 0)

    # -- rate limits -----------------------------------------------------------

    def count_request(self, client: str, *, window_seconds: int, now: float) -> int:
        """Count one request of ``client`` in the current window; return the total."""
        window = int(now) // window_seconds * window_seconds
        with self.session() as session:
            row = session.get(RateLimitRow, (client, window))
            if row is None:
                row = RateLimitRow(client=client, window_start=window, count=0)
                session.add(row)
            row.count += 1
            return row.count
