"""The issuer's signing keys (encrypted at rest) and the staff API keys.

Signing keys are Ed25519 seeds encrypted with AES-256-GCM. The key
encryption key is derived with scrypt from a passphrase in an environment
variable, or read from ``issuer-kek.bin`` in the data directory (created
with mode 0600 on first start). Every replica of the agent needs the same
passphrase or key file. A seed is decrypted only into process memory and
never appears in a response or a log.

API keys are random 256-bit tokens shown once at creation; only their
SHA-256 digest is stored.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, insert, select, update

from vcwork.did import create_did_web_document
from vcwork.keys import Ed25519KeyPair

from .db import Database, api_key_table, issuer_key_table, now_iso, sha256_hex

__all__ = ["IssuerKeys", "create_api_key", "load_key_encryption_key", "verify_api_key"]

logger = logging.getLogger(__name__)

KEK_FILE = "issuer-kek.bin"
API_KEY_PREFIX = "vcwi_"
# scrypt cost for passphrase-derived keys (RFC 7914 parameters: n, r, p).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
# The salt is fixed per deployment: it only needs to separate this use of
# the passphrase from others, because the passphrase itself is the secret.
_SCRYPT_SALT = b"vcwork issuer agent key encryption"


def load_key_encryption_key(data_dir: Path, passphrase_env: str) -> bytes:
    """Return the 32-byte key that encrypts the signing keys."""
    passphrase = os.environ.get(passphrase_env)
    if passphrase:
        return hashlib.scrypt(
            passphrase.encode("utf-8"),
            salt=_SCRYPT_SALT,
            n=_SCRYPT_N,
            r=_SCRYPT_R,
            p=_SCRYPT_P,
            maxmem=128 * 1024 * 1024,
            dklen=32,
        )
    path = Path(data_dir) / KEK_FILE
    if path.exists():
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(
                f"{path} must hold 32 bytes, found {len(key)}; restore it from a "
                f"backup or set {passphrase_env}"
            )
        return key
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(key)
    logger.info("created the key encryption key file %s", path)
    return key


@dataclass(frozen=True)
class _StoredKey:
    fragment: str
    key_pair: Ed25519KeyPair
    retired: bool


class IssuerKeys:
    """The issuer's did:web DID and its signing keys, current and retired.

    Retired keys stay in the DID document under ``assertionMethod`` so that
    credentials they signed keep verifying; only the current key signs.
    """

    def __init__(self, database: Database, *, did: str, kek: bytes) -> None:
        self.did = did
        self._database = database
        self._aead = AESGCM(kek)
        self._keys: list[_StoredKey] = []
        self.reload()
        if not self._keys:
            self.rotate()

    def reload(self) -> None:
        """Read the keys from the database (another replica may have rotated)."""
        with self._database.engine.connect() as connection:
            rows = connection.execute(
                select(issuer_key_table).order_by(issuer_key_table.c.id)
            ).all()
        keys = []
        for row in rows:
            seed = self._aead.decrypt(
                row.nonce, row.encrypted_seed, row.fragment.encode()
            )
            pair = Ed25519KeyPair.from_seed(
                seed, id=f"{self.did}#{row.fragment}", controller=self.did
            )
            if pair.public_key_multibase != row.public_key_multibase:
                raise ValueError(
                    f"stored key {row.fragment} does not match its public key; "
                    "the key table is corrupt"
                )
            keys.append(_StoredKey(row.fragment, pair, row.retired is not None))
        self._keys = keys

    @property
    def current(self) -> Ed25519KeyPair:
        active = [key for key in self._keys if not key.retired]
        if not active:
            raise RuntimeError("the issuer has no active signing key")
        return active[-1].key_pair

    def rotate(self) -> str:
        """Create a new signing key, retire the current one and return the new key id."""
        pair = Ed25519KeyPair.generate()
        fragment = f"key-{secrets.token_hex(4)}"
        # NOTE: the seed is exported only to encrypt it here; it is never logged.
        seed = bytes.fromhex(_seed_hex(pair))
        nonce = os.urandom(12)
        ciphertext = self._aead.encrypt(nonce, seed, fragment.encode())
        now = now_iso()

        def work(connection: Connection) -> None:
            connection.execute(
                update(issuer_key_table)
                .where(issuer_key_table.c.retired.is_(None))
                .values(retired=now)
            )
            connection.execute(
                insert(issuer_key_table).values(
                    fragment=fragment,
                    public_key_multibase=pair.public_key_multibase,
                    encrypted_seed=ciphertext,
                    nonce=nonce,
                    created=now,
                )
            )

        self._database.transaction(work)
        self.reload()
        logger.info("issuer signing key %s#%s created", self.did, fragment)
        return f"{self.did}#{fragment}"

    def did_document(self) -> dict[str, object]:
        """Build the did:web document: every key for assertionMethod, the current one
        also for authentication."""
        self.reload()
        pairs = [key.key_pair for key in self._keys]
        current_id = self.current.id
        relationships = {
            str(pair.id): (
                ["assertionMethod", "authentication"]
                if pair.id == current_id
                else ["assertionMethod"]
            )
            for pair in pairs
        }
        return create_did_web_document(self.did, pairs, relationships=relationships)


def _seed_hex(pair: Ed25519KeyPair) -> str:
    import base58

    from vcwork.keys import ED25519_PRIV_PREFIX

    secret = pair.export_multikey(include_secret=True)["secretKeyMultibase"]
    raw = base58.b58decode(secret[1:])
    if raw[:2] != ED25519_PRIV_PREFIX:
        raise RuntimeError("unexpected secret key encoding")
    return raw[2:34].hex()


def create_api_key(database: Database, *, name: str) -> str:
    """Create a staff API key, store its digest and return the key (shown once)."""
    if not name.strip():
        raise ValueError("the API key name is empty; pass --name with who uses the key")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)

    def work(connection: Connection) -> None:
        connection.execute(
            insert(api_key_table).values(
                name=name.strip(), key_sha256=sha256_hex(key), created=now_iso()
            )
        )

    database.transaction(work)
    logger.info("API key %r created", name)
    return key


def verify_api_key(database: Database, key: str) -> str | None:
    """Return the name of the API key ``key``, or None when it is unknown or revoked."""
    digest = sha256_hex(key)
    with database.engine.connect() as connection:
        row = connection.execute(
            select(api_key_table.c.name, api_key_table.c.revoked).where(
                api_key_table.c.key_sha256 == digest
            )
        ).first()
    if row is None or row.revoked is not None:
        return None
    return str(row.name)
