"""Encrypted wallet storage in SQL (SQLite by default, any SQLAlchemy URL works).

Layout: one ``wallet_meta`` row contains the scrypt parameters and the data key
wrapped under the passphrase key. Holder keys, credentials and share
summaries are AES-GCM ciphertexts under the data key. A credential row is
found again by an HMAC of its JSON (RFC 8785), so the same credential is
never stored twice and no plaintext identifier sits in the database. A
share's presentation is encrypted under a key derived from the share token,
so the public share route can serve it while the wallet is locked, and the
database alone does not reveal it. Sessions wrap the data key under a key
derived from the session cookie in the same way.

Every write that changes more than one row runs in one transaction.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import rfc8785
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from vcwork.did import create_did_key
from vcwork.keys import Ed25519KeyPair

from . import crypto
from .errors import (
    NotFoundError,
    ShareGoneError,
    WalletError,
    WalletExistsError,
    WalletLockedError,
    WalletMissingError,
    WrongPassphraseError,
)

__all__ = [
    "BACKUP_FORMAT",
    "HolderKey",
    "ImportResult",
    "ShareRecord",
    "StoredCredential",
    "UnlockedWallet",
    "WalletStore",
]

logger = logging.getLogger(__name__)

BACKUP_FORMAT = "vcwork-wallet-backup"
_FORMAT_VERSION = 1

metadata = sa.MetaData()

wallet_meta = sa.Table(
    "wallet_meta",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("format_version", sa.Integer, nullable=False),
    sa.Column("kdf", sa.Text, nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.Integer, nullable=False),
    sa.Column("portfolio_slug", sa.String(64), nullable=True, unique=True),
    sa.Column("portfolio_json", sa.Text, nullable=True),
)

wallet_keys = sa.Table(
    "wallet_keys",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("did", sa.String(512), nullable=False, unique=True),
    sa.Column("secret", sa.LargeBinary, nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Integer, nullable=False),
)

wallet_credentials = sa.Table(
    "wallet_credentials",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("received_at", sa.Integer, nullable=False),
)

wallet_sessions = sa.Table(
    "wallet_sessions",
    metadata,
    sa.Column("token_digest", sa.String(64), primary_key=True),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    sa.Column("expires_at", sa.Integer, nullable=False),
)

wallet_shares = sa.Table(
    "wallet_shares",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Column("summary", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.Integer, nullable=False),
    sa.Column("withdrawn_at", sa.Integer, nullable=True),
)


def _now() -> int:
    return int(time.time())


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class HolderKey:
    """A holder key pair and its did:key DID."""

    id: str
    did: str
    key_pair: Ed25519KeyPair
    is_default: bool


@dataclass(frozen=True)
class StoredCredential:
    """A credential in the wallet with what the wallet recorded when it arrived.

    ``verification`` is the verification result (``VerificationResult.to_json``)
    from the time of receipt; ``source`` names where it came from.
    """

    id: str
    credential: dict[str, Any]
    received_at: int
    verification: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def to_record(self) -> dict[str, Any]:
        return {
            "credential": self.credential,
            "received_at": self.received_at,
            "verification": self.verification,
            "source": self.source,
        }


@dataclass(frozen=True)
class ShareRecord:
    """A share link with the metadata the wallet lists for the holder."""

    id: str
    created_at: int
    expires_at: int
    withdrawn_at: int | None
    summary: dict[str, Any]

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None and self.expires_at > _now()


@dataclass(frozen=True)
class ImportResult:
    """Counts of the keys and credentials a backup import added or found present."""

    credentials_added: int
    credentials_present: int
    keys_added: int
    keys_present: int


class WalletStore:
    """The wallet's database; :meth:`unlock` returns an :class:`UnlockedWallet`."""

    def __init__(self, database_url: str, *, kdf_log2_n: int = 17) -> None:
        self.database_url = database_url
        self.kdf_log2_n = kdf_log2_n
        self.engine: Engine = sa.create_engine(database_url)
        metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def _meta(self, connection: Connection) -> sa.Row[Any] | None:
        return connection.execute(
            sa.select(wallet_meta).where(wallet_meta.c.id == 1)
        ).first()

    def exists(self) -> bool:
        with self.engine.connect() as connection:
            return self._meta(connection) is not None

    def create(self, passphrase: str) -> UnlockedWallet:
        """Create the wallet with a new data key and a new did:key holder key."""
        crypto.check_new_passphrase(passphrase)
        kdf = crypto.KdfParameters.new(self.kdf_log2_n)
        data_key = os.urandom(32)
        wrapped = crypto.encrypt(
            kdf.derive(passphrase), data_key, aad="wallet-data-key"
        )
        with self.engine.begin() as connection:
            if self._meta(connection) is not None:
                raise WalletExistsError(
                    "a wallet already exists in this data directory; unlock it, or "
                    "delete it first"
                )
            connection.execute(
                wallet_meta.insert().values(
                    id=1,
                    format_version=_FORMAT_VERSION,
                    kdf=json.dumps(kdf.to_json()),
                    wrapped_key=wrapped,
                    created_at=_now(),
                )
            )
            wallet = UnlockedWallet(self, data_key)
            key_pair, _ = create_did_key()
            wallet._insert_key(connection, key_pair, is_default=True)
        logger.info("created a wallet")
        return wallet

    def unlock(self, passphrase: str) -> UnlockedWallet:
        """Return the unlocked wallet; raise WrongPassphraseError for a wrong passphrase."""
        with self.engine.connect() as connection:
            meta = self._meta(connection)
        if meta is None:
            raise WalletMissingError(
                "there is no wallet in this data directory yet; set one up first"
            )
        kdf = crypto.KdfParameters.from_json(json.loads(meta.kdf))
        key = kdf.derive(passphrase)
        data_key = crypto.decrypt(key, meta.wrapped_key, aad="wallet-data-key")
        return UnlockedWallet(self, data_key)

    # -- sessions ---------------------------------------------------------------

    def open_session(self, wallet: UnlockedWallet, *, minutes: int) -> str:
        """Store the data key wrapped under a new session token and return the token."""
        token = secrets.token_urlsafe(32)
        wrapped = crypto.encrypt(
            crypto.derive_subkey(token.encode(), "wallet-session"),
            wallet.data_key,
            aad="wallet-session",
        )
        with self.engine.begin() as connection:
            connection.execute(
                wallet_sessions.delete().where(wallet_sessions.c.expires_at < _now())
            )
            connection.execute(
                wallet_sessions.insert().values(
                    token_digest=crypto.token_digest(token),
                    wrapped_key=wrapped,
                    expires_at=_now() + minutes * 60,
                )
            )
        return token

    def resume_session(self, token: str) -> UnlockedWallet:
        """Return the wallet unlocked by a session token; raise WalletLockedError."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(wallet_sessions).where(
                    wallet_sessions.c.token_digest == crypto.token_digest(token)
                )
            ).first()
        if row is None or row.expires_at < _now():
            raise WalletLockedError(
                "the wallet is locked; unlock it with your passphrase"
            )
        try:
            data_key = crypto.decrypt(
                crypto.derive_subkey(token.encode(), "wallet-session"),
                row.wrapped_key,
                aad="wallet-session",
            )
        except WrongPassphraseError:
            raise WalletLockedError("the session is invalid; unlock again") from None
        return UnlockedWallet(self, data_key)

    def close_session(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                wallet_sessions.delete().where(
                    wallet_sessions.c.token_digest == crypto.token_digest(token)
                )
            )

    # -- public views -----------------------------------------------------------

    def shared_presentation(self, token: str) -> dict[str, Any]:
        """Return the presentation behind a share token, for anyone holding the link."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(wallet_shares).where(
                    wallet_shares.c.token_digest == crypto.token_digest(token)
                )
            ).first()
        if row is None:
            raise NotFoundError("no shared presentation exists at this link")
        if row.withdrawn_at is not None or row.body is None:
            raise ShareGoneError("the holder withdrew this shared presentation")
        if row.expires_at <= _now():
            raise ShareGoneError("this shared presentation has expired")
        key = crypto.derive_subkey(token.encode(), "wallet-share")
        body = crypto.decrypt(key, row.body, aad=f"share:{row.id}")
        result: dict[str, Any] = json.loads(body)
        return result

    def public_portfolio(self, slug: str) -> dict[str, Any]:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(wallet_meta.c.portfolio_json).where(
                    wallet_meta.c.portfolio_slug == slug
                )
            ).first()
        if row is None or row.portfolio_json is None:
            raise NotFoundError("no public portfolio is published at this address")
        result: dict[str, Any] = json.loads(row.portfolio_json)
        return result

    def delete_wallet(self, passphrase: str) -> None:
        """Delete every key, credential, share and session after checking the passphrase."""
        self.unlock(passphrase)
        with self.engine.begin() as connection:
            for table in (
                wallet_sessions,
                wallet_shares,
                wallet_credentials,
                wallet_keys,
                wallet_meta,
            ):
                connection.execute(table.delete())
        logger.info("deleted the wallet")


class UnlockedWallet:
    """Access to the wallet's decrypted contents through its data key."""

    def __init__(self, store: WalletStore, data_key: bytes) -> None:
        self.store = store
        self.data_key = data_key
        self._mac_key = crypto.derive_subkey(data_key, "wallet-credential-digest")

    @property
    def engine(self) -> Engine:
        return self.store.engine

    def _seal(self, data: Any, aad: str) -> bytes:
        return crypto.encrypt(self.data_key, _dumps(data), aad=aad)

    def _open(self, blob: bytes, aad: str) -> Any:
        return json.loads(crypto.decrypt(self.data_key, blob, aad=aad))

    # -- holder keys ------------------------------------------------------------

    def _insert_key(
        self, connection: Connection, key_pair: Ed25519KeyPair, *, is_default: bool
    ) -> None:
        key_id = str(uuid.uuid4())
        secret = self._seal(
            key_pair.export_multikey(include_secret=True), f"key:{key_id}"
        )
        connection.execute(
            wallet_keys.insert().values(
                id=key_id,
                did=key_pair.controller,
                secret=secret,
                is_default=is_default,
                created_at=_now(),
            )
        )

    def holder_keys(self) -> list[HolderKey]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(wallet_keys).order_by(wallet_keys.c.created_at)
            ).all()
        keys = []
        for row in rows:
            key_pair = Ed25519KeyPair.from_multikey(
                self._open(row.secret, f"key:{row.id}")
            )
            keys.append(HolderKey(row.id, row.did, key_pair, bool(row.is_default)))
        return keys

    def default_key(self) -> HolderKey:
        keys = self.holder_keys()
        for key in keys:
            if key.is_default:
                return key
        if not keys:
            raise WalletError("the wallet has no holder key")
        return keys[0]

    def holder_dids(self) -> set[str]:
        with self.engine.connect() as connection:
            return {row.did for row in connection.execute(sa.select(wallet_keys.c.did))}

    # -- credentials ------------------------------------------------------------

    def credential_digest(self, credential: dict[str, Any]) -> str:
        return crypto.mac(self._mac_key, rfc8785.dumps(credential))

    def add_credential(
        self,
        credential: dict[str, Any],
        *,
        verification: dict[str, Any],
        source: str,
    ) -> tuple[StoredCredential, bool]:
        """Store a verified credential; return it and whether it was new.

        A credential already in the wallet (same JSON) is not stored again.
        """
        with self.engine.begin() as connection:
            return self._add_credential(
                connection,
                StoredCredential(
                    id=str(uuid.uuid4()),
                    credential=credential,
                    received_at=_now(),
                    verification=verification,
                    source=source,
                ),
            )

    def add_credentials(
        self, items: list[tuple[dict[str, Any], dict[str, Any]]], *, source: str
    ) -> list[tuple[StoredCredential, bool]]:
        """Store several (credential, verification) pairs in one transaction."""
        now = _now()
        with self.engine.begin() as connection:
            return [
                self._add_credential(
                    connection,
                    StoredCredential(
                        id=str(uuid.uuid4()),
                        credential=credential,
                        received_at=now,
                        verification=verification,
                        source=source,
                    ),
                )
                for credential, verification in items
            ]

    def _add_credential(
        self, connection: Connection, item: StoredCredential
    ) -> tuple[StoredCredential, bool]:
        digest = self.credential_digest(item.credential)
        existing = connection.execute(
            sa.select(wallet_credentials).where(wallet_credentials.c.digest == digest)
        ).first()
        if existing is not None:
            return self._row_to_credential(existing), False
        connection.execute(
            wallet_credentials.insert().values(
                id=item.id,
                digest=digest,
                body=self._seal(item.to_record(), f"credential:{item.id}"),
                received_at=item.received_at,
            )
        )
        return item, True

    def _row_to_credential(self, row: sa.Row[Any]) -> StoredCredential:
        record = self._open(row.body, f"credential:{row.id}")
        return StoredCredential(
            id=row.id,
            credential=record["credential"],
            received_at=record.get("received_at", row.received_at),
            verification=record.get("verification", {}),
            source=record.get("source", ""),
        )

    def list_credentials(self) -> list[StoredCredential]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(wallet_credentials).order_by(wallet_credentials.c.received_at)
            ).all()
        return [self._row_to_credential(row) for row in rows]

    def get_credential(self, credential_id: str) -> StoredCredential:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(wallet_credentials).where(
                    wallet_credentials.c.id == credential_id
                )
            ).first()
        if row is None:
            raise NotFoundError(
                f"no credential with id {credential_id!r} in this wallet"
            )
        return self._row_to_credential(row)

    def delete_credential(self, credential_id: str) -> None:
        """Delete a credential and withdraw every active share that contains it."""
        with self.engine.begin() as connection:
            deleted = connection.execute(
                wallet_credentials.delete().where(
                    wallet_credentials.c.id == credential_id
                )
            ).rowcount
            if not deleted:
                raise NotFoundError(
                    f"no credential with id {credential_id!r} in this wallet"
                )
            for share in self._shares(connection):
                if credential_id in share.summary.get("credential_ids", []):
                    self._withdraw(connection, share.id)

    # -- shares -----------------------------------------------------------------

    def create_share(
        self,
        presentation: dict[str, Any],
        *,
        token: str,
        share_id: str,
        expires_at: int,
        summary: dict[str, Any],
    ) -> ShareRecord:
        """Store a signed presentation behind a share token until ``expires_at``."""
        key = crypto.derive_subkey(token.encode(), "wallet-share")
        created = _now()
        with self.engine.begin() as connection:
            connection.execute(
                wallet_shares.insert().values(
                    id=share_id,
                    token_digest=crypto.token_digest(token),
                    body=crypto.encrypt(
                        key, _dumps(presentation), aad=f"share:{share_id}"
                    ),
                    summary=self._seal(summary, f"share-summary:{share_id}"),
                    created_at=created,
                    expires_at=expires_at,
                )
            )
        return ShareRecord(share_id, created, expires_at, None, summary)

    def _shares(self, connection: Connection) -> list[ShareRecord]:
        rows = connection.execute(
            sa.select(wallet_shares).order_by(wallet_shares.c.created_at.desc())
        ).all()
        return [
            ShareRecord(
                row.id,
                row.created_at,
                row.expires_at,
                row.withdrawn_at,
                self._open(row.summary, f"share-summary:{row.id}"),
            )
            for row in rows
        ]

    def list_shares(self) -> list[ShareRecord]:
        with self.engine.connect() as connection:
            return self._shares(connection)

    def update_share_summary(self, share_id: str, summary: dict[str, Any]) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                wallet_shares.update()
                .where(wallet_shares.c.id == share_id)
                .values(summary=self._seal(summary, f"share-summary:{share_id}"))
            )

    def _withdraw(self, connection: Connection, share_id: str) -> int:
        return connection.execute(
            wallet_shares.update()
            .where(wallet_shares.c.id == share_id)
            .values(withdrawn_at=_now(), body=None)
        ).rowcount

    def withdraw_share(self, share_id: str) -> None:
        """Withdraw a share: its link stops working and the stored copy is erased."""
        with self.engine.begin() as connection:
            if not self._withdraw(connection, share_id):
                raise NotFoundError(f"no share with id {share_id!r} in this wallet")

    # -- public portfolio -------------------------------------------------------

    def portfolio_slug(self) -> str | None:
        with self.engine.connect() as connection:
            meta = self.store._meta(connection)
        return None if meta is None else meta.portfolio_slug

    def publish_portfolio(self, snapshot: dict[str, Any]) -> str:
        """Publish (or refresh) the public portfolio and return its slug."""
        slug = self.portfolio_slug() or secrets.token_urlsafe(12)
        with self.engine.begin() as connection:
            connection.execute(
                wallet_meta.update()
                .where(wallet_meta.c.id == 1)
                .values(portfolio_slug=slug, portfolio_json=json.dumps(snapshot))
            )
        return slug

    def unpublish_portfolio(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                wallet_meta.update()
                .where(wallet_meta.c.id == 1)
                .values(portfolio_slug=None, portfolio_json=None)
            )

    # -- backup -----------------------------------------------------------------

    def export_backup(self, passphrase: str, *, kdf_log2_n: int | None = None) -> bytes:
        """Return an encrypted backup of every holder key and credential.

        The backup is a JSON file: scrypt parameters and one AES-GCM
        ciphertext under a key derived from ``passphrase``.
        """
        crypto.check_new_passphrase(passphrase)
        payload = {
            "keys": [
                {
                    "key": key.key_pair.export_multikey(include_secret=True),
                    "is_default": key.is_default,
                }
                for key in self.holder_keys()
            ],
            "credentials": [item.to_record() for item in self.list_credentials()],
        }
        kdf = crypto.KdfParameters.new(kdf_log2_n or self.store.kdf_log2_n)
        blob = crypto.encrypt(
            kdf.derive(passphrase), _dumps(payload), aad=BACKUP_FORMAT
        )
        backup = {
            "format": BACKUP_FORMAT,
            "version": _FORMAT_VERSION,
            "kdf": kdf.to_json(),
            "ciphertext": crypto.b64encode(blob),
        }
        return json.dumps(backup, indent=2).encode() + b"\n"

    def import_backup(
        self,
        data: bytes,
        passphrase: str,
        *,
        verify: Callable[[dict[str, Any], set[str]], dict[str, Any]] | None = None,
    ) -> ImportResult:
        """Merge a backup into this wallet in one transaction.

        Keys and credentials already present are skipped, so importing the
        same backup twice changes nothing. A failure leaves the wallet as it was.
        The verification results in the file are not trusted: ``verify``
        (credential, holder DIDs) checks each credential again, and without it
        the imported credentials are marked as not verified.
        """
        payload = _open_backup(data, passphrase)
        keys, credentials = _backup_items(payload)
        holder_dids = self.holder_dids() | {str(k.controller) for k in keys}
        credentials = [
            replace(
                item,
                verification=verify(item.credential, holder_dids)
                if verify is not None
                else {
                    "verified": False,
                    "checks": [],
                    "problems": [],
                    "detail": "not verified again since the backup was imported",
                },
            )
            for item in credentials
        ]
        known = self.holder_dids()
        counts = {"keys_added": 0, "keys_present": 0, "added": 0, "present": 0}
        with self.engine.begin() as connection:
            for key_pair in keys:
                if key_pair.controller in known:
                    counts["keys_present"] += 1
                    continue
                self._insert_key(connection, key_pair, is_default=False)
                known.add(str(key_pair.controller))
                counts["keys_added"] += 1
            for item in credentials:
                _, added = self._add_credential(connection, item)
                counts["added" if added else "present"] += 1
        logger.info(
            "imported a backup: %d credentials added, %d already present",
            counts["added"],
            counts["present"],
        )
        return ImportResult(
            credentials_added=counts["added"],
            credentials_present=counts["present"],
            keys_added=counts["keys_added"],
            keys_present=counts["keys_present"],
        )


def _open_backup(data: bytes, passphrase: str) -> Any:
    try:
        backup = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise WalletError(f"the backup file is not valid JSON: {e}") from e
    if not isinstance(backup, dict) or backup.get("format") != BACKUP_FORMAT:
        raise WalletError(
            f"this file is not a wallet backup: expected format {BACKUP_FORMAT!r}"
        )
    if backup.get("version") != _FORMAT_VERSION:
        raise WalletError(
            f"backup version {backup.get('version')!r} is not supported; "
            f"expected {_FORMAT_VERSION}"
        )
    kdf = crypto.KdfParameters.from_json(backup.get("kdf"))
    blob = crypto.b64decode(backup.get("ciphertext", ""))
    plaintext = crypto.decrypt(kdf.derive(passphrase), blob, aad=BACKUP_FORMAT)
    return json.loads(plaintext)


def _backup_items(payload: Any) -> tuple[list[Ed25519KeyPair], list[StoredCredential]]:
    """Check a decrypted backup's shape before anything is written."""
    if not isinstance(payload, dict):
        raise WalletError("the backup content is not a JSON object")
    raw_keys = payload.get("keys")
    raw_credentials = payload.get("credentials")
    if not isinstance(raw_keys, list) or not isinstance(raw_credentials, list):
        raise WalletError("the backup content has no 'keys' and 'credentials' lists")
    keys = []
    for index, entry in enumerate(raw_keys):
        key = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(key, dict):
            raise WalletError(f"backup key {index} is not a Multikey key pair")
        key_pair, _ = create_did_key(Ed25519KeyPair.from_multikey(key))
        keys.append(key_pair)
    return keys, list(_backup_credentials(raw_credentials))


def _backup_credentials(records: Iterable[Any]) -> Iterable[StoredCredential]:
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(
            record.get("credential"), dict
        ):
            raise WalletError(f"backup credential {index} is not a credential record")
        received = record.get("received_at")
        yield StoredCredential(
            id=str(uuid.uuid4()),
            credential=record["credential"],
            received_at=received if isinstance(received, int) else _now(),
            verification=record.get("verification") or {},
            source=str(record.get("source", "backup")),
        )
