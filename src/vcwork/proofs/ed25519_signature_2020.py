"""The legacy ``Ed25519Signature2020`` proof type.

Data Integrity EdDSA Cryptosuites v1.0, appendix A "The Ed25519Signature2020
Suite": the same transformation, hashing and signature as
``eddsa-rdfc-2022``, but the proof's ``type`` is ``Ed25519Signature2020``,
there is no ``cryptosuite`` property and the document needs the
``https://w3id.org/security/suites/ed25519-2020/v1`` context, which defines
that type. New credentials should use ``eddsa-rdfc-2022``.
"""

from __future__ import annotations

from .eddsa_rdfc_2022 import EddsaRdfc2022

__all__ = ["ED25519_2020_CONTEXT", "Ed25519Signature2020"]

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


class Ed25519Signature2020(EddsaRdfc2022):
    """``type: Ed25519Signature2020`` proofs (appendix A.2.1).

    Transformation (A.2.1.3) checks only the proof ``type``. Proof
    Configuration (A.2.1.5), Hashing (A.2.1.4), Proof Serialization (A.2.1.6)
    and Proof Verification (A.2.1.7) are those of ``eddsa-rdfc-2022``.
    """

    proof_type = "Ed25519Signature2020"
    cryptosuite = None
    suite_context = ED25519_2020_CONTEXT
    contexts_defining_suite = (ED25519_2020_CONTEXT,)
