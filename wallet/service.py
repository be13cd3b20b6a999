"""The wallet's operations, independent of HTTP, called by both the web app and the CLI.

Verification before storing uses :func:`vcwork.credentials.verify_credential`
with a did:web-enabled resolver and a Bitstring Status List checker. A
credential is stored only when no check failed; a status list that cannot be
reached is reported as ``not_checked`` rather than blocking receipt.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from vcwork.credentials import AnchorChecker, create_presentation, verify_credential
from vcwork.credentials.model import credential_subject_ids, types_of
from vcwork.did import DidResolver, DidWebOptions
from vcwork.errors import CryptographicSecurityError, Problem
from vcwork.exchange.oid4vci import CredentialOffer
from vcwork.exchange.oid4vp import ShareDocument, origin_of
from vcwork.proofs import sign
from vcwork.status import BitstringStatusListChecker

from . import oid4vci, oid4vp
from .errors import NotFoundError, WalletError
from .http import ExchangeClient
from .portfolio import build_portfolio, summarize
from .settings import Settings
from .store import ShareRecord, StoredCredential, UnlockedWallet, WalletStore

__all__ = [
    "OfferPreview",
    "ReceiveOutcome",
    "Rejected",
    "ShareLink",
    "WalletService",
]

logger = logging.getLogger(__name__)

MAX_SHARE_DAYS = 365


@dataclass(frozen=True)
class OfferPreview:
    """An offer with the issuer's metadata, shown before the holder accepts it."""

    offer: CredentialOffer
    metadata: oid4vci.IssuerMetadata

    @property
    def issuer_name(self) -> str:
        return self.metadata.display_name or self.offer.credential_issuer

    @property
    def credential_names(self) -> list[str]:
        return [
            self.metadata.configuration_name(i)
            for i in self.offer.credential_configuration_ids
        ]


@dataclass(frozen=True)
class Rejected:
    """A credential that failed verification, with the problems found."""

    credential: dict[str, Any]
    name: str
    problems: list[dict[str, Any]]


@dataclass(frozen=True)
class ReceiveOutcome:
    """The result of accepting an offer: what was stored, already held, or rejected."""

    stored: list[StoredCredential]
    already_held: list[StoredCredential]
    rejected: list[Rejected]


@dataclass(frozen=True)
class ShareLink:
    """A new share link and the URL its QR code carries."""

    record: ShareRecord
    url: str
    qr_target: str


class WalletService:
    """The wallet's operations on one data directory.

    ``anchor_checker`` is passed to :func:`verify_credential`; leave it None
    until the anchoring package provides one.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        anchor_checker: AnchorChecker | None = None,
    ) -> None:
        self.settings = settings
        self.store = WalletStore(
            settings.resolved_database_url, kdf_log2_n=settings.kdf_log2_n
        )
        self.anchor_checker = anchor_checker
        self.resolver = DidResolver(
            web=DidWebOptions(
                allow_http_loopback=settings.allow_http_loopback,
                timeout=settings.http_timeout_seconds,
            )
        )

    def close(self) -> None:
        self.store.dispose()

    @contextlib.contextmanager
    def client(self) -> Iterator[ExchangeClient]:
        client = ExchangeClient(
            allow_http_loopback=self.settings.allow_http_loopback,
            timeout=self.settings.http_timeout_seconds,
        )
        try:
            yield client
        finally:
            client.close()

    # -- verification -------------------------------------------------------------

    def verify(
        self, credential: dict[str, Any], *, holder_dids: set[str]
    ) -> dict[str, Any]:
        """Verify a credential for this wallet and return the result as JSON.

        Besides the library's checks, a credential that is not an
        endorsement must name one of the wallet's DIDs as its subject, so it
        can later be presented with holder binding.
        """
        checker = BitstringStatusListChecker(
            resolver=self.resolver,
            allow_http_loopback=self.settings.allow_http_loopback,
            retrieval_error_outcome="not_checked",
        )
        result = verify_credential(
            credential,
            resolver=self.resolver,
            status_checker=checker,
            anchor_checker=self.anchor_checker,
        ).to_json()
        subjects = credential_subject_ids(credential)
        if "EndorsementCredential" not in types_of(credential) and not (
            holder_dids & set(subjects)
        ):
            problem: Problem = CryptographicSecurityError(
                f"the credential was issued to {', '.join(subjects) or 'nobody'}, "
                "not to this wallet's DID",
                property="credentialSubject.id",
            ).to_problem()
            result["verified"] = False
            result["problems"].append(problem.to_json())
            result["checks"].append(
                {"check": "subject", "outcome": "failed", "detail": problem.detail}
            )
        return result

    # -- receive ------------------------------------------------------------------

    def preview_offer(self, text: str) -> OfferPreview:
        """Parse an offer and fetch its issuer's metadata."""
        with self.client() as client:
            offer = oid4vci.parse_credential_offer(text, client=client)
            metadata = oid4vci.fetch_issuer_metadata(offer, client=client)
        return OfferPreview(offer, metadata)

    def receive(
        self, wallet: UnlockedWallet, text: str, *, tx_code: str | None
    ) -> ReceiveOutcome:
        """Accept an offer: fetch, verify, and store each verified credential.

        All verified credentials of the offer are stored in one transaction,
        so a crash leaves the wallet as it was before.
        """
        holder = wallet.default_key()
        with self.client() as client:
            offer = oid4vci.parse_credential_offer(text, client=client)
            metadata = oid4vci.fetch_issuer_metadata(offer, client=client)
            credentials = oid4vci.request_credentials(
                offer, metadata, tx_code=tx_code, holder=holder, client=client
            )
        dids = wallet.holder_dids()
        accepted: list[tuple[dict[str, Any], dict[str, Any]]] = []
        rejected = []
        for credential in credentials:
            report = self.verify(credential, holder_dids=dids)
            if report["verified"]:
                accepted.append((credential, report))
            else:
                name = summarize(StoredCredential("", credential, 0)).name
                logger.warning(
                    "rejected a credential from %s: %d problems",
                    offer.credential_issuer,
                    len(report["problems"]),
                )
                rejected.append(Rejected(credential, name, report["problems"]))
        results = wallet.add_credentials(accepted, source=offer.credential_issuer)
        logger.info(
            "received %d credentials from %s (%d rejected)",
            len(accepted),
            offer.credential_issuer,
            len(rejected),
        )
        return ReceiveOutcome(
            stored=[item for item, added in results if added],
            already_held=[item for item, added in results if not added],
            rejected=rejected,
        )

    def recheck(self, wallet: UnlockedWallet, item: StoredCredential) -> dict[str, Any]:
        """Verify a stored credential again now, including its current status."""
        return self.verify(item.credential, holder_dids=wallet.holder_dids())

    # -- present ------------------------------------------------------------------

    def open_request(
        self, wallet: UnlockedWallet, link: str
    ) -> oid4vp.PresentationRequest:
        with self.client() as client:
            return oid4vp.fetch_authorization_request(
                link, wallet.list_credentials(), client=client
            )

    def answer_request(
        self,
        wallet: UnlockedWallet,
        link: str,
        selected_ids: dict[str, list[str]],
    ) -> str | None:
        """Send the credentials picked per query id; return the verifier's redirect."""
        with self.client() as client:
            pending = oid4vp.fetch_authorization_request(
                link, wallet.list_credentials(), client=client
            )
            selection: dict[str, list[StoredCredential]] = {}
            for query_id, ids in selected_ids.items():
                allowed = {c.id: c for c in pending.matches.get(query_id, [])}
                unknown = [i for i in ids if i not in allowed]
                if unknown:
                    raise WalletError(
                        f"credential {unknown[0]!r} does not match the verifier's "
                        f"query {query_id!r}"
                    )
                selection[query_id] = [allowed[i] for i in ids]
            redirect = oid4vp.send_presentations(
                pending, selection, wallet.holder_keys(), client=client
            )
        logger.info("sent a presentation to %s", pending.request.response_uri)
        return redirect

    # -- share links --------------------------------------------------------------

    def share_url(self, token: str) -> str:
        return f"{self.settings.base_url}/s/{token}"

    def create_share(
        self, wallet: UnlockedWallet, credential_ids: list[str], *, days: int
    ) -> ShareLink:
        """Sign a presentation for a share link that expires after ``days``."""
        if not credential_ids:
            raise WalletError("pick at least one credential to share")
        if not 1 <= days <= MAX_SHARE_DAYS:
            raise WalletError(
                f"a share link lasts 1 to {MAX_SHARE_DAYS} days; got {days}"
            )

        items = [wallet.get_credential(i) for i in dict.fromkeys(credential_ids)]
        key = oid4vp.holder_key_for(items, wallet.holder_keys())

        token = secrets.token_urlsafe(24)
        url = self.share_url(token)
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
        challenge = secrets.token_urlsafe(16)
        domain = origin_of(url)
        # The proof's expires makes a copy that outlives the link fail too.
        presentation = sign(
            create_presentation([i.credential for i in items], holder=key.did),
            key.key_pair,
            proof_purpose="authentication",
            challenge=challenge,
            domain=domain,
            expires=expires,
        )

        document = ShareDocument(
            presentation=presentation,
            challenge=challenge,
            domain=domain,
            expires=expires,
        )
        record = wallet.create_share(
            document.to_json(),
            token=token,
            share_id=str(uuid.uuid4()),
            expires_at=int(expires.timestamp()),
            summary={
                "credential_ids": [i.id for i in items],
                "names": [summarize(i).name for i in items],
                "url": url,
            },
        )
        logger.info("created share %s with %d credentials", record.id, len(items))
        return ShareLink(record, url, self.qr_target(url))

    def qr_target(self, share_url: str) -> str:
        """Return the verifier page for a share link, or the link when none is set."""
        verifier = self.settings.verifier_url
        if not verifier:
            return share_url
        separator = "&" if "?" in verifier else "?"
        return f"{verifier}{separator}u={quote(share_url, safe='')}"

    # -- public portfolio ---------------------------------------------------------

    def publish_portfolio(self, wallet: UnlockedWallet) -> str:
        """Publish the public portfolio with one long-lived share link per credential."""
        entries = []
        portfolio = build_portfolio(wallet.list_credentials())
        existing = {
            tuple(s.summary.get("credential_ids", [])): s
            for s in wallet.list_shares()
            if s.active and s.summary.get("public")
        }
        for program in portfolio.programs:
            for group in program.pathways.values():
                for summary in group.summaries:
                    share = existing.get((summary.id,))
                    url = share.summary["url"] if share else None
                    if url is None:
                        link = self.create_share(
                            wallet, [summary.id], days=MAX_SHARE_DAYS
                        )
                        url = link.url
                        _mark_public(wallet, link.record)
                    entries.append(
                        {
                            "name": summary.name,
                            "issuer": summary.issuer_name,
                            "level": summary.level,
                            "pathway": summary.pathway,
                            "description": summary.description,
                            "verification_url": self.qr_target(url),
                        }
                    )
        snapshot = {
            "credentials": entries,
            "occupations": [
                {"name": o.name, "code": o.code, "url": o.url}
                for o, _ in portfolio.occupations
            ],
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return wallet.publish_portfolio(snapshot)

    def unpublish_portfolio(self, wallet: UnlockedWallet) -> None:
        """Take the public page down and withdraw the share links it used."""
        for share in wallet.list_shares():
            if share.summary.get("public") and share.withdrawn_at is None:
                wallet.withdraw_share(share.id)
        wallet.unpublish_portfolio()

    def delete_credential(self, wallet: UnlockedWallet, credential_id: str) -> None:
        """Delete a credential, withdraw its shares and refresh a published portfolio."""
        wallet.delete_credential(credential_id)
        if wallet.portfolio_slug() is not None:
            self.publish_portfolio(wallet)
        logger.info("deleted credential %s", credential_id)

    def find_credential(
        self, wallet: UnlockedWallet, credential_id: str
    ) -> StoredCredential:
        try:
            return wallet.get_credential(credential_id)
        except NotFoundError:
            raise NotFoundError(
                "this credential is not in the wallet (it may have been deleted)"
            ) from None


def _mark_public(wallet: UnlockedWallet, record: ShareRecord) -> None:
    wallet.update_share_summary(record.id, {**record.summary, "public": True})
