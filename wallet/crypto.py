"""Encryption at rest: scrypt to derive a key from the passphrase, AES-256-GCM for data.

The passphrase key only wraps a random data key, so a backup or a session can
carry the data key under another key. Every ciphertext is bound to what it
is (its AAD names the table row), so rows cannot be swapped unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .errors import WalletError, WrongPassphraseError

__all__ = [
    "MIN_PASSPHRASE_LENGTH",
    "KdfParameters",
    "b64decode",
    "b64encode",
    "check_new_passphrase",
    "decrypt",
    "derive_subkey",
    "encrypt",
    "mac",
    "token_digest",
]

MIN_PASSPHRASE_LENGTH = 10
# scrypt's cost must stay within what a phone-class machine can do in about a
# second: N = 2**17, r = 8 uses 128 MiB (the OWASP minimum recommendation).
_MIN_LOG2_N = 10
_MAX_LOG2_N = 20
_MAX_SCRYPT_MEMORY = 256 * 2**20


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise WalletError(f"expected base64url text, got {type(text).__name__}")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as e:
        raise WalletError(f"invalid base64url value: {e}") from e


@dataclass(frozen=True)
class KdfParameters:
    """scrypt parameters and salt, stored next to the data they protect."""

    salt: bytes
    log2_n: int = 17
    r: int = 8
    p: int = 1

    @classmethod
    def new(cls, log2_n: int) -> KdfParameters:
        return cls(salt=os.urandom(16), log2_n=log2_n)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "scrypt",
            "salt": b64encode(self.salt),
            "log2_n": self.log2_n,
            "r": self.r,
            "p": self.p,
        }

    @classmethod
    def from_json(cls, data: Any) -> KdfParameters:
        if not isinstance(data, dict) or data.get("name") != "scrypt":
            raise WalletError("unsupported key derivation: expected scrypt parameters")
        log2_n = _int_parameter(data, "log2_n")
        r = _int_parameter(data, "r")
        p = _int_parameter(data, "p")
        if not _MIN_LOG2_N <= log2_n <= _MAX_LOG2_N or not 1 <= r <= 32:
            raise WalletError(
                f"scrypt parameters out of range: log2_n={log2_n} (allowed "
                f"{_MIN_LOG2_N}-{_MAX_LOG2_N}), r={r} (allowed 1-32)"
            )
        if not 1 <= p <= 4:
            raise WalletError(f"scrypt parameter p={p} out of range (allowed 1-4)")
        # A backup file chooses its own parameters, so bound the memory and
        # work they ask for: scrypt needs 128 * r * N bytes.
        if 128 * r * 2**log2_n > _MAX_SCRYPT_MEMORY:
            raise WalletError(
                f"scrypt parameters log2_n={log2_n}, r={r} need more than "
                f"{_MAX_SCRYPT_MEMORY // 2**20} MiB; the file was not made by this wallet"
            )
        salt = b64decode(data.get("salt", ""))
        if len(salt) < 16:
            raise WalletError("the scrypt salt must be at least 16 bytes")
        return cls(salt=salt, log2_n=log2_n, r=r, p=p)

    def derive(self, passphrase: str) -> bytes:
        """Derive the 32-byte key-encryption key from ``passphrase``."""
        kdf = Scrypt(salt=self.salt, length=32, n=2**self.log2_n, r=self.r, p=self.p)
        return kdf.derive(passphrase.encode("utf-8"))


def _int_parameter(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise WalletError(f"scrypt parameter {name} must be an integer, got {value!r}")
    return value


def check_new_passphrase(passphrase: str, confirmation: str | None = None) -> None:
    """Raise WalletError when a new passphrase is too short or not confirmed."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise WalletError(
            f"the passphrase must have at least {MIN_PASSPHRASE_LENGTH} characters; "
            f"it has {len(passphrase)}"
        )
    if confirmation is not None and confirmation != passphrase:
        raise WalletError("the two passphrases differ; type the same one twice")


def encrypt(key: bytes, plaintext: bytes, *, aad: str) -> bytes:
    """Encrypt with AES-256-GCM; the result is the 12-byte nonce then the ciphertext."""
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad.encode("utf-8"))


def decrypt(key: bytes, blob: bytes, *, aad: str) -> bytes:
    """Decrypt a blob from :func:`encrypt`, or raise WrongPassphraseError on a bad tag.

    A bad tag means the key is wrong or the data was changed. For data under
    the passphrase key, a wrong passphrase is the likely cause.
    """
    if len(blob) < 12 + 16:
        raise WrongPassphraseError("the encrypted data is truncated")
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], aad.encode("utf-8"))
    except InvalidTag:
        raise WrongPassphraseError(
            "the passphrase is wrong (or the encrypted data was changed)"
        ) from None


def derive_subkey(key: bytes, purpose: str) -> bytes:
    """Derive an independent 32-byte key for ``purpose`` with HKDF-SHA256."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()
    ).derive(key)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a bearer token is looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()
