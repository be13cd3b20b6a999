"""Verification results: every check with its outcome, and every problem found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import Problem

__all__ = ["Check", "CheckOutcome", "VerificationResult"]

CheckOutcome = Literal["passed", "failed", "not_checked"]


@dataclass(frozen=True)
class Check:
    """One step of the verification pipeline, such as ``proof`` or ``validity_period``.

    ``not_checked`` is its own outcome: a status list or ledger that could not
    be reached is neither a pass nor a forgery.
    """

    name: str
    outcome: CheckOutcome
    detail: str
    problems: tuple[Problem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "check": self.name,
            "outcome": self.outcome,
            "detail": self.detail,
        }
        if self.problems:
            body["problems"] = [p.to_json() for p in self.problems]
        return body


@dataclass(frozen=True)
class VerificationResult:
    """The result of verifying a credential or a presentation.

    ``verified`` is true only when no check failed. ``credential_results``
    contains one result per credential of a presentation.
    """

    verified: bool
    kind: Literal["credential", "presentation"]
    document: dict[str, Any] | None
    checks: tuple[Check, ...]
    problems: tuple[Problem, ...]
    credential_results: tuple[VerificationResult, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def check(self, name: str) -> Check | None:
        """Return the check called ``name``, or None when it was not run."""
        for item in self.checks:
            if item.name == name:
                return item
        return None

    @property
    def problem_codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def to_json(self) -> dict[str, Any]:
        """Render in the VC API's verify response shape plus vcwork's check list."""
        body: dict[str, Any] = {
            "verified": self.verified,
            "kind": self.kind,
            "checks": [c.to_json() for c in self.checks],
            "problems": [p.to_json() for p in self.problems],
            "warnings": list(self.warnings),
        }
        if self.document is not None:
            body["id"] = self.document.get("id")
        if self.credential_results:
            body["credentialResults"] = [r.to_json() for r in self.credential_results]
        return body
