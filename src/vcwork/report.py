"""A plain-text verification report for people, used by the CLI."""

from __future__ import annotations

import unicodedata
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
    "challenge": "challenge",
    "credentials": "credentials",
}


def _clean(value: object) -> str:
    """Return ``value`` as one printable line.

    Text in a document is attacker-controlled: a newline or a terminal escape
    sequence in a name could forge report lines, so control and format
    characters are shown as escapes, and long values are cut.
    """
    text = str(value)
    shown = "".join(
        char if unicodedata.category(char)[0] != "C" else repr(char)[1:-1]
        for char in text[:300]
    )
    return shown if len(text) <= 300 else shown + "..."


def _title(document: dict[str, Any] | None) -> str:
    if document is None:
        return "(unreadable document)"
    subject = document.get("credentialSubject")
    if isinstance(subject, dict):
        achievement = subject.get("achievement")
        if isinstance(achievement, dict) and isinstance(achievement.get("name"), str):
            return _clean(achievement["name"])
    name = document.get("name")
    if isinstance(name, str):
        return _clean(name)
    kinds = [t for t in types_of(document) if t not in ("VerifiableCredential",)]
    return _clean(", ".join(kinds)) or "credential"


def _render(result: VerificationResult, indent: str) -> list[str]:
    verdict = "VERIFIED" if result.verified else "NOT VERIFIED"
    skipped = [c.name for c in result.checks if c.outcome == "not_checked"]
    if result.verified and skipped:
        names = ", ".join(_CHECK_NAMES.get(name, name) for name in skipped)
        verdict += f" (not checked: {names})"
    document = result.document
    lines = [f"{indent}{result.kind.capitalize()}: {_title(document)}"]
    if document is not None:
        if document.get("id"):
            lines.append(f"{indent}  id:     {_clean(document['id'])}")
        if result.kind == "credential" and issuer_id(document):
            lines.append(f"{indent}  issuer: {_clean(issuer_id(document))}")
        holder = document.get("holder")
        if result.kind == "presentation" and holder:
            lines.append(f"{indent}  holder: {_clean(holder)}")
    lines.append(f"{indent}  result: {verdict}")
    for check in result.checks:
        label = _CHECK_NAMES.get(check.name, check.name)
        lines.append(
            f"{indent}  {_MARKS[check.outcome]} {label}: {_clean(check.detail)}"
        )
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
            lines.append(
                f"  - {_clean(problem.code)}{_clean(where)}: {_clean(problem.detail)}"
            )
    return "\n".join(lines)
