"""The issuer's status list store on SQLAlchemy 2: allocation and status changes.

SQLite is the default (a file URL such as ``sqlite:///status.db``); the same
code runs on PostgreSQL. Each list has at least 131,072 entries. An index is
drawn at random from the unused ones (``secrets``), so its position reveals
nothing about when a credential was issued, and a new list opens when one is
full.

Every allocation and every status change is one database transaction:

- The primary key (list, index) makes two issuers that draw the same index
  collide. The loser rolls back and draws again.
- The unique key (credential id, status purpose) makes allocation
  idempotent: asking again for the same credential returns the first entry.
- A status change and the re-signed status list credential that shows it
  are written in the same transaction, so a crash leaves neither or both.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from ..dates import utcnow
from ..errors import MalformedValueError, RangeError
from ..jsonld.loader import BundledDocumentLoader
from ..keys import Ed25519KeyPair
from ..storage import configure_sqlite_engine
from ._errors import StatusChangeError, StatusEntryNotFoundError
from .bitstring import MIN_BITSTRING_LENGTH, Bitstring
from .entry import (
    MAX_STATUS_SIZE,
    BitstringStatusListEntry,
    StatusMessage,
    status_messages_from,
)
from .list_credential import build_status_list_credential

__all__ = [
    "StatusChange",
    "StatusListInfo",
    "StatusListStore",
    "sqlite_url",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

metadata = MetaData()

status_list_table = Table(
    "vcwork_status_list",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", String(2048), nullable=False, unique=True),
    Column("status_purpose", String(64), nullable=False),
    Column("status_size", Integer, nullable=False),
    # JSON list of [status, message] pairs, or "" for none; "" rather than
    # NULL so that equality finds the open list of the same kind.
    Column("status_messages", Text, nullable=False),
    Column("status_reference", Text, nullable=False),
    Column("length", Integer, nullable=False),
    Column("allocated", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("published_version", Integer, nullable=True),
    Column("status_list_credential", Text, nullable=True),
)

status_entry_table = Table(
    "vcwork_status_entry",
    metadata,
    Column("list_id", Integer, ForeignKey("vcwork_status_list.id"), primary_key=True),
    Column("status_list_index", Integer, primary_key=True),
    Column("credential_id", String(2048), nullable=False),
    Column("status_purpose", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    UniqueConstraint("credential_id", "status_purpose"),
)

# Attempts of one transaction that lost an index race or met a locked SQLite
# database, and the first back-off delay (doubled per attempt, in seconds).
MAX_TRANSACTION_ATTEMPTS = 20
FIRST_RETRY_DELAY = 0.005

# Rows per IN (...) clause, under SQLite's default limit of 999 parameters.
_CHUNK = 500

# While a list is less than half full, a random probe finds a free index in
# under two tries on average. Past that, the free indexes are listed instead.
_MAX_PROBES = 16


def sqlite_url(path: str | Any) -> str:
    """Return the SQLAlchemy URL of a SQLite database file."""
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class StatusChange:
    """The result of a status change.

    ``changed`` lists the credential ids whose status changed; ``unchanged``
    those that already had the requested status. ``status_list_credentials``
    maps each re-published list URL to its newly signed credential.
    """

    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    status_list_credentials: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusListInfo:
    """A summary of one status list in the store."""

    url: str
    status_purpose: str
    status_size: int
    length: int
    allocated: int
    version: int
    published_version: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "statusPurpose": self.status_purpose,
            "statusSize": self.status_size,
            "length": self.length,
            "allocated": self.allocated,
            "version": self.version,
            "publishedVersion": self.published_version,
        }


class StatusListStore:
    """Status lists of one issuer in a SQL database.

    ``database_url`` is a SQLAlchemy URL (``sqlite:///status.db``,
    ``postgresql+psycopg://...``). ``list_base_url`` is the URL under which
    new lists are published: a list's URL is ``{list_base_url}/{random id}``.
    ``key_pair`` signs status list credentials; it is needed for status
    changes and publishing, not for allocation. ``valid_for`` sets
    ``validUntil`` of each signed list (none by default, so a list never
    expires). ``ttl`` is written as the list's ``ttl`` in milliseconds.
    ``list_length`` is the number of entries of each new list, at least
    131,072.
    """

    def __init__(
        self,
        database_url: str,
        *,
        list_base_url: str,
        key_pair: Ed25519KeyPair | None = None,
        list_length: int = MIN_BITSTRING_LENGTH,
        valid_for: timedelta | None = None,
        ttl: timedelta | None = None,
        cryptosuite: str = "eddsa-rdfc-2022",
        clock: Callable[[], datetime] = utcnow,
        loader: BundledDocumentLoader | None = None,
        _unchecked_list_length: int | None = None,
    ) -> None:
        if _unchecked_list_length is not None:
            # Tests only: a short list fills quickly. Verifiers reject it.
            list_length = _unchecked_list_length
        elif list_length < MIN_BITSTRING_LENGTH:
            raise RangeError(
                f"list_length must be at least {MIN_BITSTRING_LENGTH} entries "
                f"(the spec's minimum for herd privacy), got {list_length}",
                value=list_length,
            )
        if list_length <= 0 or list_length % 8:
            raise RangeError(
                f"list_length must be a positive multiple of 8, got {list_length}",
                value=list_length,
            )
        if not list_base_url.startswith(("https://", "http://")):
            raise MalformedValueError(
                f"list_base_url must be an https URL, got {list_base_url!r}",
                value=list_base_url,
            )
        self.list_base_url = list_base_url.rstrip("/")
        self.key_pair = key_pair
        self.list_length = list_length
        self.valid_for = valid_for
        self.ttl = ttl
        self.cryptosuite = cryptosuite
        self._clock = clock
        self._loader = loader
        self.engine = self._create_engine(database_url)
        metadata.create_all(self.engine)

    @staticmethod
    def _create_engine(database_url: str) -> Engine:
        # NOTE: the tests run SQLite only; the PostgreSQL path has not been run.
        if make_url(database_url).get_backend_name() != "sqlite":
            return create_engine(database_url, pool_pre_ping=True)
        engine = create_engine(database_url, connect_args={"timeout": 30})
        configure_sqlite_engine(engine)
        return engine

    def close(self) -> None:
        self.engine.dispose()

    # -- transactions ------------------------------------------------------

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction, retrying index races and lock timeouts."""
        delay = FIRST_RETRY_DELAY
        for attempt in range(1, MAX_TRANSACTION_ATTEMPTS + 1):
            try:
                with self.engine.begin() as connection:
                    return work(connection)
            except IntegrityError as e:
                if attempt == MAX_TRANSACTION_ATTEMPTS:
                    raise
                logger.debug("status store: retrying after a conflict: %s", e.orig)
            except OperationalError as e:
                if "locked" not in str(e.orig) or attempt == MAX_TRANSACTION_ATTEMPTS:
                    raise
                logger.debug("status store: database locked, retry %d", attempt)
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- allocation --------------------------------------------------------

    def allocate(
        self,
        credential_id: str,
        *,
        status_purpose: str = "revocation",
        status_size: int = 1,
        status_messages: Sequence[tuple[int, str]]
        | Sequence[StatusMessage]
        | None = None,
        status_reference: str | None = None,
    ) -> BitstringStatusListEntry:
        """Allocate a random free index for ``credential_id`` and return its entry.

        Idempotent: for a credential id and purpose that already have an entry,
        the stored entry is returned. ``status_size`` above 1 needs
        ``status_messages`` with ``2 ** status_size`` items (spec section 2.1).
        """
        if not isinstance(credential_id, str) or not credential_id:
            raise MalformedValueError(
                f"credential_id must be a non-empty string, got {credential_id!r}",
                value=credential_id,
            )
        messages = _checked_messages(status_purpose, status_size, status_messages)
        messages_json = (
            json.dumps([[m.status, m.message] for m in messages]) if messages else ""
        )
        reference = status_reference or ""

        def work(connection: Connection) -> BitstringStatusListEntry:
            existing = self._find_entry(connection, credential_id, status_purpose)
            if existing is not None:
                return existing
            list_id, url, length, allocated = self._reserve_slot(
                connection, status_purpose, status_size, messages_json, reference
            )
            index = self._draw_index(connection, list_id, length, allocated)
            connection.execute(
                insert(status_entry_table).values(
                    list_id=list_id,
                    status_list_index=index,
                    credential_id=credential_id,
                    status_purpose=status_purpose,
                    status=0,
                )
            )
            return BitstringStatusListEntry(
                id=f"{url}#{index}",
                status_purpose=status_purpose,
                status_list_index=index,
                status_list_credential=url,
                status_size=status_size,
                status_messages=messages,
                status_reference=status_reference,
            )

        return self._transaction(work)

    def _find_entry(
        self, connection: Connection, credential_id: str, status_purpose: str
    ) -> BitstringStatusListEntry | None:
        lists, entries = status_list_table, status_entry_table
        row = connection.execute(
            select(
                entries.c.status_list_index,
                lists.c.url,
                lists.c.status_size,
                lists.c.status_messages,
                lists.c.status_reference,
            )
            .join(lists, lists.c.id == entries.c.list_id)
            .where(
                entries.c.credential_id == credential_id,
                entries.c.status_purpose == status_purpose,
            )
        ).first()
        if row is None:
            return None
        messages = tuple(
            StatusMessage(int(status), str(message))
            for status, message in (
                json.loads(row.status_messages) if row.status_messages else []
            )
        )
        return BitstringStatusListEntry(
            id=f"{row.url}#{row.status_list_index}",
            status_purpose=status_purpose,
            status_list_index=row.status_list_index,
            status_list_credential=row.url,
            status_size=row.status_size,
            status_messages=messages,
            status_reference=row.status_reference or None,
        )

    def _reserve_slot(
        self,
        connection: Connection,
        status_purpose: str,
        status_size: int,
        messages_json: str,
        reference: str,
    ) -> tuple[int, str, int, int]:
        """Count one more entry on an open list of this kind, opening a list if none.

        Returns the list's id, URL, length and the count before this entry.
        """
        lists = status_list_table
        while True:
            row = connection.execute(
                select(lists.c.id, lists.c.url, lists.c.length, lists.c.allocated)
                .where(
                    lists.c.status_purpose == status_purpose,
                    lists.c.status_size == status_size,
                    lists.c.status_messages == messages_json,
                    lists.c.status_reference == reference,
                    lists.c.allocated < lists.c.length,
                )
                .order_by(lists.c.id)
                .limit(1)
            ).first()
            if row is None:
                row = self._open_list(
                    connection, status_purpose, status_size, messages_json, reference
                )
            # The guarded update takes the row lock on PostgreSQL; when another
            # issuer filled the list in between, it matches nothing.
            result = connection.execute(
                update(lists)
                .where(lists.c.id == row.id, lists.c.allocated < lists.c.length)
                .values(allocated=lists.c.allocated + 1)
            )
            if result.rowcount == 1:
                return row.id, row.url, row.length, row.allocated

    def _open_list(
        self,
        connection: Connection,
        status_purpose: str,
        status_size: int,
        messages_json: str,
        reference: str,
    ) -> Any:
        url = f"{self.list_base_url}/{secrets.token_hex(8)}"
        inserted = connection.execute(
            insert(status_list_table).values(
                url=url,
                status_purpose=status_purpose,
                status_size=status_size,
                status_messages=messages_json,
                status_reference=reference,
                length=self.list_length,
                allocated=0,
                version=0,
            )
        )
        list_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
        logger.debug("status store: opened list %s for %s", url, status_purpose)
        if self.key_pair is not None:
            self._publish_list(connection, list_id)
        lists = status_list_table
        return connection.execute(
            select(lists.c.id, lists.c.url, lists.c.length, lists.c.allocated).where(
                lists.c.id == list_id
            )
        ).one()

    @staticmethod
    def _draw_index(
        connection: Connection, list_id: int, length: int, allocated: int
    ) -> int:
        entries = status_entry_table
        if allocated < length // 2:
            for _ in range(_MAX_PROBES):
                candidate = secrets.randbelow(length)
                taken = connection.execute(
                    select(entries.c.status_list_index).where(
                        entries.c.list_id == list_id,
                        entries.c.status_list_index == candidate,
                    )
                ).first()
                if taken is None:
                    return candidate
        used = bytearray(length)
        for (index,) in connection.execute(
            select(entries.c.status_list_index).where(entries.c.list_id == list_id)
        ):
            used[index] = 1
        free = length - sum(used)
        if free <= 0:
            raise RangeError(f"status list {list_id} has no free index")
        target = secrets.randbelow(free)
        for index, taken_flag in enumerate(used):
            if not taken_flag:
                if target == 0:
                    return index
                target -= 1
        raise AssertionError("unreachable")  # pragma: no cover

    # -- status changes ----------------------------------------------------

    def revoke(self, credential_id: str) -> StatusChange:
        """Revoke a credential; revocation is final (spec section 2.1)."""
        return self.revoke_many([credential_id])

    def revoke_many(self, credential_ids: Iterable[str]) -> StatusChange:
        """Revoke credentials in one transaction and re-publish each list once."""
        return self._change(credential_ids, "revocation", 1)

    def suspend(self, credential_id: str) -> StatusChange:
        return self.suspend_many([credential_id])

    def suspend_many(self, credential_ids: Iterable[str]) -> StatusChange:
        return self._change(credential_ids, "suspension", 1)

    def reinstate(self, credential_id: str) -> StatusChange:
        """Lift a suspension; raises :class:`StatusChangeError` for a revoked credential."""
        return self.reinstate_many([credential_id])

    def reinstate_many(self, credential_ids: Iterable[str]) -> StatusChange:
        return self._change(credential_ids, "suspension", 0)

    def set_status(
        self, credential_id: str, status: int, *, status_purpose: str = "message"
    ) -> StatusChange:
        """Set the status value of an entry of any purpose (a message, for example)."""
        return self._change([credential_id], status_purpose, status)

    def _change(
        self, credential_ids: Iterable[str], status_purpose: str, value: int
    ) -> StatusChange:
        ids = list(dict.fromkeys(credential_ids))
        if not ids:
            return StatusChange(changed=(), unchanged=())
        self._require_key_pair()

        def work(connection: Connection) -> StatusChange:
            rows = self._entries_of(connection, ids, status_purpose)

            missing = [i for i in ids if i not in rows]
            if missing:
                raise StatusEntryNotFoundError(
                    f"no {status_purpose} entry for {_preview(missing)}; allocate one "
                    f"with status_purpose={status_purpose!r} when issuing",
                    value=missing[0],
                )
            if status_purpose != "revocation":
                revoked = self._revoked(connection, ids)
                if revoked:
                    raise StatusChangeError(
                        f"{_preview(revoked)} was revoked and revocation is final; "
                        f"its {status_purpose} status cannot change",
                        value=revoked[0],
                    )

            self._check_values(rows, status_purpose, value)
            changed = [i for i in ids if rows[i][2] != value]
            touched_lists = sorted({rows[i][0] for i in changed})
            for chunk in _chunks(changed):
                connection.execute(
                    update(status_entry_table)
                    .where(
                        status_entry_table.c.credential_id.in_(chunk),
                        status_entry_table.c.status_purpose == status_purpose,
                    )
                    .values(status=value)
                )

            published = {}
            for list_id in touched_lists:
                connection.execute(
                    update(status_list_table)
                    .where(status_list_table.c.id == list_id)
                    .values(version=status_list_table.c.version + 1)
                )
                url, credential = self._publish_list(connection, list_id)
                published[url] = credential
            unchanged = tuple(i for i in ids if rows[i][2] == value)
            return StatusChange(tuple(changed), unchanged, published)

        return self._transaction(work)

    @staticmethod
    def _check_values(
        rows: dict[str, tuple[int, int, int, int]], status_purpose: str, value: int
    ) -> None:
        for credential_id, (_, _, current, size) in rows.items():
            if not 0 <= value < (1 << size):
                raise RangeError(
                    f"status {value} does not fit the {size}-bit {status_purpose} "
                    f"entry of {credential_id}",
                    value=value,
                )
            if status_purpose == "revocation" and current and value != current:
                raise StatusChangeError(
                    f"{credential_id} was revoked and revocation is final; it "
                    "cannot be reinstated",
                    value=credential_id,
                )

    @staticmethod
    def _entries_of(
        connection: Connection, ids: list[str], status_purpose: str
    ) -> dict[str, tuple[int, int, int, int]]:
        """Map credential id to (list id, index, status, status size)."""
        entries, lists = status_entry_table, status_list_table
        found = {}
        for chunk in _chunks(ids):
            for row in connection.execute(
                select(
                    entries.c.credential_id,
                    entries.c.list_id,
                    entries.c.status_list_index,
                    entries.c.status,
                    lists.c.status_size,
                )
                .join(lists, lists.c.id == entries.c.list_id)
                .where(
                    entries.c.credential_id.in_(chunk),
                    entries.c.status_purpose == status_purpose,
                )
            ):
                found[row.credential_id] = (
                    row.list_id,
                    row.status_list_index,
                    row.status,
                    row.status_size,
                )
        return found

    @staticmethod
    def _revoked(connection: Connection, ids: list[str]) -> list[str]:
        entries = status_entry_table
        revoked: list[str] = []
        for chunk in _chunks(ids):
            revoked.extend(
                connection.execute(
                    select(entries.c.credential_id).where(
                        entries.c.credential_id.in_(chunk),
                        entries.c.status_purpose == "revocation",
                        entries.c.status != 0,
                    )
                ).scalars()
            )
        return revoked

    # -- publishing --------------------------------------------------------

    def _require_key_pair(self) -> Ed25519KeyPair:
        if self.key_pair is None or not self.key_pair.controller:
            raise MalformedValueError(
                "the status list store has no signing key with a controller; pass "
                "key_pair= (the issuer's key, e.g. from create_did_key) to sign "
                "status list credentials"
            )
        return self.key_pair

    def _publish_list(
        self, connection: Connection, list_id: int
    ) -> tuple[str, dict[str, Any]]:
        """Rebuild, sign and store a list's credential (Generate Algorithm, section 3.1)."""
        from ..credentials import issue_credential

        key_pair = self._require_key_pair()
        lists, entries = status_list_table, status_entry_table
        row = connection.execute(select(lists).where(lists.c.id == list_id)).one()
        if row.status_list_credential:
            published_by = json.loads(row.status_list_credential).get("issuer")
            if published_by != key_pair.controller:
                # Re-signing with another key would make every credential on
                # the list fail its status check.
                raise MalformedValueError(
                    f"status list {row.url} was published by {published_by!r}, but "
                    f"the signing key belongs to {key_pair.controller!r}; use the "
                    "issuer's key for this list",
                    property="issuer",
                    value=key_pair.controller,
                )
        bitstring = Bitstring(row.length * row.status_size)
        for index, status in connection.execute(
            select(entries.c.status_list_index, entries.c.status).where(
                entries.c.list_id == list_id, entries.c.status != 0
            )
        ):
            bitstring.set_status(index, status, row.status_size)
        unsigned = build_status_list_credential(
            url=row.url,
            issuer=str(key_pair.controller),
            status_purpose=row.status_purpose,
            bitstring=bitstring,
            valid_from=self._clock(),
            valid_for=self.valid_for,
            ttl=self.ttl,
        )
        signed = issue_credential(
            unsigned, key_pair, cryptosuite=self.cryptosuite, loader=self._loader
        )
        connection.execute(
            update(lists)
            .where(lists.c.id == list_id)
            .values(
                status_list_credential=json.dumps(signed),
                published_version=row.version,
            )
        )
        return row.url, signed

    def publish(self, list_url: str | None = None) -> dict[str, dict[str, Any]]:
        """Re-sign one list (or every list) with a fresh ``validFrom``; return URL -> credential.

        Call it before a list's ``validUntil`` passes, when ``valid_for`` is set.
        """
        self._require_key_pair()

        def work(connection: Connection) -> dict[str, dict[str, Any]]:
            query = select(status_list_table.c.id).order_by(status_list_table.c.id)
            if list_url is not None:
                query = query.where(status_list_table.c.url == list_url)
            list_ids = list(connection.execute(query).scalars())
            if list_url is not None and not list_ids:
                raise StatusEntryNotFoundError(
                    f"no status list with the URL {list_url!r} in this store",
                    value=list_url,
                )
            return dict(self._publish_list(connection, i) for i in list_ids)

        return self._transaction(work)

    def status_list_credential(self, list_url: str) -> dict[str, Any] | None:
        """Return the last signed credential of a list, to serve at its URL."""
        with self.engine.connect() as connection:
            text = connection.execute(
                select(status_list_table.c.status_list_credential).where(
                    status_list_table.c.url == list_url
                )
            ).scalar_one_or_none()
        return json.loads(text) if text else None

    # -- inspection --------------------------------------------------------

    def entries(self, credential_id: str) -> list[tuple[BitstringStatusListEntry, int]]:
        """Return each entry of a credential with its current status value."""
        entries = status_entry_table
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(entries.c.status_purpose, entries.c.status)
                .where(entries.c.credential_id == credential_id)
                .order_by(entries.c.status_purpose)
            ).all()
            result = []
            for purpose, status in rows:
                entry = self._find_entry(connection, credential_id, purpose)
                if entry is not None:
                    result.append((entry, status))
        return result

    def lists(self) -> list[StatusListInfo]:
        lists = status_list_table
        with self.engine.connect() as connection:
            rows = connection.execute(select(lists).order_by(lists.c.id)).all()
        return [
            StatusListInfo(
                url=row.url,
                status_purpose=row.status_purpose,
                status_size=row.status_size,
                length=row.length,
                allocated=row.allocated,
                version=row.version,
                published_version=row.published_version,
            )
            for row in rows
        ]

    def count_entries(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(status_entry_table)
                ).scalar_one()
            )


def _checked_messages(
    status_purpose: str,
    status_size: int,
    status_messages: Sequence[tuple[int, str]] | Sequence[StatusMessage] | None,
) -> tuple[StatusMessage, ...]:
    if not isinstance(status_purpose, str) or not status_purpose:
        raise MalformedValueError(
            f"status_purpose must be a non-empty string, got {status_purpose!r}",
            value=status_purpose,
        )
    if isinstance(status_size, bool) or not 1 <= status_size <= MAX_STATUS_SIZE:
        raise RangeError(
            f"status_size must be from 1 to {MAX_STATUS_SIZE} bits, got {status_size}",
            value=status_size,
        )
    messages = status_messages_from(status_messages)
    if status_size > 1 or messages:
        expected = 1 << status_size
        if len(messages) != expected:
            raise MalformedValueError(
                f"a {status_size}-bit entry needs {expected} status messages "
                f"(2 ** status_size), got {len(messages)}",
                value=len(messages),
            )
        if sorted(m.status for m in messages) != list(range(expected)):
            raise MalformedValueError(
                f"status messages must cover the status values 0 to {expected - 1} "
                "once each",
            )
    return messages


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _preview(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:3])
    return shown + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
