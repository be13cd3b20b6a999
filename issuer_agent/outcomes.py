"""Outcome recording and impact reports: the issuer agent's ``/outcomes`` routes.

Staff record each participant's cohort and completion date and their
employment outcomes (by JSON, by CSV import, or from an employer's signed
employment attestation), store the verification counts verifiers report,
and get aggregate reports as JSON, CSV or HTML. Reports are built by
:mod:`vcwork.outcomes` from the records this module reads out of the
database, and never contain a participant's record.

The tables live on their own ``MetaData`` and are created on first use.
Register the routes with ``app.include_router(router)``.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
import weakref
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from vcwork.badges import stacked_achievement_ids
from vcwork.did import DidResolver
from vcwork.errors import VcworkError
from vcwork.outcomes import (
    DEFAULT_MINIMUM_CELL_SIZE,
    OUTCOME_COLUMNS,
    PROGRAM_COLUMNS,
    CohortDefinition,
    EarnedCredential,
    EmploymentStatus,
    OccupationCodeSystem,
    OutcomeRecord,
    OutcomesInputError,
    OutcomeSource,
    ParticipantRecord,
    build_report,
    outcome_from_row,
    parse_date,
    parse_occupation_code,
    parse_verification_counts_csv,
    read_csv_rows,
    render_csv,
    render_json,
    verify_employment_attestation,
)
from vcwork.status.store import status_entry_table

from .db import achievement_table, credential_table, now_iso, participant_table
from .errors import AgentError, ConflictError, InvalidInputError, NotFoundError
from .keystore import verify_api_key
from .service import IssuerService

__all__ = [
    "MINIMUM_CELL_SIZE_ENV",
    "create_outcomes_router",
    "load_participant_records",
    "outcomes_metadata",
    "router",
]

logger = logging.getLogger(__name__)

# The smallest cell a report may publish. A request can raise it, never lower it.
MINIMUM_CELL_SIZE_ENV = "VCWORK_ISSUER_MIN_CELL_SIZE"

outcomes_metadata = MetaData()

program_table = Table(
    "issuer_outcome_program",
    outcomes_metadata,
    Column("participant_id", String(64), primary_key=True),
    Column("cohort", String(200), nullable=False),
    Column("cohort_start", String(10), nullable=False),
    Column("completed_on", String(10), nullable=True),
    Column("updated", String(32), nullable=False),
)

outcome_table = Table(
    "issuer_outcome",
    outcomes_metadata,
    Column("id", String(64), primary_key=True),
    Column("participant_id", String(64), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("reported_on", String(10), nullable=False),
    Column("start_date", String(10), nullable=True),
    Column("employer", String(300), nullable=True),
    Column("occupation", String(300), nullable=True),
    Column("occupation_code", String(200), nullable=True),
    Column("occupation_code_system", String(16), nullable=True),
    Column("hourly_wage", Float, nullable=True),
    Column("annual_salary", Float, nullable=True),
    # The employer's signed attestation, for outcomes confirmed that way.
    Column("attestation_id", String(2048), nullable=True, unique=True),
    Column("attestation", Text, nullable=True),
    Column("recorded_by", String(200), nullable=False),
    Column("created", String(32), nullable=False),
)

verification_count_table = Table(
    "issuer_verification_count",
    outcomes_metadata,
    Column("credential_id", String(2048), primary_key=True),
    Column("verifications", Integer, nullable=False),
    Column("updated", String(32), nullable=False),
)

_ready_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


# -- request bodies ---------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ProgramIn(_Body):
    """A participant's cohort and completion date."""

    cohort: str = Field(min_length=1, max_length=200)
    cohort_start: date = Field(description="First day of the cohort.")
    completed_on: date | None = Field(
        None, description="Completion date; omit while the participant is enrolled."
    )


class OutcomeIn(_Body):
    """One employment fact about a participant, with its source and date."""

    status: EmploymentStatus
    source: OutcomeSource
    reported_on: date = Field(description="When the program learned the fact.")
    start_date: date | None = Field(None, description="Required for a placement.")
    employer: str | None = Field(None, max_length=300)
    occupation: str | None = Field(None, max_length=300)
    occupation_code: str | None = Field(
        None, max_length=200, description="An O*NET-SOC or ESCO occupation code."
    )
    occupation_code_system: OccupationCodeSystem | None = None
    hourly_wage: float | None = Field(None, gt=0)
    annual_salary: float | None = Field(None, gt=0)


class VerificationCountIn(_Body):
    credential_id: str = Field(alias="credentialId", min_length=1, max_length=2048)
    verifications: int = Field(ge=0, le=10**9)


class VerificationCountsIn(_Body):
    """Running totals of verifications per credential, as a verifier reports them."""

    counts: list[VerificationCountIn] = Field(max_length=100_000)


# -- helpers ------------------------------------------------------------------------


def _service(request: Request) -> IssuerService:
    service = getattr(request.app.state, "service", None)
    if service is None:  # pragma: no cover - the lifespan sets it before any request
        raise StarletteHTTPException(503, "the issuer agent is starting")
    _ensure_tables(service.database.engine)
    return service  # type: ignore[no-any-return]


def _ensure_tables(engine: Engine) -> None:
    if engine in _ready_engines:
        return
    outcomes_metadata.create_all(engine)
    _ready_engines.add(engine)


def _staff(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> str:
    """Return the name of the caller's API key, or raise 401 Unauthorized."""
    token = None
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
    service = _service(request)
    actor = verify_api_key(service.database, token) if token else None
    if actor is None:
        raise StarletteHTTPException(
            401,
            "a valid API key is required: send 'Authorization: Bearer <key>'; "
            "create one with 'vcwork issuer create-api-key'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return str(actor)


Staff = Annotated[str, Depends(_staff)]


def _participant_exists(service: IssuerService, participant_id: str) -> None:
    with service.database.engine.connect() as connection:
        found = connection.execute(
            select(participant_table.c.id).where(
                participant_table.c.id == participant_id
            )
        ).first()
    if found is None:
        raise NotFoundError(f"no participant {participant_id!r}")


def _outcome_row(outcome: OutcomeRecord, *, actor: str) -> dict[str, Any]:
    system = outcome.occupation_code_system
    return {
        "id": str(uuid.uuid4()),
        "participant_id": outcome.participant_id,
        "status": outcome.status.value,
        "source": outcome.source.value,
        "reported_on": outcome.reported_on.isoformat(),
        "start_date": outcome.start_date.isoformat() if outcome.start_date else None,
        "employer": outcome.employer,
        "occupation": outcome.occupation,
        "occupation_code": outcome.occupation_code,
        "occupation_code_system": system.value if system else None,
        "hourly_wage": outcome.hourly_wage,
        "annual_salary": outcome.annual_salary,
        "recorded_by": actor,
        "created": now_iso(),
    }


def _store_outcome(
    service: IssuerService,
    outcome: OutcomeRecord,
    *,
    actor: str,
    attestation: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    row = _outcome_row(outcome, actor=actor)
    if attestation is not None:
        row["attestation_id"] = attestation.get("id")
        row["attestation"] = json.dumps(attestation)

    def work(connection: Connection) -> None:
        connection.execute(insert(outcome_table).values(**row))

    try:
        service.database.transaction(work)
    except IntegrityError as e:
        raise ConflictError(
            f"employment attestation {row.get('attestation_id')} is already recorded"
        ) from e
    logger.info(
        "outcome %s recorded for participant %s (%s)",
        row["id"],
        outcome.participant_id,
        outcome.source.value,
    )
    return {k: v for k, v in row.items() if k != "attestation"}


def _set_program(
    service: IssuerService,
    participant_id: str,
    *,
    cohort: str,
    cohort_start: date,
    completed_on: date | None,
) -> dict[str, Any]:
    row = {
        "participant_id": participant_id,
        "cohort": cohort.strip(),
        "cohort_start": cohort_start.isoformat(),
        "completed_on": completed_on.isoformat() if completed_on else None,
        "updated": now_iso(),
    }
    if completed_on is not None and completed_on < cohort_start:
        raise InvalidInputError(
            f"completed_on {completed_on} is before cohort_start {cohort_start}"
        )

    def work(connection: Connection) -> None:
        changed = connection.execute(
            update(program_table)
            .where(program_table.c.participant_id == participant_id)
            .values(**row)
        ).rowcount
        if not changed:
            connection.execute(insert(program_table).values(**row))

    service.database.transaction(work)
    return row


def _read_csv_body(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(f"the {what} must be UTF-8 encoded CSV") from None


def _library_error(e: VcworkError) -> InvalidInputError:
    return InvalidInputError(e.detail, extra={"property": e.property})


# -- reading the database into report records ----------------------------------------


def _parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_participant_records(
    service: IssuerService,
) -> tuple[list[ParticipantRecord], dict[str, int], int]:
    """Read every participant with a cohort into records for the measures.

    Returns the records, the verification counts and the number of enrolled
    participants left out because they have no cohort. Revoked credentials
    are left out.
    """
    _ensure_tables(service.database.engine)
    with service.database.engine.connect() as connection:
        achievements = {}
        for row in connection.execute(
            select(
                achievement_table.c.slug,
                achievement_table.c.level,
                achievement_table.c.document,
            )
        ):
            is_pathway = bool(stacked_achievement_ids(json.loads(row.document)))
            achievements[row.slug] = (row.level, is_pathway)
        revoked = set(
            connection.execute(
                select(status_entry_table.c.credential_id).where(
                    status_entry_table.c.status_purpose == "revocation",
                    status_entry_table.c.status != 0,
                )
            ).scalars()
        )
        credentials: dict[str, list[EarnedCredential]] = {}
        for credential_row in connection.execute(
            select(
                credential_table.c.id,
                credential_table.c.participant_id,
                credential_table.c.achievement_slug,
                credential_table.c.created,
            ).where(credential_table.c.participant_id.is_not(None))
        ):
            if credential_row.id in revoked or credential_row.achievement_slug is None:
                continue
            level, is_pathway = achievements.get(
                credential_row.achievement_slug, (None, False)
            )
            credentials.setdefault(credential_row.participant_id, []).append(
                EarnedCredential(
                    credential_id=credential_row.id,
                    achievement=credential_row.achievement_slug,
                    level=level,
                    pathway=is_pathway,
                    issued_on=date.fromisoformat(credential_row.created[:10]),
                )
            )
        outcomes: dict[str, list[OutcomeRecord]] = {}
        for row in connection.execute(select(outcome_table)):
            outcomes.setdefault(row.participant_id, []).append(
                _outcome_from_db(dict(row._mapping))
            )
        records = [
            ParticipantRecord(
                participant_id=row.participant_id,
                cohort=row.cohort,
                cohort_start=date.fromisoformat(row.cohort_start),
                completed_on=_parse_day(row.completed_on),
                credentials=tuple(credentials.get(row.participant_id, ())),
                outcomes=tuple(outcomes.get(row.participant_id, ())),
            )
            for row in connection.execute(select(program_table))
        ]
        enrolled = len(connection.execute(select(participant_table.c.id)).all())
        counts = dict(
            connection.execute(
                select(
                    verification_count_table.c.credential_id,
                    verification_count_table.c.verifications,
                )
            ).all()
        )
    return records, counts, max(0, enrolled - len(records))


def _outcome_from_db(row: Mapping[str, Any]) -> OutcomeRecord:
    system = row["occupation_code_system"]
    return OutcomeRecord(
        participant_id=row["participant_id"],
        status=EmploymentStatus(row["status"]),
        source=OutcomeSource(row["source"]),
        reported_on=date.fromisoformat(row["reported_on"]),
        start_date=_parse_day(row["start_date"]),
        employer=row["employer"],
        occupation=row["occupation"],
        occupation_code=row["occupation_code"],
        occupation_code_system=OccupationCodeSystem(system) if system else None,
        hourly_wage=row["hourly_wage"],
        annual_salary=row["annual_salary"],
    )


def _minimum_from_env() -> int:
    text = os.environ.get(MINIMUM_CELL_SIZE_ENV)
    if not text:
        return DEFAULT_MINIMUM_CELL_SIZE
    try:
        value = int(text)
    except ValueError:
        raise ValueError(
            f"{MINIMUM_CELL_SIZE_ENV} must be a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise ValueError(f"{MINIMUM_CELL_SIZE_ENV} must be at least 1, got {value}")
    return value


# -- routes ---------------------------------------------------------------------------


def create_outcomes_router(*, minimum_cell_size: int | None = None) -> APIRouter:
    """Build the ``/outcomes`` routes.

    ``minimum_cell_size`` is the smallest group a report publishes (default:
    ``VCWORK_ISSUER_MIN_CELL_SIZE`` or 10). A report request may ask for a
    larger minimum, never a smaller one.
    """
    floor = minimum_cell_size if minimum_cell_size is not None else _minimum_from_env()
    router = APIRouter(prefix="/outcomes", tags=["outcomes"])

    @router.put("/participants/{participant_id}/program")
    def set_program(
        participant_id: str, body: ProgramIn, request: Request, _actor: Staff
    ) -> dict[str, Any]:
        service = _service(request)
        _participant_exists(service, participant_id)
        return _set_program(
            service,
            participant_id,
            cohort=body.cohort,
            cohort_start=body.cohort_start,
            completed_on=body.completed_on,
        )

    @router.post("/participants/{participant_id}/outcomes", status_code=201)
    def record_outcome(
        participant_id: str, body: OutcomeIn, request: Request, actor: Staff
    ) -> dict[str, Any]:
        service = _service(request)
        _participant_exists(service, participant_id)
        values = body.model_dump()
        try:
            if body.occupation_code is not None:
                code, system = parse_occupation_code(
                    body.occupation_code,
                    body.occupation_code_system.value
                    if body.occupation_code_system
                    else None,
                )
                values["occupation_code"] = code
                values["occupation_code_system"] = system
            outcome = OutcomeRecord(participant_id=participant_id, **values)
        except VcworkError as e:
            raise _library_error(e) from e
        return _store_outcome(service, outcome, actor=actor)

    @router.get("/participants/{participant_id}/outcomes")
    def list_outcomes(
        participant_id: str, request: Request, _actor: Staff
    ) -> dict[str, Any]:
        service = _service(request)
        _participant_exists(service, participant_id)
        with service.database.engine.connect() as connection:
            rows = connection.execute(
                select(outcome_table)
                .where(outcome_table.c.participant_id == participant_id)
                .order_by(outcome_table.c.reported_on, outcome_table.c.created)
            ).all()
            program = connection.execute(
                select(program_table).where(
                    program_table.c.participant_id == participant_id
                )
            ).first()
        return {
            "participantId": participant_id,
            "program": dict(program._mapping) if program else None,
            "outcomes": [
                {k: v for k, v in row._mapping.items() if k != "attestation"}
                for row in rows
            ],
        }

    @router.post("/import")
    async def import_outcomes(request: Request, actor: Staff) -> dict[str, Any]:
        """Import outcomes from a CSV body; one result per row (row 2 is the first)."""
        service = _service(request)
        text = _read_csv_body(await request.body(), "outcomes file")
        try:
            rows = read_csv_rows(
                text,
                required=("status", "source", "reported_on"),
                allowed=OUTCOME_COLUMNS + PROGRAM_COLUMNS,
            )
        except VcworkError as e:
            raise _library_error(e) from e
        results = [
            _import_row(service, number, values, actor=actor) for number, values in rows
        ]
        failed = sum(1 for r in results if not r["ok"])
        return {
            "rows": len(results),
            "recorded": len(results) - failed,
            "failed": failed,
            "results": results,
        }

    @router.post("/employment-attestations", status_code=201)
    async def record_attestation(request: Request, actor: Staff) -> dict[str, Any]:
        """Verify an employer's signed employment attestation and record it."""
        service = _service(request)
        credential = await _json_object(request)
        resolver = (
            getattr(request.app.state, "outcomes_resolver", None) or DidResolver()
        )
        attestation = verify_employment_attestation(credential, resolver=resolver)
        if not attestation.verified:
            raise InvalidInputError(
                "the employment attestation does not verify: "
                + "; ".join(p.detail for p in attestation.problems[:5]),
                extra={"problems": [p.to_json() for p in attestation.problems[:20]]},
            )
        participant_id = _participant_for_subject(service, attestation.subject_id or "")
        outcome = attestation.to_outcome(participant_id)
        stored = _store_outcome(service, outcome, actor=actor, attestation=credential)
        stored["employerId"] = attestation.employer_id
        return stored

    @router.post("/verification-counts")
    async def store_verification_counts(
        request: Request, _actor: Staff
    ) -> dict[str, Any]:
        """Store verification totals per credential, from JSON or a ``text/csv`` body.

        Each count replaces the stored one, because it is the verifier's
        running total.
        """
        service = _service(request)
        content_type = request.headers.get("content-type", "")
        errors: list[dict[str, Any]] = []
        if content_type.startswith("text/csv"):
            text = _read_csv_body(await request.body(), "verification counts file")
            try:
                counts, row_errors = parse_verification_counts_csv(text)
            except VcworkError as e:
                raise _library_error(e) from e
            errors = [e.to_json() for e in row_errors]
        else:
            try:
                body = VerificationCountsIn.model_validate(await _json_object(request))
            except ValueError as e:
                raise InvalidInputError(
                    'the body must be {"counts": [{"credentialId": ..., '
                    f'"verifications": n}}]}}: {e}'
                ) from None
            counts = {c.credential_id: c.verifications for c in body.counts}
        _upsert_counts(service, counts)
        return {"stored": len(counts), "failed": len(errors), "errors": errors}

    @router.get("/report")
    def report(
        request: Request,
        _actor: Staff,
        format: Literal["json", "csv", "html"] = "json",
        cohort: Annotated[list[str] | None, Query()] = None,
        completed_from: date | None = None,
        completed_to: date | None = None,
        as_of: date | None = None,
        follow_up_days: Annotated[int, Query(ge=0, le=3660)] = 180,
        min_cell_size: Annotated[int | None, Query(ge=1)] = None,
        cohort_date: date | None = None,
        pathway: Annotated[list[str] | None, Query()] = None,
    ) -> Response:
        """Build an aggregate outcomes report; small cells are suppressed."""
        service = _service(request)
        minimum = max(floor, min_cell_size or floor)
        try:
            definition = CohortDefinition(
                as_of=as_of or datetime.now(UTC).date(),
                cohorts=tuple(cohort or ()),
                completed_from=completed_from,
                completed_to=completed_to,
                follow_up_days=follow_up_days,
            )
        except OutcomesInputError as e:
            raise _library_error(e) from e
        records, counts, without_cohort = load_participant_records(service)
        sources = [
            f"Issuer agent {service.did}: participants, cohorts and completion "
            "dates; credentials issued (revoked ones left out)",
            "Employment outcomes recorded by program staff, with their sources: "
            "participant self-report, employer confirmation (signed employment "
            "attestations), wage records",
            "Verification counts per credential reported by verifiers (counts only)",
        ]
        if without_cohort:
            sources.append(
                f"{without_cohort} enrolled participants have no cohort recorded "
                "and are not covered"
            )
        built = build_report(
            records,
            definition=definition,
            verification_counts=counts,
            pathways=pathway,
            cohort_date=cohort_date,
            minimum_cell_size=minimum,
            program=service.settings.program_name,
            data_sources=sources,
        )
        if format == "csv":
            return Response(render_csv(built), media_type="text/csv; charset=utf-8")
        if format == "html":
            from vcwork.outcomes._html import render_html

            return Response(render_html(built), media_type="text/html; charset=utf-8")
        return Response(render_json(built), media_type="application/json")

    return router


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        raise AgentError("the request body is empty; send a JSON object")
    try:
        body = json.loads(raw)
    except RecursionError:
        raise AgentError("the request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise AgentError(f"the request body is not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise AgentError("the request body must be a JSON object")
    return body


def _participant_for_subject(service: IssuerService, subject_id: str) -> str:
    """Find the participant an attestation names: by DID, or by ``urn:uuid:<id>``."""
    with service.database.engine.connect() as connection:
        row = connection.execute(
            select(participant_table.c.id).where(participant_table.c.did == subject_id)
        ).first()
        if row is None and subject_id.startswith("urn:uuid:"):
            row = connection.execute(
                select(participant_table.c.id).where(
                    participant_table.c.id == subject_id.removeprefix("urn:uuid:")
                )
            ).first()
    if row is None:
        raise NotFoundError(
            f"the attestation's subject {subject_id!r} is not a participant of this "
            "program; the subject must be the participant's DID or urn:uuid:<participant id>"
        )
    return str(row.id)


def _import_row(
    service: IssuerService, number: int, values: Mapping[str, str], *, actor: str
) -> dict[str, Any]:
    try:
        participant_id = _participant_for_row(service, values)
        outcome = outcome_from_row(values, participant_id=participant_id)
        if (
            values.get("cohort")
            or values.get("cohort_start")
            or values.get("completed_on")
        ):
            _program_from_row(service, participant_id, values)
        stored = _store_outcome(service, outcome, actor=actor)
    except VcworkError as e:
        result: dict[str, Any] = {"row": number, "ok": False, "error": e.detail}
        if e.property:
            result["column"] = e.property
        logger.info("outcomes import row %d failed: %s", number, e.detail)
        return result
    except AgentError as e:
        logger.info("outcomes import row %d failed: %s", number, e.detail)
        return {"row": number, "ok": False, "error": e.detail}
    return {
        "row": number,
        "ok": True,
        "outcomeId": stored["id"],
        "participantId": participant_id,
    }


def _participant_for_row(service: IssuerService, values: Mapping[str, str]) -> str:
    participant_id = values.get("participant_id")
    if participant_id:
        _participant_exists(service, participant_id)
        return participant_id
    email = values.get("email")
    if not email:
        raise OutcomesInputError(
            "missing value in column participant_id (or email)",
            property="participant_id",
        )
    found = service.find_participant_by_email(email)
    if found is None:
        raise NotFoundError(f"no participant with email {email!r}")
    return str(found["id"])


def _program_from_row(
    service: IssuerService, participant_id: str, values: Mapping[str, str]
) -> None:
    if not values.get("cohort") or not values.get("cohort_start"):
        raise OutcomesInputError(
            "cohort and cohort_start go together; give both or neither",
            property="cohort" if not values.get("cohort") else "cohort_start",
        )
    completed = values.get("completed_on")
    _set_program(
        service,
        participant_id,
        cohort=values["cohort"],
        cohort_start=parse_date(values["cohort_start"], name="cohort_start"),
        completed_on=parse_date(completed, name="completed_on") if completed else None,
    )


def _upsert_counts(service: IssuerService, counts: Mapping[str, int]) -> None:
    now = now_iso()

    def work(connection: Connection) -> None:
        known = set(
            connection.execute(
                select(verification_count_table.c.credential_id)
            ).scalars()
        )
        new = [
            {"credential_id": k, "verifications": v, "updated": now}
            for k, v in counts.items()
            if k not in known
        ]
        if new:
            connection.execute(insert(verification_count_table), new)
        for credential_id, value in counts.items():
            if credential_id in known:
                connection.execute(
                    update(verification_count_table)
                    .where(verification_count_table.c.credential_id == credential_id)
                    .values(verifications=value, updated=now)
                )

    service.database.transaction(work)
    logger.info("stored verification counts for %d credentials", len(counts))


router = create_outcomes_router()
