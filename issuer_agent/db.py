"""The agent's tables (SQLAlchemy Core) and the one place that opens transactions.

The same tables run on SQLite and PostgreSQL. JSON documents are stored as
text, and times as ISO 8601 UTC strings in whole seconds. Every secret-like
token (API keys, pre-authorized codes, access tokens, transaction codes) is
stored as its SHA-256 digest only.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from vcwork.storage import configure_sqlite_engine

__all__ = ["Database", "metadata", "now_iso", "sha256_hex"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

metadata = MetaData()

issuer_key_table = Table(
    "issuer_key",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fragment", String(64), nullable=False, unique=True),
    Column("public_key_multibase", String(128), nullable=False),
    # AES-256-GCM ciphertext of the 32-byte seed and its 12-byte nonce.
    Column("encrypted_seed", LargeBinary, nullable=False),
    Column("nonce", LargeBinary, nullable=False),
    Column("created", String(32), nullable=False),
    Column("retired", String(32), nullable=True),
)

api_key_table = Table(
    "issuer_api_key",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("created", String(32), nullable=False),
    Column("revoked", String(32), nullable=True),
)

achievement_table = Table(
    "issuer_achievement",
    metadata,
    Column("slug", String(100), primary_key=True),
    Column("achievement_id", String(2048), nullable=False, unique=True),
    Column("level", String(32), nullable=True),
    Column("assessment_method", String(64), nullable=True),
    Column("auto_award", Boolean, nullable=False, default=False),
    Column("document", Text, nullable=False),
    Column("created", String(32), nullable=False),
)

participant_table = Table(
    "issuer_participant",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("email", String(320), nullable=True, unique=True),
    Column("did", String(2048), nullable=True),
    Column("created", String(32), nullable=False),
)

credential_table = Table(
    "issuer_credential",
    metadata,
    Column("id", String(2048), primary_key=True),
    Column("participant_id", String(64), nullable=True),
    Column("achievement_slug", String(100), nullable=True),
    Column("document", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
)

competency_record_table = Table(
    "issuer_competency_record",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("participant_id", String(64), nullable=False),
    Column("achievement_slug", String(100), nullable=False),
    Column("assessment_method", String(64), nullable=False),
    Column("assessor", String(300), nullable=False),
    Column("assessed_on", String(32), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("credential_id", String(2048), nullable=False),
    Column("created", String(32), nullable=False),
    UniqueConstraint("participant_id", "achievement_slug"),
)

endorsement_table = Table(
    "issuer_endorsement",
    metadata,
    Column("id", String(2048), primary_key=True),
    Column("subject_id", String(2048), nullable=False),
    Column("endorser", String(2048), nullable=False),
    Column("document", Text, nullable=False),
    Column("created", String(32), nullable=False),
)

audit_table = Table(
    "issuer_audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("credential_id", String(2048), nullable=True),
    Column("reason", Text, nullable=True),
)

offer_table = Table(
    "issuer_offer",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("credential_id", String(2048), nullable=False),
    Column("configuration_id", String(100), nullable=False),
    # Wallets fetch the offer object by reference and it contains the code in
    # clear, so the code is kept to rebuild the offer. It is single use.
    Column("pre_authorized_code", String(128), nullable=False, unique=True),
    Column("tx_code_sha256", String(64), nullable=True),
    Column("tx_code_length", Integer, nullable=True),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("expires", Integer, nullable=False),
    Column("redeemed", Integer, nullable=True),
)

access_token_table = Table(
    "issuer_access_token",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("offer_id", String(64), nullable=False),
    Column("expires", Integer, nullable=False),
)

nonce_table = Table(
    "issuer_c_nonce",
    metadata,
    Column("value", String(128), primary_key=True),
    Column("expires", Integer, nullable=False),
)

anchor_queue_table = Table(
    "issuer_anchor_queue",
    metadata,
    # A credential delivered to a holder, written in the transaction that
    # records the delivery. ``added`` turns 1 once the anchor batcher has it,
    # so a crash in between is repaired by the next flush. Rows stay, and
    # mark which document of a credential id was delivered.
    Column("credential_id", String(2048), primary_key=True),
    Column("document", Text, nullable=False),
    Column("queued", String(32), nullable=False),
    Column("added", Integer, nullable=False, default=0),
)

lease_table = Table(
    "issuer_lease",
    metadata,
    # A time-limited lock that one process of several holds while it closes
    # anchor batches; ``expires`` is a Unix time in seconds.
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires", Float, nullable=False),
)

# Attempts of a transaction that met a locked SQLite database, and the first
# back-off delay in seconds (doubled per attempt).
MAX_ATTEMPTS = 10
FIRST_RETRY_DELAY = 0.01


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Database:
    """The agent's engine and tables; ``transaction`` runs one unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine: Engine = create_engine(url, connect_args={"timeout": 30})
            configure_sqlite_engine(self.engine, foreign_keys=False)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        metadata.create_all(self.engine)

    def transaction(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction, retrying while SQLite is locked."""
        delay = FIRST_RETRY_DELAY
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self.engine.begin() as connection:
                    return work(connection)
            except OperationalError as e:
                if "locked" not in str(e.orig) or attempt == MAX_ATTEMPTS:
                    raise
                logger.debug("database locked, retry %d", attempt)
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        raise RuntimeError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.engine.dispose()
