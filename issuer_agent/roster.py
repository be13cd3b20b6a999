"""Bulk issuing from a CSV roster: one row, one participant record, one credential.

Columns: ``name``, ``email``, ``did`` (optional), ``achievement`` (catalog
slug), ``assessment_method``, ``assessor``, ``assessed_on`` (YYYY-MM-DD),
``evidence_url`` and ``evidence_narrative`` (both optional). Each row is
issued on its own, so one bad row fails alone with a message and never
leaves a half-issued record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vcwork.errors import VcworkError

from .errors import AgentError
from .service import EvidenceItem, IssuerService, parse_assessment_method, parse_day

__all__ = ["REQUIRED_COLUMNS", "import_roster_rows"]

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = (
    "name",
    "achievement",
    "assessment_method",
    "assessor",
    "assessed_on",
)


def import_roster_rows(
    service: IssuerService,
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: str,
    on_row: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Issue a credential for each row and return one result per row.

    A result is ``{"row": n, "ok": True, "credentialId": ...}`` or
    ``{"row": n, "ok": False, "error": ...}``; ``n`` counts from 2, the first
    data line of the file. ``on_row`` is called after each row (for a
    progress bar).
    """
    results = []
    for number, row in enumerate(rows, start=2):
        try:
            result = {
                "row": number,
                "ok": True,
                **_issue_row(service, row, actor=actor),
            }
        except (AgentError, VcworkError) as e:
            result = {"row": number, "ok": False, "error": e.detail}
        results.append(result)
        if not result["ok"]:
            logger.info("roster row %d failed: %s", number, result["error"])
        if on_row is not None:
            on_row(number, result)
    return results


def _issue_row(
    service: IssuerService, row: Mapping[str, Any], *, actor: str
) -> dict[str, Any]:
    values = {
        k.strip().lower(): (v or "").strip()
        for k, v in row.items()
        if isinstance(k, str)
    }
    missing = [column for column in REQUIRED_COLUMNS if not values.get(column)]
    if missing:
        raise AgentError(f"missing value in column {', '.join(missing)}")
    # Check the whole row before enrolling anyone.
    service.get_achievement(values["achievement"])
    parse_assessment_method(values["assessment_method"])
    parse_day(values["assessed_on"])
    email = values.get("email") or None
    participant = service.find_participant_by_email(email) if email else None
    if participant is None:
        participant = service.enrol(
            name=values["name"], email=email, did=values.get("did") or None, actor=actor
        )
    evidence = []
    if values.get("evidence_url") or values.get("evidence_narrative"):
        evidence.append(
            EvidenceItem(
                url=values.get("evidence_url") or None,
                name="Assessment evidence",
                narrative=values.get("evidence_narrative") or None,
            )
        )
    record = service.record_competency(
        participant_id=participant["id"],
        slug=values["achievement"],
        assessment_method=values["assessment_method"],
        assessor=values["assessor"],
        assessed_on=values["assessed_on"],
        evidence=evidence,
        actor=actor,
    )
    return {
        "participantId": participant["id"],
        "credentialId": record["credential"]["id"],
        "awarded": record.get("awarded", []),
    }
