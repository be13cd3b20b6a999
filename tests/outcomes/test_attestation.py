"""Employment attestations: signed by an employer, verified, read as outcomes."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from vcwork.credentials import issue_credential
from vcwork.did import create_did_key
from vcwork.outcomes import (
    EMPLOYMENT_ATTESTATION_TYPE,
    EmploymentStatus,
    OutcomesInputError,
    OutcomeSource,
    employment_attestation_credential,
    verify_employment_attestation,
)


def _signed(subject_id: str = "urn:uuid:p1", **changes: Any) -> dict[str, Any]:
    key_pair, did = create_did_key()
    unsigned = employment_attestation_credential(
        employer=did,
        employer_name="Riverbend Construction",
        subject_id=subject_id,
        status="apprenticeship",
        start_date=date(2025, 3, 3),
        occupation="Carpenters",
        occupation_code="47-2031.00",
        hourly_wage=21.5,
    )
    unsigned["credentialSubject"].update(changes)
    return issue_credential(unsigned, key_pair)


def test_attestation_verifies_and_becomes_outcome() -> None:
    credential = _signed()
    result = verify_employment_attestation(credential)
    assert result.verified, result.problems
    assert result.subject_id == "urn:uuid:p1"
    assert result.employer_id == credential["issuer"]["id"]
    outcome = result.to_outcome("p1")
    assert outcome.source is OutcomeSource.EMPLOYER_CONFIRMATION
    assert outcome.status is EmploymentStatus.APPRENTICESHIP
    assert outcome.start_date == date(2025, 3, 3)
    assert outcome.employer == "Riverbend Construction"
    assert outcome.hourly_wage == 21.5
    assert outcome.occupation_code == "47-2031.00"


def test_tampered_attestation_fails() -> None:
    credential = _signed()
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["hourlyWage"] = 45.0
    result = verify_employment_attestation(tampered)
    assert not result.verified
    assert "CRYPTOGRAPHIC_SECURITY_ERROR" in [p.code for p in result.problems] or any(
        p.code.startswith("PROOF") for p in result.problems
    )
    with pytest.raises(OutcomesInputError, match="did not verify"):
        result.to_outcome("p1")


def test_signed_attestation_with_bad_subject_is_rejected() -> None:
    result = verify_employment_attestation(_signed(employmentStatus="hired"))
    assert not result.verified
    properties = [p.property for p in result.problems]
    assert "credentialSubject.employmentStatus" in properties


def test_other_credential_type_is_rejected() -> None:
    key_pair, did = create_did_key()
    unsigned = employment_attestation_credential(
        employer=did,
        employer_name="Riverbend",
        subject_id="urn:uuid:p1",
        status="employed",
        start_date=date(2025, 3, 3),
    )
    unsigned["type"] = ["VerifiableCredential"]
    result = verify_employment_attestation(issue_credential(unsigned, key_pair))
    assert not result.verified
    assert any(EMPLOYMENT_ATTESTATION_TYPE in p.detail for p in result.problems)


def test_garbage_input_is_reported_not_raised() -> None:
    result = verify_employment_attestation("not json")
    assert not result.verified
    assert result.problems
