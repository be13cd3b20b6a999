"""Adding Data Integrity proofs, independent of the cryptosuite.

Implements Verifiable Credential Data Integrity 1.0, section 4.2 "Add Proof"
and section 4.3 "Add Proof Set/Chain". The cryptographic work is delegated to
the suites registered in :mod:`vcwork.proofs.suites`. Verification is in
:mod:`vcwork.proofs.verification`.

:func:`sign` raises on bad input because the caller controls it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..dates import format_datetime, parse_datetime
from ..errors import MalformedValueError, ProofGenerationError, VcworkError
from ..jsonld import BundledDocumentLoader
from ..keys import Ed25519KeyPair
from .suites import Cryptosuite, get_cryptosuite

__all__ = ["REQUIRED_PROOF_PROPERTIES", "matching_proofs", "sign"]

# Proof properties that Add Proof step 2 and Verify Proof step 3 require.
REQUIRED_PROOF_PROPERTIES = ("type", "verificationMethod", "proofPurpose")


def sign(
    document: Mapping[str, Any],
    key_pair: Ed25519KeyPair,
    *,
    cryptosuite: str = "eddsa-rdfc-2022",
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
    created: datetime | str | None = None,
    expires: datetime | str | None = None,
    challenge: str | None = None,
    domain: str | list[str] | None = None,
    previous_proof: str | list[str] | None = None,
    proof_id: str | None = None,
    loader: BundledDocumentLoader | None = None,
) -> dict[str, Any]:
    """Add a proof to ``document`` and return the new secured document.

    Implements Data Integrity 1.0 "Add Proof" and "Add Proof Set/Chain". The
    input is not modified. If it already has a proof, the output's ``proof``
    is a list of the existing proofs followed by the new one. The new proof
    covers the proofs named in ``previous_proof``. ``cryptosuite`` is a
    registered identifier such as ``eddsa-jcs-2022``, or
    ``Ed25519Signature2020`` for that legacy proof type.

    The output may have one more ``@context`` entry than the input: a suite
    appends the context that defines its proof type when the document lacks
    it (``https://w3id.org/security/data-integrity/v2`` for
    ``DataIntegrityProof`` documents without the VC 2.0 context).

    ``verification_method`` defaults to ``key_pair.id``. ``created`` defaults
    to the current UTC time in whole seconds. A string ``created`` or
    ``expires`` is kept as given after checking that it is an XML Schema
    ``dateTimeStamp``, and a datetime is written as ``YYYY-MM-DDTHH:MM:SSZ``.

    Raises :class:`ProofGenerationError` for an unknown cryptosuite, a missing
    verification method, an invalid option or a ``previous_proof`` id that is
    not in the document. JSON-LD errors raise the error of the canonicalizer
    (:class:`vcwork.errors.ProofTransformationError` or
    :class:`vcwork.errors.DocumentLoaderError`).
    """
    if not isinstance(document, Mapping):
        raise ProofGenerationError(
            f"the document must be a JSON object, got {type(document).__name__}"
        )
    suite = get_cryptosuite(cryptosuite)
    options = _proof_options(
        suite,
        verification_method=verification_method or key_pair.id,
        proof_purpose=proof_purpose,
        created=created,
        expires=expires,
        challenge=challenge,
        domain=domain,
        previous_proof=previous_proof,
        proof_id=proof_id,
    )
    secured_document = copy.deepcopy(dict(document))

    # Add Proof Set/Chain, step 1: collect the existing proofs.
    all_proofs = _existing_proofs(secured_document.get("proof"))
    # Step 2: the input document is the document without its proofs.
    output = suite.prepare_document(
        {key: value for key, value in secured_document.items() if key != "proof"}
    )
    input_document = dict(output)
    # Steps 3-6: the input document carries the proofs the new one chains to.
    chained_proofs = matching_proofs(
        all_proofs, previous_proof, error=ProofGenerationError
    )
    if chained_proofs:
        input_document["proof"] = chained_proofs

    # Step 7 runs Add Proof, steps 1-4: create the proof and check it.
    proof = suite.create_proof(
        input_document, options, key_pair=key_pair, loader=loader
    )
    _check_created_proof(proof, domain=domain, challenge=challenge)

    # Steps 7-9: append the proof. A document with one proof keeps an object.
    output["proof"] = [*all_proofs, proof] if all_proofs else proof
    return output


def _proof_options(
    suite: Cryptosuite,
    *,
    verification_method: str | None,
    proof_purpose: str,
    created: datetime | str | None,
    expires: datetime | str | None,
    challenge: str | None,
    domain: str | list[str] | None,
    previous_proof: str | list[str] | None,
    proof_id: str | None,
) -> dict[str, Any]:
    """Build the proof options in the property order of the spec's examples."""
    if not verification_method:
        raise ProofGenerationError(
            "missing verification method: pass verification_method= or give the key "
            "pair an id such as 'did:key:z6Mk...#z6Mk...'",
            property="verificationMethod",
        )
    if not isinstance(proof_purpose, str) or not proof_purpose:
        raise ProofGenerationError(
            f"proof_purpose must be a non-empty string, got {proof_purpose!r}",
            property="proofPurpose",
        )

    options: dict[str, Any] = {"type": suite.proof_type}
    if proof_id is not None:
        options["id"] = _checked_string(proof_id, "id")
    if suite.cryptosuite is not None:
        options["cryptosuite"] = suite.cryptosuite
    options["created"] = _timestamp_option(
        created if created is not None else datetime.now(UTC), "created"
    )
    if expires is not None:
        options["expires"] = _timestamp_option(expires, "expires")

    options["verificationMethod"] = verification_method
    options["proofPurpose"] = proof_purpose
    if challenge is not None:
        options["challenge"] = _checked_string(challenge, "challenge")
    if domain is not None:
        options["domain"] = _string_or_strings(domain, "domain")
    if previous_proof is not None:
        options["previousProof"] = _string_or_strings(previous_proof, "previousProof")
    return options


def _timestamp_option(value: datetime | str, property: str) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    try:
        parse_datetime(value, property=property)
    except MalformedValueError as e:
        raise ProofGenerationError(e.detail, property=property, value=value) from e
    return value


def _checked_string(value: object, property: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProofGenerationError(
            f"{property} must be a non-empty string, got {value!r}",
            property=property,
        )
    return value


def _string_or_strings(value: object, property: str) -> str | list[str]:
    if isinstance(value, list) and value:
        return [_checked_string(item, property) for item in value]
    if isinstance(value, str):
        return _checked_string(value, property)
    raise ProofGenerationError(
        f"{property} must be a string or a non-empty list of strings, got {value!r}",
        property=property,
    )


def _existing_proofs(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    proofs = value if isinstance(value, list) else [value]
    for index, proof in enumerate(proofs):
        if not isinstance(proof, dict):
            raise ProofGenerationError(
                f"existing proof[{index}] must be a JSON object, "
                f"got {type(proof).__name__}. Fix or remove it before adding a proof",
                property=f"proof[{index}]",
            )
    return list(proofs)


def _check_created_proof(
    proof: Mapping[str, Any],
    *,
    domain: str | list[str] | None,
    challenge: str | None,
) -> None:
    """Add Proof, steps 2-4: the suite's proof must carry the requested values."""
    missing = [name for name in REQUIRED_PROOF_PROPERTIES if name not in proof]
    if missing:
        raise ProofGenerationError(
            f"the cryptosuite returned a proof without {', '.join(missing)}"
        )
    if domain is not None and proof.get("domain") != domain:
        raise ProofGenerationError(
            f"the proof's domain is {proof.get('domain')!r}, expected {domain!r}",
            property="domain",
        )
    if challenge is not None and proof.get("challenge") != challenge:
        raise ProofGenerationError(
            f"the proof's challenge is {proof.get('challenge')!r}, "
            f"expected {challenge!r}",
            property="challenge",
        )


def matching_proofs(
    all_proofs: Sequence[Mapping[str, Any]],
    previous_proof: object,
    *,
    error: type[VcworkError],
    property: str = "previousProof",
) -> list[dict[str, Any]]:
    """Return the proofs whose ``id`` is named by ``previous_proof``, in set order.

    A named id that no proof has raises ``error``: Add Proof Set/Chain steps
    4-5 use PROOF_GENERATION_ERROR and Verify Proof Sets and Chains step 3.2
    uses PROOF_VERIFICATION_ERROR.
    """
    if previous_proof is None:
        return []
    requested_ids = (
        [previous_proof] if isinstance(previous_proof, str) else previous_proof
    )
    if not isinstance(requested_ids, list) or not all(
        isinstance(proof_id, str) for proof_id in requested_ids
    ):
        raise MalformedValueError(
            f"{property} must be a string or a list of strings, got {previous_proof!r}",
            property=property,
            value=previous_proof,
        )
    # Only string ids can be named. A proof whose id is an object or a list
    # (malformed or hostile) cannot match, and must not break the lookup.
    known_ids = {
        proof_id for proof in all_proofs if isinstance(proof_id := proof.get("id"), str)
    }
    missing = [proof_id for proof_id in requested_ids if proof_id not in known_ids]
    if missing:
        raise error(
            f"{property} names {', '.join(map(repr, missing))}, but no proof in "
            "the document has that id",
            property=property,
            value=previous_proof,
        )
    return [
        dict(proof)
        for proof in all_proofs
        if isinstance(proof.get("id"), str) and proof.get("id") in requested_ids
    ]
