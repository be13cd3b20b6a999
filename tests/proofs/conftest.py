"""Fixtures for the proof tests: vector files and a test-only key resolver."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vcwork.errors import DidResolutionError
from vcwork.keys import Ed25519KeyPair, Ed25519PublicKeyMaterial

VECTORS = Path(__file__).resolve().parents[1] / "vectors"

# Values printed in the 1EdTech implementation guide (see tests/vectors/README.md).
ONE_EDTECH_SEED_HEX = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
ONE_EDTECH_PUBLIC_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
ONE_EDTECH_VERIFICATION_METHOD = (
    "https://example.edu/issuers/565049#" + ONE_EDTECH_PUBLIC_KEY
)

# did:key lists its single key under every verification relationship.
DID_KEY_RELATIONSHIPS = frozenset(
    {
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
    }
)


def load_json(relative: str) -> Any:
    return json.loads((VECTORS / relative).read_text("utf-8"))


def load_text(relative: str) -> str:
    return (VECTORS / relative).read_text("utf-8")


def load_key_pair(relative: str, name: str | None = None) -> Ed25519KeyPair:
    data = load_json(relative)
    return Ed25519KeyPair.from_multikey(data[name] if name else data)


@dataclass(frozen=True)
class ResolvedMethod:
    id: str
    controller: str
    public_key: Ed25519PublicKeyMaterial


class VectorResolver:
    """Test-only resolver for ``did:key:z6Mk...#z6Mk...`` and the 1EdTech key.

    It decodes the key from the fragment without building a DID document, and
    counts the calls so tests can check that a proof was resolved.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def dereference_verification_method(
        self, did_url: str, *, relationship: str
    ) -> ResolvedMethod:
        self.calls.append((did_url, relationship))
        if did_url == ONE_EDTECH_VERIFICATION_METHOD:
            return ResolvedMethod(
                id=did_url,
                controller=did_url.partition("#")[0],
                public_key=Ed25519PublicKeyMaterial.from_multibase(
                    ONE_EDTECH_PUBLIC_KEY
                ),
            )
        did, _, fragment = did_url.partition("#")
        if not did.startswith("did:key:") or fragment != did[len("did:key:") :]:
            raise DidResolutionError(
                f"the test resolver has no verification method {did_url!r}",
                error="notFound",
                property="verificationMethod",
                value=did_url,
            )
        if relationship not in DID_KEY_RELATIONSHIPS:
            raise DidResolutionError(
                f"{did_url!r} is not listed under {relationship!r}",
                error="notFound",
                property="verificationMethod",
                value=did_url,
            )
        return ResolvedMethod(
            id=did_url,
            controller=did,
            public_key=Ed25519PublicKeyMaterial.from_multibase(fragment),
        )


@pytest.fixture
def resolver() -> VectorResolver:
    return VectorResolver()
