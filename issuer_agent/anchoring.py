"""Ledger anchoring in the issuer agent: the delivery queue, closing batches, receipts.

A credential is anchored as it was delivered to its holder (the VC-API issue
response, or the OpenID4VCI credential response after re-signing for the
wallet's key). The transaction that records the delivery also writes the
credential to ``issuer_anchor_queue``. :meth:`AnchorService.flush_queue`
then hands queued credentials to the library's :class:`AnchorBatcher`, and
marks them added. A crash between the two leaves the row unmarked, so the
next flush (at start-up and before every close) adds it. The batcher's own
``resume`` repairs a crash between sealing a batch and writing its root.

The anchor tables live in the agent's database (SQLite file or PostgreSQL)
beside the agent's tables, and the embedded transparency log's id is the
agent's DID. With several workers or replicas, a lease row in
``issuer_lease`` lets one process close batches at a time.

With an EVM chain configured (:class:`EvmAnchoring`), batches closed from
then on are anchored in transactions from the issuer's account instead of
the embedded log. Batches anchored before stay in the log, and their
receipts do not change. The DID document then lists the account in a
service entry, so that verifiers can check the sender of each transaction.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from vcwork.anchoring import (
    AnchorBatcher,
    AnchorLog,
    AnchorNotFoundError,
    BatchInfo,
    EvmLedger,
    Ledger,
    create_anchor_engine,
)
from vcwork.keys import Ed25519KeyPair

from .db import Database, anchor_queue_table, lease_table, now_iso
from .errors import ConflictError, NotFoundError
from .settings import Settings

__all__ = [
    "ANCHOR_SERVICE_TYPE",
    "AnchorService",
    "CloseBusyError",
    "EvmAnchoring",
    "EvmSettingsError",
    "connect_evm_anchoring",
    "load_evm_account_key",
]

logger = logging.getLogger(__name__)

CLOSE_LEASE = "anchor-close"
# NOTE: a close that runs longer than the lease lets a second process start
# closing too. The log stays correct, because it accepts one entry per batch
# id, but the second process then fails on that batch and logs the error.
LEASE_SECONDS = 300.0
FLUSH_ATTEMPTS = 3

_LOG_TABLES = (
    "vcwork_anchor_log_info",
    "vcwork_anchor_log_entry",
    "vcwork_anchor_log_node",
    "vcwork_anchor_log_tree_head",
)


class CloseBusyError(ConflictError):
    """Another process is closing anchor batches right now."""


class AnchorService:
    """The agent's anchor queue, batcher and transparency log over its database.

    ``log_id`` names the log (the agent's DID). ``signing_key`` returns the
    current issuer key, which signs each new tree head. ``max_batch_size``
    and ``max_batch_age`` are the batcher's closing policy.
    """

    def __init__(
        self,
        database: Database,
        *,
        log_id: str,
        signing_key: Callable[[], Ed25519KeyPair],
        max_batch_size: int,
        max_batch_age: timedelta,
    ) -> None:
        self._database = database
        self._signing_key = signing_key
        self.max_batch_size = max_batch_size
        self.max_batch_age = max_batch_age
        self.engine: Engine = create_anchor_engine(database.url)
        if self.engine.dialect.name == "postgresql":
            _make_log_append_only_on_postgresql(self.engine)
        self.log_id = log_id
        # Read-only: without a key pair this log serves reads but cannot append.
        self.log = AnchorLog(self.engine, log_id=log_id)
        self.batcher = AnchorBatcher(
            self.engine,
            self.log,
            max_batch_size=max_batch_size,
            max_batch_age=max_batch_age,
        )
        self.evm: EvmAnchoring | None = None

    def use_evm(self, evm: EvmAnchoring | None) -> None:
        """Anchor the batches closed from now on in ``evm`` (None: the embedded log)."""
        self.evm = evm

    def close(self) -> None:
        self.engine.dispose()

    # -- queueing ------------------------------------------------------------------

    def queue(self, connection: Connection, credential: Mapping[str, Any]) -> None:
        """Record a delivered credential for anchoring, in the caller's transaction.

        Delivering the same document again is a no-op. Raises
        :class:`ConflictError` when another document with the same id was
        delivered already, because a credential id has one anchored document.
        """
        credential_id = str(credential["id"])
        stored = connection.execute(
            select(anchor_queue_table.c.document).where(
                anchor_queue_table.c.credential_id == credential_id
            )
        ).scalar()
        if stored is None:
            connection.execute(
                insert(anchor_queue_table).values(
                    credential_id=credential_id,
                    document=json.dumps(dict(credential)),
                    queued=now_iso(),
                    added=0,
                )
            )
        elif json.loads(stored) != credential:
            raise ConflictError(
                f"credential {credential_id} was already delivered to a holder as "
                "another document; revoke it and issue a new credential instead"
            )

    def is_delivered(self, credential_id: str) -> bool:
        with self._database.engine.connect() as connection:
            row = connection.execute(
                select(anchor_queue_table.c.credential_id).where(
                    anchor_queue_table.c.credential_id == credential_id
                )
            ).first()
        return row is not None

    def flush_queue(self) -> int:
        """Add every queued credential the batcher does not have yet; return how many."""
        with self._database.engine.connect() as connection:
            rows = connection.execute(
                select(
                    anchor_queue_table.c.credential_id, anchor_queue_table.c.document
                )
                .where(anchor_queue_table.c.added == 0)
                .order_by(anchor_queue_table.c.queued)
            ).all()
        if not rows:
            return 0
        documents = [json.loads(row.document) for row in rows]
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            try:
                self.batcher.add_many(documents)
                break
            except IntegrityError:
                # On PostgreSQL two flushes can insert the same row at once,
                # and one fails. Its retry finds the rows and skips them.
                if attempt == FLUSH_ATTEMPTS:
                    raise
                logger.debug("concurrent anchor queue flush, retry %d", attempt)
        # The batcher has committed the rows; a crash before the next commit
        # only makes the next flush add them again, which the batcher skips.
        statement = (
            update(anchor_queue_table)
            .where(anchor_queue_table.c.credential_id == bindparam("key"))
            .values(added=1)
        )

        def work(connection: Connection) -> None:
            connection.execute(statement, [{"key": row.credential_id} for row in rows])

        self._database.transaction(work)
        logger.debug("added %d delivered credentials to the anchor batcher", len(rows))
        return len(rows)

    @property
    def pending_count(self) -> int:
        return self.batcher.pending_count

    # -- closing -------------------------------------------------------------------

    def close_batches(self, *, due_only: bool) -> list[BatchInfo]:
        """Flush the queue, anchor sealed batches, then close batches.

        With ``due_only`` only batches that are full or old enough close;
        otherwise every waiting credential is anchored now. Raises
        :class:`CloseBusyError` while another process holds the close lease.
        """
        token = self._acquire_lease()
        if token is None:
            raise CloseBusyError(
                "another worker is closing anchor batches right now; retry in a "
                "few seconds"
            )
        try:
            self.flush_queue()
            ledger: Ledger
            if self.evm is not None:
                ledger = self.evm.ledger()
            else:
                ledger = AnchorLog(
                    self.engine, key_pair=self._signing_key(), log_id=self.log_id
                )
            closing = AnchorBatcher(
                self.engine,
                ledger,
                max_batch_size=self.max_batch_size,
                max_batch_age=self.max_batch_age,
            )
            if due_only:
                closed = closing.close_due()
            else:
                closed = closing.resume()
                while (batch := closing.close_batch()) is not None:
                    closed.append(batch)
        finally:
            self._release_lease(token)
        for batch in closed:
            logger.info(
                "anchored batch %s of %d credentials at %s",
                batch.id,
                batch.size,
                _ledger_location(batch.ledger_anchor or {}),
            )
        return closed

    def _acquire_lease(self) -> str | None:
        token = uuid.uuid4().hex
        now = time.time()

        def work(connection: Connection) -> bool:
            # One conditional UPDATE is atomic on SQLite and PostgreSQL, so
            # two processes never both see an expired lease as theirs.
            updated = connection.execute(
                update(lease_table)
                .where(lease_table.c.name == CLOSE_LEASE, lease_table.c.expires < now)
                .values(holder=token, expires=now + LEASE_SECONDS)
            )
            if updated.rowcount == 1:
                return True
            exists = connection.execute(
                select(lease_table.c.name).where(lease_table.c.name == CLOSE_LEASE)
            ).first()
            if exists is not None:
                return False
            connection.execute(
                insert(lease_table).values(
                    name=CLOSE_LEASE, holder=token, expires=now + LEASE_SECONDS
                )
            )
            return True

        try:
            acquired = self._database.transaction(work)
        except IntegrityError:
            # Another process created the lease row first.
            acquired = False
        return token if acquired else None

    def _release_lease(self, token: str) -> None:
        def work(connection: Connection) -> None:
            connection.execute(
                update(lease_table)
                .where(lease_table.c.name == CLOSE_LEASE, lease_table.c.holder == token)
                .values(expires=0.0)
            )

        self._database.transaction(work)

    # -- reading ---------------------------------------------------------------------

    def receipt(self, credential_id: str) -> dict[str, Any]:
        """Return the anchor receipt of a credential, or raise :class:`NotFoundError`."""
        try:
            receipt = self.batcher.receipt(credential_id)
        except AnchorNotFoundError:
            if self.is_delivered(credential_id):
                receipt = None
            else:
                raise NotFoundError(
                    f"no anchor receipt for {credential_id!r}: this issuer anchors "
                    "credentials when it delivers them to a holder, and it has not "
                    "delivered this one"
                ) from None
        if receipt is None:
            raise NotFoundError(
                f"credential {credential_id} waits for its anchor batch to close; "
                "retry later"
            )
        return receipt


# -- EVM chain -----------------------------------------------------------------------

ANCHOR_SERVICE_TYPE = "MerkleAnchorService"
"""The DID document service type that names the anchor routes and the EVM account."""

# Seconds a JSON-RPC request to the node may take; mining has its own timeout.
EVM_REQUEST_TIMEOUT_SECONDS = 30.0
_PRIVATE_KEY_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]{64}")


class EvmSettingsError(ValueError):
    """The EVM anchoring settings are incomplete, or the node cannot be reached."""


@dataclass(frozen=True)
class EvmAnchoring:
    """The EVM chain the agent anchors on: its node, chain id and the issuer's account.

    ``account`` is an ``eth_account`` ``LocalAccount``. It is left out of
    ``repr`` so that the private key never reaches a log line.
    """

    rpc_url: str
    chain_id: int
    web3: Any = field(repr=False)
    account: Any = field(repr=False)

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def account_id(self) -> str:
        """The account as a CAIP-10 account id: ``eip155:<chain id>:<address>``."""
        return f"eip155:{self.chain_id}:{self.address}"

    def ledger(self) -> EvmLedger:
        return EvmLedger(self.web3, account=self.account)

    def did_service(self, *, did: str, base_url: str) -> dict[str, Any]:
        """Build the DID document service entry that declares the anchoring account.

        Verifiers accept an EVM anchor only when its sender is listed here.
        """
        # NOTE: only the current account is listed. Anchors sent from an
        # earlier account stop verifying when the account changes.
        return {
            "id": f"{did}#anchoring",
            "type": ANCHOR_SERVICE_TYPE,
            "serviceEndpoint": f"{base_url}/anchor",
            "blockchainAccountId": self.account_id,
        }


def load_evm_account_key(settings: Settings) -> Any:
    """Read the issuer's EVM private key and return its ``LocalAccount``.

    The key is 64 hex digits (``0x`` optional), read from
    ``settings.evm_account_key_file`` or else from the environment variable
    ``settings.evm_account_key_env``. Raises :class:`EvmSettingsError`,
    whose message never contains the key.
    """
    if settings.evm_account_key_file is not None:
        source = f"the key file {settings.evm_account_key_file}"
        try:
            raw = settings.evm_account_key_file.read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise EvmSettingsError(
                f"cannot read {source}: {e.__class__.__name__}; check the path "
                "and that the agent may read it"
            ) from None
    else:
        source = f"the environment variable {settings.evm_account_key_env}"
        raw = os.environ.get(settings.evm_account_key_env, "").strip()
        if not raw:
            raise EvmSettingsError(
                f"{source} is not set; set it to the issuer's EVM private key "
                "(64 hex digits) or pass --evm-account-key-file"
            )
    if _PRIVATE_KEY_HEX.fullmatch(raw) is None:
        raise EvmSettingsError(
            f"{source} does not contain an EVM private key: expected 64 hex digits, "
            f"optionally prefixed with 0x, got {len(raw)} characters"
        )
    from eth_account import Account

    try:
        return Account.from_key(raw)
    except ValueError:
        raise EvmSettingsError(
            f"{source} contains an invalid secp256k1 private key; create a new key"
        ) from None


def connect_evm_anchoring(settings: Settings) -> EvmAnchoring | None:
    """Connect to the configured EVM node and read its chain id.

    Returns None when ``settings.evm_rpc_url`` is not set. Raises
    :class:`EvmSettingsError` when the key is missing or invalid, or the
    node cannot be reached.
    """
    if settings.evm_rpc_url is None:
        return None
    account = load_evm_account_key(settings)
    from web3 import Web3
    from web3.exceptions import Web3Exception

    web3 = Web3(
        Web3.HTTPProvider(
            settings.evm_rpc_url,
            request_kwargs={"timeout": EVM_REQUEST_TIMEOUT_SECONDS},
        )
    )
    try:
        chain_id = int(web3.eth.chain_id)
    except (OSError, Web3Exception) as e:
        raise EvmSettingsError(
            f"the EVM node at {settings.evm_rpc_url} could not be reached: "
            f"{e.__class__.__name__}; start the node or fix --evm-rpc-url"
        ) from e
    evm = EvmAnchoring(
        rpc_url=settings.evm_rpc_url, chain_id=chain_id, web3=web3, account=account
    )
    logger.info(
        "anchoring on EVM chain %d through %s as %s",
        chain_id,
        settings.evm_rpc_url,
        evm.address,
    )
    return evm


def _ledger_location(anchor: Mapping[str, Any]) -> str:
    if "transactionHash" in anchor:
        return f"chain {anchor.get('chainId')} transaction {anchor['transactionHash']}"
    return f"log entry {anchor.get('entryIndex')}"


def _make_log_append_only_on_postgresql(engine: Engine) -> None:
    """Create triggers that reject UPDATE, DELETE and TRUNCATE on the log tables.

    The PostgreSQL counterpart of the library's SQLite triggers. The
    advisory lock serializes workers that start at the same time.
    """
    with engine.begin() as connection:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('vcwork_anchor_append_only'))")
        )
        connection.execute(
            text(
                "CREATE OR REPLACE FUNCTION vcwork_anchor_log_append_only() "
                "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'the anchor log is append-only: % on % is not allowed', "
                "TG_OP, TG_TABLE_NAME; END $$"
            )
        )
        for table in _LOG_TABLES:
            trigger = f"{table}_append_only"
            exists = connection.execute(
                text(
                    "SELECT 1 FROM pg_trigger WHERE tgname = :trigger "
                    "AND tgrelid = CAST(:table AS regclass)"
                ),
                {"trigger": trigger, "table": table},
            ).first()
            if exists is None:
                connection.execute(
                    text(
                        f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE OR TRUNCATE "
                        f"ON {table} FOR EACH STATEMENT "
                        "EXECUTE FUNCTION vcwork_anchor_log_append_only()"
                    )
                )
