"""The ``eddsa-jcs-2022`` cryptosuite.

Data Integrity EdDSA Cryptosuites v1.0, section 3.3 "eddsa-jcs-2022": the
document and the proof configuration are canonicalized with the JSON
Canonicalization Scheme (RFC 8785), so no JSON-LD processing takes place. When
the document has an ``@context``, the proof keeps a copy of it. A verifier
accepts the proof only when the document's ``@context`` starts with the
proof's ``@context``, and then hashes the document with the proof's
``@context``. That lets later proofs in a set append contexts without breaking
this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785

from ..dates import parse_datetime
from ..errors import (
    MalformedValueError,
    ProofGenerationError,
    ProofTransformationError,
    ProofVerificationError,
    VcworkError,
)
from ..jcs import canonicalize_json
from ..jsonld import BundledDocumentLoader
from ..keys import Ed25519KeyPair
from .eddsa import (
    DATA_INTEGRITY_V1_CONTEXT,
    DATA_INTEGRITY_V2_CONTEXT,
    VC_V2_CONTEXT,
    context_urls,
    decode_proof_value,
    encode_proof_value,
    hashing,
    proof_serialization,
    proof_verification,
)
from .suites import (
    DATA_INTEGRITY_PROOF,
    CryptosuiteVerificationResult,
    VerificationMethodLike,
)

__all__ = ["EddsaJcs2022"]


class EddsaJcs2022:
    """``DataIntegrityProof`` with ``cryptosuite: eddsa-jcs-2022``."""

    proof_type: str = DATA_INTEGRITY_PROOF
    cryptosuite: str | None = "eddsa-jcs-2022"

    def prepare_document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy, adding the Data Integrity context to a JSON-LD document.

        A plain JSON document (no ``@context``) is returned unchanged, because
        JCS does not need JSON-LD.
        """
        output = dict(document)
        if "@context" not in output:
            return output
        contexts = context_urls(output["@context"])
        defining = (VC_V2_CONTEXT, DATA_INTEGRITY_V1_CONTEXT, DATA_INTEGRITY_V2_CONTEXT)
        if not any(entry in defining for entry in contexts):
            output["@context"] = [*contexts, DATA_INTEGRITY_V2_CONTEXT]
        return output

    def create_proof(
        self,
        unsecured_document: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        key_pair: Ed25519KeyPair,
        loader: BundledDocumentLoader | None,
    ) -> dict[str, Any]:
        """Create Proof (section 3.3.1): return ``options`` plus ``proofValue``."""
        # Step 1: the proof starts as a clone of the proof options.
        proof = dict(options)
        # Step 2: the proof carries the document's @context, if any.
        if "@context" in unsecured_document:
            proof["@context"] = unsecured_document["@context"]
        # Steps 3-5: proof configuration, transformation and hashing.
        proof_config = self.proof_configuration(proof)
        transformed_data = self.transformation(unsecured_document, options)
        hash_data = hashing(transformed_data, proof_config)
        # Steps 6-7: sign and encode as multibase base58btc.
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
        """Verify Proof (section 3.3.2) of ``proof`` over ``input_document``.

        Raises :class:`ProofVerificationError` when the proof's ``@context``
        is not a prefix of the document's ``@context``.
        """
        # Steps 1-3: the document without this proof, the proof options and
        # the signature.
        unsecured_document = dict(input_document)
        proof_options = dict(proof)
        proof_bytes = decode_proof_value(proof_options.pop("proofValue", None))
        # Step 4: the proof's @context must start the document's @context, and
        # the document is then hashed with the proof's @context.
        if "@context" in proof_options:
            self._check_injection_compatible(
                unsecured_document.get("@context"), proof_options["@context"]
            )
            unsecured_document["@context"] = proof_options["@context"]
        # Steps 5-7: transformation, proof configuration and hashing.
        transformed_data = self.transformation(unsecured_document, proof_options)
        proof_config = self.proof_configuration(proof_options)
        hash_data = hashing(transformed_data, proof_config)
        # Steps 8-9: Proof Verification (section 3.3.7) with the resolved key.
        verified = proof_verification(
            hash_data, proof_bytes, verification_method.public_key
        )
        return CryptosuiteVerificationResult(
            verified=verified,
            verified_document=unsecured_document if verified else None,
        )

    def transformation(
        self, unsecured_document: Mapping[str, Any], options: Mapping[str, Any]
    ) -> str:
        """Transformation (section 3.3.3): the RFC 8785 form of the document."""
        # Step 1: the options must name this suite. The spec gives this error
        # the type PROOF_VERIFICATION_ERROR.
        self._check_suite(options, ProofVerificationError)
        # Step 2: JCS.
        return _jcs(unsecured_document, name="document")

    def proof_configuration(self, options: Mapping[str, Any]) -> str:
        """Proof Configuration (section 3.3.5): the RFC 8785 form of the options."""
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
        # Step 4: JCS.
        return _jcs(proof_config, name="proof configuration")

    def _check_suite(
        self, options: Mapping[str, Any], error: type[VcworkError]
    ) -> None:
        if (
            options.get("type") != self.proof_type
            or options.get("cryptosuite") != self.cryptosuite
        ):
            raise error(
                f"proof options name type {options.get('type')!r} and cryptosuite "
                f"{options.get('cryptosuite')!r}, expected {self.proof_type!r} "
                f"and {self.cryptosuite!r}",
                property="type",
            )

    @staticmethod
    def _check_injection_compatible(
        document_context: object, proof_context: object
    ) -> None:
        document_entries = context_urls(document_context)
        proof_entries = context_urls(proof_context)
        if document_entries[: len(proof_entries)] != proof_entries:
            raise ProofVerificationError(
                "the document's @context does not start with the proof's "
                f"@context: got {document_entries!r}, expected it to start with "
                f"{proof_entries!r}",
                property="proof.@context",
                value=proof_context,
            )


def _jcs(value: Mapping[str, Any], *, name: str) -> str:
    try:
        return canonicalize_json(dict(value)).decode("utf-8")
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise ProofTransformationError(
            f"the {name} cannot be canonicalized with JCS (RFC 8785): {e}"
        ) from e
