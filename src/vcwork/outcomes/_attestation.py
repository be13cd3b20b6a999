"""Employment attestations: a credential in which an employer confirms a hire.

The employer is the issuer and signs with its own DID key. The subject is
the participant, named by their DID or by ``urn:uuid:<participant id>``.
The credential's inline context defines every term it uses under
``https://vcwork.dev/ns/outcomes#``, because Data Integrity signing rejects
terms that do not expand to IRIs. A program verifies the
attestation with :func:`verify_employment_attestation` and records it as an
outcome whose source is an employer confirmation.

Example subject::

    {"id": "did:key:z6Mk...", "type": "EmploymentAttestation",
     "employmentStatus": "apprenticeship", "startDate": "2025-03-03",
     "occupation": "Carpenters", "occupationCode": "47-2031.00",
     "occupationCodeSystem": "O*NET-SOC", "hourlyWage": 21.5}
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..credentials import VC_V2_CONTEXT, VerificationResult, verify_credential
from ..credentials.model import issuer_id, types_of
from ..errors import MalformedValueError, Problem
from ._records import (
    EmploymentStatus,
    OccupationCodeSystem,
    OutcomeRecord,
    OutcomesInputError,
    OutcomeSource,
    parse_date,
    parse_occupation_code,
)

__all__ = [
    "EMPLOYMENT_ATTESTATION_CONTEXT",
    "EMPLOYMENT_ATTESTATION_TYPE",
    "EmploymentAttestation",
    "employment_attestation_credential",
    "verify_employment_attestation",
]

EMPLOYMENT_ATTESTATION_TYPE = "EmploymentAttestationCredential"
SUBJECT_TYPE = "EmploymentAttestation"
VOCABULARY = "https://vcwork.dev/ns/outcomes#"
_XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"

EMPLOYMENT_ATTESTATION_CONTEXT: dict[str, Any] = {
    "@protected": True,
    EMPLOYMENT_ATTESTATION_TYPE: VOCABULARY + EMPLOYMENT_ATTESTATION_TYPE,
    SUBJECT_TYPE: VOCABULARY + SUBJECT_TYPE,
    "employmentStatus": VOCABULARY + "employmentStatus",
    "startDate": {"@id": VOCABULARY + "startDate", "@type": _XSD_DATE},
    "occupation": VOCABULARY + "occupation",
    "occupationCode": VOCABULARY + "occupationCode",
    "occupationCodeSystem": VOCABULARY + "occupationCodeSystem",
    "hourlyWage": VOCABULARY + "hourlyWage",
    "annualSalary": VOCABULARY + "annualSalary",
}


def employment_attestation_credential(
    *,
    employer: str,
    employer_name: str,
    subject_id: str,
    status: EmploymentStatus | str,
    start_date: date,
    occupation: str | None = None,
    occupation_code: str | None = None,
    hourly_wage: float | None = None,
    annual_salary: float | None = None,
    valid_from: datetime | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """Build an unsigned employment attestation for the employer to sign.

    ``employer`` is the employer's DID (the issuer); sign the result with
    :func:`vcwork.credentials.issue_credential` and a key of that DID.
    """
    status = EmploymentStatus(status)
    subject: dict[str, Any] = {
        "id": subject_id,
        "type": SUBJECT_TYPE,
        "employmentStatus": status.value,
        "startDate": start_date.isoformat(),
    }
    if occupation:
        subject["occupation"] = occupation
    if occupation_code:
        code, system = parse_occupation_code(occupation_code)
        subject["occupationCode"] = code
        subject["occupationCodeSystem"] = system.value
    if hourly_wage is not None:
        subject["hourlyWage"] = hourly_wage
    if annual_salary is not None:
        subject["annualSalary"] = annual_salary
    issued = (valid_from or datetime.now(UTC)).replace(microsecond=0)
    return {
        "@context": [VC_V2_CONTEXT, EMPLOYMENT_ATTESTATION_CONTEXT],
        "id": id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", EMPLOYMENT_ATTESTATION_TYPE],
        "issuer": {"id": employer, "name": employer_name},
        "validFrom": issued.isoformat().replace("+00:00", "Z"),
        "credentialSubject": subject,
    }


@dataclass(frozen=True, kw_only=True)
class EmploymentAttestation:
    """The result of verifying an employment attestation.

    ``verified`` is true only when the credential verifies and its subject
    reads as an employment fact; ``problems`` lists every reason otherwise.
    """

    verified: bool
    problems: tuple[Problem, ...]
    verification: VerificationResult
    credential_id: str | None = None
    employer_id: str | None = None
    employer_name: str | None = None
    subject_id: str | None = None
    status: EmploymentStatus | None = None
    start_date: date | None = None
    attested_on: date | None = None
    occupation: str | None = None
    occupation_code: str | None = None
    occupation_code_system: OccupationCodeSystem | None = None
    hourly_wage: float | None = None
    annual_salary: float | None = None

    def to_outcome(self, participant_id: str) -> OutcomeRecord:
        """Return the attested fact as an outcome confirmed by the employer."""
        if not self.verified or self.status is None or self.attested_on is None:
            raise OutcomesInputError(
                "the employment attestation did not verify, so it cannot be recorded"
            )
        return OutcomeRecord(
            participant_id=participant_id,
            status=self.status,
            source=OutcomeSource.EMPLOYER_CONFIRMATION,
            reported_on=self.attested_on,
            start_date=self.start_date,
            employer=self.employer_name or self.employer_id,
            occupation=self.occupation,
            occupation_code=self.occupation_code,
            occupation_code_system=self.occupation_code_system,
            hourly_wage=self.hourly_wage,
            annual_salary=self.annual_salary,
        )


def _problem(detail: str, property: str, value: Any = None) -> Problem:
    return MalformedValueError(detail, property=property, value=value).to_problem()


def _wage(subject: dict[str, Any], name: str, problems: list[Problem]) -> float | None:
    value = subject.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        problems.append(
            _problem(
                f"credentialSubject.{name} must be a positive number, got {value!r}",
                f"credentialSubject.{name}",
                value,
            )
        )
        return None
    return float(value)


def _read_subject(credential: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Read the attested facts, collecting a problem for each unreadable one."""
    problems: list[Problem] = []
    fields: dict[str, Any] = {}
    if EMPLOYMENT_ATTESTATION_TYPE not in types_of(credential):
        problems.append(
            _problem(
                f"type must include {EMPLOYMENT_ATTESTATION_TYPE}",
                "type",
                credential.get("type"),
            )
        )
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        problems.append(
            _problem("credentialSubject must be one object", "credentialSubject")
        )
        return fields, problems

    subject_id = subject.get("id")
    if not isinstance(subject_id, str) or not subject_id:
        problems.append(
            _problem(
                "credentialSubject.id must name the participant", "credentialSubject.id"
            )
        )
    fields["subject_id"] = subject_id if isinstance(subject_id, str) else None
    try:
        fields["status"] = EmploymentStatus(str(subject.get("employmentStatus")))
    except ValueError:
        allowed = ", ".join(s.value for s in EmploymentStatus)
        problems.append(
            _problem(
                f"credentialSubject.employmentStatus must be one of {allowed}",
                "credentialSubject.employmentStatus",
                subject.get("employmentStatus"),
            )
        )
    try:
        fields["start_date"] = parse_date(
            subject.get("startDate"), name="credentialSubject.startDate"
        )
    except OutcomesInputError as e:
        problems.append(e.to_problem())

    code = subject.get("occupationCode")
    if code is not None:
        try:
            code, system = parse_occupation_code(
                str(code), subject.get("occupationCodeSystem")
            )
            fields["occupation_code"] = code
            fields["occupation_code_system"] = system
        except OutcomesInputError as e:
            problems.append(e.to_problem())
    occupation = subject.get("occupation")
    fields["occupation"] = occupation if isinstance(occupation, str) else None
    fields["hourly_wage"] = _wage(subject, "hourlyWage", problems)
    fields["annual_salary"] = _wage(subject, "annualSalary", problems)
    return fields, problems


def verify_employment_attestation(
    credential: Any,
    *,
    resolver: Any = None,
    now: datetime | None = None,
) -> EmploymentAttestation:
    """Verify an employer's attestation and read the employment fact it states.

    Runs :func:`vcwork.credentials.verify_credential` (proof, issuer key,
    validity period) and then checks the subject. Problems with the input
    are returned in the result, not raised.
    """
    result = verify_credential(credential, resolver=resolver, now=now)
    document = result.document
    if document is None:
        return EmploymentAttestation(
            verified=False, problems=result.problems, verification=result
        )
    fields, problems = _read_subject(document)
    issuer = document.get("issuer")
    employer_name = issuer.get("name") if isinstance(issuer, dict) else None
    attested_on: date | None = None
    valid_from = document.get("validFrom")
    if isinstance(valid_from, str) and len(valid_from) >= 10:
        try:
            attested_on = date.fromisoformat(valid_from[:10])
        except ValueError:
            attested_on = None
    if attested_on is None:
        problems.append(
            _problem("validFrom must give the date of the attestation", "validFrom")
        )
    all_problems = (*result.problems, *problems)
    credential_id = document.get("id")
    return EmploymentAttestation(
        verified=result.verified and not problems,
        problems=all_problems,
        verification=result,
        credential_id=credential_id if isinstance(credential_id, str) else None,
        employer_id=issuer_id(document),
        employer_name=employer_name if isinstance(employer_name, str) else None,
        attested_on=attested_on,
        **fields,
    )
