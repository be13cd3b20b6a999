"""Batching: collect issued credentials and anchor each batch with one ledger write.

Policy: a batch closes when ``max_batch_size`` credentials wait, or when the
oldest waiting credential is ``max_batch_age`` old, whichever comes first.
The issuer calls :meth:`AnchorBatcher.close_due` after issuing and on a
timer; nothing runs in the background.

Crash safety rests on three durable states, each written in one transaction:

1. ``add`` records the credential's digest (the caller issues and records
   the credential, then adds it; a credential added once stays queued).
2. Closing seals a batch: it fixes the batch's members, order and root.
3. After the ledger write, the batch is marked anchored with the ledger's
   record.

A crash after state 1 leaves the credential queued for the next batch. A
crash after state 2 leaves a sealed batch, which :meth:`AnchorBatcher.resume`
(called by ``close_due``) writes to the ledger again. The embedded log's ``commit`` is
idempotent per batch id.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, func, insert, select, update

from ..dates import utcnow
from ..errors import MalformedValueError
from ._db import batch_table, create_anchor_engine, item_table
from ._errors import AnchorNotFoundError
from .digest import credential_digest
from .merkle import MerkleTree, hash_leaf
from .receipt import AnchorReceipt

__all__ = ["AnchorBatcher", "BatchInfo", "Ledger"]

logger = logging.getLogger(__name__)

# Batch trees kept in memory for receipt look-ups; a batch is immutable once
# sealed, so a cached tree never goes stale.
_CACHED_TREES = 4

# Keys per IN (...) clause, under SQLite's default limit of 999 parameters.
_IN_CLAUSE_ROWS = 500


class Ledger(Protocol):
    """The destination of batch roots: :class:`AnchorLog` or :class:`EvmLedger`."""

    def commit(
        self, *, batch_id: str, batch_root: bytes, batch_size: int
    ) -> dict[str, Any]:
        """Write the batch root and return the receipt's ``ledger`` member."""
        ...


@dataclass(frozen=True)
class BatchInfo:
    """A sealed or anchored batch."""

    id: str
    size: int
    root_hash: bytes
    state: str
    sealed_at: datetime
    ledger_anchor: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "size": self.size,
            "rootHash": self.root_hash.hex(),
            "state": self.state,
            "sealedAt": self.sealed_at.isoformat().replace("+00:00", "Z"),
            "ledger": self.ledger_anchor,
        }


class _BatchTree:
    __slots__ = ("credential_ids", "digests", "positions", "tree")

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        self.credential_ids = [row[0] for row in rows]
        self.digests = [bytes.fromhex(row[1]) for row in rows]
        self.positions = {cid: i for i, cid in enumerate(self.credential_ids)}
        self.tree = MerkleTree([hash_leaf(d) for d in self.digests])


class AnchorBatcher:
    """Queues credential digests and anchors them in batches on a :class:`Ledger`.

    ``database`` is a SQLAlchemy URL or engine (it may be the same database
    as an :class:`AnchorLog`). ``max_batch_size`` and ``max_batch_age`` set
    the closing policy; ``clock`` returns the current time.
    """

    def __init__(
        self,
        database: str | Engine,
        ledger: Ledger,
        *,
        max_batch_size: int = 10_000,
        max_batch_age: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if max_batch_size < 1:
            raise MalformedValueError(
                f"max_batch_size must be at least 1, got {max_batch_size}",
                property="max_batch_size",
                value=max_batch_size,
            )
        if max_batch_age < timedelta(0):
            raise MalformedValueError(
                f"max_batch_age must not be negative, got {max_batch_age}",
                property="max_batch_age",
            )
        self._engine = (
            create_anchor_engine(database) if isinstance(database, str) else database
        )
        self.ledger = ledger
        self.max_batch_size = max_batch_size
        self.max_batch_age = max_batch_age
        self._clock = clock
        self._trees: OrderedDict[str, _BatchTree] = OrderedDict()

    # -- queueing --------------------------------------------------------------

    def add(self, credential: dict[str, Any]) -> bytes:
        """Queue a signed credential for the next batch and return its digest.

        Adding the same credential again is a no-op. The credential's ``id``
        keys the queue; a credential without one is keyed by its digest.
        Raises :class:`MalformedValueError` when another credential with the
        same id was queued.
        """
        digest = credential_digest(credential)
        credential_id = _credential_key(credential, digest)
        with self._engine.begin() as connection:
            stored = connection.execute(
                select(item_table.c.digest).where(
                    item_table.c.credential_id == credential_id
                )
            ).scalar()
            if stored is None:
                connection.execute(
                    insert(item_table).values(
                        credential_id=credential_id,
                        digest=digest.hex(),
                        added_at=self._clock().timestamp(),
                    )
                )
            elif stored != digest.hex():
                raise MalformedValueError(
                    f"a different credential with the id {credential_id!r} is already "
                    "queued for anchoring; give each issued credential its own id",
                    property="id",
                    value=credential_id,
                )
        return digest

    def add_many(self, credentials: Iterable[dict[str, Any]]) -> int:
        """Queue many signed credentials in one transaction; return how many were new.

        Credentials already queued are skipped. Unlike :meth:`add`, a
        different credential reusing a queued id is not detected here; it is
        skipped too.
        """
        added_at = self._clock().timestamp()
        rows: list[dict[str, Any]] = []
        for credential in credentials:
            digest = credential_digest(credential)
            rows.append(
                {
                    "credential_id": _credential_key(credential, digest),
                    "digest": digest.hex(),
                    "added_at": added_at,
                }
            )
        with self._engine.begin() as connection:
            known: set[str] = set()
            keys = [row["credential_id"] for row in rows]
            for start in range(0, len(keys), _IN_CLAUSE_ROWS):
                chunk = keys[start : start + _IN_CLAUSE_ROWS]
                known.update(
                    connection.execute(
                        select(item_table.c.credential_id).where(
                            item_table.c.credential_id.in_(chunk)
                        )
                    ).scalars()
                )
            new_rows = []
            for row in rows:
                if row["credential_id"] not in known:
                    known.add(row["credential_id"])
                    new_rows.append(row)
            if new_rows:
                connection.execute(insert(item_table), new_rows)
        return len(new_rows)

    @property
    def pending_count(self) -> int:
        """The number of credentials waiting for a batch."""
        with self._engine.connect() as connection:
            count = connection.execute(
                select(func.count())
                .select_from(item_table)
                .where(item_table.c.batch_id.is_(None))
            ).scalar()
        return int(count or 0)

    # -- closing ---------------------------------------------------------------

    def close_due(self) -> list[BatchInfo]:
        """Anchor sealed batches left by a crash, then close every batch that is due."""
        anchored = self.resume()
        while True:
            pending, oldest = self._pending_summary()
            if pending == 0:
                break
            age = self._clock().timestamp() - oldest
            if (
                pending < self.max_batch_size
                and age < self.max_batch_age.total_seconds()
            ):
                break
            batch = self.close_batch()
            if batch is None:
                break
            anchored.append(batch)
        return anchored

    def close_batch(self) -> BatchInfo | None:
        """Close a batch now, whatever its size or age, and anchor it.

        Returns None when no credential is waiting. If the ledger write fails,
        the error propagates and the batch stays sealed for :meth:`resume`.
        """
        sealed = self._seal()
        if sealed is None:
            return None
        return self._anchor(sealed)

    def resume(self) -> list[BatchInfo]:
        """Write every sealed but unanchored batch to the ledger (after a crash)."""
        with self._engine.connect() as connection:
            ids = (
                connection.execute(
                    select(batch_table.c.id)
                    .where(batch_table.c.state == "sealed")
                    .order_by(batch_table.c.sealed_at)
                )
                .scalars()
                .all()
            )
        return [self._anchor(self.batch(batch_id)) for batch_id in ids]

    def _pending_summary(self) -> tuple[int, float]:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(func.count(), func.min(item_table.c.added_at)).where(
                    item_table.c.batch_id.is_(None)
                )
            ).one()
        return int(row[0] or 0), float(row[1] or 0.0)

    def _seal(self) -> BatchInfo | None:
        batch_id = uuid.uuid4().hex
        with self._engine.begin() as connection:
            rows = connection.execute(
                select(item_table.c.sequence, item_table.c.digest)
                .where(item_table.c.batch_id.is_(None))
                .order_by(item_table.c.sequence)
                .limit(self.max_batch_size)
                .with_for_update()
            ).all()
            if not rows:
                return None
            tree = MerkleTree([hash_leaf(bytes.fromhex(row[1])) for row in rows])
            sealed_at = self._clock()
            connection.execute(
                insert(batch_table).values(
                    id=batch_id,
                    sealed_at=sealed_at.timestamp(),
                    size=tree.size,
                    root_hash=tree.root_hash.hex(),
                    state="sealed",
                )
            )
            # The rows are the oldest waiting ones, so every waiting row up to
            # the last selected sequence belongs to this batch.
            connection.execute(
                update(item_table)
                .where(
                    item_table.c.batch_id.is_(None),
                    item_table.c.sequence <= rows[-1][0],
                )
                .values(batch_id=batch_id)
            )
        logger.debug("sealed anchor batch %s with %d credentials", batch_id, tree.size)
        return BatchInfo(batch_id, tree.size, tree.root_hash, "sealed", sealed_at, None)

    def _anchor(self, batch: BatchInfo) -> BatchInfo:
        anchor = self.ledger.commit(
            batch_id=batch.id, batch_root=batch.root_hash, batch_size=batch.size
        )
        with self._engine.begin() as connection:
            connection.execute(
                update(batch_table)
                .where(batch_table.c.id == batch.id)
                .values(state="anchored", ledger_anchor=json.dumps(anchor))
            )
        logger.debug("anchored batch %s on %s", batch.id, anchor.get("type"))
        return BatchInfo(
            batch.id, batch.size, batch.root_hash, "anchored", batch.sealed_at, anchor
        )

    # -- receipts --------------------------------------------------------------

    def batch(self, batch_id: str) -> BatchInfo:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(batch_table).where(batch_table.c.id == batch_id)
            ).one_or_none()
        if row is None:
            raise AnchorNotFoundError(
                f"no anchor batch {batch_id!r}", property="batch.id", value=batch_id
            )
        return BatchInfo(
            id=row.id,
            size=row.size,
            root_hash=bytes.fromhex(row.root_hash),
            state=row.state,
            sealed_at=datetime.fromtimestamp(row.sealed_at, tz=UTC),
            ledger_anchor=json.loads(row.ledger_anchor) if row.ledger_anchor else None,
        )

    def batches(self) -> list[BatchInfo]:
        with self._engine.connect() as connection:
            ids = (
                connection.execute(
                    select(batch_table.c.id).order_by(batch_table.c.sealed_at)
                )
                .scalars()
                .all()
            )
        return [self.batch(batch_id) for batch_id in ids]

    def state_of(self, credential: dict[str, Any] | str) -> str:
        """Return ``pending``, ``sealed`` or ``anchored`` for a queued credential."""
        batch_id = self._batch_id_of(self._key(credential))
        return "pending" if batch_id is None else self.batch(batch_id).state

    def receipt(self, credential: dict[str, Any] | str) -> dict[str, Any] | None:
        """Return the anchor receipt of a credential (or credential id).

        Returns None while the credential waits for its batch to be anchored.
        Raises :class:`AnchorNotFoundError` for a credential never added.
        """
        key = self._key(credential)
        batch_id = self._batch_id_of(key)
        if batch_id is None:
            return None
        batch = self.batch(batch_id)
        if batch.ledger_anchor is None:
            return None
        tree = self._tree(batch_id)
        return self._receipt(batch, tree, tree.positions[key]).to_json()

    def receipts(self, batch_id: str) -> Iterator[dict[str, Any]]:
        """Yield the receipt of every credential of an anchored batch, in leaf order."""
        batch = self.batch(batch_id)
        if batch.ledger_anchor is None:
            raise AnchorNotFoundError(
                f"batch {batch_id} is not anchored yet; call close_due or resume",
                property="batch.id",
                value=batch_id,
            )
        tree = self._tree(batch_id)
        paths = tree.tree.inclusion_proofs()
        for index, path in enumerate(paths):
            yield self._receipt(batch, tree, index, path).to_json()

    def _receipt(
        self,
        batch: BatchInfo,
        tree: _BatchTree,
        index: int,
        path: list[bytes] | None = None,
    ) -> AnchorReceipt:
        assert batch.ledger_anchor is not None  # checked by the callers
        return AnchorReceipt(
            credential_id=tree.credential_ids[index],
            credential_digest=tree.digests[index],
            batch_id=batch.id,
            leaf_index=index,
            tree_size=tree.tree.size,
            root_hash=tree.tree.root_hash,
            inclusion_path=tuple(
                path if path is not None else tree.tree.inclusion_proof(index)
            ),
            ledger=batch.ledger_anchor,
        )

    def _key(self, credential: dict[str, Any] | str) -> str:
        if isinstance(credential, str):
            return credential
        return _credential_key(credential, credential_digest(credential))

    def _batch_id_of(self, key: str) -> str | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(item_table.c.batch_id).where(item_table.c.credential_id == key)
            ).one_or_none()
        if row is None:
            raise AnchorNotFoundError(
                f"the credential {key!r} was never queued for anchoring",
                property="id",
                value=key,
            )
        return None if row.batch_id is None else str(row.batch_id)

    def _tree(self, batch_id: str) -> _BatchTree:
        cached = self._trees.get(batch_id)
        if cached is not None:
            self._trees.move_to_end(batch_id)
            return cached
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(item_table.c.credential_id, item_table.c.digest)
                .where(item_table.c.batch_id == batch_id)
                .order_by(item_table.c.sequence)
            ).all()
        tree = _BatchTree([(row[0], row[1]) for row in rows])
        self._trees[batch_id] = tree
        if len(self._trees) > _CACHED_TREES:
            self._trees.popitem(last=False)
        return tree


def _credential_key(credential: dict[str, Any], digest: bytes) -> str:
    credential_id = credential.get("id")
    if isinstance(credential_id, str) and credential_id:
        return credential_id
    return f"urn:vcwork:credential-digest:{digest.hex()}"
