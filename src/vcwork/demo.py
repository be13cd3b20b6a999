"""``vcwork demo``: the construction pre-apprenticeship program in one run.

A program (the issuer) awards its five entry-level achievements and the
certificate that stacks them to one participant, and an industry association
endorses the program. The participant presents everything to an employer,
bound to the employer's challenge and domain, and the employer's verifier
checks it. A tampered copy then fails with the reason, a revoked badge shows
as revoked, and an outcomes report closes the run. Every file lands in
``out``.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from .anchoring import AnchorBatcher, AnchorChecker, AnchorLog
from .badges import (
    AchievementSubject,
    EndorsementSubject,
    Evidence,
    Profile,
    Result,
    endorsement_credential,
    open_badge_credential,
    validate_open_badge_credential,
)
from .badges.catalog import CatalogEntry, construction_pre_apprenticeship_catalog
from .credentials import (
    VerificationResult,
    create_presentation,
    issue_credential,
    sign_presentation,
    verify_credential,
    verify_presentation,
)
from .dates import format_datetime, utcnow
from .did import create_did_key
from .keys import Ed25519KeyPair
from .report import render_report
from .status import (
    BitstringStatusListChecker,
    FetchResponse,
    StatusListStore,
    StatusRetrievalError,
)
from .status.store import sqlite_url

__all__ = ["run_demo"]

PROGRAM_BASE = "https://construction-pathways.example"
EMPLOYER_DOMAIN = "hiring.buildright.example"
STEPS = 10

# Evidence the program records when the participant demonstrates each competency.
_EVIDENCE = {
    "osha-10-construction": "Completion card issued by an OSHA-authorized trainer; "
    "final quiz passed.",
    "hand-tools": "Instructor checklist from the shop floor: 12 of 12 tool tasks "
    "performed safely and to tolerance.",
    "jobsite-safety": "Observed on a live training site: hazard walk-down, PPE "
    "check and lock-out/tag-out sequence.",
    "construction-math": "Written exam: 92 % (pass mark 80 %), including a "
    "materials take-off for a 12 x 16 ft deck.",
    "blueprint-reading": "Project: dimensioned take-off from a residential floor "
    "plan, reviewed by a journeyman carpenter.",
}


def _say(step: int, text: str) -> None:
    typer.secho(f"[{step}/{STEPS}] {text}", bold=True)


def _detail(text: str) -> None:
    typer.echo(f"      {text}")


def _write(path: Path, data: Any, *, secret: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if secret:
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
    path.write_text(text, "utf-8")
    return path


def _award(
    entry: CatalogEntry,
    *,
    issuer: Profile,
    issuer_key: Ed25519KeyPair,
    participant_did: str,
    status_store: StatusListStore,
) -> dict[str, Any]:
    now = utcnow()
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    status_entry = status_store.allocate(credential_id)
    narrative = _EVIDENCE.get(entry.slug, "Completed every part of the pathway.")
    subject = AchievementSubject(
        id=participant_did,
        achievement=entry.achievement,
        result=[Result(status="Completed")],
        evidence=[
            Evidence(name=f"{entry.achievement.name}: evidence", narrative=narrative)
        ],
        activity_end_date=now,
    )
    credential = open_badge_credential(
        id=credential_id,
        issuer=issuer,
        subject=subject,
        valid_from=now,
        valid_until=now + timedelta(days=3 * 365),
        credential_status=status_entry.to_json(),
    )
    problems = validate_open_badge_credential(credential)
    if problems:
        details = "; ".join(f"{p.property}: {p.detail}" for p in problems)
        raise RuntimeError(f"the demo built an invalid badge: {details}")
    return issue_credential(credential, issuer_key)


class PublishedStatusLists:
    """Status list credentials the program publishes, as files in ``folder``.

    A real program serves them at their URLs (the issuer agent does). The
    demo writes each list to a file and gives the verifier a fetcher that
    reads the file for a URL, so the verifier's checks run unchanged offline.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, url: str) -> Path:
        return self.folder / (url.rstrip("/").rsplit("/", 1)[-1] + ".json")

    def publish(self, lists: dict[str, dict[str, Any]]) -> list[Path]:
        return [
            _write(self._path(url), credential) for url, credential in lists.items()
        ]

    def fetch(self, url: str) -> FetchResponse:
        path = self._path(url)
        if not path.is_file():
            raise StatusRetrievalError(f"status list {url} is not published", value=url)
        return FetchResponse(content=path.read_bytes())


def _credential_name(document: dict[str, Any]) -> str:
    name = document.get("name")
    return name if isinstance(name, str) else str(document.get("id"))


def run_demo(out: Path) -> VerificationResult:
    """Run the whole story, writing into ``out``; return the employer's result."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    typer.echo(f"vcwork demo: construction pre-apprenticeship, writing to {out}/\n")

    _say(1, "Create DIDs for the program, the participant and an industry body")
    issuer_key, issuer_did = create_did_key()
    participant_key, participant_did = create_did_key()
    endorser_key, endorser_did = create_did_key()
    for name, key in (
        ("program", issuer_key),
        ("participant", participant_key),
        ("industry-association", endorser_key),
    ):
        path = _write(
            out / "keys" / f"{name}-key.json",
            key.export_multikey(include_secret=True),
            secret=True,
        )
        _detail(f"{name:21} {str(key.controller)[:40]}...  key: {path}")

    _say(2, "Define the program's achievements with competency statements")
    issuer = Profile(
        id=issuer_did,
        name="Construction Pathways Pre-Apprenticeship Program",
        url=PROGRAM_BASE,
    )
    catalog = construction_pre_apprenticeship_catalog(issuer_base=PROGRAM_BASE)
    _write(out / "catalog.json", [e.achievement.to_json() for e in catalog])
    for entry in catalog:
        _detail(f"{entry.level.value:13} {entry.achievement.name}")
    status_store = StatusListStore(
        sqlite_url(out / "status-lists.sqlite"),
        list_base_url=f"{PROGRAM_BASE}/status",
        key_pair=issuer_key,
    )
    published = PublishedStatusLists(out / "status-lists")

    _say(3, "The participant demonstrates each competency; the program issues badges")
    credentials: list[dict[str, Any]] = []
    entries = list(catalog)
    for index, entry in enumerate(entries, start=1):
        signed = _award(
            entry,
            issuer=issuer,
            issuer_key=issuer_key,
            participant_did=participant_did,
            status_store=status_store,
        )
        path = _write(out / "credentials" / f"{index:02d}-{entry.slug}.json", signed)
        credentials.append(signed)
        method = entry.assessment_method
        how = f" ({method.value})" if method is not None else ""
        _detail(f"issued {entry.achievement.name}{how} -> {path}")
    for path in published.publish(status_store.publish()):
        _detail(f"status list (revocation, 131,072 entries) -> {path}")

    _say(4, "An industry association endorses the program")
    endorsement = endorsement_credential(
        id=f"urn:uuid:{uuid.uuid4()}",
        issuer=Profile(id=endorser_did, name="Regional Builders Association"),
        subject=EndorsementSubject(
            id=issuer_did,
            endorsement_comment=(
                "Graduates of this program meet our members' expectations for "
                "entry-level jobsite readiness."
            ),
        ),
        valid_from=utcnow(),
        name="Endorsement of the Construction Pre-Apprenticeship Program",
    )
    endorsement = issue_credential(endorsement, endorser_key)
    _detail(f"-> {_write(out / 'credentials' / 'endorsement.json', endorsement)}")

    _say(5, "The program anchors the batch of issued badges in its transparency log")
    anchor_db = sqlite_url(out / "anchor-log.sqlite")
    anchor_log = AnchorLog(anchor_db, key_pair=issuer_key)
    batcher = AnchorBatcher(anchor_db, anchor_log)
    batcher.add_many(credentials)
    batch = batcher.close_batch()
    tree_head = anchor_log.get_tree_head()
    _detail(
        f"batch of {len(credentials)} badges, one log entry; signed tree head "
        f"size {tree_head.get('treeSize', '?')}"
    )
    for index, credential in enumerate(credentials, start=1):
        receipt = batcher.receipt(credential)
        _write(out / "anchor-receipts" / f"{index:02d}.json", receipt)
    _detail(
        f"receipts -> {out / 'anchor-receipts'}/ (batch {batch.id if batch else '-'})"
    )
    anchor_checker = AnchorChecker(
        receipts=batcher.receipt, logs={anchor_log.log_id: anchor_log}
    )

    _say(6, "An employer asks for proof; the participant presents every badge")
    challenge = secrets.token_urlsafe(16)
    _detail(f"employer challenge {challenge}, domain {EMPLOYER_DOMAIN}")
    presentation = sign_presentation(
        create_presentation([*credentials, endorsement], holder=participant_did),
        participant_key,
        challenge=challenge,
        domain=EMPLOYER_DOMAIN,
    )
    _detail(f"-> {_write(out / 'presentation.json', presentation)}")

    _say(7, "The employer's verifier checks the presentation")
    status_checker = BitstringStatusListChecker(fetcher=published.fetch)
    result = verify_presentation(
        presentation,
        challenge=challenge,
        domain=EMPLOYER_DOMAIN,
        status_checker=status_checker,
        anchor_checker=anchor_checker,
    )
    report = render_report(result)
    (out / "verification-report.txt").write_text(report + "\n", "utf-8")
    _write(out / "verification-report.json", result.to_json())
    verdict = "VERIFIED" if result.verified else "NOT VERIFIED"
    ok = sum(r.verified for r in result.credential_results)
    _detail(f"{verdict}: {ok} of {len(result.credential_results)} credentials verified")
    for check in result.checks:
        _detail(f"{check.outcome:11} {check.name}: {check.detail}")
    for credential_result in result.credential_results:
        outcomes = ", ".join(
            f"{c.name} {c.outcome}" for c in credential_result.checks[1:]
        )
        _detail(f"{_credential_name(credential_result.document or {})}: {outcomes}")
    _detail(f"report -> {out / 'verification-report.txt'}")

    _say(8, "Someone edits a badge (OSHA 10 becomes OSHA 30); the verifier catches it")
    tampered = copy.deepcopy(credentials[0])
    achievement = tampered["credentialSubject"]["achievement"]
    achievement["name"] = achievement["name"].replace("10", "30")
    _write(out / "tampered-credential.json", tampered)
    tampered_result = verify_credential(
        tampered, status_checker=status_checker, anchor_checker=anchor_checker
    )
    _write(out / "tampered-report.json", tampered_result.to_json())
    verdict = "VERIFIED" if tampered_result.verified else "NOT VERIFIED"
    _detail(f"{verdict}: {achievement['name']!r}")
    for problem in tampered_result.problems:
        _detail(f"{problem.code} at {problem.property or 'proof'}: {problem.detail}")

    _say(9, "The program revokes one badge; the employer checks again")
    revoked = credentials[1]
    revoked_name = revoked["credentialSubject"]["achievement"]["name"]
    change = status_store.revoke(revoked["id"])
    for path in published.publish(change.status_list_credentials):
        _detail(f"revoked {revoked_name}; republished {path}")
    recheck = verify_presentation(
        presentation,
        challenge=challenge,
        domain=EMPLOYER_DOMAIN,
        status_checker=BitstringStatusListChecker(fetcher=published.fetch),
        anchor_checker=anchor_checker,
    )
    _write(out / "after-revocation-report.json", recheck.to_json())
    for credential_result in recheck.credential_results:
        document = credential_result.document or {}
        status = credential_result.check("status")
        outcome = status.detail if status is not None else "no status entry"
        label = "valid  " if credential_result.verified else "INVALID"
        _detail(f"{label} {_credential_name(document)}: {outcome}")

    _say(10, "The program reports outcomes for its funder (synthetic cohort)")
    from .outcomes import write_demo_report

    for path in write_demo_report(out / "outcomes"):
        _detail(f"-> {path}")

    elapsed = time.perf_counter() - started
    typer.echo(
        f"\nDone in {elapsed:.1f} s. Try: vcwork verify {out / 'presentation.json'} "
        f"--challenge {challenge} --domain {EMPLOYER_DOMAIN}"
    )
    typer.echo(f"Issued at {format_datetime(utcnow())}; files are in {out}/")
    return result
