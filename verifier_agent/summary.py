"""What a result page shows: a JSON-safe summary of a verification result.

The summary keeps only what the presentation disclosed and the checks made.
The verification log stores it (with its retention limit), and the result
page renders it.
"""

from __future__ import annotations

import re
from typing import Any

from vcwork.credentials import Check, VerificationResult
from vcwork.credentials.model import issuer_id, types_of

from .checks import describe_check, verdict_of
from .settings import Settings

__all__ = ["criteria_sections", "summarize"]

_HEADING = re.compile(r"^\*\*(.+?)\*\*\s*$")
_MAX_TEXT = 4000


def _text(value: Any, limit: int = _MAX_TEXT) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:limit]
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def criteria_sections(narrative: str | None) -> list[dict[str, Any]]:
    """Split a Markdown criteria narrative into headed sections of text and bullets.

    Only ``**Heading**`` lines, ``- item`` bullets and paragraphs are read; the
    page escapes every string, so no Markdown or HTML reaches the browser raw.
    """
    if not narrative:
        return []
    sections: list[dict[str, Any]] = []
    current: dict[str, Any] = {"heading": None, "paragraphs": [], "bullets": []}
    for line in narrative.splitlines():
        stripped = line.strip()
        heading = _HEADING.match(stripped)
        if heading:
            if current["heading"] or current["paragraphs"] or current["bullets"]:
                sections.append(current)
            current = {"heading": heading.group(1), "paragraphs": [], "bullets": []}
        elif stripped.startswith(("- ", "* ")):
            current["bullets"].append(stripped[2:].strip())
        elif stripped:
            current["paragraphs"].append(stripped)
    if current["heading"] or current["paragraphs"] or current["bullets"]:
        sections.append(current)
    return sections


def _issuer(credential: dict[str, Any], settings: Settings) -> dict[str, Any]:
    issuer = credential.get("issuer")
    issuer_ref = issuer_id(credential)
    profile = issuer if isinstance(issuer, dict) else {}
    trusted = settings.trusted_issuer(issuer_ref)
    return {
        "id": issuer_ref,
        "name": _text(profile.get("name"), 200),
        "url": _text(profile.get("url"), 500),
        "trusted": trusted is not None,
        "trusted_name": trusted.name if trusted else None,
    }


def _achievement(subject: dict[str, Any]) -> dict[str, Any]:
    achievement = subject.get("achievement")
    if not isinstance(achievement, dict):
        return {}
    criteria = achievement.get("criteria")
    narrative = criteria.get("narrative") if isinstance(criteria, dict) else None
    alignments = []
    level = None
    for item in _as_list(achievement.get("alignment")):
        if not isinstance(item, dict):
            continue
        entry = {
            "name": _text(item.get("targetName"), 200),
            "framework": _text(item.get("targetFramework"), 200),
            "code": _text(item.get("targetCode"), 100),
            "url": _text(item.get("targetUrl"), 500),
            "description": _text(item.get("targetDescription"), 500),
        }
        if item.get("targetType") == "ext:AchievementLevel":
            level = entry["name"]
        else:
            alignments.append(entry)
    return {
        "id": _text(achievement.get("id"), 500),
        "name": _text(achievement.get("name"), 300),
        "description": _text(achievement.get("description")),
        "type": _text(achievement.get("achievementType"), 100),
        "code": _text(achievement.get("humanCode"), 100),
        "field": _text(achievement.get("fieldOfStudy"), 200),
        "criteria": criteria_sections(_text(narrative)),
        "alignments": alignments,
        "level": level,
    }


def _credential(
    result: VerificationResult, settings: Settings, endorsements: list[dict[str, Any]]
) -> dict[str, Any]:
    document = result.document or {}
    subjects = [
        s for s in _as_list(document.get("credentialSubject")) if isinstance(s, dict)
    ]
    subject = subjects[0] if subjects else {}
    checks = [describe_check(c) for c in result.checks]
    if "anchor" not in {c.name for c in result.checks}:
        checks.append(
            describe_check(
                Check("anchor", "not_checked", "no anchor checker is configured")
            )
        )
    types = types_of(document)
    issuer = _issuer(document, settings)
    return {
        "id": _text(document.get("id"), 500),
        "types": types,
        "is_endorsement": "EndorsementCredential" in types,
        "name": _text(document.get("name"), 300),
        "subject_id": _text(subject.get("id"), 500),
        "achievement": _achievement(subject),
        "results": [
            {
                "status": _text(r.get("status"), 100),
                "value": _text(r.get("value"), 200),
            }
            for r in _as_list(subject.get("result"))
            if isinstance(r, dict)
        ],
        "evidence": [
            {
                "name": _text(e.get("name"), 300),
                "narrative": _text(e.get("narrative")),
                "url": _text(e.get("id"), 500),
            }
            for e in _as_list(document.get("evidence"))
            if isinstance(e, dict)
        ],
        "endorsement_comment": _text(subject.get("endorsementComment")),
        "issuer": issuer,
        "issued": _text(document.get("validFrom") or document.get("issuanceDate"), 60),
        "valid_until": _text(
            document.get("validUntil") or document.get("expirationDate"), 60
        ),
        "verified": result.verified,
        "verdict": verdict_of(checks),
        "checks": checks,
        "endorsements": [
            e for e in endorsements if e.get("endorses") in {issuer["id"], None}
        ],
    }


def _challenge_check(result: VerificationResult, channel: str) -> Check | None:
    """Derive the ``challenge`` check from the proof check of a presentation."""
    proof = result.check("proof")
    if proof is None:
        return None
    if channel == "share":
        return Check("challenge", "not_checked", "shared presentation, no live request")
    bad = [
        p
        for p in proof.problems
        if p.code in ("INVALID_CHALLENGE_ERROR", "INVALID_DOMAIN_ERROR")
    ]
    if bad:
        return Check("challenge", "failed", bad[0].detail, tuple(bad))
    if proof.outcome == "passed":
        return Check(
            "challenge", "passed", "the proof's challenge and domain match the request"
        )
    return None


def _endorsement_entries(
    results: tuple[VerificationResult, ...], settings: Settings
) -> list[dict[str, Any]]:
    entries = []
    for nested in results:
        document = nested.document or {}
        if "EndorsementCredential" not in types_of(document):
            continue
        subject = document.get("credentialSubject")
        subject = subject if isinstance(subject, dict) else {}
        entries.append(
            {
                "endorser": _issuer(document, settings),
                "endorses": _text(subject.get("id"), 500),
                "comment": _text(subject.get("endorsementComment")),
                "name": _text(document.get("name"), 300),
                "verified": nested.verified,
            }
        )
    return entries


def summarize(
    result: VerificationResult,
    *,
    settings: Settings,
    channel: str,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the result page's view of ``result`` as JSON-safe data."""
    if result.kind == "credential":
        credential = _credential(result, settings, [])
        return {
            "kind": "credential",
            "channel": channel,
            "source": source or {},
            "verified": result.verified,
            "verdict": credential["verdict"],
            "holder": None,
            "checks": [],
            "credentials": [credential],
        }
    document = result.document or {}
    checks = list(result.checks)
    challenge = _challenge_check(result, channel)
    if challenge is not None:
        checks.append(challenge)
    described = [describe_check(c) for c in checks]
    endorsements = _endorsement_entries(result.credential_results, settings)
    credentials = [
        _credential(r, settings, endorsements) for r in result.credential_results
    ]
    verdicts = [c["verdict"] for c in credentials] + [verdict_of(described)]
    verdict = (
        "failed"
        if "failed" in verdicts
        else "partial"
        if "partial" in verdicts
        else "verified"
    )
    holder = document.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    return {
        "kind": "presentation",
        "channel": channel,
        "source": source or {},
        "verified": result.verified,
        "verdict": verdict,
        "holder": _text(holder, 500),
        "checks": described,
        "credentials": credentials,
    }
