"""The verification pipeline for credentials and presentations.

parse -> data model (context, type, required properties) -> proofs (which
resolves the issuer's or holder's key) -> issuer binding -> validity period
-> status -> anchor; for a presentation also challenge, domain and holder
binding, then each enclosed credential. Every problem found is reported;
nothing raises for bad input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..dates import utcnow
from ..errors import (
    CryptographicSecurityError,
    MalformedValueError,
    ParsingError,
    Problem,
    RangeError,
    VcworkError,
)
from ..jsonld.loader import BundledDocumentLoader
from .model import (
    credential_subject_ids,
    issuer_id,
    types_of,
    validate_credential,
    validate_presentation,
    validity_period,
)
from .result import Check, VerificationResult

__all__ = [
    "AnchorChecker",
    "StatusChecker",
    "parse_document",
    "verify_credential",
    "verify_presentation",
]

logger = logging.getLogger(__name__)

StatusChecker = Callable[[dict[str, Any]], Check]
"""Returns the ``status`` check for a credential that has ``credentialStatus``."""

AnchorChecker = Callable[[dict[str, Any]], Check]
"""Returns the ``anchor`` check for a credential."""

# Status entries checked per credential: each may cost a fetch.
MAX_STATUS_ENTRIES = 8

# Largest JSON document accepted, so a hostile input cannot exhaust memory.
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024


def parse_document(data: Any) -> dict[str, Any]:
    """Return a JSON object from text, bytes or an already-parsed dict.

    Raises :class:`ParsingError` for anything that is not a JSON object.
    """
    if isinstance(data, dict):
        return data
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ParsingError(
                f"document is {len(data)} bytes, more than the "
                f"{MAX_DOCUMENT_BYTES}-byte limit"
            )
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ParsingError(f"document is not UTF-8: {e}") from e
    if not isinstance(data, str):
        raise ParsingError(
            f"expected a JSON object, got {type(data).__name__}", value=None
        )
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ParsingError(
            f"document has {len(data)} characters, more than the "
            f"{MAX_DOCUMENT_BYTES} limit"
        )
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ParsingError(f"document is not valid JSON: {e}") from e
    if not isinstance(parsed, dict):
        raise ParsingError(
            f"expected a JSON object, got a JSON {type(parsed).__name__}"
        )
    return parsed


def _failed(name: str, problems: list[Problem]) -> Check:
    detail = "; ".join(p.detail for p in problems[:3])
    if len(problems) > 3:
        detail += f"; and {len(problems) - 3} more"
    return Check(name, "failed", detail, tuple(problems))


def _parse_or_fail(
    data: Any, kind: str
) -> tuple[dict[str, Any] | None, VerificationResult | None]:
    try:
        return parse_document(data), None
    except ParsingError as e:
        problem = e.to_problem()
        result = VerificationResult(
            verified=False,
            kind=kind,  # type: ignore[arg-type]
            document=None,
            checks=(_failed("parse", [problem]),),
            problems=(problem,),
        )
        return None, result


def _check_proofs(
    document: dict[str, Any],
    *,
    proof_purpose: str,
    resolver: Any,
    challenge: str | None,
    domain: str | None,
    now: datetime,
    loader: BundledDocumentLoader | None,
) -> tuple[Check, list[str]]:
    """Verify every proof; return the check and the controllers of verified keys."""
    from ..proofs import verify as verify_proofs

    if "proof" not in document:
        problem = CryptographicSecurityError(
            "the document has no proof; it is not secured", property="proof"
        ).to_problem()
        return _failed("proof", [problem]), []
    try:
        result = verify_proofs(
            document,
            resolver=resolver,
            proof_purpose=proof_purpose,
            challenge=challenge,
            domain=domain,
            now=now,
            loader=loader,
        )
    except VcworkError as e:  # misuse surfaced by the proof layer
        return _failed("proof", [e.to_problem()]), []
    controllers = [
        r.verification_method.controller
        for r in result.results
        if r.verified and r.verification_method is not None
    ]
    if result.verified:
        suites = ", ".join(sorted({str(r.cryptosuite) for r in result.results}))
        count = len(result.results)
        noun = "proof" if count == 1 else "proofs"
        return Check(
            "proof", "passed", f"{count} {noun} verified ({suites})"
        ), controllers
    return _failed("proof", list(result.problems)), controllers


def _check_validity(credential: dict[str, Any], now: datetime) -> Check:
    start, end, problems = validity_period(credential)
    if problems:
        return _failed("validity_period", problems)
    start_prop = "issuanceDate" if "issuanceDate" in credential else "validFrom"
    end_prop = "expirationDate" if "expirationDate" in credential else "validUntil"
    if start is not None and now < start:
        problem = RangeError(
            f"the credential is not valid yet: {start_prop} is "
            f"{credential[start_prop]}, the time of verification is "
            f"{now.isoformat()}",
            property=start_prop,
            value=credential[start_prop],
        ).to_problem()
        return _failed("validity_period", [problem])
    if end is not None and now > end:
        problem = RangeError(
            f"the credential expired: {end_prop} is {credential[end_prop]}, the "
            f"time of verification is {now.isoformat()}",
            property=end_prop,
            value=credential[end_prop],
        ).to_problem()
        return _failed("validity_period", [problem])
    if start is None and end is None:
        return Check("validity_period", "passed", "no validity period is set")
    return Check("validity_period", "passed", "valid at the time of verification")


def _check_issuer_binding(credential: dict[str, Any], controllers: list[str]) -> Check:
    issuer = issuer_id(credential)
    if issuer in controllers:
        return Check("issuer", "passed", f"signed with a key of the issuer {issuer}")
    problem = CryptographicSecurityError(
        f"no verified proof was made with a key controlled by the issuer {issuer!r} "
        f"(keys used are controlled by {controllers or 'nobody verified'})",
        property="issuer",
        value=issuer,
    ).to_problem()
    return _failed("issuer", [problem])


def verify_credential(
    credential: Any,
    *,
    resolver: Any = None,
    now: datetime | None = None,
    loader: BundledDocumentLoader | None = None,
    status_checker: StatusChecker | None = None,
    anchor_checker: AnchorChecker | None = None,
) -> VerificationResult:
    """Verify a credential and return every problem found.

    ``resolver`` dereferences verification methods (default: a
    :class:`vcwork.did.DidResolver` that resolves did:key offline and no
    did:web). ``now`` fixes the clock for the validity period and proof
    dates. A status check that is not configured is reported as ``not_checked``
    when the credential has a ``credentialStatus``.
    """
    document, failure = _parse_or_fail(credential, "credential")
    if failure is not None:
        return failure
    assert document is not None
    return _verify_credential_document(
        document,
        resolver=resolver if resolver is not None else _default_resolver(),
        now=now or utcnow(),
        loader=loader,
        status_checker=status_checker,
        anchor_checker=anchor_checker,
    )


def _default_resolver() -> Any:
    from ..did import DidResolver

    return DidResolver()


def _uses_jcs(document: dict[str, Any]) -> bool:
    proofs = document.get("proof")
    items = proofs if isinstance(proofs, list) else [proofs]
    return any(
        isinstance(p, dict) and p.get("cryptosuite") == "eddsa-jcs-2022" for p in items
    )


def _check_contexts(
    document: dict[str, Any], loader: BundledDocumentLoader | None
) -> list[Problem]:
    """Check that every term of the document expands under its full @context.

    eddsa-jcs-2022 signs the JSON text with only the proof's @context, so a
    context appended afterwards is not signed yet changes what the terms
    mean to a JSON-LD consumer. Processing the whole document in safe mode
    rejects unknown contexts and protected-term redefinitions, as the
    RDFC-based suites do.
    """
    from ..jsonld import default_loader, to_rdf

    unsecured = {k: v for k, v in document.items() if k != "proof"}
    try:
        to_rdf(unsecured, loader=loader or default_loader(), safe=True)
    except VcworkError as e:
        return [e.to_problem()]
    return []


def _verify_credential_document(
    document: dict[str, Any],
    *,
    resolver: Any,
    now: datetime,
    loader: BundledDocumentLoader | None,
    status_checker: StatusChecker | None,
    anchor_checker: AnchorChecker | None,
) -> VerificationResult:
    checks: list[Check] = []
    model_problems = validate_credential(document)
    if not model_problems and _uses_jcs(document):
        model_problems = _check_contexts(document, loader)
    if model_problems:
        checks.append(_failed("data_model", model_problems))
    else:
        checks.append(Check("data_model", "passed", "well-formed credential"))

    proof_check, controllers = _check_proofs(
        document,
        proof_purpose="assertionMethod",
        resolver=resolver,
        challenge=None,
        domain=None,
        now=now,
        loader=loader,
    )
    checks.append(proof_check)
    if proof_check.outcome == "passed":
        checks.append(_check_issuer_binding(document, controllers))
    checks.append(_check_validity(document, now))

    proof_passed = proof_check.outcome == "passed"
    if "credentialStatus" in document:
        entries = document["credentialStatus"]
        count = len(entries) if isinstance(entries, list) else 1
        if not proof_passed:
            # An unsigned or forged credential must not make the verifier
            # fetch the URLs it names.
            checks.append(
                Check(
                    "status",
                    "not_checked",
                    "skipped because the credential's proof did not verify",
                )
            )
        elif count > MAX_STATUS_ENTRIES:
            problem = MalformedValueError(
                f"credentialStatus has {count} entries; vcwork checks at most "
                f"{MAX_STATUS_ENTRIES}",
                property="credentialStatus",
            ).to_problem()
            checks.append(_failed("status", [problem]))
        elif status_checker is None:
            checks.append(
                Check(
                    "status",
                    "not_checked",
                    "the credential has a status entry but no status checker "
                    "was configured",
                )
            )
        else:
            checks.append(_run_hook("status", status_checker, document))
    if anchor_checker is not None and not proof_passed:
        checks.append(
            Check(
                "anchor",
                "not_checked",
                "skipped because the credential's proof did not verify",
            )
        )
    elif anchor_checker is not None:
        checks.append(_run_hook("anchor", anchor_checker, document))
    return _result("credential", document, checks)


def _run_hook(
    name: str, hook: Callable[[dict[str, Any]], Check], document: dict[str, Any]
) -> Check:
    try:
        return hook(document)
    except VcworkError as e:
        return _failed(name, [e.to_problem()])


def _result(
    kind: str,
    document: dict[str, Any],
    checks: list[Check],
    credential_results: tuple[VerificationResult, ...] = (),
) -> VerificationResult:
    problems = [p for c in checks for p in c.problems]
    for nested in credential_results:
        problems.extend(nested.problems)
    verified = all(c.outcome != "failed" for c in checks) and all(
        r.verified for r in credential_results
    )
    return VerificationResult(
        verified=verified,
        kind=kind,  # type: ignore[arg-type]
        document=document,
        checks=tuple(checks),
        problems=tuple(problems),
        credential_results=credential_results,
    )


def _holder_id(presentation: dict[str, Any]) -> str | None:
    holder = presentation.get("holder")
    if isinstance(holder, dict):
        holder = holder.get("id")
    return holder if isinstance(holder, str) else None


def verify_presentation(
    presentation: Any,
    *,
    challenge: str | None,
    domain: str | None = None,
    resolver: Any = None,
    now: datetime | None = None,
    loader: BundledDocumentLoader | None = None,
    status_checker: StatusChecker | None = None,
    anchor_checker: AnchorChecker | None = None,
    require_subject_binding: bool = True,
) -> VerificationResult:
    """Verify a presentation, its holder proof and each credential it carries.

    The holder's proof must have ``proofPurpose`` ``authentication`` and the
    expected ``challenge`` (and ``domain`` when given). With ``challenge``
    None the presentation could be a replay, so the result reports a
    ``challenge`` check that was not run. Holder binding: the key that signed
    must be controlled by ``holder``. With ``require_subject_binding`` (the
    default) every credential except endorsements must name the holder as a
    ``credentialSubject.id``.
    """
    document, failure = _parse_or_fail(presentation, "presentation")
    if failure is not None:
        return failure
    assert document is not None
    now = now or utcnow()
    resolver = resolver if resolver is not None else _default_resolver()

    checks: list[Check] = []
    model_problems = validate_presentation(document)
    if not model_problems and _uses_jcs(document):
        model_problems = _check_contexts(document, loader)
    if model_problems:
        checks.append(_failed("data_model", model_problems))
    else:
        checks.append(Check("data_model", "passed", "well-formed presentation"))

    proof_check, controllers = _check_proofs(
        document,
        proof_purpose="authentication",
        resolver=resolver,
        challenge=challenge,
        domain=domain,
        now=now,
        loader=loader,
    )
    checks.append(proof_check)
    holder = _holder_id(document)
    if proof_check.outcome == "passed":
        checks.append(_check_holder_binding(holder, controllers))
    if challenge is None:
        checks.append(
            Check(
                "challenge",
                "not_checked",
                "no expected challenge was given, so this presentation may be a "
                "replay of one made for another verifier",
            )
        )

    credential_results = tuple(
        _verify_credential_document(
            credential,
            resolver=resolver,
            now=now,
            loader=loader,
            status_checker=status_checker,
            anchor_checker=anchor_checker,
        )
        for credential in _presented_credentials(document, checks)
    )
    if holder is not None:
        checks.append(
            _check_subject_binding(holder, credential_results, require_subject_binding)
        )
    return _result("presentation", document, checks, credential_results)


def _presented_credentials(
    document: dict[str, Any], checks: list[Check]
) -> list[dict[str, Any]]:
    value = document.get("verifiableCredential", [])
    items = value if isinstance(value, list) else [value]
    credentials = []
    for index, item in enumerate(items):
        if (
            isinstance(item, dict)
            and item.get("type") == "EnvelopedVerifiableCredential"
        ):
            problem = ParsingError(
                "enveloped credentials (VC-JOSE/COSE) are not supported; present the "
                "credential with an embedded Data Integrity proof",
                property=f"verifiableCredential[{index}]",
            ).to_problem()
            checks.append(_failed("credentials", [problem]))
        elif isinstance(item, dict):
            credentials.append(item)
        else:
            problem = ParsingError(
                f"verifiableCredential[{index}] must be a credential object, got "
                f"{type(item).__name__}",
                property=f"verifiableCredential[{index}]",
            ).to_problem()
            checks.append(_failed("credentials", [problem]))
    return credentials


def _check_holder_binding(holder: str | None, controllers: list[str]) -> Check:
    if holder is None:
        return Check(
            "holder_binding",
            "not_checked",
            "the presentation names no holder, so who presented it is unknown",
        )
    if holder in controllers:
        return Check("holder_binding", "passed", f"signed by the holder {holder}")
    problem = CryptographicSecurityError(
        f"the presentation was not signed with a key of its holder {holder!r}",
        property="holder",
        value=holder,
    ).to_problem()
    return _failed("holder_binding", [problem])


def _check_subject_binding(
    holder: str, results: tuple[VerificationResult, ...], required: bool
) -> Check:
    # An endorsement's subject is the program or achievement it vouches for,
    # never the holder, so it is left out of this check.
    foreign = [
        r.document.get("id", f"credential {i}")
        for i, r in enumerate(results)
        if r.document is not None
        and "EndorsementCredential" not in types_of(r.document)
        and holder not in credential_subject_ids(r.document)
    ]
    if not foreign:
        return Check(
            "subject_binding", "passed", "the holder is the subject of every credential"
        )
    detail = f"the holder {holder} is not the subject of {', '.join(map(str, foreign))}"
    if not required:
        return Check("subject_binding", "not_checked", detail)
    problem = CryptographicSecurityError(
        detail, property="verifiableCredential", value=foreign
    ).to_problem()
    return _failed("subject_binding", [problem])
