"""The demo story, played through the running services' HTTP interfaces.

A construction pre-apprenticeship program (the issuer agent) enrols a
cohort, records the competencies they demonstrate and issues their badges.
One participant receives hers in the wallet over OpenID4VCI, the program
anchors the batch, and an employer (the verifier agent) requests proof over
OpenID4VP. The program then revokes one badge, and the employer's next
request shows it revoked. The participant also shares a link, and the
program writes an outcomes report.

Only the first staff API key is made outside HTTP, with the issuer's own
CLI, as a program administrator does once.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..badges import EndorsementSubject, Profile, endorsement_credential
from ..credentials import issue_credential
from ..did import create_did_key
from .up import PROGRAM_NAME, System, SystemRunError, create_staff_api_key
from .wallet_web import WalletWebClient, link_hrefs

__all__ = ["COHORT", "DemoStory", "ResultPage", "StoryOutcome", "parse_result_page"]

# The live cohort: a handful of invented participants. The first one is the
# participant whose wallet runs; the outcomes report adds a synthetic cohort
# for volume. Each name maps to how many of the five entry badges they earn.
COHORT = (
    ("Ana Lopez", 5),
    ("Marcus Reed", 5),
    ("Priya Shah", 3),
    ("Tom Okafor", 5),
)
COHORT_NAME = "Spring cohort"
ASSESSOR = "Jordan Smith, lead instructor"
REVOKE_SLUG = "hand-tools"
REVOKE_REASON = "Assessment record found incomplete on audit; reassessment scheduled"
EMPLOYER_PURPOSE = "Construction laborer opening, Riverside site"
# Check labels on the verifier's result page.
STATUS_LABEL = "Revocation status"
ANCHOR_LABEL = "Ledger anchor"


@dataclass(frozen=True)
class ResultPage:
    """The content of an employer's result page: the verdict and each credential's checks."""

    verdict: str
    rejection: str | None
    # Achievement name -> {check label: category}, for example
    # {"Hand Tool Proficiency": {"Revocation status": "failed", ...}}.
    credentials: dict[str, dict[str, str]]


_CARD = re.compile(
    r'<div class="card credential">(.*?)(?=<div class="card|\Z)', re.DOTALL
)
_CARD_NAME = re.compile(r'<h2 class="achievement-name">([^<]*)</h2>')
_CHECK_ROW = re.compile(r'<th class="check-(\w+)" scope="row">([^<]*)</th>')


def parse_result_page(page: str) -> ResultPage:
    """Read the verdict and the per-credential checks from a verifier result page."""
    verdict = re.search(r'data-verdict="(\w+)"', page)
    rejection = re.search(r'id="rejection">(.*?)</div>', page, re.DOTALL)
    credentials: dict[str, dict[str, str]] = {}
    for card in _CARD.findall(page):
        name = _CARD_NAME.search(card)
        if name is None:
            continue
        credentials[html.unescape(name.group(1)).strip()] = {
            html.unescape(label).strip(): category
            for category, label in _CHECK_ROW.findall(card)
        }
    return ResultPage(
        verdict=verdict.group(1) if verdict else "missing",
        rejection=" ".join(html.unescape(rejection.group(1)).split())
        if rejection
        else None,
        credentials=credentials,
    )


@dataclass
class StoryOutcome:
    """The pages to open and the files the story wrote."""

    urls: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


class DemoStory:
    """Play the demo story against a running :class:`System`, printing each step.

    Raises :class:`SystemRunError` naming the step and what went wrong when a
    step fails.
    """

    def __init__(self, system: System, *, console: Console | None = None) -> None:
        self.system = system
        self.console = console or Console(highlight=False, emoji=False)
        self.out = system.layout.demo_dir
        self.outcome = StoryOutcome()
        self._step = 0
        self.issuer = httpx.Client(base_url=system.issuer_url, timeout=60.0)
        self.verifier = httpx.Client(
            base_url=system.verifier_url, timeout=60.0, follow_redirects=True
        )
        self.wallet = WalletWebClient(system.wallet_url)
        self.catalog: list[dict[str, Any]] = []
        self.participants: dict[str, dict[str, Any]] = {}
        self.wallet_credentials: dict[str, str] = {}

    def close(self) -> None:
        self.issuer.close()
        self.verifier.close()
        self.wallet.close()

    # -- output -----------------------------------------------------------------

    def _say(self, title: str) -> None:
        self._step += 1
        self.console.print(f"\n[bold]{self._step}. {title}[/bold]", soft_wrap=True)

    def _detail(self, text: str) -> None:
        self.console.print(f"   {text}", soft_wrap=True)

    @contextmanager
    def _progress(self, description: str, total: int) -> Iterator[Any]:
        columns = (
            TextColumn("   {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
        )
        with Progress(*columns, console=self.console, transient=False) as progress:
            task = progress.add_task(description, total=total)
            yield lambda: progress.advance(task)

    def _write(self, relative: str, data: Any, *, secret: bool = False) -> Path:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else json.dumps(data, indent=2) + "\n"
        if secret:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            path.write_text(text, "utf-8")
        return path

    # -- HTTP helpers -------------------------------------------------------------

    def _issuer_call(
        self, method: str, path: str, *, expect: int = 200, **kwargs: Any
    ) -> Any:
        response = self.issuer.request(method, path, **kwargs)
        if response.status_code != expect:
            raise SystemRunError(
                f"the issuer agent returned HTTP "
                f"{response.status_code} for {method} {path} (expected {expect}): "
                f"{response.text[:500]}"
            )
        return response.json()

    # -- the story ------------------------------------------------------------------

    def run(self) -> StoryOutcome:
        """Play every step in order and return the URLs and files to look at."""
        self.out.mkdir(parents=True, exist_ok=True)
        self._staff_key()
        self._show_catalog()
        self._endorse_program()
        self._enrol_cohort()
        self._open_wallet()
        self._receive_badges()
        self._anchor_batch()
        first = self._employer_request("first")
        self._check_first_result(first)
        self._revoke_badge()
        second = self._employer_request("after-revocation")
        self._check_revoked_result(second)
        self._share_link()
        self._outcomes_report()
        return self.outcome

    def _staff_key(self) -> None:
        self._say("A program administrator creates a staff API key")
        name = f"demo-staff-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"
        key = create_staff_api_key(self.system.layout, name=name)
        self.issuer.headers["Authorization"] = f"Bearer {key}"
        path = self._write("staff-api-key.txt", key + "\n", secret=True)
        self._detail(f"key {name!r} for the staff routes -> {path} (mode 600)")

    def _show_catalog(self) -> None:
        self._say("The program's catalog: five entry badges and the certificate")
        body = self._issuer_call("GET", "/catalog")
        self.catalog = body["achievements"]
        entry = [a for a in self.catalog if a["level"] == "entry"]
        stacked = [a for a in self.catalog if a["autoAward"]]
        if len(entry) < 5 or not stacked:
            raise SystemRunError(
                f"the catalog should hold five entry achievements and a stacked "
                f"certificate; got {[a['slug'] for a in self.catalog]}"
            )
        for item in self.catalog:
            achievement = item["achievement"]
            how = item["assessmentMethod"] or "earned by stacking the entry badges"
            self._detail(f"{item['level']:12} {achievement['name']} ({how})")
        self._detail(f"issuer DID {body['issuer']}")
        path = self._write("catalog.json", body)
        self._detail(f"catalog -> {path}; live at {self.system.issuer_url}/catalog")
        self.outcome.urls["catalog"] = f"{self.system.issuer_url}/catalog"

    def _endorse_program(self) -> None:
        self._say("An industry association endorses the program")
        endorser_key, endorser_did = create_did_key()
        unsigned = endorsement_credential(
            id=f"urn:uuid:{uuid.uuid4()}",
            issuer=Profile(id=endorser_did, name="Regional Builders Association"),
            subject=EndorsementSubject(
                id=self.system.issuer_did,
                endorsement_comment=(
                    "Graduates of this program meet our members' expectations for "
                    "entry-level jobsite readiness."
                ),
            ),
            valid_from=datetime.now(UTC).replace(microsecond=0),
            name=f"Endorsement of the {PROGRAM_NAME}",
        )
        signed = issue_credential(unsigned, endorser_key)
        stored = self._issuer_call("POST", "/endorsements", json=signed, expect=201)
        path = self._write("endorsement.json", signed)
        self._detail(f"endorser {endorser_did[:40]}... signed {stored['id']}")
        self._detail(f"endorsement -> {path}")

    def _enrol_cohort(self) -> None:
        self._say(f"{COHORT_NAME}: {len(COHORT)} participants enrol and demonstrate")
        entry = [a for a in self.catalog if a["level"] == "entry"]
        total = sum(min(count, len(entry)) for _, count in COHORT)
        start = date.today() - timedelta(days=70)
        with self._progress("recording competencies", total) as advance:
            for name, count in COHORT:
                participant = self._issuer_call(
                    "POST", "/participants", json={"name": name}, expect=201
                )
                self._issuer_call(
                    "PUT",
                    f"/outcomes/participants/{participant['id']}/program",
                    json={
                        "cohort": COHORT_NAME,
                        "cohort_start": start.isoformat(),
                        "completed_on": date.today().isoformat()
                        if count >= len(entry)
                        else None,
                    },
                )
                for index, item in enumerate(entry[:count]):
                    self._issuer_call(
                        "POST",
                        f"/participants/{participant['id']}/records",
                        json={
                            "achievement": item["slug"],
                            "assessment_method": item["assessmentMethod"] or "exam",
                            "assessor": ASSESSOR,
                            "assessed_on": (
                                start + timedelta(days=14 * (index + 1))
                            ).isoformat(),
                        },
                        expect=201,
                    )
                    advance()
                self.participants[name] = self._issuer_call(
                    "GET", f"/participants/{participant['id']}"
                )
        for name, participant in self.participants.items():
            slugs = [c["achievement"] for c in participant["credentials"]]
            stacked = [a["slug"] for a in self.catalog if a["autoAward"]]
            badges = [slug for slug in slugs if slug not in stacked]
            certificate = " + certificate" if len(badges) < len(slugs) else ""
            self._detail(
                f"{name:12} {len(badges)} badges{certificate} (participant "
                f"{participant['id']})"
            )
        self._write("participants.json", self.participants)

    def _open_wallet(self) -> None:
        name = COHORT[0][0]
        self._say(f"{name} opens her wallet")
        passphrase_file = self.out / "wallet-passphrase.txt"
        if passphrase_file.is_file():
            passphrase = passphrase_file.read_text("utf-8").strip()
        else:
            passphrase = secrets.token_urlsafe(18)
            self._write("wallet-passphrase.txt", passphrase + "\n", secret=True)
        created = self.wallet.open(passphrase)
        did = self.wallet.holder_did()
        verb = "created" if created else "unlocked"
        self._detail(
            f"{verb} the wallet at {self.system.wallet_url}/ (DID {did[:40]}...)"
        )
        self._detail(f"its passphrase -> {passphrase_file} (mode 600)")
        self.outcome.urls["wallet"] = self.system.wallet_url + "/"

    def _receive_badges(self) -> None:
        name = COHORT[0][0]
        credentials = self.participants[name]["credentials"]
        self._say(f"{name} receives her {len(credentials)} badges over OpenID4VCI")
        offers = []
        with self._progress("offers redeemed", len(credentials)) as advance:
            for credential in credentials:
                offer = self._issuer_call(
                    "POST",
                    f"/credentials/{quote(credential['id'], safe='')}/offers",
                    json={"tx_code": True},
                    expect=201,
                )
                received = self.wallet.receive(offer["link"], tx_code=offer["txCode"])
                offers.append(
                    {
                        "credential": credential["id"],
                        "achievement": credential["achievement"],
                        "link": offer["link"],
                        "qrPng": offer["qrPng"],
                        "storedAs": list(received.stored.values()),
                    }
                )
                advance()
                self.wallet_credentials.update(received.stored)
        if len(self.wallet_credentials) < len(credentials):
            raise SystemRunError(
                f"the wallet stored {len(self.wallet_credentials)} credentials after "
                f"redeeming {len(credentials)} offers"
            )
        for wallet_name in self.wallet_credentials.values():
            self._detail(f"verified and stored: {wallet_name}")
        path = self._write("offers.json", offers)
        self._detail(f"offers (each with a one-time transaction code) -> {path}")

    def _anchor_batch(self) -> None:
        self._say("The program anchors the batch of delivered badges")
        for _attempt in range(10):
            response = self.issuer.post("/anchor/batches/close")
            if response.status_code != 409:
                break
            time.sleep(0.5)  # the agent's own timer is closing a batch
        if response.status_code != 200:
            raise SystemRunError(
                f"closing the anchor batch failed with HTTP {response.status_code}: "
                f"{response.text[:500]}"
            )
        name = COHORT[0][0]
        receipts_dir = self.out / "anchor-receipts"
        for index, credential in enumerate(self.participants[name]["credentials"], 1):
            receipt = self._issuer_call(
                "GET", f"/anchor/receipts/{quote(credential['id'], safe='')}"
            )
            self._write(
                f"anchor-receipts/{index:02d}-{credential['achievement']}.json", receipt
            )
        tree_head = self._issuer_call("GET", "/anchor/log/tree-head")
        self._detail(
            f"closed {len(response.json().get('closed', []))} batch(es); the log's "
            f"signed tree head has size {tree_head.get('treeSize', '?')}"
        )
        self._detail(f"receipts -> {receipts_dir}/")
        self._detail(f"log -> {self.system.issuer_url}/anchor/log/tree-head")

    def _employer_request(self, label: str) -> ResultPage:
        name = COHORT[0][0]
        self._say(
            "An employer asks for proof with an OpenID4VP QR code; "
            f"{name}'s wallet answers" + (" again" if label != "first" else "")
        )
        page = self.verifier.post(
            "/requests", data={"purpose": EMPLOYER_PURPOSE, "endorsements": "1"}
        )
        if page.status_code != 200:
            raise SystemRunError(
                f"the verifier could not create a request: HTTP {page.status_code}"
            )
        request_page = str(page.url)
        links = [h for h in link_hrefs(page.text) if h.startswith("openid4vp://")]
        if not links:
            raise SystemRunError("the verifier's request page shows no openid4vp link")
        self._detail(f"request page {request_page}")
        # Only this run's badges, because a data directory reused for another
        # run already contains earlier copies.
        picks = self.wallet.answer_request(
            links[0], wallet_ids=set(self.wallet_credentials)
        )
        self._detail(f"the wallet signed and sent {len(picks)} credentials")
        status = self.verifier.get(request_page.rstrip("/") + "/status").json()
        if "result_url" not in status:
            raise SystemRunError(
                f"the verifier has no result for the request: {status.get('error') or status}"
            )
        result_url = self.system.verifier_url + status["result_url"]
        result = self.verifier.get(result_url)
        path = self._write(f"result-{label}.html", result.text)
        parsed = parse_result_page(result.text)
        self._detail(f"verdict: {parsed.verdict}; result page {result_url}")
        self._detail(f"saved -> {path}")
        self.outcome.urls[f"result ({label})"] = result_url
        for credential_name, checks in parsed.credentials.items():
            failed = [label for label, c in checks.items() if c != "passed"]
            state = (
                "all checks passed"
                if not failed
                else "not passed: " + ", ".join(f"{c} ({checks[c]})" for c in failed)
            )
            self._detail(f"  {credential_name}: {state}")
        return parsed

    def _check_first_result(self, result: ResultPage) -> None:
        if result.rejection:
            raise SystemRunError(
                f"the verifier rejected the presentation: {result.rejection}"
            )
        if result.verdict != "verified":
            raise SystemRunError(
                f"the employer's first result should be 'verified', got {result.verdict!r}"
            )
        expected = {
            c["achievement"]["name"]
            for c in self.catalog
            if c["slug"]
            in {
                x["achievement"] for x in self.participants[COHORT[0][0]]["credentials"]
            }
        }
        unanchored = [
            name
            for name, checks in result.credentials.items()
            if checks.get(ANCHOR_LABEL) != "passed"
        ]
        if unanchored:
            raise SystemRunError(
                f"the verifier did not find these badges in the anchor log: {unanchored}"
            )
        missing = expected - set(result.credentials)
        if missing:
            raise SystemRunError(f"the result page does not show {sorted(missing)}")

    def _revoke_badge(self) -> None:
        name = COHORT[0][0]
        credential = next(
            c
            for c in self.participants[name]["credentials"]
            if c["achievement"] == REVOKE_SLUG
        )
        achievement = self._achievement_name(REVOKE_SLUG)
        self._say(f"The program revokes {name}'s {achievement} badge")
        body = self._issuer_call(
            "POST",
            f"/credentials/{quote(credential['id'], safe='')}/revoke",
            json={"reason": REVOKE_REASON},
        )
        self._detail(
            f"{credential['id']}: {body.get('status', body)}; reason: {REVOKE_REASON}"
        )
        self._detail(
            "the status list is republished; verifiers read it on their next check"
        )

    def _achievement_name(self, slug: str) -> str:
        for item in self.catalog:
            if item["slug"] == slug:
                return str(item["achievement"]["name"])
        return slug

    def _check_revoked_result(self, result: ResultPage) -> None:
        revoked = self._achievement_name(REVOKE_SLUG)
        checks = result.credentials.get(revoked)
        if checks is None:
            raise SystemRunError(f"the second result page does not show {revoked!r}")
        if checks.get(STATUS_LABEL) != "failed":
            raise SystemRunError(
                f"the employer should see {revoked!r} as revoked, but its status "
                f"check is {checks.get(STATUS_LABEL)!r}"
            )
        if result.verdict != "failed":
            raise SystemRunError(
                f"a presentation with a revoked badge should be 'failed', got "
                f"{result.verdict!r}"
            )
        others = [
            n
            for n, c in result.credentials.items()
            if n != revoked and c.get(STATUS_LABEL) != "passed"
        ]
        if others:
            raise SystemRunError(
                f"badges other than {revoked!r} lost their status: {others}"
            )
        self._detail(
            f"the employer sees {revoked!r} revoked; the other badges stay valid"
        )

    def _share_link(self) -> None:
        name = COHORT[0][0]
        self._say(f"{name} shares her certificate with a link and QR code")
        certificate = next(a for a in self.catalog if a["autoAward"])
        certificate_name = certificate["achievement"]["name"]
        ids = [i for i, n in self.wallet_credentials.items() if n == certificate_name]
        if not ids:
            raise SystemRunError(f"the wallet does not hold {certificate_name!r}")
        target, _ = self.wallet.create_share(ids)
        self._detail(f"the QR code opens {target[:90]}...")
        response = self.verifier.get(target)
        if response.status_code != 200:
            raise SystemRunError(
                f"the verifier could not use the share link: HTTP {response.status_code}"
            )
        parsed = parse_result_page(response.text)
        path = self._write("result-share.html", response.text)
        if parsed.verdict != "verified" or certificate_name not in parsed.credentials:
            raise SystemRunError(
                f"the shared certificate should verify; got {parsed.verdict!r} with "
                f"{sorted(parsed.credentials)}"
            )
        self._detail(f"verdict: verified; result page {response.url}")
        self._detail(f"saved -> {path}")
        self.outcome.urls["result (share link)"] = str(response.url)

    def _outcomes_report(self) -> None:
        from ..outcomes import write_demo_report

        self._say("The program records outcomes and writes its outcomes report")
        name = COHORT[0][0]
        participant = self.participants[name]
        self._issuer_call(
            "POST",
            f"/outcomes/participants/{participant['id']}/outcomes",
            json={
                "status": "employed",
                "source": "employer_confirmation",
                "reported_on": date.today().isoformat(),
                "start_date": date.today().isoformat(),
                "employer": "Riverside Builders",
                "occupation": "Construction laborer",
                "hourly_wage": 24.5,
            },
            expect=201,
        )
        live = self.issuer.get("/outcomes/report", params={"format": "html"})
        if live.status_code != 200:
            raise SystemRunError(
                f"the issuer's outcomes report failed with HTTP {live.status_code}: "
                f"{live.text[:300]}"
            )
        live_path = self._write("outcomes/live-cohort-report.html", live.text)
        self._detail(
            f"live cohort ({len(COHORT)} participants; groups under the minimum "
            f"size are suppressed) -> {live_path}"
        )
        paths = write_demo_report(self.out / "outcomes" / "synthetic")
        for path in paths:
            self._detail(f"synthetic cohort report -> {path}")
        self.outcome.files["outcomes report"] = paths[-1]
