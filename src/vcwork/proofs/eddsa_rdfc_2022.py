"""The ``eddsa-rdfc-2022`` cryptosuite.

Data Integrity EdDSA Cryptosuites v1.0, section 3.2 "eddsa-rdfc-2022": the
document and the proof configuration are canonicalized with RDFC-1.0, hashed
with SHA-256 and signed with Ed25519. The proof configuration gets the
document's ``@context`` before canonicalization, but the stored proof does
not carry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..dates import parse_datetime
from ..errors import (
    MalformedValueError,
    ProofGenerationError,
    ProofTransformationError,
    VcworkError,
)
from ..jsonld import BundledDocumentLoader, canonicalize
from ..keys import Ed25519KeyPair
from .eddsa import (
    DATA_INTEGRITY_V1_CONTEXT,
    DATA_INTEGRITY_V2_CONTEXT,
    VC_V2_CONTEXT,
    decode_proof_value,
    encode_proof_value,
    hashing,
    proof_serialization,
    proof_verification,
    with_context,
)
from .suites import (
    DATA_INTEGRITY_PROOF,
    CryptosuiteVerificationResult,
    VerificationMethodLike,
)

__all__ = ["EddsaRdfc2022"]


class EddsaRdfc2022:
    """``DataIntegrityProof`` with ``cryptosuite: eddsa-rdfc-2022``."""

    proof_type: str = DATA_INTEGRITY_PROOF
    cryptosuite: str | None = "eddsa-rdfc-2022"
    suite_context: str = DATA_INTEGRITY_V2_CONTEXT
    # Contexts that already define DataIntegrityProof and its properties.
    contexts_defining_suite: tuple[str, ...] = (
        VC_V2_CONTEXT,
        DATA_INTEGRITY_V1_CONTEXT,
        DATA_INTEGRITY_V2_CONTEXT,
    )

    @property
    def name(self) -> str:
        return self.cryptosuite or self.proof_type

    def prepare_document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return with_context(
            document,
            suite_context=self.suite_context,
            satisfied_by=self.contexts_defining_suite,
            suite_name=self.name,
        )

    def create_proof(
        self,
        unsecured_document: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        key_pair: Ed25519KeyPair,
        loader: BundledDocumentLoader | None,
    ) -> dict[str, Any]:
        """Create Proof (section 3.2.1): return ``options`` plus ``proofValue``."""
        # Step 1: the proof starts as a clone of the proof options.
        proof = dict(options)
        # Steps 2-4: proof configuration, transformation and hashing.
        proof_config = self.proof_configuration(
            unsecured_document, options, loader=loader
        )
        transformed_data = self.transformation(
            unsecured_document, options, loader=loader
        )
        hash_data = hashing(transformed_data, proof_config)
        # Steps 5-6: sign and encode as multibase base58btc.
        proof["proofValue"] = encode_proof_value(
            proof_serialization(hash_data, key_pair)
        )
        return proof

    def verify_proof(
        self,
        input_document: Mapping[str, Any],
        proof: Mapping[str, Any],
        *,
        verification_method: VerificationMethodLike,
        loader: BundledDocumentLoader | None,
    ) -> CryptosuiteVerificationResult:
        """Verify Proof (section 3.2.2) of ``proof`` over ``input_document``."""
        # Steps 1-3: the document without this proof, the proof options and
        # the signature.
        unsecured_document = dict(input_document)
        proof_options = dict(proof)
        proof_bytes = decode_proof_value(proof_options.pop("proofValue", None))
        # Steps 4-6: transformation, proof configuration and hashing.
        transformed_data = self.transformation(
            unsecured_document, proof_options, loader=loader
        )
        proof_config = self.proof_configuration(
            unsecured_document, proof_options, loader=loader
        )
        hash_data = hashing(transformed_data, proof_config)
        # Steps 7-8: Proof Verification (section 3.2.7) with the resolved key.
        verified = proof_verification(
            hash_data, proof_bytes, verification_method.public_key
        )
        return CryptosuiteVerificationResult(
            verified=verified,
            verified_document=unsecured_document if verified else None,
        )

    def transformation(
        self,
        unsecured_document: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        loader: BundledDocumentLoader | None,
    ) -> str:
        """Transformation (section 3.2.3): RDFC-1.0 canonical N-Quads of the document.

        Raises :class:`ProofTransformationError` when the options name another
        suite, when the document has no ``@context`` or yields no statements.
        A context that cannot be loaded raises
        :class:`vcwork.errors.DocumentLoaderError`.
        """
        # Step 1: the options must name this suite.
        self._check_suite(options, ProofTransformationError)
        if "@context" not in unsecured_document:
            raise ProofTransformationError(
                f"{self.name} needs a JSON-LD document but it has no @context",
                property="@context",
            )
        # Step 2: JSON-LD to RDF, then RDFC-1.0.
        canonical_document = canonicalize(dict(unsecured_document), loader=loader)
        # NOTE: an empty dataset would make the signature cover nothing, which
        # happens when no term of the document is defined by its contexts.
        if not canonical_document:
            raise ProofTransformationError(
                "the document produced no RDF statements, so a proof would "
                "protect nothing. Check that its @context defines its terms",
                property="@context",
            )
        return canonical_document

    def proof_configuration(
        self,
        unsecured_document: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        loader: BundledDocumentLoader | None,
    ) -> str:
        """Proof Configuration (section 3.2.5): canonical N-Quads of the options.

        The options get the document's ``@context`` so that their terms expand.
        """
        # Step 1: clone the options.
        proof_config = dict(options)
        # Step 2: the options must name this suite.
        self._check_suite(proof_config, ProofGenerationError)
        # Step 3: created, when present, must be an XML Schema dateTime.
        if "created" in proof_config:
            try:
                parse_datetime(proof_config["created"], property="created")
            except MalformedValueError as e:
                raise ProofGenerationError(e.detail, property="created") from e
        # Step 4: the proof configuration uses the document's @context.
        proof_config["@context"] = unsecured_document.get("@context")
        # Step 5: RDFC-1.0.
        return canonicalize(proof_config, loader=loader)

    def _check_suite(
        self, options: Mapping[str, Any], error: type[VcworkError]
    ) -> None:
        wrong_type = options.get("type") != self.proof_type
        # A legacy suite is named by its type alone, so any cryptosuite passes.
        wrong_cryptosuite = self.cryptosuite is not None and (
            options.get("cryptosuite") != self.cryptosuite
        )
        if wrong_type or wrong_cryptosuite:
            raise error(
                f"proof options name type {options.get('type')!r} and cryptosuite "
                f"{options.get('cryptosuite')!r}, expected {self.proof_type!r} "
                f"and {self.cryptosuite!r}",
                property="type",
            )
