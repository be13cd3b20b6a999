"""The did:key method for Ed25519 keys: create and resolve, fully offline.

Follows "The did:key Method v0.7" (W3C Credentials Community Group,
https://w3c-ccg.github.io/did-method-key/). A did:key DID is
``did:key:`` + ``z`` + base58btc(multicodec varint + raw public key). Only the
ed25519-pub multicodec (0xed) is supported. Resolution raises the spec's error
names as :class:`DidResolutionError` codes: ``invalidDid``,
``invalidPublicKeyLength``, ``invalidPublicKey`` and
``unsupportedPublicKeyType``.
"""

from __future__ import annotations

import re
from typing import Any

import base58

from ..errors import DidResolutionError
from ..keys import Ed25519KeyPair, Ed25519PublicKeyMaterial
from .document import DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1

__all__ = [
    "create_did_key",
    "did_key_from_key_pair",
    "public_key_from_did_key",
    "resolve_did_key",
]

DID_KEY_PREFIX = "did:key:"
_ED25519_PUB = 0xED
_X25519_PUB = 0xEC

# Multicodec names for the key types the did:key spec lists, so that error
# messages name the key type found.
_KNOWN_MULTICODECS = {
    0xE7: "secp256k1-pub",
    0xEB: "bls12_381-g2-pub",
    0xEC: "x25519-pub",
    0x1200: "p256-pub",
    0x1201: "p384-pub",
    0x1202: "p521-pub",
    0x1205: "rsa-pub",
}

_BASE58BTC_VALUE = re.compile(r"z[1-9A-HJ-NP-Za-km-z]+")

# Curve25519 field prime and the Ed25519 curve constant d (RFC 8032, section 5.1).
_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P


def did_key_from_key_pair(key_pair: Ed25519KeyPair | Ed25519PublicKeyMaterial) -> str:
    """Return the did:key DID of an Ed25519 public key (``did:key:z6Mk...``)."""
    return DID_KEY_PREFIX + key_pair.public_key_multibase


def create_did_key(
    key_pair: Ed25519KeyPair | None = None,
) -> tuple[Ed25519KeyPair, str]:
    """Create a did:key DID for ``key_pair``, or for a new key pair if none is given.

    Sets the key pair's ``controller`` to the DID and its ``id`` to the DID URL
    of its verification method, ``did:key:z6Mk...#z6Mk...``.
    """
    if key_pair is None:
        key_pair = Ed25519KeyPair.generate()
    did = did_key_from_key_pair(key_pair)
    key_pair.controller = did
    key_pair.id = f"{did}#{key_pair.public_key_multibase}"
    return key_pair, did


def _read_varint(data: bytes) -> tuple[int, int]:
    """Decode an unsigned LEB128 varint and return the value and its byte length."""
    value = 0
    for index, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, index + 1
    raise ValueError("unterminated or overlong multicodec varint")


def _decode_ed25519_y(raw: bytes) -> int | None:
    """Return the y coordinate of an encoded Ed25519 point, or None if invalid.

    Implements point decoding from RFC 8032, section 5.1.3: the point is valid
    when y is below the field prime and x can be recovered from y.
    """
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    x_sign = raw[31] >> 7
    if y >= _P:
        return None
    x_squared = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x_squared == 0:
        return None if x_sign else y
    x = pow(x_squared, (_P + 3) // 8, _P)
    if (x * x - x_squared) % _P != 0:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    if (x * x - x_squared) % _P != 0:
        return None
    return y


def _split_identifier(did: str) -> str:
    """Check the DID's components and return its multibase value.

    Steps 2 and 3 of the did:key Document Creation Algorithm.
    """
    components = did.split(":")
    if len(components) == 4:
        version = components[2]
        # NOTE: the spec allows any positive integer, but version 1 is the only
        # one defined, so other versions are rejected.
        if version != "1":
            raise DidResolutionError(
                f"{did!r} has did:key version {version!r}; only version 1 (or "
                "no version component) is supported",
                error="invalidDid",
                value=did,
            )
    elif len(components) != 3:
        raise DidResolutionError(
            f"{did!r} is not a did:key DID: expected 'did:key:z...'",
            error="invalidDid",
            value=did,
        )
    if components[0] != "did" or components[1] != "key":
        raise DidResolutionError(
            f"{did!r} is not a did:key DID: expected the prefix 'did:key:'",
            error="invalidDid",
            value=did,
        )
    multibase_value = components[-1]
    if not _BASE58BTC_VALUE.fullmatch(multibase_value):
        raise DidResolutionError(
            f"{did!r} is not a valid did:key DID: the key must be a multibase "
            "base58btc value ('z' followed by base58btc characters)",
            error="invalidDid",
            value=did,
        )
    return multibase_value


def _decode_public_key(did: str, multibase_value: str) -> bytes:
    """Decode and check the raw Ed25519 public key of a did:key DID.

    Steps 2 to 4 of the did:key Signature Method Creation Algorithm.
    """
    decoded = base58.b58decode(multibase_value[1:])
    try:
        multicodec, header_length = _read_varint(decoded)
    except ValueError as e:
        raise DidResolutionError(
            f"{did!r} is not a valid did:key DID: {e}",
            error="invalidDid",
            value=did,
        ) from e
    if multicodec != _ED25519_PUB:
        name = _KNOWN_MULTICODECS.get(multicodec, "unknown")
        raise DidResolutionError(
            f"{did!r} encodes a key of type {name} (multicodec {multicodec:#x}); vcwork "
            "resolves only Ed25519 did:key DIDs (multicodec 0xed, 'z6Mk...')",
            error="unsupportedPublicKeyType",
            value=did,
        )
    raw = decoded[header_length:]
    if len(raw) != 32:
        raise DidResolutionError(
            f"{did!r} encodes an Ed25519 public key of {len(raw)} bytes; expected 32",
            error="invalidPublicKeyLength",
            value=did,
        )
    if _decode_ed25519_y(raw) is None:
        raise DidResolutionError(
            f"{did!r} does not encode a valid Ed25519 public key: the bytes do "
            "not decode to a point on the curve",
            error="invalidPublicKey",
            value=did,
        )
    return raw


def public_key_from_did_key(did: str) -> Ed25519PublicKeyMaterial:
    """Return the Ed25519 public key that a did:key DID encodes."""
    if not isinstance(did, str):
        raise DidResolutionError(
            f"a DID must be a string, got {type(did).__name__}", error="invalidDid"
        )
    return Ed25519PublicKeyMaterial(_decode_public_key(did, _split_identifier(did)))


def _x25519_multibase(ed25519_public_key: bytes) -> str:
    """Derive the X25519 key agreement key of an Ed25519 key, as multibase.

    Maps the Edwards y coordinate to the Montgomery u coordinate,
    u = (1 + y) / (1 - y) mod p (RFC 7748, section 4.1).
    """
    y = _decode_ed25519_y(ed25519_public_key)
    if y is None or y == 1:
        raise DidResolutionError(
            "the Ed25519 public key has no X25519 equivalent", error="invalidPublicKey"
        )
    u = (1 + y) * pow(1 - y, _P - 2, _P) % _P
    header = bytes([_X25519_PUB, 0x01])
    encoded = base58.b58encode(header + u.to_bytes(32, "little"))
    return "z" + encoded.decode("ascii")


def resolve_did_key(
    did: str, *, enable_encryption_key_derivation: bool = False
) -> dict[str, Any]:
    """Expand an Ed25519 did:key DID into its DID document.

    Implements the did:key Document Creation Algorithm with a ``Multikey``
    verification method, listed under ``authentication``, ``assertionMethod``,
    ``capabilityInvocation`` and ``capabilityDelegation``. With
    ``enable_encryption_key_derivation`` the document also gets a derived
    X25519 ``Multikey`` under ``keyAgreement``.
    """
    if not isinstance(did, str):
        raise DidResolutionError(
            f"a DID must be a string, got {type(did).__name__}", error="invalidDid"
        )
    # Steps 2-3: split and check the identifier.
    multibase_value = _split_identifier(did)
    # Step 4: the signature verification method.
    raw = _decode_public_key(did, multibase_value)
    method_id = f"{did}#{multibase_value}"
    signature_method = {
        "id": method_id,
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": multibase_value,
    }
    # Steps 5-7: the document and its verification relationships.
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1],
        "id": did,
        "verificationMethod": [signature_method],
        "authentication": [method_id],
        "assertionMethod": [method_id],
        "capabilityInvocation": [method_id],
        "capabilityDelegation": [method_id],
    }
    # Step 8: the optional key agreement method.
    if enable_encryption_key_derivation:
        x25519_value = _x25519_multibase(raw)
        agreement_id = f"{did}#{x25519_value}"
        document["verificationMethod"].append(
            {
                "id": agreement_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": x25519_value,
            }
        )
        document["keyAgreement"] = [agreement_id]
    return document
