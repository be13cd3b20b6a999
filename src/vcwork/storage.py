"""SQLite settings shared by every SQLAlchemy store of vcwork and its services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["configure_sqlite_engine"]


def configure_sqlite_engine(
    engine: Engine, *, busy_timeout_ms: int = 30_000, foreign_keys: bool = True
) -> None:
    """Make a SQLite engine safe for several writers on one database file.

    WAL lets readers work while one writer commits. Each transaction starts
    with BEGIN IMMEDIATE, which takes the write lock up front, so two writers
    queue on the busy timeout instead of one failing when its read lock
    cannot be upgraded. Python's sqlite3 module would otherwise issue its own
    deferred BEGIN, so its transaction handling is turned off.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if foreign_keys:
            cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
