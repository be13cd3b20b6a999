"""Adding and verifying Data Integrity proofs, independent of the cryptosuite.

Implements Verifiable Credential Data Integrity 1.0, section 4 "Algorithms":
4.2 "Add Proof", 4.3 "Add Proof Set/Chain", 4.4 "Verify Proof" and 4.5
"Verify Proof Sets and Chains". The cryptographic work is delegated to the
suites registered in :mod:`vcwork.proofs.suites`.

:func:`sign` raises on bad input because the caller controls it.
:func:`verify` never raises for a bad document: every failure becomes a
:class:`vcwork.errors.Problem` in the returned :class:`ProofSetResult`.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..errors import (
    InvalidChallengeError,
    InvalidDomainError,
    MalformedValueError,
    ParsingError,
    Problem,
    ProofGenerationError,
    ProofVerificationError,
    VcworkError,
)
from ..jsonld import BundledDocumentLoader
from ..keys import Ed25519KeyPair
from .dates import format_date_time_stamp, parse_date_time_stamp
from .suites import (
    DATA_INTEGRITY_PROOF,
    Cryptosuite,
    VerificationMethodLike,
    find_cryptosuite,
    get_cryptosuite,
)

__all__ = [
    "CLOCK_SKEW",
    "ProofResult",
    "ProofSetResult",
    "VerificationMethodResolver",
    "sign",
    "verify",
]

logger = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
"""Tolerance for clock differences when checking ``created`` and ``expires``."""

# Proof properties that Verify Proof step 3 requires.
_REQUIRED_PROOF_PROPERTIES = ("type", "verificationMethod", "proofPurpose")


class VerificationMethodResolver(Protocol):
    """Dereferences a verification method URL for a verification relationship.

    ``relationship`` is the proof purpose, such as ``assertionMethod``. An
    implementation raises a :class:`vcwork.errors.VcworkError` subclass when
    the method cannot be found or is not authorized for that relationship.
    """

    def dereference_verification_method(
        self, did_url: str, *, relationship: str
    ) -> VerificationMethodLike: ...


@dataclass(frozen=True)
class ProofResult:
    """The verification result for one proof of a document.

    ``cryptosuite`` is the proof's ``cryptosuite``, or its ``type`` for a
    legacy suite. ``verification_method`` is the resolved method, or ``None``
    when resolution failed or was not attempted.
    """

    proof: dict[str, Any]
    verified: bool
    problems: tuple[Problem, ...] = ()
    verification_method: VerificationMethodLike | None = None
    cryptosuite: str | None = None


@dataclass(frozen=True)
class ProofSetResult:
    """The combined verification result for all proofs of a document.

    ``verified`` is true only when there is at least one proof and every
    proof verified. ``problems`` lists the document-level problems followed by
    the problems of every proof.
    """

    verified: bool
    results: tuple[ProofResult, ...] = ()
    problems: tuple[Problem, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """Render the result with each problem as RFC 9457 problem details."""
        return {
            "verified": self.verified,
            "results": [
                {
                    "verified": result.verified,
                    "cryptosuite": result.cryptosuite,
                    "verificationMethod": result.proof.get("verificationMethod"),
                    "problems": [problem.to_json() for problem in result.problems],
                }
                for result in self.results
            ],
            "problems": [problem.to_json() for problem in self.problems],
        }


# -- Add Proof ---------------------------------------------------------------


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
    matching_proofs = _matching_proofs(
        all_proofs, previous_proof, error=ProofGenerationError
    )
    if matching_proofs:
        input_document["proof"] = matching_proofs

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
            "no verification method: pass verification_method= or give the key "
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
        return format_date_time_stamp(value)
    try:
        parse_date_time_stamp(value, property=property)
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
                f"got {type(proof).__name__}; fix or remove it before adding a proof",
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
    missing = [name for name in _REQUIRED_PROOF_PROPERTIES if name not in proof]
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


def _matching_proofs(
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
    wanted = [previous_proof] if isinstance(previous_proof, str) else previous_proof
    if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
        raise MalformedValueError(
            f"{property} must be a string or a list of strings, got {previous_proof!r}",
            property=property,
            value=previous_proof,
        )
    known_ids = {proof.get("id") for proof in all_proofs}
    missing = [proof_id for proof_id in wanted if proof_id not in known_ids]
    if missing:
        raise error(
            f"{property} names {', '.join(map(repr, missing))}, but no proof in "
            "the document has that id",
            property=property,
            value=previous_proof,
        )
    return [dict(proof) for proof in all_proofs if proof.get("id") in wanted]


# -- Verify Proof ------------------------------------------------------------


def verify(
    document: Mapping[str, Any],
    *,
    resolver: VerificationMethodResolver,
    proof_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | list[str] | None = None,
    now: datetime | None = None,
    loader: BundledDocumentLoader | None = None,
) -> ProofSetResult:
    """Verify every proof of a secured document.

    Implements Data Integrity 1.0 "Verify Proof" for each proof and "Verify
    Proof Sets and Chains" for the document. Each proof must have the
    expected ``proof_purpose``, and its verification method is dereferenced
    through ``resolver`` for that relationship. When ``challenge`` or
    ``domain`` is given, the proof must carry the same value. ``domain``
    compares as a set of strings, so a proof for ``["a", "b"]`` does not match
    ``"a"``. ``created`` may be at most :data:`CLOCK_SKEW` after ``now``
    (default: the current time) and ``expires`` at most that long before it.

    A proof with ``previousProof`` verifies only if every proof it names is
    present and verifies too.

    Never raises for a bad document or a failing resolver: every failure is a
    :class:`Problem` in the result.
    """
    moment = _aware(now) if now is not None else datetime.now(UTC)
    context = _VerificationContext(
        resolver=resolver,
        proof_purpose=proof_purpose,
        challenge=challenge,
        domain=domain,
        now=moment,
        loader=loader,
    )
    try:
        return _verify_proof_set(document, context)
    except Exception as e:  # noqa: BLE001 - a verifier must not raise
        # NOTE: reaching this line means a bug in vcwork, not a bad document.
        logger.debug("proof verification stopped by %r", e)
        problem = ProofVerificationError(
            f"verification stopped by an unexpected {type(e).__name__}: {e}"
        ).to_problem()
        return ProofSetResult(verified=False, problems=(problem,))


@dataclass(frozen=True)
class _VerificationContext:
    resolver: VerificationMethodResolver
    proof_purpose: str
    challenge: str | None
    domain: str | list[str] | None
    now: datetime
    loader: BundledDocumentLoader | None


def _verify_proof_set(
    document: object, context: _VerificationContext
) -> ProofSetResult:
    """Verify Proof Sets and Chains (section 4.5)."""
    # Verify Proof step 2: the document and each proof must be JSON objects.
    if not isinstance(document, Mapping):
        return _failed_document(
            ParsingError(
                f"the secured document must be a JSON object, "
                f"got {type(document).__name__}"
            )
        )
    if "proof" not in document:
        return _failed_document(
            ParsingError("the document has no proof; sign it first", property="proof")
        )
    # Step 1: all proofs, one object or a list of objects.
    proof_value = document["proof"]
    single = isinstance(proof_value, Mapping)
    all_proofs = [proof_value] if single else proof_value
    if not isinstance(all_proofs, list) or not all_proofs:
        return _failed_document(
            ParsingError(
                "proof must be a JSON object or a non-empty list of objects, "
                f"got {_describe(proof_value)}",
                property="proof",
                value=proof_value,
            )
        )

    unsecured_document = {
        key: value for key, value in document.items() if key != "proof"
    }
    document_problems: list[Problem] = []
    results: list[ProofResult] = []
    paths: list[str] = []
    # Step 3: verify each proof.
    for index, proof in enumerate(all_proofs):
        path = "proof" if single else f"proof[{index}]"
        if not isinstance(proof, Mapping):
            document_problems.append(
                ParsingError(
                    f"{path} must be a JSON object, got {_describe(proof)}",
                    property=path,
                    value=proof,
                ).to_problem()
            )
            continue
        results.append(
            _verify_one_proof(unsecured_document, all_proofs, proof, path, context)
        )
        paths.append(path)

    # Steps 4-8: combine. A chained proof only counts if the proofs it names do.
    results = _require_verified_previous_proofs(results, paths)
    problems = [*document_problems]
    for result in results:
        problems.extend(result.problems)
    verified = not document_problems and all(result.verified for result in results)
    return ProofSetResult(
        verified=verified and bool(results),
        results=tuple(results),
        problems=tuple(problems),
    )


def _verify_one_proof(
    unsecured_document: Mapping[str, Any],
    all_proofs: Sequence[Any],
    proof: Mapping[str, Any],
    path: str,
    context: _VerificationContext,
) -> ProofResult:
    """Verify Proof (section 4.4) steps 3-8 for one proof of a set or chain."""
    proof_dict = dict(proof)
    # Problems that make running the cryptosuite pointless.
    structural: list[Problem] = []

    # Step 3: type, verificationMethod and proofPurpose are required. Then the
    # cryptosuite that the type and cryptosuite properties name.
    suite = _check_required_properties(proof_dict, path, structural)
    # Section 4.5 step 3.2: the proofs named in previousProof.
    input_document = dict(unsecured_document)
    try:
        matching = _matching_proofs(
            [p for p in all_proofs if isinstance(p, Mapping)],
            proof_dict.get("previousProof"),
            error=ProofVerificationError,
            property=f"{path}.previousProof",
        )
        if matching:
            input_document["proof"] = matching
    except VcworkError as e:
        structural.append(e.to_problem())
    # Steps 4-6 and section 2.1: purpose, domain, challenge and timestamps.
    # These do not stop the signature check, so every problem is reported.
    option_problems: list[Problem] = []
    _check_proof_options(proof_dict, path, context, option_problems)
    problems = [*structural, *option_problems]
    malformed = any(p.code == "MALFORMED_VALUE_ERROR" for p in option_problems)

    suite_name = proof_dict.get("cryptosuite") or proof_dict.get("type")
    result_name = suite_name if isinstance(suite_name, str) else None
    if suite is None or structural or malformed:
        return ProofResult(
            proof=proof_dict,
            verified=False,
            problems=tuple(problems),
            cryptosuite=result_name,
        )

    # Step 7: resolve the key and run the cryptosuite.
    method, suite_problems = _run_cryptosuite(
        suite, input_document, proof_dict, path, context
    )
    problems.extend(suite_problems)
    logger.debug(
        "%s (%s, %s): %d problem(s)",
        path,
        result_name,
        proof_dict.get("verificationMethod"),
        len(problems),
    )
    return ProofResult(
        proof=proof_dict,
        verified=not problems,
        problems=tuple(problems),
        verification_method=method,
        cryptosuite=result_name,
    )


def _check_required_properties(
    proof: Mapping[str, Any], path: str, problems: list[Problem]
) -> Cryptosuite | None:
    """Check Verify Proof step 3 and return the proof's cryptosuite, if known."""
    for name in _REQUIRED_PROOF_PROPERTIES:
        if name not in proof:
            problems.append(
                ProofVerificationError(
                    f"{path} has no {name}", property=f"{path}.{name}"
                ).to_problem()
            )
        elif not isinstance(proof[name], str) or not proof[name]:
            problems.append(
                MalformedValueError(
                    f"{path}.{name} must be a non-empty string, "
                    f"got {_describe(proof[name])}",
                    property=f"{path}.{name}",
                    value=proof[name],
                ).to_problem()
            )
    proof_type = proof.get("type")
    if not isinstance(proof_type, str):
        return None

    # Data Integrity 1.0 section 2.1: DataIntegrityProof requires cryptosuite.
    cryptosuite = proof.get("cryptosuite")
    if proof_type == DATA_INTEGRITY_PROOF and cryptosuite is None:
        problems.append(
            ProofVerificationError(
                f"{path} is a {DATA_INTEGRITY_PROOF} without a cryptosuite",
                property=f"{path}.cryptosuite",
            ).to_problem()
        )
        return None
    if cryptosuite is not None and not isinstance(cryptosuite, str):
        problems.append(
            MalformedValueError(
                f"{path}.cryptosuite must be a string, got {_describe(cryptosuite)}",
                property=f"{path}.cryptosuite",
                value=cryptosuite,
            ).to_problem()
        )
        return None
    suite = find_cryptosuite(proof_type, cryptosuite)
    if suite is None:
        name = f"cryptosuite {cryptosuite!r}" if cryptosuite else f"type {proof_type!r}"
        problems.append(
            ProofVerificationError(
                f"{path} uses the unsupported proof {name}",
                property=f"{path}.cryptosuite" if cryptosuite else f"{path}.type",
                value=cryptosuite or proof_type,
            ).to_problem()
        )
    return suite


def _check_proof_options(
    proof: Mapping[str, Any],
    path: str,
    context: _VerificationContext,
    problems: list[Problem],
) -> None:
    """Verify Proof steps 4-6 and the ``created``/``expires`` range checks."""
    # Step 4: the proof purpose the verifier expects.
    purpose = proof.get("proofPurpose")
    if isinstance(purpose, str) and purpose != context.proof_purpose:
        problems.append(
            ProofVerificationError(
                f"{path}.proofPurpose is {purpose!r}, expected "
                f"{context.proof_purpose!r}",
                property=f"{path}.proofPurpose",
                value=purpose,
            ).to_problem()
        )
    # Step 5: the domain, compared as a set of strings.
    if context.domain is not None:
        expected_domain = _as_string_set(context.domain)
        proof_domain = proof.get("domain")
        if _as_string_set(proof_domain) != expected_domain:
            problems.append(
                InvalidDomainError(
                    f"{path}.domain is {proof_domain!r}, expected {context.domain!r}",
                    property=f"{path}.domain",
                    value=proof_domain,
                ).to_problem()
            )
    # Step 6: the challenge.
    if context.challenge is not None and proof.get("challenge") != context.challenge:
        problems.append(
            InvalidChallengeError(
                f"{path}.challenge does not match the expected challenge",
                property=f"{path}.challenge",
            ).to_problem()
        )
    _check_timestamps(proof, path, context.now, problems)


def _check_timestamps(
    proof: Mapping[str, Any], path: str, now: datetime, problems: list[Problem]
) -> None:
    # Section 2.1: created and expires are xsd:dateTimeStamp strings.
    # NOTE: Data Integrity 1.0 names no error type for an expired proof or one
    # created in the future, so both are PROOF_VERIFICATION_ERROR here.
    for name in ("created", "expires"):
        if name not in proof:
            continue
        try:
            moment = parse_date_time_stamp(proof[name], property=f"{path}.{name}")
        except MalformedValueError as e:
            problems.append(e.to_problem())
            continue
        if name == "created" and moment - CLOCK_SKEW > now:
            problems.append(
                ProofVerificationError(
                    f"{path}.created is {proof[name]}, which is in the future "
                    f"(now is {format_date_time_stamp(now)})",
                    property=f"{path}.created",
                    value=proof[name],
                ).to_problem()
            )
        if name == "expires" and moment + CLOCK_SKEW < now:
            problems.append(
                ProofVerificationError(
                    f"{path} expired at {proof[name]} "
                    f"(now is {format_date_time_stamp(now)})",
                    property=f"{path}.expires",
                    value=proof[name],
                ).to_problem()
            )


def _run_cryptosuite(
    suite: Cryptosuite,
    input_document: Mapping[str, Any],
    proof: Mapping[str, Any],
    path: str,
    context: _VerificationContext,
) -> tuple[VerificationMethodLike | None, list[Problem]]:
    """Dereference the verification method and run the suite's verifyProof."""
    try:
        method = context.resolver.dereference_verification_method(
            proof["verificationMethod"], relationship=context.proof_purpose
        )
    except VcworkError as e:
        return None, [_at_path(e.to_problem(), path)]
    except Exception as e:  # noqa: BLE001 - resolvers are caller code
        return None, [
            ProofVerificationError(
                f"dereferencing {proof['verificationMethod']!r} failed with "
                f"{type(e).__name__}: {e}",
                property=f"{path}.verificationMethod",
            ).to_problem()
        ]

    try:
        result = suite.verify_proof(
            input_document, proof, verification_method=method, loader=context.loader
        )
    except VcworkError as e:
        return method, [_at_path(e.to_problem(), path)]
    except Exception as e:  # noqa: BLE001 - turn suite bugs into a problem
        return method, [
            ProofVerificationError(
                f"cryptosuite {proof.get('cryptosuite') or proof.get('type')!r} "
                f"failed with {type(e).__name__}: {e}",
                property=path,
            ).to_problem()
        ]
    if not result.verified:
        # A failed signature check says nothing more, so it is not an oracle.
        return method, [
            ProofVerificationError(
                f"{path} does not verify", property=f"{path}.proofValue"
            ).to_problem()
        ]
    return method, []


def _require_verified_previous_proofs(
    results: list[ProofResult], paths: Sequence[str]
) -> list[ProofResult]:
    """Fail every proof whose ``previousProof`` names a proof that failed.

    Data Integrity 1.0 section 4.5: a proof in a chain is only verified if the
    proofs it references are verified too. Repeats until nothing changes, so a
    failure propagates along the whole chain.
    """
    changed = True
    while changed:
        changed = False
        failed_ids = {
            result.proof.get("id")
            for result in results
            if not result.verified and isinstance(result.proof.get("id"), str)
        }
        for index, result in enumerate(results):
            previous = result.proof.get("previousProof")
            names = [previous] if isinstance(previous, str) else previous
            if not result.verified or not isinstance(names, list):
                continue
            failed = [name for name in names if name in failed_ids]
            if failed:
                problem = ProofVerificationError(
                    f"the previous proof {', '.join(map(repr, failed))} did not "
                    "verify, so this proof cannot be verified",
                    property=f"{paths[index]}.previousProof",
                    value=previous,
                ).to_problem()
                results[index] = dataclasses.replace(
                    result, verified=False, problems=(*result.problems, problem)
                )
                changed = True
    return results


def _failed_document(error: VcworkError) -> ProofSetResult:
    return ProofSetResult(verified=False, problems=(error.to_problem(),))


def _at_path(problem: Problem, path: str) -> Problem:
    """Rewrite a suite's ``proof.x`` property path to ``proof[i].x``."""
    prop = problem.property
    if prop == "proof" or (prop is not None and prop.startswith("proof.")):
        return dataclasses.replace(problem, property=path + prop[len("proof") :])
    return problem


def _as_string_set(value: object) -> frozenset[str] | None:
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _describe(value: object) -> str:
    text = repr(value)
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f"{type(value).__name__} {shown}"
