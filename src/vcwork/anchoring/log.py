"""The embedded ledger: an append-only transparency log in a SQL database.

Each entry commits one batch root: its leaf input is the JCS (RFC 8785)
serialization of ``{"batchId", "batchRoot", "batchSize", "committedAt"}``.
Every append stores the new perfect-subtree hashes of the RFC 9162 tree and a
tree head signed with the issuer's key, in one transaction. Nothing is ever
updated or deleted, so a tree head signed earlier stays provable: the log
returns a consistency proof from any earlier size to any later one.

The ``get_*`` methods return JSON-ready dicts for an HTTP API; their names
follow the Certificate Transparency API (get-sth, get-proof-by-hash,
get-sth-consistency, get-entries). They are also the look-up interface that
:class:`vcwork.anchoring.AnchorChecker` uses (:class:`TransparencyLogClient`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import rfc8785
from sqlalchemy import Connection, Engine, func, insert, select

from ..dates import format_datetime, utcnow
from ..errors import MalformedValueError
from ..keys import Ed25519KeyPair
from ._db import (
    create_anchor_engine,
    log_entry_table,
    log_info_table,
    log_node_table,
    log_tree_head_table,
)
from ._encoding import hashes_to_hex
from ._errors import AnchorNotFoundError
from .merkle import (
    EMPTY_ROOT_HASH,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    subtree_hash,
)
from .tree_head import SignedTreeHead

__all__ = [
    "TRANSPARENCY_LOG_ENTRY",
    "AnchorLog",
    "TransparencyLogClient",
    "log_entry_leaf_input",
]

logger = logging.getLogger(__name__)

TRANSPARENCY_LOG_ENTRY = "TransparencyLogEntry"
"""The ``ledger.type`` of a receipt anchored in a transparency log."""


class TransparencyLogClient(Protocol):
    """A verifier's read access to a log: its latest tree head and consistency proofs.

    :class:`AnchorLog` implements it for a local database. An HTTP client for
    the issuer agent's log API implements the same two methods, and raises
    :class:`vcwork.anchoring.LedgerRetrievalError` (or ``OSError``) when the
    log cannot be reached.
    """

    def get_tree_head(self) -> dict[str, Any]: ...

    def get_consistency_proof(
        self, first_size: int, second_size: int
    ) -> dict[str, Any]: ...


def log_entry_leaf_input(entry: dict[str, Any]) -> bytes:
    """Return the leaf input of a log entry: its JCS serialization."""
    return rfc8785.dumps(entry)


class AnchorLog:
    """An append-only transparency log of batch roots with signed tree heads.

    ``database`` is a SQLAlchemy URL (``sqlite:///anchors.db``) or an engine.
    ``key_pair`` signs tree heads; it is needed to append, not to read.
    ``log_id`` names the log in tree heads and receipts (default: the key's
    controller DID); it is stored on first use and must match afterwards.
    ``clock`` returns the time written into entries and tree heads.
    """

    ledger_type = TRANSPARENCY_LOG_ENTRY

    def __init__(
        self,
        database: str | Engine,
        *,
        key_pair: Ed25519KeyPair | None = None,
        log_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = (
            create_anchor_engine(database) if isinstance(database, str) else database
        )
        self._key_pair = key_pair
        self._clock = clock
        self.log_id = self._load_log_id(
            log_id or (key_pair.controller if key_pair else None)
        )

    def _load_log_id(self, requested: str | None) -> str:
        with self._engine.begin() as connection:
            stored = connection.execute(select(log_info_table.c.log_id)).scalar()
            if stored is None:
                if requested is None:
                    raise MalformedValueError(
                        "the anchor log is new and has no id; pass log_id or a "
                        "key pair with a controller DID",
                        property="logId",
                    )
                connection.execute(
                    insert(log_info_table).values(id=1, log_id=requested)
                )
                return requested
        if requested is not None and requested != stored:
            raise MalformedValueError(
                f"the database contains the anchor log {stored!r}, not {requested!r}; "
                "open it with its own id or use another database",
                property="logId",
                value=requested,
            )
        return str(stored)

    # -- appending -------------------------------------------------------------

    def commit(
        self, *, batch_id: str, batch_root: bytes, batch_size: int
    ) -> dict[str, Any]:
        """Append a batch root and return the ``ledger`` member of its receipts.

        Idempotent per ``batch_id``: committing a batch again (after a crash
        between the append and recording it) returns the existing entry.
        """
        with self._engine.begin() as connection:
            existing = connection.execute(
                select(log_entry_table.c.entry_index).where(
                    log_entry_table.c.batch_id == batch_id
                )
            ).scalar()
            if existing is None:
                entry = {
                    "batchId": batch_id,
                    "batchRoot": batch_root.hex(),
                    "batchSize": batch_size,
                    "committedAt": format_datetime(self._clock()),
                }
                index, _ = self._append(connection, entry)
            else:
                index = int(existing)
        return self.anchor_for_entry(index)

    def _append(
        self, connection: Connection, entry: dict[str, Any]
    ) -> tuple[int, SignedTreeHead]:
        if self._key_pair is None:
            raise MalformedValueError(
                "appending to the anchor log needs the issuer's key pair to sign "
                "the tree head; pass key_pair",
                property="key_pair",
            )
        index = _tree_size(connection)
        leaf_input = log_entry_leaf_input(entry)
        connection.execute(
            insert(log_entry_table).values(
                entry_index=index,
                leaf_input=leaf_input.decode("utf-8"),
                batch_id=entry["batchId"],
            )
        )
        # Store the leaf and every perfect subtree that this leaf completes.
        node_hash = hash_leaf(leaf_input)
        level, position = 0, index
        rows = [{"level": 0, "node_index": index, "hash": node_hash}]
        while position & 1:
            left = _read_node(connection, level, position - 1)
            node_hash = hash_children(left, node_hash)
            level, position = level + 1, position >> 1
            rows.append({"level": level, "node_index": position, "hash": node_hash})
        connection.execute(insert(log_node_table), rows)

        size = index + 1
        root = subtree_hash(lambda lv, ix: _read_node(connection, lv, ix), 0, size)
        tree_head = SignedTreeHead.sign(
            log_id=self.log_id,
            tree_size=size,
            root_hash=root,
            timestamp=self._clock(),
            key_pair=self._key_pair,
        )
        connection.execute(
            insert(log_tree_head_table).values(
                tree_size=size, tree_head=json.dumps(tree_head.to_json())
            )
        )
        logger.debug("appended entry %d to anchor log %s", index, self.log_id)
        return index, tree_head

    # -- reading ---------------------------------------------------------------

    @property
    def tree_size(self) -> int:
        with self._engine.connect() as connection:
            return _tree_size(connection)

    def anchor_for_entry(self, entry_index: int) -> dict[str, Any]:
        """Return the receipt's ``ledger`` member for an entry.

        It carries the tree head signed when the entry was appended and the
        entry's inclusion path in that tree, so a verifier can check both
        offline before asking the log for its latest tree head.
        """
        tree_size = entry_index + 1
        return {
            "type": TRANSPARENCY_LOG_ENTRY,
            "logId": self.log_id,
            "entryIndex": entry_index,
            "entry": self.get_entry(entry_index),
            "inclusionPath": self.get_inclusion_proof(entry_index, tree_size)[
                "inclusionPath"
            ],
            "treeHead": self.get_tree_head(tree_size),
        }

    def get_tree_head(self, tree_size: int | None = None) -> dict[str, Any]:
        """Return the latest signed tree head, or the one signed at ``tree_size``."""
        with self._engine.connect() as connection:
            query = select(log_tree_head_table.c.tree_head)
            if tree_size is None:
                query = query.order_by(log_tree_head_table.c.tree_size.desc()).limit(1)
            else:
                query = query.where(log_tree_head_table.c.tree_size == tree_size)
            stored = connection.execute(query).scalar()
        if stored is None:
            missing = (
                "tree head yet"
                if tree_size is None
                else f"tree head of size {tree_size}"
            )
            raise AnchorNotFoundError(
                f"the anchor log {self.log_id} has no {missing}; commit a batch first",
                property="treeSize",
                value=tree_size,
            )
        result: dict[str, Any] = json.loads(stored)
        return result

    def get_entry(self, entry_index: int) -> dict[str, Any]:
        with self._engine.connect() as connection:
            stored = connection.execute(
                select(log_entry_table.c.leaf_input).where(
                    log_entry_table.c.entry_index == entry_index
                )
            ).scalar()
        if stored is None:
            raise AnchorNotFoundError(
                f"the anchor log {self.log_id} has no entry {entry_index}",
                property="entryIndex",
                value=entry_index,
            )
        result: dict[str, Any] = json.loads(stored)
        return result

    def get_inclusion_proof(
        self, entry_index: int, tree_size: int | None = None
    ) -> dict[str, Any]:
        """Return the inclusion path of an entry in the tree of ``tree_size`` (default: latest)."""
        with self._engine.connect() as connection:
            size = _tree_size(connection) if tree_size is None else tree_size
            self._check_size(connection, size)
            path = inclusion_proof(_node_reader(connection), entry_index, size)
        return {
            "entryIndex": entry_index,
            "treeSize": size,
            "inclusionPath": hashes_to_hex(path),
        }

    def get_consistency_proof(
        self, first_size: int, second_size: int | None = None
    ) -> dict[str, Any]:
        """Return the consistency proof between two tree sizes (default second: latest)."""
        with self._engine.connect() as connection:
            size = _tree_size(connection) if second_size is None else second_size
            self._check_size(connection, size)
            proof = consistency_proof(_node_reader(connection), first_size, size)
        return {
            "firstSize": first_size,
            "secondSize": size,
            "consistencyPath": hashes_to_hex(proof),
        }

    def root_hash(self, tree_size: int | None = None) -> bytes:
        """Recompute the root hash from the stored nodes (for audits and tests)."""
        with self._engine.connect() as connection:
            size = _tree_size(connection) if tree_size is None else tree_size
            self._check_size(connection, size)
            if size == 0:
                return EMPTY_ROOT_HASH
            return subtree_hash(_node_reader(connection), 0, size)

    def _check_size(self, connection: Connection, tree_size: int) -> None:
        current = _tree_size(connection)
        if not 0 <= tree_size <= current:
            raise AnchorNotFoundError(
                f"tree size {tree_size} is outside the anchor log {self.log_id}, "
                f"which has {current} entries",
                property="treeSize",
                value=tree_size,
            )


def _tree_size(connection: Connection) -> int:
    count = connection.execute(
        select(func.count()).select_from(log_entry_table)
    ).scalar()
    return int(count or 0)


def _read_node(connection: Connection, level: int, node_index: int) -> bytes:
    stored = connection.execute(
        select(log_node_table.c.hash).where(
            log_node_table.c.level == level, log_node_table.c.node_index == node_index
        )
    ).scalar()
    if stored is None:
        raise AnchorNotFoundError(
            f"the anchor log has no node at level {level}, index {node_index}; "
            "the database is incomplete",
            property="node",
            value=[level, node_index],
        )
    return bytes(stored)


def _node_reader(connection: Connection) -> Callable[[int, int], bytes]:
    return lambda level, node_index: _read_node(connection, level, node_index)
