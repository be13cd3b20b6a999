"""Verifying Data Integrity proofs, independent of the cryptosuite.

Implements Verifiable Credential Data Integrity 1.0, section 4.4 "Verify
Proof" for each proof and section 4.5 "Verify Proof Sets and Chains" for the
document. The cryptographic work is delegated to the suites registered in
:mod:`vcwork.proofs.suites`.

:func:`verify` never raises for a bad document: every failure becomes a
:class:`vcwork.errors.Problem` in the returned :class:`ProofSetResult`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..dates import format_datetime, parse_datetime
from ..errors import (
    InvalidChallengeError,
    InvalidDomainError,
    MalformedValueError,
    ParsingError,
    Problem,
    ProofVerificationError,
    VcworkError,
)
from ..jsonld import BundledDocumentLoader
from .data_integrity import REQUIRED_PROOF_PROPERTIES, matching_proofs
from .suites import (
    DATA_INTEGRITY_PROOF,
    Cryptosuite,
    VerificationMethodLike,
    find_cryptosuite,
)

__all__ = [
    "CLOCK_SKEW",
    "ProofResult",
    "ProofSetResult",
    "VerificationMethodResolver",
    "verify",
]

logger = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
"""Tolerance for clock differences when checking ``created`` and ``expires``."""


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
    except Exception as e:
        # NOTE: reaching this line means a bug in vcwork, not a bad document.
        logger.debug("proof verification stopped by %r", e)
        problem = ProofVerificationError(
            f"verification stopped by an unexpected {type(e).__name__}: {e}"
        ).to_problem()
        return ProofSetResult(verified=False, problems=(problem,))


# A bound on the proofs of one document: each proof of a chain re-canonicalizes
# the document with the proofs it names, so the work grows with the square of
# their number. Real proof sets and chains have a handful of proofs.
MAX_PROOFS = 16


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
            ParsingError(
                "missing proof: the document has no proof property, so it is "
                "not secured",
                property="proof",
            )
        )
    # Step 1: all proofs, one object or a list of objects.
    proof_property = document["proof"]
    single = isinstance(proof_property, Mapping)
    all_proofs = [proof_property] if single else proof_property
    if not isinstance(all_proofs, list) or not all_proofs:
        return _failed_document(
            ParsingError(
                "proof must be a JSON object or a non-empty list of objects, "
                f"got {_describe(proof_property)}",
                property="proof",
                value=proof_property,
            )
        )

    if len(all_proofs) > MAX_PROOFS:
        return _failed_document(
            ParsingError(
                f"the document has {len(all_proofs)} proofs; vcwork verifies at "
                f"most {MAX_PROOFS} proofs on one document",
                property="proof",
            )
        )
    proof_ids = [p.get("id") for p in all_proofs if isinstance(p, Mapping)]
    named_ids = [i for i in proof_ids if i is not None]
    if not all(isinstance(i, str) for i in named_ids):
        return _failed_document(
            MalformedValueError(
                "a proof id must be a string (a URL such as urn:uuid:...)",
                property="proof",
            )
        )
    if len(named_ids) != len(set(named_ids)):
        return _failed_document(
            ParsingError(
                "two proofs share the same id; each proof of a proof set or chain "
                "needs its own id so previousProof names exactly one proof",
                property="proof",
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
        matching = matching_proofs(
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
    for name in REQUIRED_PROOF_PROPERTIES:
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
            moment = parse_datetime(proof[name], property=f"{path}.{name}")
        except MalformedValueError as e:
            problems.append(e.to_problem())
            continue
        if name == "created" and moment - CLOCK_SKEW > now:
            problems.append(
                ProofVerificationError(
                    f"{path}.created is {proof[name]}, which is in the future "
                    f"(now is {format_datetime(now)})",
                    property=f"{path}.created",
                    value=proof[name],
                ).to_problem()
            )
        if name == "expires" and moment + CLOCK_SKEW < now:
            problems.append(
                ProofVerificationError(
                    f"{path} expired at {proof[name]} (now is {format_datetime(now)})",
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
    except Exception as e:
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
    except Exception as e:
        return method, [
            ProofVerificationError(
                f"cryptosuite {proof.get('cryptosuite') or proof.get('type')!r} "
                f"failed with {type(e).__name__}: {e}",
                property=path,
            ).to_problem()
        ]
    if not result.verified:
        # The message names no detail of a failed signature check, so an
        # attacker cannot use it as an oracle.
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
    preview = text if len(text) <= 60 else text[:57] + "..."
    return f"{type(value).__name__} {preview}"
