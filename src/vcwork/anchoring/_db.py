"""Tables and engine set-up shared by the transparency log and the batcher.

SQLAlchemy 2 Core on SQLite by default (``sqlite:///anchors.db``); the same
statements run on PostgreSQL. On SQLite, triggers make the log tables
append-only, so even a stray UPDATE or DELETE through another program fails.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
)

from ..storage import configure_sqlite_engine

__all__ = ["create_anchor_engine", "metadata", "sqlite_url"]

metadata = MetaData()

log_info_table = Table(
    "vcwork_anchor_log_info",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("log_id", String(2048), nullable=False),
)

log_entry_table = Table(
    "vcwork_anchor_log_entry",
    metadata,
    Column("entry_index", Integer, primary_key=True, autoincrement=False),
    # The leaf input: the JCS serialization of the entry's JSON object.
    Column("leaf_input", Text, nullable=False),
    Column("batch_id", String(64), nullable=False, unique=True),
)

log_node_table = Table(
    "vcwork_anchor_log_node",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("node_index", Integer, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

log_tree_head_table = Table(
    "vcwork_anchor_log_tree_head",
    metadata,
    Column("tree_size", Integer, primary_key=True, autoincrement=False),
    Column("tree_head", Text, nullable=False),
)

batch_table = Table(
    "vcwork_anchor_batch",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("sealed_at", Float, nullable=False),
    Column("size", Integer, nullable=False),
    Column("root_hash", String(64), nullable=False),
    # "sealed" until the ledger write is recorded, then "anchored".
    Column("state", String(16), nullable=False),
    Column("ledger_anchor", Text, nullable=True),
)

item_table = Table(
    "vcwork_anchor_item",
    metadata,
    # The insertion order decides which items a batch takes first.
    Column("sequence", Integer, primary_key=True, autoincrement=True),
    Column("credential_id", String(2048), nullable=False, unique=True),
    Column("digest", String(64), nullable=False),
    Column("added_at", Float, nullable=False),
    Column("batch_id", String(64), ForeignKey("vcwork_anchor_batch.id"), nullable=True),
    Column("leaf_index", Integer, nullable=True),
)

_APPEND_ONLY_TABLES = (
    log_info_table.name,
    log_entry_table.name,
    log_node_table.name,
    log_tree_head_table.name,
)


def sqlite_url(path: Any) -> str:
    """Return the SQLAlchemy URL of a SQLite database file."""
    return f"sqlite:///{path}"


def create_anchor_engine(database_url: str) -> Engine:
    """Create an engine, the tables and (on SQLite) the append-only triggers."""
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":
        configure_sqlite_engine(engine)
    metadata.create_all(engine)
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            for table in _APPEND_ONLY_TABLES:
                for operation in ("UPDATE", "DELETE"):
                    connection.exec_driver_sql(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} "
                        f"BEFORE {operation} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, 'the anchor log is append-only: "
                        f"{operation} on {table} is not allowed'); END"
                    )
    # NOTE: on PostgreSQL, grant the agent's role INSERT and SELECT only on the
    # log tables; the triggers above are created for SQLite alone.
    return engine
