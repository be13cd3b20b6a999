"""Ed25519 key pairs with Multikey and JWK encodings.

Multikey (Controlled Identifiers 1.0, section 2.2.2): ``publicKeyMultibase`` is
``z`` + base58btc(0xed 0x01 + 32-byte public key) and ``secretKeyMultibase`` is
``z`` + base58btc(0x80 0x26 + 32-byte seed). JWK follows RFC 8037 (``OKP``,
``Ed25519``). A secret never appears in ``repr``, logs or error messages.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .errors import InvalidKeyError

__all__ = [
    "ED25519_PRIV_PREFIX",
    "ED25519_PUB_PREFIX",
    "Ed25519KeyPair",
    "Ed25519PublicKeyMaterial",
    "decode_public_key_multibase",
    "encode_public_key_multibase",
]

# Multicodec varints: ed25519-pub (0xed) and ed25519-priv (0x1300).
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as e:
        raise InvalidKeyError(f"{what} is not base64url") from e


def _decode_base58btc(value: str, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise InvalidKeyError(
            f"{what} must be a multibase base58btc string starting with 'z'",
            property=what,
        )
    try:
        return base58.b58decode(value[1:])
    except ValueError as e:
        raise InvalidKeyError(f"{what} is not valid base58btc", property=what) from e


def encode_public_key_multibase(public_key: bytes) -> str:
    """Encode a raw 32-byte Ed25519 public key as Multikey ``publicKeyMultibase``."""
    if len(public_key) != 32:
        raise InvalidKeyError(
            f"an Ed25519 public key has 32 bytes, got {len(public_key)}"
        )
    return "z" + base58.b58encode(ED25519_PUB_PREFIX + public_key).decode("ascii")


def decode_public_key_multibase(value: str) -> bytes:
    """Decode ``publicKeyMultibase`` (``z6Mk...``) to the raw 32-byte public key."""
    raw = _decode_base58btc(value, "publicKeyMultibase")
    if len(raw) != 34 or raw[:2] != ED25519_PUB_PREFIX:
        raise InvalidKeyError(
            "publicKeyMultibase is not an Ed25519 Multikey: expected the 0xed01 "
            f"prefix and 32 key bytes, got {len(raw)} bytes starting {raw[:2].hex()}",
            property="publicKeyMultibase",
            value=value,
        )
    return raw[2:]


@dataclass(frozen=True)
class Ed25519PublicKeyMaterial:
    """An Ed25519 public key, as found in a verification method."""

    public_key: bytes

    @property
    def public_key_multibase(self) -> str:
        return encode_public_key_multibase(self.public_key)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Return whether ``signature`` is a valid Ed25519 signature of ``message``."""
        if len(signature) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature, message
            )
        except InvalidSignature:
            return False
        return True

    def to_jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(self.public_key)}

    @classmethod
    def from_multibase(cls, value: str) -> Ed25519PublicKeyMaterial:
        return cls(decode_public_key_multibase(value))

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> Ed25519PublicKeyMaterial:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP":
            raise InvalidKeyError("publicKeyJwk must have kty 'OKP'")
        if jwk.get("crv") != "Ed25519":
            raise InvalidKeyError(
                f"publicKeyJwk must have crv 'Ed25519', got {jwk.get('crv')!r}"
            )
        x = jwk.get("x")
        if not isinstance(x, str):
            raise InvalidKeyError("publicKeyJwk has no 'x' member")
        raw = _b64url_decode(x, "publicKeyJwk.x")
        if len(raw) != 32:
            raise InvalidKeyError(
                f"publicKeyJwk.x must decode to 32 bytes, got {len(raw)}"
            )
        return cls(raw)


class Ed25519KeyPair:
    """An Ed25519 signing key and its public key.

    ``controller`` and ``id`` name the verification method that this key is
    published as (``did:key:z6Mk...#z6Mk...``, for example).
    """

    __slots__ = ("_private", "controller", "id", "public_key")

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        *,
        id: str | None = None,
        controller: str | None = None,
    ) -> None:
        self._private = private_key
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.id = id
        self.controller = controller

    def __repr__(self) -> str:
        return (
            f"Ed25519KeyPair(publicKeyMultibase={self.public_key_multibase!r}, "
            f"id={self.id!r})"
        )

    # -- construction -------------------------------------------------------

    @classmethod
    def generate(cls) -> Ed25519KeyPair:
        """Generate a key pair from 32 random bytes of the OS's CSPRNG."""
        return cls.from_seed(os.urandom(32))

    @classmethod
    def from_seed(
        cls, seed: bytes, *, id: str | None = None, controller: str | None = None
    ) -> Ed25519KeyPair:
        if not isinstance(seed, (bytes, bytearray)) or len(seed) != 32:
            raise InvalidKeyError("an Ed25519 seed must be exactly 32 bytes")
        return cls(
            Ed25519PrivateKey.from_private_bytes(bytes(seed)),
            id=id,
            controller=controller,
        )

    @classmethod
    def from_multikey(cls, data: dict[str, Any]) -> Ed25519KeyPair:
        """Load a key pair from a Multikey document.

        The secret may be named ``secretKeyMultibase`` (the spec's term) or
        ``privateKeyMultibase`` (used by older tools and test vectors). When
        ``publicKeyMultibase`` is present it must match the secret.
        """
        if not isinstance(data, dict):
            raise InvalidKeyError("a Multikey key pair must be a JSON object")
        secret = data.get("secretKeyMultibase", data.get("privateKeyMultibase"))
        if secret is None:
            raise InvalidKeyError(
                "the key pair has no secretKeyMultibase; a public key cannot sign"
            )
        raw = _decode_base58btc(secret, "secretKeyMultibase")
        if raw[:2] != ED25519_PRIV_PREFIX or len(raw) not in (34, 66):
            raise InvalidKeyError(
                "secretKeyMultibase is not an Ed25519 secret key: expected the "
                "0x8026 prefix and a 32-byte seed",
                property="secretKeyMultibase",
            )
        pair = cls.from_seed(
            raw[2:34], id=data.get("id"), controller=data.get("controller")
        )
        expected = data.get("publicKeyMultibase")
        if expected is not None and expected != pair.public_key_multibase:
            raise InvalidKeyError(
                "publicKeyMultibase does not match the secret key",
                property="publicKeyMultibase",
                value=expected,
            )
        return pair

    @classmethod
    def from_jwk(
        cls,
        jwk: dict[str, Any],
        *,
        id: str | None = None,
        controller: str | None = None,
    ) -> Ed25519KeyPair:
        public = Ed25519PublicKeyMaterial.from_jwk(jwk)
        d = jwk.get("d")
        if not isinstance(d, str):
            raise InvalidKeyError("the JWK has no private member 'd'; it cannot sign")
        pair = cls.from_seed(_b64url_decode(d, "JWK d"), id=id, controller=controller)
        if pair.public_key != public.public_key:
            raise InvalidKeyError("JWK 'x' does not match the private key 'd'")
        return pair

    # -- encodings ----------------------------------------------------------

    @property
    def public_key_multibase(self) -> str:
        return encode_public_key_multibase(self.public_key)

    @property
    def public(self) -> Ed25519PublicKeyMaterial:
        return Ed25519PublicKeyMaterial(self.public_key)

    def _seed(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def export_multikey(self, *, include_secret: bool = False) -> dict[str, Any]:
        """Return the Multikey verification method; the secret only when asked."""
        doc: dict[str, Any] = {"type": "Multikey"}
        if self.id:
            doc["id"] = self.id
        if self.controller:
            doc["controller"] = self.controller
        doc["publicKeyMultibase"] = self.public_key_multibase
        if include_secret:
            doc["secretKeyMultibase"] = "z" + base58.b58encode(
                ED25519_PRIV_PREFIX + self._seed()
            ).decode("ascii")
        return doc

    def export_jwk(self, *, include_secret: bool = False) -> dict[str, str]:
        jwk = self.public.to_jwk()
        if include_secret:
            jwk["d"] = _b64url(self._seed())
        return jwk

    # -- signing ------------------------------------------------------------

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` with pure Ed25519 (RFC 8032); deterministic."""
        return self._private.sign(message)

    def verify(self, signature: bytes, message: bytes) -> bool:
        return self.public.verify(signature, message)
