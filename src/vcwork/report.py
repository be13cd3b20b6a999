"""A plain-text verification report for people, used by the CLI."""

from __future__ import annotations

from typing import Any

from .credentials.model import issuer_id, types_of
from .credentials.result import VerificationResult

__all__ = ["render_report"]

_MARKS = {"passed": "[ok]  ", "failed": "[FAIL]", "not_checked": "[--]  "}

_CHECK_NAMES = {
    "parse": "JSON",
    "data_model": "data model",
    "proof": "signature",
    "issuer": "issuer key",
    "validity_period": "validity period",
    "status": "status",
    "anchor": "ledger anchor",
    "holder_binding": "holder binding",
    "subject_binding": "holder is subject",
    "credentials": "credentials",
}


def _title(document: dict[str, Any] | None) -> str:
    if document is None:
        return "(unreadable document)"
    subject = document.get("credentialSubject")
    if isinstance(subject, dict):
        achievement = subject.get("achievement")
        if isinstance(achievement, dict) and isinstance(achievement.get("name"), str):
            return str(achievement["name"])
    name = document.get("name")
    if isinstance(name, str):
        return name
    kinds = [t for t in types_of(document) if t not in ("VerifiableCredential",)]
    return ", ".join(kinds) or "credential"


def _render(result: VerificationResult, indent: str) -> list[str]:
    verdict = "VERIFIED" if result.verified else "NOT VERIFIED"
    document = result.document
    lines = [f"{indent}{result.kind.capitalize()}: {_title(document)}"]
    if document is not None:
        if document.get("id"):
            lines.append(f"{indent}  id:     {document['id']}")
        if result.kind == "credential" and issuer_id(document):
            lines.append(f"{indent}  issuer: {issuer_id(document)}")
        holder = document.get("holder")
        if result.kind == "presentation" and holder:
            lines.append(f"{indent}  holder: {holder}")
    lines.append(f"{indent}  result: {verdict}")
    for check in result.checks:
        label = _CHECK_NAMES.get(check.name, check.name)
        lines.append(f"{indent}  {_MARKS[check.outcome]} {label}: {check.detail}")
    for nested in result.credential_results:
        lines.append("")
        lines.extend(_render(nested, indent + "    "))
    return lines


def render_report(result: VerificationResult) -> str:
    """Render the result with one line per check and every problem with its type."""
    lines = _render(result, "")
    if result.problems:
        lines.append("")
        lines.append("Problems:")
        for problem in result.problems:
            where = f" at {problem.property}" if problem.property else ""
            lines.append(f"  - {problem.code}{where}: {problem.detail}")
    return "\n".join(lines)
