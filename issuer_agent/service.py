"""The issuer's work: catalog, participants, competency records, issuing and status.

Each public method is one unit of work. Signing happens before the
database transaction that records the credential, so a failure leaves no
half-issued credential: either the credential row, its competency record
and its audit line are all written, or none is. A status list entry may be
allocated for a credential that then fails to sign; that index stays unused.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from vcwork.badges import (
    Achievement,
    AchievementSubject,
    Alignment,
    AssessmentMethod,
    CompetencyStatement,
    Criteria,
    Evidence,
    Profile,
    Related,
    achievement_level,
    level_alignment,
    open_badge_credential,
    stacked_achievement_ids,
    validate_endorsement_credential,
    validate_open_badge_credential,
)
from vcwork.badges.catalog import (
    CERTIFICATE_SLUG,
    construction_pre_apprenticeship_catalog,
)
from vcwork.credentials import (
    CredentialValidationError,
    issue_credential,
    validate_credential,
    verify_credential,
)
from vcwork.did import DidResolver, url_to_did_web
from vcwork.errors import VcworkError
from vcwork.status import StatusListStore

from .anchoring import AnchorService
from .db import (
    Database,
    achievement_table,
    audit_table,
    competency_record_table,
    credential_table,
    endorsement_table,
    now_iso,
    participant_table,
)
from .errors import ConflictError, InvalidInputError, NotFoundError
from .keystore import IssuerKeys, load_key_encryption_key
from .settings import Settings

__all__ = [
    "AchievementDefinition",
    "EvidenceItem",
    "IssuerService",
    "parse_assessment_method",
    "parse_day",
]

logger = logging.getLogger(__name__)

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"


@dataclass(frozen=True, kw_only=True)
class AchievementDefinition:
    """A staff request to define an achievement; ``parts`` are the slugs it stacks."""

    slug: str
    name: str
    description: str
    level: str
    can_do: Sequence[str] = ()
    assessment_method: str | None = None
    assessment_details: str | None = None
    context: str | None = None
    criteria_narrative: str | None = None
    achievement_type: str | None = None
    alignments: Sequence[Mapping[str, str]] = ()
    parts: Sequence[str] = ()
    auto_award: bool = False
    tags: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class EvidenceItem:
    url: str | None = None
    name: str | None = None
    narrative: str | None = None


class IssuerService:
    """The issuer agent's operations over its database and the vcwork library."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self.did = url_to_did_web(self.base_url)
        self.database = Database(settings.resolved_database_url)
        kek = load_key_encryption_key(settings.data_dir, settings.passphrase_env)
        self.keys = IssuerKeys(self.database, did=self.did, kek=kek)
        self.status_store = StatusListStore(
            settings.resolved_database_url,
            list_base_url=f"{self.base_url}/status",
            key_pair=self.keys.current,
        )
        self.anchoring = AnchorService(
            self.database,
            log_id=self.did,
            signing_key=self._signing_key,
            max_batch_size=settings.anchor_batch_size,
            max_batch_age=timedelta(seconds=settings.anchor_batch_age),
        )
        self.profile = Profile(
            id=self.did, name=settings.program_name, url=self.base_url
        )
        if settings.seed_catalog:
            self._seed_catalog()

    def close(self) -> None:
        self.anchoring.close()
        self.status_store.close()
        self.database.close()

    def rotate_key(self) -> str:
        key_id = self.keys.rotate()
        self.status_store.key_pair = self.keys.current
        return key_id

    def _signing_key(self) -> Any:
        # Another replica may have rotated the key since this one started.
        self.keys.reload()
        self.status_store.key_pair = self.keys.current
        return self.keys.current

    # -- catalog -------------------------------------------------------------

    def _seed_catalog(self) -> None:
        with self.database.engine.connect() as connection:
            if connection.execute(select(achievement_table.c.slug).limit(1)).first():
                return
        catalog = construction_pre_apprenticeship_catalog(issuer_base=self.base_url)
        rows = []
        for entry in catalog:
            method = entry.assessment_method
            rows.append(
                {
                    "slug": entry.slug,
                    "achievement_id": entry.achievement.id,
                    "level": entry.level.value,
                    "assessment_method": method.value if method else None,
                    "auto_award": entry.slug == CERTIFICATE_SLUG,
                    "document": json.dumps(entry.achievement.to_json()),
                    "created": now_iso(),
                }
            )

        def work(connection: Connection) -> None:
            connection.execute(insert(achievement_table), rows)

        try:
            self.database.transaction(work)
        except IntegrityError:
            logger.debug("catalog already seeded by another process")
            return
        logger.info("seeded the catalog with %d achievements", len(rows))

    def define_achievement(
        self, definition: AchievementDefinition, *, actor: str
    ) -> dict[str, Any]:
        """Build an Open Badges 3.0 Achievement from a definition and add it to the catalog."""
        slug = definition.slug
        if (
            not slug
            or not all(c.isalnum() or c == "-" for c in slug)
            or len(slug) > 100
        ):
            raise InvalidInputError(
                f"slug {slug!r} must be 1-100 letters, digits or '-'; it becomes "
                "part of the achievement's URL"
            )
        achievement_id = f"{self.base_url}/achievements/{slug}"
        part_ids = [
            self._achievement_row(part)["achievement_id"] for part in definition.parts
        ]
        try:
            achievement = _build_achievement(
                definition,
                achievement_id,
                part_ids,
                levels_url=f"{self.base_url}/levels",
            )
        except VcworkError as e:
            raise InvalidInputError(e.detail, extra={"property": e.property}) from e
        row = {
            "slug": slug,
            "achievement_id": achievement_id,
            "level": definition.level,
            "assessment_method": definition.assessment_method,
            "auto_award": bool(definition.auto_award and part_ids),
            "document": json.dumps(achievement.to_json()),
            "created": now_iso(),
        }

        def work(connection: Connection) -> None:
            connection.execute(insert(achievement_table).values(**row))
            _audit(connection, actor, "define-achievement", None, slug)

        try:
            self.database.transaction(work)
        except IntegrityError as e:
            raise ConflictError(
                f"an achievement with slug {slug!r} already exists; choose another slug"
            ) from e
        return self.get_achievement(slug)

    def _achievement_row(self, slug: str) -> dict[str, Any]:
        with self.database.engine.connect() as connection:
            row = connection.execute(
                select(achievement_table).where(achievement_table.c.slug == slug)
            ).first()
        if row is None:
            raise NotFoundError(
                f"no achievement {slug!r} in the catalog; GET /catalog lists the slugs"
            )
        return dict(row._mapping)

    def list_achievements(self) -> list[dict[str, Any]]:
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                select(achievement_table).order_by(
                    achievement_table.c.created, achievement_table.c.slug
                )
            ).all()
        entries = [self._catalog_entry(dict(row._mapping)) for row in rows]
        # Entry level first, so a pathway follows its parts.
        order = {"entry": 0, "intermediate": 1, "advanced": 2}
        return sorted(entries, key=lambda e: order.get(str(e["level"]), 3))

    def get_achievement(self, slug: str) -> dict[str, Any]:
        return self._catalog_entry(self._achievement_row(slug))

    def _catalog_entry(self, row: Mapping[str, Any]) -> dict[str, Any]:
        achievement = json.loads(row["document"])
        return {
            "slug": row["slug"],
            "level": row["level"] or achievement_level(achievement),
            "assessmentMethod": row["assessment_method"],
            "autoAward": bool(row["auto_award"]),
            "credentialConfigurationId": row["slug"],
            "achievement": achievement,
            "associations": _clr_associations(achievement),
            "endorsements": self.endorsements_for(row["achievement_id"]),
        }

    # -- participants --------------------------------------------------------

    def enrol(
        self, *, name: str, email: str | None, did: str | None, actor: str
    ) -> dict[str, Any]:
        if not name.strip():
            raise InvalidInputError("name must not be empty")
        if did is not None and not did.startswith("did:"):
            raise InvalidInputError(
                f"did must be a DID such as did:key:z6Mk..., got {did!r}"
            )
        participant = {
            "id": str(uuid.uuid4()),
            "name": name.strip(),
            "email": email.strip().lower() if email else None,
            "did": did,
            "created": now_iso(),
        }

        def work(connection: Connection) -> None:
            connection.execute(insert(participant_table).values(**participant))
            _audit(connection, actor, "enrol", None, participant["id"])

        try:
            self.database.transaction(work)
        except IntegrityError as e:
            raise ConflictError(
                f"a participant with email {participant['email']!r} is already enrolled"
            ) from e
        return participant

    def get_participant(self, participant_id: str) -> dict[str, Any]:
        with self.database.engine.connect() as connection:
            row = connection.execute(
                select(participant_table).where(
                    participant_table.c.id == participant_id
                )
            ).first()
            if row is None:
                raise NotFoundError(f"no participant {participant_id!r}")
            credentials = connection.execute(
                select(credential_table.c.id, credential_table.c.achievement_slug)
                .where(credential_table.c.participant_id == participant_id)
                .order_by(credential_table.c.created)
            ).all()
        participant = dict(row._mapping)
        participant["credentials"] = [
            {
                "id": c.id,
                "achievement": c.achievement_slug,
                "status": self.credential_status(c.id),
            }
            for c in credentials
        ]
        return participant

    def find_participant_by_email(self, email: str) -> dict[str, Any] | None:
        with self.database.engine.connect() as connection:
            row = connection.execute(
                select(participant_table).where(
                    participant_table.c.email == email.strip().lower()
                )
            ).first()
        return None if row is None else dict(row._mapping)

    # -- issuing -------------------------------------------------------------

    def record_competency(
        self,
        *,
        participant_id: str,
        slug: str,
        assessment_method: str,
        assessor: str,
        assessed_on: date | str,
        evidence: Sequence[EvidenceItem] = (),
        actor: str,
        auto_award: bool = True,
    ) -> dict[str, Any]:
        """Record a demonstrated competency and issue its signed OpenBadgeCredential.

        Returns the record with the credential. Then awards every pathway
        whose parts the participant now holds, when the pathway allows it.
        """
        participant = self.get_participant(participant_id)
        row = self._achievement_row(slug)
        method = parse_assessment_method(assessment_method)
        if not assessor.strip():
            raise InvalidInputError("assessor must name who assessed the competency")
        day = parse_day(assessed_on)
        evidence_objects = [
            _evidence(item, index) for index, item in enumerate(evidence)
        ]
        evidence_objects.append(
            Evidence(
                name=f"{method.label} by {assessor.strip()}",
                narrative=(
                    f"{method.label} on {day.isoformat()}, assessed by {assessor.strip()}."
                ),
                genre=method.label,
            )
        )
        credential = self._issue_badge(participant, row, evidence_objects, day)
        record = {
            "id": str(uuid.uuid4()),
            "participant_id": participant_id,
            "achievement_slug": slug,
            "assessment_method": method.value,
            "assessor": assessor.strip(),
            "assessed_on": day.isoformat(),
            "evidence": json.dumps([e.to_json() for e in evidence_objects]),
            "credential_id": credential["id"],
            "created": now_iso(),
        }

        def work(connection: Connection) -> None:
            connection.execute(insert(competency_record_table).values(**record))
            self._insert_credential(connection, credential, participant_id, slug, actor)

        try:
            self.database.transaction(work)
        except IntegrityError as e:
            raise ConflictError(
                f"participant {participant_id} already has a record for {slug!r}; "
                "revoke its credential before recording it again"
            ) from e
        # Not queued for anchoring yet: a badge is anchored when the holder
        # receives it (rebind_credential), because OpenID4VCI re-signs it then.
        result = {
            **record,
            "evidence": json.loads(record["evidence"]),
            "credential": credential,
        }
        if auto_award:
            result["awarded"] = self.award_pathways(participant_id, actor=actor)
        return result

    def _issue_badge(
        self,
        participant: Mapping[str, Any],
        row: Mapping[str, Any],
        evidence: Sequence[Evidence],
        day: date,
        credential_id: str | None = None,
    ) -> dict[str, Any]:
        achievement_json = json.loads(row["document"])
        credential_id = credential_id or f"urn:uuid:{uuid.uuid4()}"
        subject_id = participant.get("did") or f"urn:uuid:{participant['id']}"
        # The builder needs an Achievement; the stored JSON replaces it below so
        # the credential carries exactly the catalog's achievement.
        placeholder = Achievement(
            id=achievement_json["id"],
            name=achievement_json["name"],
            description=achievement_json["description"],
            criteria=Criteria(narrative="-"),
        )
        status_entry = self.status_store.allocate(credential_id)
        unsigned = open_badge_credential(
            id=credential_id,
            issuer=self.profile,
            subject=AchievementSubject(
                id=subject_id,
                achievement=placeholder,
                evidence=evidence,
                activity_end_date=datetime(day.year, day.month, day.day, tzinfo=UTC),
            ),
            valid_from=datetime.now(UTC).replace(microsecond=0),
            credential_status=status_entry.to_json(),
        )
        unsigned["credentialSubject"]["achievement"] = achievement_json
        problems = validate_open_badge_credential(unsigned)
        if problems:
            raise InvalidInputError(
                "the credential would not be a valid OpenBadgeCredential: "
                + "; ".join(f"{p.property}: {p.detail}" for p in problems[:5])
            )
        return issue_credential(unsigned, self._signing_key())

    def _insert_credential(
        self,
        connection: Connection,
        credential: Mapping[str, Any],
        participant_id: str | None,
        slug: str | None,
        actor: str,
    ) -> None:
        now = now_iso()
        connection.execute(
            insert(credential_table).values(
                id=credential["id"],
                participant_id=participant_id,
                achievement_slug=slug,
                document=json.dumps(credential),
                status="issued",
                created=now,
                updated=now,
            )
        )
        _audit(connection, actor, "issue", str(credential["id"]), slug)

    def _add_to_anchor_batch(self) -> None:
        """Hand the credentials queued for anchoring to the batcher.

        A failure is logged and not raised: the credential is recorded and
        delivered, and its queue row stays for the next flush.
        """
        try:
            self.anchoring.flush_queue()
        except (SQLAlchemyError, VcworkError) as e:
            logger.error(
                "adding delivered credentials to the anchor batch failed; the next "
                "close retries: %s",
                e,
            )

    def award_pathways(self, participant_id: str, *, actor: str) -> list[str]:
        """Issue each auto-award pathway whose parts the participant has earned and not lost to revocation.

        Returns the ids of the credentials issued.
        """
        participant = self.get_participant(participant_id)
        earned = {
            c["achievement"]
            for c in participant["credentials"]
            if c["status"] in ("active", "suspended")
        }
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                select(achievement_table).where(
                    achievement_table.c.auto_award.is_(True)
                )
            ).all()
            slugs_by_id = dict(
                connection.execute(
                    select(achievement_table.c.achievement_id, achievement_table.c.slug)
                ).all()
            )
        issued = []
        for row in rows:
            pathway = dict(row._mapping)
            if pathway["slug"] in {
                c["achievement"] for c in participant["credentials"]
            }:
                continue
            part_slugs = [
                slugs_by_id.get(part_id)
                for part_id in stacked_achievement_ids(json.loads(pathway["document"]))
            ]
            if not part_slugs or not all(s in earned for s in part_slugs):
                continue
            evidence = [
                Evidence(
                    name="Pathway completed",
                    narrative="Earned every part of the pathway: "
                    + ", ".join(str(s) for s in part_slugs)
                    + ".",
                )
            ]
            credential = self._issue_badge(
                participant, pathway, evidence, datetime.now(UTC).date()
            )

            def work(
                connection: Connection,
                credential: dict[str, Any] = credential,
                slug: str = pathway["slug"],
            ) -> None:
                self._insert_credential(
                    connection, credential, participant_id, slug, actor
                )

            try:
                self.database.transaction(work)
            except IntegrityError:
                logger.info(
                    "pathway %s already awarded to %s", pathway["slug"], participant_id
                )
                continue
            issued.append(str(credential["id"]))
            logger.info(
                "awarded pathway %s to participant %s", pathway["slug"], participant_id
            )
        return issued

    def issue_vc_api(
        self, credential: object, options: object, *, actor: str
    ) -> dict[str, Any]:
        """Issue a credential sent to the VC-API ``/credentials/issue`` endpoint.

        The issuer is set to this agent's DID, an id is added when missing, and
        revocation and suspension entries on this agent's status lists are
        added. A credential that brings its own ``proof`` or
        ``credentialStatus`` is rejected: the agent would sign a status it
        cannot change, or keep a proof it did not make.
        """
        if not isinstance(credential, dict):
            raise InvalidInputError("credential must be a JSON object")
        for reserved in ("proof", "credentialStatus"):
            if reserved in credential:
                raise InvalidInputError(
                    f"the credential to issue must not have {reserved!r}: the issuer "
                    "adds its own proof and status entries; remove the property"
                )
        if options is not None and not isinstance(options, dict):
            raise InvalidInputError("options must be a JSON object")
        document = dict(credential)
        contexts = document.get("@context")
        if (
            not isinstance(contexts, list)
            or not contexts
            or contexts[0] not in (VC_V2_CONTEXT, VC_V1_CONTEXT)
        ):
            raise InvalidInputError(
                f"@context must be an array starting with {VC_V2_CONTEXT!r}, got {contexts!r}"[
                    :300
                ]
            )
        issuer = document.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        if issuer_id not in (None, self.did):
            raise InvalidInputError(
                f"issuer {issuer_id!r} is not this agent's DID {self.did}; leave it "
                "out or set it to that DID"
            )
        if isinstance(issuer, dict):
            document["issuer"] = {**issuer, "id": self.did}
        else:
            document["issuer"] = self.did
        options = options or {}
        if "id" not in document:
            credential_id = options.get("credentialId")
            document["id"] = (
                credential_id
                if isinstance(credential_id, str) and ":" in credential_id
                else f"urn:uuid:{uuid.uuid4()}"
            )
        if "validFrom" not in document and contexts[0] == VC_V2_CONTEXT:
            document["validFrom"] = now_iso()
        problems = validate_credential(document)
        if problems:
            raise InvalidInputError(
                "the credential is not valid: "
                + "; ".join(f"{p.property}: {p.detail}" for p in problems[:5]),
                extra={"problems": [p.to_json() for p in problems]},
            )
        credential_id = str(document["id"])
        with self.database.engine.connect() as connection:
            if connection.execute(
                select(credential_table.c.id).where(
                    credential_table.c.id == credential_id
                )
            ).first():
                raise ConflictError(
                    f"a credential with id {credential_id!r} was already issued"
                )
        if "credentialStatus" not in document:
            revocation = self.status_store.allocate(credential_id)
            suspension = self.status_store.allocate(
                credential_id, status_purpose="suspension"
            )
            document["credentialStatus"] = [revocation.to_json(), suspension.to_json()]
        try:
            signed = issue_credential(document, self._signing_key())
        except CredentialValidationError as e:
            raise InvalidInputError(e.detail) from e
        except VcworkError as e:
            raise InvalidInputError(
                f"the credential cannot be signed: {e.detail}"
            ) from e

        def work(connection: Connection) -> None:
            self._insert_credential(connection, signed, None, None, actor)
            # The response delivers this document, so it is the one anchored.
            self.anchoring.queue(connection, signed)

        try:
            self.database.transaction(work)
        except IntegrityError as e:
            raise ConflictError(
                f"a credential with id {credential_id!r} was already issued"
            ) from e
        self._add_to_anchor_batch()
        return signed

    def rebind_credential(
        self, credential_id: str, holder: str, *, actor: str
    ) -> dict[str, Any]:
        """Re-sign a badge for the holder DID proven in an OpenID4VCI key proof.

        The credential keeps its id and status entry; the stored document is
        replaced, and the participant's DID is recorded. The returned
        document is the one delivered, so it is queued for anchoring. Raises
        :class:`ConflictError` when the credential was delivered to another
        key before, because one credential id has one anchored document.
        """
        document, participant_id, _slug = self.get_credential_row(credential_id)
        subject = document.get("credentialSubject", {})
        if subject.get("id") == holder:

            def queue(connection: Connection) -> None:
                self.anchoring.queue(connection, document)

            self.database.transaction(queue)
            self._add_to_anchor_batch()
            return document
        if self.anchoring.is_delivered(credential_id):
            raise ConflictError(
                f"credential {credential_id} was already delivered to another wallet "
                "key; revoke it and issue a new credential for this wallet"
            )
        if participant_id is None:
            raise ConflictError(
                f"credential {credential_id} has no participant and cannot be bound "
                "to a wallet key"
            )
        unsigned = {k: v for k, v in document.items() if k != "proof"}
        unsigned["credentialSubject"] = {**subject, "id": holder}
        signed = issue_credential(unsigned, self._signing_key())

        def work(connection: Connection) -> None:
            connection.execute(
                credential_table.update()
                .where(credential_table.c.id == credential_id)
                .values(document=json.dumps(signed), updated=now_iso())
            )
            connection.execute(
                participant_table.update()
                .where(participant_table.c.id == participant_id)
                .values(did=holder)
            )
            _audit(connection, actor, "bind-holder", credential_id, holder)
            self.anchoring.queue(connection, signed)

        try:
            self.database.transaction(work)
        except IntegrityError as e:
            # Two wallets redeemed offers for this credential at the same time.
            raise ConflictError(
                f"credential {credential_id} was delivered to another wallet key at "
                "the same time; revoke it and issue a new credential for this wallet"
            ) from e
        self._add_to_anchor_batch()
        return signed

    def get_credential_row(
        self, credential_id: str
    ) -> tuple[dict[str, Any], str | None, str | None]:
        with self.database.engine.connect() as connection:
            row = connection.execute(
                select(credential_table).where(credential_table.c.id == credential_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no credential {credential_id!r} was issued here")
        return json.loads(row.document), row.participant_id, row.achievement_slug

    def get_credential(self, credential_id: str) -> dict[str, Any]:
        document, participant_id, slug = self.get_credential_row(credential_id)
        return {
            "id": credential_id,
            "participantId": participant_id,
            "achievement": slug,
            "status": self.credential_status(credential_id),
            "verifiableCredential": document,
        }

    # -- status ----------------------------------------------------------------

    def credential_status(self, credential_id: str) -> str:
        """Return ``active``, ``suspended`` or ``revoked`` from the status lists."""
        statuses = {
            entry.status_purpose: value
            for entry, value in self.status_store.entries(credential_id)
        }
        if statuses.get("revocation"):
            return "revoked"
        if statuses.get("suspension"):
            return "suspended"
        return "active"

    def change_status(
        self, credential_id: str, action: str, *, reason: str, actor: str
    ) -> dict[str, Any]:
        """Revoke, suspend or reinstate a credential and log the reason.

        NOTE: the status store commits its own transaction, so the status
        change and the audit line are two commits. A crash between them
        leaves the status changed without its audit line.
        """
        self.get_credential_row(credential_id)
        if not reason or not reason.strip():
            raise InvalidInputError(
                "reason must say why the status changes; it is kept in the audit log"
            )
        purposes = {
            entry.status_purpose
            for entry, _ in self.status_store.entries(credential_id)
        }
        needed = "revocation" if action == "revoke" else "suspension"
        if needed not in purposes:
            raise ConflictError(
                f"credential {credential_id} has no {needed} status entry, so the "
                f"{action} request cannot be applied; Open Badges credentials carry "
                "only a revocation entry"
            )
        try:
            if action == "revoke":
                change = self.status_store.revoke(credential_id)
            elif action == "suspend":
                change = self.status_store.suspend(credential_id)
            elif action == "reinstate":
                change = self.status_store.reinstate(credential_id)
            else:
                raise InvalidInputError(f"unknown status action {action!r}")
        except VcworkError as e:
            raise ConflictError(e.detail) from e

        def work(connection: Connection) -> None:
            _audit(connection, actor, action, credential_id, reason.strip())

        self.database.transaction(work)
        logger.info("credential %s: %s by %s", credential_id, action, actor)
        return {
            "id": credential_id,
            "status": self.credential_status(credential_id),
            "changed": bool(change.changed),
        }

    def status_list_credential(self, list_id: str) -> dict[str, Any] | None:
        url = f"{self.base_url}/status/{list_id}"
        credential = self.status_store.status_list_credential(url)
        if credential is not None:
            return credential
        if any(info.url == url for info in self.status_store.lists()):
            self._signing_key()
            return self.status_store.publish(url).get(url)
        return None

    # -- endorsements ----------------------------------------------------------

    def add_endorsement(self, credential: object, *, actor: str) -> dict[str, Any]:
        """Store an endorser's signed EndorsementCredential after verifying it."""
        problems = validate_endorsement_credential(credential)
        if problems:
            raise InvalidInputError(
                "not a valid EndorsementCredential: "
                + "; ".join(f"{p.property}: {p.detail}" for p in problems[:5])
            )
        if not isinstance(credential, dict):
            raise InvalidInputError("an EndorsementCredential must be a JSON object")
        result = verify_credential(credential, resolver=DidResolver())
        if not result.verified:
            raise InvalidInputError(
                "the endorsement does not verify: "
                + "; ".join(p.detail for p in result.problems[:5])
            )
        subject_id = credential["credentialSubject"]["id"]
        with self.database.engine.connect() as connection:
            known = connection.execute(
                select(achievement_table.c.slug).where(
                    achievement_table.c.achievement_id == subject_id
                )
            ).first()
        if known is None and subject_id not in (self.did, self.base_url):
            raise InvalidInputError(
                f"the endorsement's subject {subject_id!r} is neither an achievement "
                f"of this catalog nor the program ({self.did})"
            )
        issuer = credential["issuer"]
        endorser = issuer["id"] if isinstance(issuer, dict) else issuer
        if endorser == self.did:
            raise InvalidInputError(
                "a program cannot endorse itself; the endorser needs its own DID"
            )
        endorsement_id = str(credential.get("id") or f"urn:uuid:{uuid.uuid4()}")

        def work(connection: Connection) -> None:
            connection.execute(
                insert(endorsement_table).values(
                    id=endorsement_id,
                    subject_id=subject_id,
                    endorser=endorser,
                    document=json.dumps(credential),
                    created=now_iso(),
                )
            )
            _audit(connection, actor, "endorse", endorsement_id, subject_id)

        try:
            self.database.transaction(work)
        except IntegrityError as e:
            raise ConflictError(
                f"endorsement {endorsement_id} is already stored"
            ) from e
        return {"id": endorsement_id, "subjectId": subject_id, "endorser": endorser}

    def endorsements_for(self, subject_id: str) -> list[dict[str, Any]]:
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                select(endorsement_table.c.document)
                .where(endorsement_table.c.subject_id == subject_id)
                .order_by(endorsement_table.c.created)
            ).all()
        return [json.loads(row.document) for row in rows]

    # -- audit -------------------------------------------------------------------

    def audit_log(
        self, *, credential_id: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        query = select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)
        if credential_id is not None:
            query = query.where(audit_table.c.credential_id == credential_id)
        with self.database.engine.connect() as connection:
            return [
                {k: v for k, v in row._mapping.items() if k != "id"}
                for row in connection.execute(query).all()
            ]


def _audit(
    connection: Connection,
    actor: str,
    action: str,
    credential_id: str | None,
    reason: str | None,
) -> None:
    connection.execute(
        insert(audit_table).values(
            at=now_iso(),
            actor=actor,
            action=action,
            credential_id=credential_id,
            reason=reason,
        )
    )


def parse_assessment_method(value: str) -> AssessmentMethod:
    try:
        return AssessmentMethod(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in AssessmentMethod)
        raise InvalidInputError(
            f"assessment_method {value!r} is not supported; expected one of {allowed}"
        ) from None


def parse_day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInputError(
            f"assessed_on {value!r} is not a date; use YYYY-MM-DD"
        ) from None


def _evidence(item: EvidenceItem, index: int) -> Evidence:
    try:
        return Evidence(id=item.url, name=item.name, narrative=item.narrative)
    except VcworkError as e:
        raise InvalidInputError(f"evidence[{index}]: {e.detail}") from e


def _build_achievement(
    definition: AchievementDefinition,
    achievement_id: str,
    part_ids: Iterable[str],
    *,
    levels_url: str,
) -> Achievement:
    if definition.can_do:
        if definition.assessment_method is None or definition.context is None:
            raise InvalidInputError(
                "a competency statement (can_do) needs assessment_method and context"
            )
        criteria = Criteria.from_competency(
            CompetencyStatement(
                can_do=list(definition.can_do),
                assessment_method=AssessmentMethod(
                    parse_assessment_method(definition.assessment_method)
                ),
                assessment_details=definition.assessment_details,
                context=definition.context,
            )
        )
    elif definition.criteria_narrative:
        criteria = Criteria(narrative=definition.criteria_narrative)
    else:
        raise InvalidInputError(
            "give can_do (what the holder can do) or criteria_narrative"
        )
    alignments = [
        Alignment(
            target_name=a.get("targetName", ""),
            target_url=a.get("targetUrl", ""),
            target_description=a.get("targetDescription"),
            target_framework=a.get("targetFramework"),
            target_code=a.get("targetCode"),
            target_type=a.get("targetType"),
        )
        for a in definition.alignments
    ]
    alignments.append(level_alignment(definition.level, levels_url=levels_url))
    return Achievement(
        id=achievement_id,
        name=definition.name,
        description=definition.description,
        criteria=criteria,
        achievement_type=definition.achievement_type,
        alignment=alignments,
        tag=list(definition.tags),
        related=[Related(id=part) for part in part_ids],
    )


def _clr_associations(achievement: Mapping[str, Any]) -> list[dict[str, str]]:
    """Express stacking as CLR 2.0 associations: each part ``isPartOf`` the pathway
    and ``precedes`` it."""
    associations = []
    for part_id in stacked_achievement_ids(achievement):
        for association_type in ("isPartOf", "precedes"):
            associations.append(
                {
                    "type": "Association",
                    "associationType": association_type,
                    "sourceId": part_id,
                    "targetId": str(achievement["id"]),
                }
            )
    return associations
