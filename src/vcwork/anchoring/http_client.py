"""Reading an issuer's anchor log and anchor receipts over HTTP, for verifiers.

The issuer agent publishes its transparency log and the receipts of the
credentials it anchored under its base URL (the URL its did:web DID names):

- ``{base}/anchor/log/tree-head``: the latest signed tree head;
- ``{base}/anchor/log/tree-head/{tree_size}``: the tree head signed at a size;
- ``{base}/anchor/log/consistency-proof?first=M&second=N``;
- ``{base}/anchor/log/entries/{index}`` and ``.../{index}/inclusion-proof``;
- ``{base}/anchor/receipts/{credential id, percent-encoded}``.

:class:`HttpTransparencyLogClient` is the :class:`TransparencyLogClient` a
verifier passes to :class:`AnchorChecker` as ``logs={log_id: client}``, and
:class:`HttpReceiptLookup` is its ``receipts`` look-up. Both fetch HTTPS only,
or plain http to a loopback host when ``allow_http_loopback`` is set. They
follow no redirects, limit the response size and the time per request, and
raise :class:`LedgerRetrievalError` when the issuer cannot be reached, so the
checker reports the anchor as ``not_checked`` instead of failed.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from ..credentials.model import issuer_id
from ..did import did_web_to_url
from ..errors import DidResolutionError
from ._errors import AnchorNotFoundError, LedgerRetrievalError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT_SECONDS",
    "HttpLogClients",
    "HttpReceiptLookup",
    "HttpTransparencyLogClient",
    "issuer_base_url",
    "receipt_url",
]

logger = logging.getLogger(__name__)

# A receipt with an embedded-log record is about 2.3 KB and a consistency
# proof at most 64 hashes (about 4.5 KB), so 256 KiB leaves wide room while
# keeping a hostile server from filling memory.
DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_TIMEOUT_SECONDS = 10.0

RECEIPTS_PATH = "/anchor/receipts/"
LOG_PATH = "/anchor/log"

_LOOPBACK_NAMES = ("localhost",)


def issuer_base_url(issuer: str | None, *, allow_http_loopback: bool = False) -> str:
    """Return the base URL of a did:web issuer, where its agent serves ``/anchor/...``.

    ``did:web:example.org`` gives ``https://example.org`` and
    ``did:web:example.org:programs:a`` gives ``https://example.org/programs/a``.
    A loopback host gets ``http`` when ``allow_http_loopback`` is set, as the
    did:web resolver does. Raises :class:`LedgerRetrievalError` for any other
    DID, because only did:web names a location.
    """
    if not isinstance(issuer, str) or not issuer.startswith("did:web:"):
        raise LedgerRetrievalError(
            f"the anchor receipt URL cannot be derived from the issuer {issuer!r}: "
            "only did:web issuers name a base URL; pass base_url",
            property="issuer",
            value=issuer,
        )
    try:
        document_url = did_web_to_url(issuer)
    except DidResolutionError as e:
        raise LedgerRetrievalError(
            f"the anchor receipt URL cannot be derived from the issuer {issuer!r}: "
            f"{e.detail}",
            property="issuer",
            value=issuer,
        ) from e
    for suffix in ("/.well-known/did.json", "/did.json"):
        if document_url.endswith(suffix):
            document_url = document_url[: -len(suffix)]
            break
    if allow_http_loopback and _is_loopback_host(urlsplit(document_url).hostname):
        document_url = "http://" + document_url[len("https://") :]
    return document_url


def receipt_url(base_url: str, credential_id: str) -> str:
    """Return the URL of a credential's anchor receipt under an issuer's base URL."""
    return base_url.rstrip("/") + RECEIPTS_PATH + quote(credential_id, safe="")


class _JsonFetcher:
    """GET JSON objects with the URL rule, size limit and deadline of this module."""

    def __init__(
        self,
        *,
        allow_http_loopback: bool,
        timeout: float,
        max_bytes: int,
        client: httpx.Client | None,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes!r}")
        self.allow_http_loopback = allow_http_loopback
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._client = client
        self._own_client: httpx.Client | None = None
        self._lock = threading.Lock()

    def check_url(self, url: str) -> None:
        """Raise :class:`LedgerRetrievalError` for a URL that must not be fetched."""
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return
        if (
            parts.scheme == "http"
            and self.allow_http_loopback
            and _is_loopback_host(parts.hostname)
        ):
            return
        allowed = "https" + (
            " (or http to a loopback host)" if self.allow_http_loopback else ""
        )
        raise LedgerRetrievalError(
            f"the anchor URL {url!r} is not fetched: only {allowed} URLs are allowed",
            property="url",
            value=url,
        )

    def get(self, url: str) -> dict[str, Any]:
        """Return the JSON object at ``url``.

        Raises :class:`AnchorNotFoundError` on HTTP 404 and
        :class:`LedgerRetrievalError` on every other failure.
        """
        import httpx

        self.check_url(url)
        logger.debug("fetching anchor data %s", url)
        deadline = time.monotonic() + self.timeout
        try:
            with self._http().stream(
                "GET",
                url,
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                follow_redirects=False,
            ) as response:
                if response.status_code == 404:
                    raise AnchorNotFoundError(
                        f"{url} returned HTTP 404: the issuer has no such record",
                        property="url",
                        value=url,
                    )
                if response.status_code != 200:
                    raise LedgerRetrievalError(
                        f"fetching {url} returned HTTP {response.status_code}; "
                        "expected 200 (redirects are not followed)",
                        property="url",
                        value=url,
                    )
                body = self._read_body(url, response, deadline)
        except httpx.TimeoutException as e:
            raise LedgerRetrievalError(
                f"fetching {url} timed out after {self.timeout} s",
                property="url",
                value=url,
            ) from e
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as e:
            raise LedgerRetrievalError(
                f"fetching {url} failed: {e or type(e).__name__}",
                property="url",
                value=url,
            ) from e
        return _parse_object(url, body)

    def _read_body(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        declared = response.headers.get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.max_bytes
        ):
            raise LedgerRetrievalError(
                f"the response of {url} is {declared} bytes; the limit is "
                f"{self.max_bytes} bytes",
                property="url",
                value=url,
            )
        body = bytearray()
        # NOTE: the deadline is checked between body chunks. Before the body,
        # httpx limits each network operation to ``timeout`` separately.
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise LedgerRetrievalError(
                    f"the response of {url} is larger than the limit of "
                    f"{self.max_bytes} bytes",
                    property="url",
                    value=url,
                )
            if time.monotonic() > deadline:
                raise LedgerRetrievalError(
                    f"reading the response of {url} timed out after {self.timeout} s",
                    property="url",
                    value=url,
                )
        return bytes(body)

    def _http(self) -> httpx.Client:
        if self._client is not None:
            return self._client
        with self._lock:
            if self._own_client is None:
                import httpx

                self._own_client = httpx.Client()
            return self._own_client

    def close(self) -> None:
        with self._lock:
            if self._own_client is not None:
                self._own_client.close()
                self._own_client = None


class HttpTransparencyLogClient:
    """A :class:`TransparencyLogClient` for an issuer agent's log API.

    ``base_url`` is the issuer agent's base URL (``https://issuer.example``).
    ``client`` is an ``httpx.Client`` to send requests with, for its own TLS
    settings; without it the client creates one and :meth:`close` closes it.
    ``timeout`` (seconds) limits each request, body included, and
    ``max_bytes`` the size of each response. Every failure to reach the log,
    HTTP 404 included, raises :class:`LedgerRetrievalError`: a log that
    cannot be read is not evidence of tampering.
    """

    def __init__(
        self,
        base_url: str,
        *,
        allow_http_loopback: bool = False,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._fetcher = _JsonFetcher(
            allow_http_loopback=allow_http_loopback,
            timeout=timeout,
            max_bytes=max_bytes,
            client=client,
        )
        self._fetcher.check_url(self.base_url)

    def get_tree_head(self, tree_size: int | None = None) -> dict[str, Any]:
        """Return the latest signed tree head, or the one signed at ``tree_size``."""
        path = "/tree-head" if tree_size is None else f"/tree-head/{int(tree_size)}"
        return self._get(path)

    def get_consistency_proof(
        self, first_size: int, second_size: int
    ) -> dict[str, Any]:
        """Return the consistency proof between two tree sizes of the log."""
        query = urlencode({"first": int(first_size), "second": int(second_size)})
        return self._get(f"/consistency-proof?{query}")

    def get_inclusion_proof(
        self, entry_index: int, tree_size: int | None = None
    ) -> dict[str, Any]:
        """Return an entry's inclusion path in the tree of ``tree_size`` (default: latest)."""
        path = f"/entries/{int(entry_index)}/inclusion-proof"
        if tree_size is not None:
            path += "?" + urlencode({"tree_size": int(tree_size)})
        return self._get(path)

    def get_entry(self, entry_index: int) -> dict[str, Any]:
        """Return a log entry: ``{"batchId", "batchRoot", "batchSize", "committedAt"}``."""
        return self._get(f"/entries/{int(entry_index)}")

    def _get(self, path: str) -> dict[str, Any]:
        url = self.base_url + LOG_PATH + path
        try:
            return self._fetcher.get(url)
        except AnchorNotFoundError as e:
            raise LedgerRetrievalError(e.detail, property="url", value=url) from e

    def close(self) -> None:
        """Close the HTTP client this object created (a client passed in stays open)."""
        self._fetcher.close()

    def __enter__(self) -> HttpTransparencyLogClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class HttpLogClients:
    """An ``AnchorChecker(logs=...)`` look-up that reaches each did:web log at its DID's URL.

    The embedded log's id is the issuer's DID, so a did:web log id names the
    agent that serves it. Returns None for any other log id, which the
    checker reports as ``not_checked``. Trusting the id for the location is
    safe because the checker verifies every tree head's signature against
    the issuer's key. The options are those of
    :class:`HttpTransparencyLogClient`.
    """

    def __init__(
        self,
        *,
        allow_http_loopback: bool = False,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        client: httpx.Client | None = None,
    ) -> None:
        self._options: dict[str, Any] = {
            "allow_http_loopback": allow_http_loopback,
            "timeout": timeout,
            "max_bytes": max_bytes,
            "client": client,
        }
        self._clients: dict[str, HttpTransparencyLogClient] = {}
        self._lock = threading.Lock()

    def __call__(self, log_id: str) -> HttpTransparencyLogClient | None:
        with self._lock:
            cached = self._clients.get(log_id)
        if cached is not None:
            return cached
        try:
            base_url = issuer_base_url(
                log_id, allow_http_loopback=self._options["allow_http_loopback"]
            )
            client = HttpTransparencyLogClient(base_url, **self._options)
        except LedgerRetrievalError as e:
            logger.debug("no HTTP client for anchor log %s: %s", log_id, e.detail)
            return None
        with self._lock:
            return self._clients.setdefault(log_id, client)

    def close(self) -> None:
        """Close the HTTP clients created so far."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


class HttpReceiptLookup:
    """An ``AnchorChecker(receipts=...)`` look-up that fetches receipts from the issuer.

    The receipt of a credential is at
    ``{base_url}/anchor/receipts/{percent-encoded credential id}``. Without
    ``base_url``, the base URL is derived from the credential's did:web
    issuer (see :func:`issuer_base_url`). Returns None when the issuer
    returns HTTP 404 (the credential was not anchored, or its batch is not closed
    yet). Raises :class:`LedgerRetrievalError` when the issuer cannot be
    reached or the credential has no string ``id``. The other options are
    those of :class:`HttpTransparencyLogClient`.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        allow_http_loopback: bool = False,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url is not None else None
        self._fetcher = _JsonFetcher(
            allow_http_loopback=allow_http_loopback,
            timeout=timeout,
            max_bytes=max_bytes,
            client=client,
        )
        if self.base_url is not None:
            self._fetcher.check_url(self.base_url)

    def receipt_url(self, credential: dict[str, Any]) -> str:
        """Return the URL this look-up fetches the credential's receipt from."""
        credential_id = credential.get("id") if isinstance(credential, dict) else None
        if not isinstance(credential_id, str) or not credential_id:
            raise LedgerRetrievalError(
                "the credential has no id, so its anchor receipt cannot be looked up "
                "by id; pass the receipt to AnchorChecker.check instead",
                property="id",
            )
        base_url = self.base_url
        if base_url is None:
            base_url = issuer_base_url(
                issuer_id(credential),
                allow_http_loopback=self._fetcher.allow_http_loopback,
            )
        return receipt_url(base_url, credential_id)

    def __call__(self, credential: dict[str, Any]) -> dict[str, Any] | None:
        url = self.receipt_url(credential)
        try:
            return self._fetcher.get(url)
        except AnchorNotFoundError:
            logger.debug("no anchor receipt at %s", url)
            return None

    def close(self) -> None:
        """Close the HTTP client this object created (a client passed in stays open)."""
        self._fetcher.close()

    def __enter__(self) -> HttpReceiptLookup:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_object(url: str, body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise LedgerRetrievalError(
            f"the response of {url} is not valid JSON: {e}", property="url", value=url
        ) from e
    if not isinstance(value, dict):
        raise LedgerRetrievalError(
            f"the response of {url} is a JSON {type(value).__name__}, expected an object",
            property="url",
            value=url,
        )
    return value
