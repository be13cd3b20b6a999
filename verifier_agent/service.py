"""The verifier agent's core: verify with the library, summarize, log.

HTTP routes call :class:`VerifierService`, which takes no HTTP request objects.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from vcwork.anchoring import AnchorChecker
from vcwork.anchoring.http_client import HttpLogClients, HttpReceiptLookup
from vcwork.credentials import (
    VerificationResult,
    verify_credential,
    verify_presentation,
)
from vcwork.credentials.model import issuer_id
from vcwork.did import DidResolver, DidWebOptions
from vcwork.errors import DidResolutionError, VcworkError
from vcwork.exchange.oid4vp import ShareDocument, origin_of
from vcwork.status import BitstringStatusListChecker

from .settings import Settings
from .store import Store
from .summary import summarize

__all__ = ["MAX_JSON_DEPTH", "ShareFetchError", "VerifierService", "json_depth"]

logger = logging.getLogger(__name__)

# Deepest JSON nesting accepted; credentials nest a few levels, and a limit
# keeps recursive processing (JSON-LD expansion) far from Python's stack limit.
MAX_JSON_DEPTH = 64
# A fresh DID resolver (and so a fresh did:web cache) after this many seconds,
# so a rotated issuer key is seen without a restart.
RESOLVER_LIFETIME_SECONDS = 300.0
# The DID document property that lists an account as CAIP-10
# ``eip155:<chain id>:<address>``, in a service entry or a verification method.
BLOCKCHAIN_ACCOUNT_ID = "blockchainAccountId"


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Return the nesting depth of parsed JSON, stopping once it passes ``limit``."""
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        depth = max(depth, level)
        if depth > limit:
            return depth
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children)
    return depth


class ShareFetchError(Exception):
    """A share link could not be fetched. The message explains why, for the employer."""


class _CurrentResolver:
    """The service's current DID resolver, for a checker that outlives a renewal."""

    def __init__(self, service: VerifierService) -> None:
        self._service = service

    def dereference_verification_method(self, *args: Any, **kwargs: Any) -> Any:
        return self._service.resolver().dereference_verification_method(*args, **kwargs)


class VerifierService:
    """Verify credentials and presentations and record each verification."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._lock = threading.Lock()
        self._resolver = self._new_resolver()
        self._resolver_born = time.monotonic()
        self.status_checker = BitstringStatusListChecker(
            resolver=self._resolver,
            allow_http_loopback=settings.allow_http_loopback,
        )
        # Receipts and logs are fetched from the issuer's agent, found through
        # its did:web DID; an unreachable agent or EVM node makes the anchor
        # not_checked.
        self.anchor_checker = AnchorChecker(
            receipts=HttpReceiptLookup(
                allow_http_loopback=settings.allow_http_loopback,
                timeout=settings.fetch_timeout_seconds,
            ),
            logs=HttpLogClients(
                allow_http_loopback=settings.allow_http_loopback,
                timeout=settings.fetch_timeout_seconds,
            ),
            resolver=_CurrentResolver(self),
            evm_nodes=self._evm_nodes(),
            evm_accounts=self.declared_evm_accounts,
        )

    # -- library wiring ------------------------------------------------------

    def _evm_nodes(self) -> dict[int, Any]:
        if not self.settings.evm_nodes:
            return {}
        from web3 import Web3

        timeout = self.settings.fetch_timeout_seconds
        return {
            chain_id: Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
            for chain_id, url in self.settings.evm_nodes
        }

    def declared_evm_accounts(self, issuer: str) -> list[str]:
        """Return the EVM accounts allowed to anchor for ``issuer``.

        The configured ``evm_accounts`` when any names the issuer, otherwise
        every ``blockchainAccountId`` in the issuer's DID document (its
        services and verification methods). A DID that cannot be resolved
        declares none, so its EVM anchors read as not checked.
        """
        configured = [a for did, a in self.settings.evm_accounts if did == issuer]
        if configured:
            return configured
        try:
            document = self.resolver().resolve(issuer)
        except DidResolutionError as e:
            logger.warning(
                "cannot read the EVM accounts of issuer %s: %s", issuer, e.detail
            )
            return []
        accounts: list[str] = []
        for name in ("service", "verificationMethod"):
            entries = document.get(name)
            for entry in entries if isinstance(entries, list) else []:
                value = (
                    entry.get(BLOCKCHAIN_ACCOUNT_ID)
                    if isinstance(entry, dict)
                    else None
                )
                values = value if isinstance(value, list) else [value]
                accounts.extend(v for v in values if isinstance(v, str))
        return accounts

    def _new_resolver(self) -> DidResolver:
        return DidResolver(
            web=DidWebOptions(
                timeout=self.settings.fetch_timeout_seconds,
                allow_http_loopback=self.settings.allow_http_loopback,
            )
        )

    def resolver(self) -> DidResolver:
        with self._lock:
            if time.monotonic() - self._resolver_born > RESOLVER_LIFETIME_SECONDS:
                self._resolver = self._new_resolver()
                self._resolver_born = time.monotonic()
                self.status_checker.resolver = self._resolver
            return self._resolver

    def _hooks(self) -> dict[str, Any]:
        return {
            "resolver": self.resolver(),
            "status_checker": self.status_checker
            if self.settings.check_status
            else None,
            "anchor_checker": self.anchor_checker,
        }

    # -- verification ----------------------------------------------------------

    def verify_credential(
        self, credential: Any, *, channel: str
    ) -> tuple[VerificationResult, str]:
        """Verify a credential, log it, and return the result and its log id."""
        result = verify_credential(credential, **self._hooks())
        return result, self._log(result, channel=channel, source={})

    def verify_presentation(
        self,
        presentation: Any,
        *,
        challenge: str | None,
        domain: str | None,
        channel: str,
        source: dict[str, Any] | None = None,
    ) -> tuple[VerificationResult, str]:
        """Verify a presentation bound to ``challenge``/``domain``, log it, return it."""
        result = verify_presentation(
            presentation, challenge=challenge, domain=domain, **self._hooks()
        )
        return result, self._log(result, channel=channel, source=source or {})

    def _log(
        self, result: VerificationResult, *, channel: str, source: dict[str, Any]
    ) -> str:
        summary = summarize(
            result, settings=self.settings, channel=channel, source=source
        )
        documents = (
            [r.document for r in result.credential_results]
            if result.kind == "presentation"
            else [result.document]
        )
        credential_ids = [
            str(d["id"])
            for d in documents
            if d is not None and isinstance(d.get("id"), str)
        ]
        issuers = [
            i for d in documents if d is not None and (i := issuer_id(d)) is not None
        ]
        logged = self.store.log_verification(
            channel=channel,
            kind=result.kind,
            outcome=summary["verdict"],
            credential_ids=credential_ids[:100],
            issuers=issuers[:100],
            summary=summary,
        )
        logger.info(
            "verified %s via %s: %s (%d credentials, log id %s)",
            result.kind,
            channel,
            summary["verdict"],
            len(credential_ids),
            logged.result_id,
        )
        return logged.result_id

    # -- share links -------------------------------------------------------------

    def check_share_url(self, url: str) -> str:
        """Return ``url`` if the verifier may fetch it, else raise ShareFetchError."""
        if not isinstance(url, str) or not url or len(url) > 2048:
            raise ShareFetchError(
                "the share link is missing or longer than 2048 characters"
            )
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            _require_public_host(
                parts.hostname, allow_loopback=self.settings.allow_http_loopback
            )
            return url
        if (
            parts.scheme == "http"
            and self.settings.allow_http_loopback
            and parts.hostname in ("127.0.0.1", "localhost", "::1")
        ):
            return url
        raise ShareFetchError(
            "the share link must be an https URL"
            + (
                " (or http on a loopback address)"
                if self.settings.allow_http_loopback
                else ""
            )
        )

    def fetch_share(self, url: str) -> ShareDocument:
        """Fetch and parse a wallet's share document; follow no redirects."""
        url = self.check_share_url(url)
        limit = self.settings.max_share_bytes
        try:
            with (
                httpx.Client(
                    timeout=self.settings.fetch_timeout_seconds, follow_redirects=False
                ) as client,
                client.stream(
                    "GET", url, headers={"Accept": "application/json"}
                ) as response,
            ):
                if response.status_code in (404, 410):
                    raise ShareFetchError(
                        "the share link was withdrawn or has expired "
                        f"(the wallet returned HTTP {response.status_code})"
                    )
                if response.status_code != 200:
                    raise ShareFetchError(
                        f"the wallet returned HTTP {response.status_code} for the share link"
                    )
                body = bytearray()
                # httpx's read timeout restarts with every byte, so a wallet
                # that trickles its answer is stopped by a deadline for the
                # whole body.
                deadline = time.monotonic() + self.settings.fetch_timeout_seconds
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > limit:
                        raise ShareFetchError(
                            f"the shared document is larger than {limit} bytes"
                        )
                    if time.monotonic() > deadline:
                        raise ShareFetchError("fetching the share link timed out")
        except httpx.TimeoutException as e:
            raise ShareFetchError("fetching the share link timed out") from e
        except httpx.HTTPError as e:
            raise ShareFetchError(f"the wallet could not be reached: {e}") from e
        try:
            from vcwork.credentials import parse_document

            document = parse_document(bytes(body))
            if json_depth(document) > MAX_JSON_DEPTH:
                raise ShareFetchError("the shared document is nested too deeply")
            share = ShareDocument.from_json(document)
        except VcworkError as e:
            raise ShareFetchError(
                f"the shared document is not valid: {e.detail}"
            ) from e
        if share.domain != origin_of(url):
            raise ShareFetchError(
                f"the presentation was made for {share.domain!r} but was served from "
                f"{origin_of(url)!r}; it may have been copied from another wallet"
            )
        if share.expires is not None and share.expires <= datetime.now(UTC):
            raise ShareFetchError(
                f"the share link expired at {share.expires.isoformat()}"
            )
        return share

    def purge(self) -> int:
        return self.store.purge(
            retention=timedelta(days=self.settings.log_retention_days)
        )


def _require_public_host(host: str, *, allow_loopback: bool) -> None:
    """Reject a share link whose host resolves to a private or local address.

    The verifier fetches share links for anyone who can reach it, so without
    this check it could be used to probe the network it runs in.
    NOTE: the name is resolved again when httpx connects, so a DNS server that
    changes its answer in between is not stopped here.
    """
    import ipaddress
    import socket

    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as e:
        raise ShareFetchError(f"the share link's host {host!r} was not found") from e
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global:
            logger.info("rejected a share link to non-public address %s", address)
            raise ShareFetchError(
                f"the share link's host {host!r} is not a public address; the "
                "verifier only fetches share links from public wallets"
            )
