"""The records file: participants and verification counts as JSON, for ``vcwork report``.

Shape: ``{"participants": [{"participant_id", "cohort", "cohort_start",
"completed_on", "credentials": [...], "outcomes": [...]}],
"verification_counts": {"<credential id>": n}}``, with snake_case names
as in :mod:`vcwork.outcomes` and dates as YYYY-MM-DD. The file contains
individual records, so keep it where the program keeps participant data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import VcworkError
from ._records import (
    EarnedCredential,
    EmploymentStatus,
    OccupationCodeSystem,
    OutcomeRecord,
    OutcomesInputError,
    OutcomeSource,
    ParticipantRecord,
    parse_date,
)

__all__ = ["load_records", "records_to_json"]


def records_to_json(
    participants: Iterable[ParticipantRecord],
    verification_counts: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    return {
        "participants": [_participant_json(p) for p in participants],
        "verification_counts": dict(verification_counts or {}),
    }


def _participant_json(participant: ParticipantRecord) -> dict[str, Any]:
    return {
        "participant_id": participant.participant_id,
        "cohort": participant.cohort,
        "cohort_start": participant.cohort_start.isoformat(),
        "completed_on": (
            participant.completed_on.isoformat() if participant.completed_on else None
        ),
        "credentials": [
            {
                "credential_id": c.credential_id,
                "achievement": c.achievement,
                "level": c.level,
                "pathway": c.pathway,
                "issued_on": c.issued_on.isoformat() if c.issued_on else None,
            }
            for c in participant.credentials
        ],
        "outcomes": [
            {k: v for k, v in o.to_json().items() if k != "participant_id"}
            for o in participant.outcomes
        ],
    }


def load_records(
    data: Any,
) -> tuple[list[ParticipantRecord], dict[str, int]]:
    """Read a records file's JSON; raise :class:`OutcomesInputError` naming the bad entry."""
    if not isinstance(data, dict) or not isinstance(data.get("participants"), list):
        raise OutcomesInputError(
            "the records file must be a JSON object with a 'participants' list"
        )
    participants = []
    for index, item in enumerate(data["participants"]):
        where = f"participants[{index}]"
        try:
            participants.append(_participant(item))
        except VcworkError as e:
            raise OutcomesInputError(
                f"{where}: {e.detail}",
                property=f"{where}.{e.property or ''}".rstrip("."),
            ) from e
        except (KeyError, TypeError, ValueError) as e:
            raise OutcomesInputError(
                f"{where}: missing or invalid value ({type(e).__name__}: {e})",
                property=where,
            ) from e
    counts = data.get("verification_counts") or {}
    if not isinstance(counts, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for v in counts.values()
    ):
        raise OutcomesInputError(
            "verification_counts must map credential ids to whole numbers of 0 or more",
            property="verification_counts",
        )
    return participants, {str(k): int(v) for k, v in counts.items()}


def _participant(item: Any) -> ParticipantRecord:
    if not isinstance(item, dict):
        raise OutcomesInputError("a participant must be a JSON object")
    participant_id = str(item["participant_id"])
    completed = item.get("completed_on")
    return ParticipantRecord(
        participant_id=participant_id,
        cohort=str(item["cohort"]),
        cohort_start=parse_date(item.get("cohort_start"), name="cohort_start"),
        completed_on=parse_date(completed, name="completed_on") if completed else None,
        credentials=tuple(
            EarnedCredential(
                credential_id=str(c["credential_id"]),
                achievement=str(c["achievement"]),
                level=c.get("level"),
                pathway=bool(c.get("pathway", False)),
                issued_on=(
                    parse_date(c["issued_on"], name="issued_on")
                    if c.get("issued_on")
                    else None
                ),
            )
            for c in item.get("credentials", [])
        ),
        outcomes=tuple(_outcome(participant_id, o) for o in item.get("outcomes", [])),
    )


def _outcome(participant_id: str, item: Mapping[str, Any]) -> OutcomeRecord:
    system = item.get("occupation_code_system")
    start = item.get("start_date")
    return OutcomeRecord(
        participant_id=participant_id,
        status=EmploymentStatus(item["status"]),
        source=OutcomeSource(item["source"]),
        reported_on=parse_date(item.get("reported_on"), name="reported_on"),
        start_date=parse_date(start, name="start_date") if start else None,
        employer=item.get("employer"),
        occupation=item.get("occupation"),
        occupation_code=item.get("occupation_code"),
        occupation_code_system=OccupationCodeSystem(system) if system else None,
        hourly_wage=item.get("hourly_wage"),
        annual_salary=item.get("annual_salary"),
    )
