"""The cryptosuite registry and the interface every cryptosuite implements.

Data Integrity 1.0, section 3 "Cryptographic Suites": a cryptosuite instance
provides ``createProof`` and ``verifyProof``. In vcwork a cryptosuite is an
object with :meth:`Cryptosuite.create_proof` and
:meth:`Cryptosuite.verify_proof`, registered here under its identifier. The
proof engine in :mod:`vcwork.proofs.data_integrity` looks suites up by the
proof's ``type`` and ``cryptosuite``, so adding a suite means writing one
module and registering it, never editing the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..errors import ProofGenerationError
from ..jsonld import BundledDocumentLoader
from ..keys import Ed25519KeyPair, Ed25519PublicKeyMaterial

__all__ = [
    "DATA_INTEGRITY_PROOF",
    "Cryptosuite",
    "CryptosuiteVerificationResult",
    "VerificationMethodLike",
    "find_cryptosuite",
    "get_cryptosuite",
    "register_cryptosuite",
    "registered_cryptosuites",
    "unregister_cryptosuite",
]

DATA_INTEGRITY_PROOF = "DataIntegrityProof"


@runtime_checkable
class VerificationMethodLike(Protocol):
    """A dereferenced verification method: its id, controller and public key."""

    @property
    def id(self) -> str: ...

    @property
    def controller(self) -> str: ...

    @property
    def public_key(self) -> Ed25519PublicKeyMaterial: ...


@dataclass(frozen=True)
class CryptosuiteVerificationResult:
    """Data Integrity 1.0 "cryptosuite verification result".

    ``verified_document`` is the document without the verified proof when
    ``verified`` is true, and ``None`` otherwise.
    """

    verified: bool
    verified_document: dict[str, Any] | None


class Cryptosuite(Protocol):
    """A Data Integrity cryptosuite.

    ``proof_type`` is the proof's ``type`` (``DataIntegrityProof`` for modern
    suites). ``cryptosuite`` is the value of the proof's ``cryptosuite``
    property, or ``None`` for a legacy suite that the ``type`` alone names.
    Both methods raise :class:`vcwork.errors.VcworkError` subclasses that carry
    the spec's error type.
    """

    @property
    def proof_type(self) -> str: ...

    @property
    def cryptosuite(self) -> str | None: ...

    def prepare_document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy of ``document`` with any ``@context`` the suite needs."""

    def create_proof(
        self,
        unsecured_document: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        key_pair: Ed25519KeyPair,
        loader: BundledDocumentLoader | None,
    ) -> dict[str, Any]:
        """Return the proof, ``options`` plus ``proofValue``, for the document."""

    def verify_proof(
        self,
        input_document: Mapping[str, Any],
        proof: Mapping[str, Any],
        *,
        verification_method: VerificationMethodLike,
        loader: BundledDocumentLoader | None,
    ) -> CryptosuiteVerificationResult:
        """Check ``proof`` against ``input_document`` and the method's public key.

        ``input_document`` is the secured document without its proofs, plus
        the proofs that ``proof`` names in ``previousProof`` (Data Integrity
        1.0, section 4.5 "Verify Proof Sets and Chains", step 3.3). A
        signature that does not match returns ``verified=False``.
        """


_registry: dict[str, Cryptosuite] = {}
_registry_lock = threading.Lock()
_builtins_loaded = False


def _registry_key(suite: Cryptosuite) -> str:
    return suite.cryptosuite if suite.cryptosuite is not None else suite.proof_type


def register_cryptosuite(suite: Cryptosuite, *, replace: bool = False) -> None:
    """Make ``suite`` available to :func:`sign` and :func:`verify`.

    A suite is registered under its ``cryptosuite`` identifier, or under its
    ``proof_type`` when it has none. Registering a second suite under the same
    name raises :class:`ValueError` unless ``replace`` is true.
    """
    _load_builtin_cryptosuites()
    key = _registry_key(suite)
    with _registry_lock:
        if key in _registry and not replace:
            raise ValueError(
                f"a cryptosuite named {key!r} is already registered. "
                "Pass replace=True to override it"
            )
        _registry[key] = suite


def unregister_cryptosuite(name: str) -> None:
    """Remove the suite registered as ``name``, ignoring an unknown name."""
    _load_builtin_cryptosuites()
    with _registry_lock:
        _registry.pop(name, None)


def registered_cryptosuites() -> tuple[str, ...]:
    """Return the names of all registered cryptosuites, sorted."""
    _load_builtin_cryptosuites()
    return tuple(sorted(_registry))


def get_cryptosuite(name: str) -> Cryptosuite:
    """Return the suite registered as ``name``.

    ``name`` is a cryptosuite identifier such as ``eddsa-rdfc-2022`` or a
    legacy proof type such as ``Ed25519Signature2020``. An unknown name raises
    :class:`ProofGenerationError`.
    """
    _load_builtin_cryptosuites()
    suite = _registry.get(name)
    if suite is None:
        raise ProofGenerationError(
            f"unknown cryptosuite {name!r}. Registered cryptosuites are "
            f"{', '.join(sorted(_registry))}",
            property="cryptosuite",
            value=name,
        )
    return suite


def find_cryptosuite(proof_type: str, cryptosuite: str | None) -> Cryptosuite | None:
    """Return the suite for a proof's ``type`` and ``cryptosuite``, or ``None``."""
    _load_builtin_cryptosuites()
    if proof_type == DATA_INTEGRITY_PROOF:
        if cryptosuite is None:
            return None
        suite = _registry.get(cryptosuite)
    else:
        suite = _registry.get(proof_type)
    if suite is None or suite.proof_type != proof_type:
        return None
    if suite.cryptosuite is not None and suite.cryptosuite != cryptosuite:
        return None
    return suite


def _load_builtin_cryptosuites() -> None:
    # The suite modules import this module for the shared types, so they are
    # imported here on first use instead of at module import time.
    global _builtins_loaded
    if _builtins_loaded:
        return
    with _registry_lock:
        if _builtins_loaded:
            return
        from .ed25519_signature_2020 import Ed25519Signature2020
        from .eddsa_jcs_2022 import EddsaJcs2022
        from .eddsa_rdfc_2022 import EddsaRdfc2022

        for suite in (EddsaRdfc2022(), EddsaJcs2022(), Ed25519Signature2020()):
            _registry[_registry_key(suite)] = suite
        _builtins_loaded = True
