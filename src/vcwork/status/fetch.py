"""Fetching status list credentials: the fetcher interface and the default httpx one.

A fetcher dereferences exactly the ``statusListCredential`` URL it is given.
The default one follows no redirects, so it contacts no host but the URL's.

NOTE: the default fetcher does not block private or link-local addresses, so
a verifier that checks untrusted credentials inside a private network should
pass a fetcher that does.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from ._errors import StatusRetrievalError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT_SECONDS",
    "FetchResponse",
    "Fetcher",
    "HttpxFetcher",
    "cache_lifetime_from_headers",
]

logger = logging.getLogger(__name__)

# A signed list of 131,072 entries is a few kilobytes; 4 MiB leaves room for
# long lists without letting a hostile server exhaust memory.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 10.0

_ACCEPT = (
    "application/vc, application/vc+ld+json, application/ld+json, application/json"
)


@dataclass(frozen=True)
class FetchResponse:
    """The body of a status list credential and the HTTP headers that came with it.

    Header names are lower case. A fetcher that reads from a file or a
    database leaves ``headers`` empty.
    """

    content: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


Fetcher = Callable[[str], FetchResponse]
"""Return the status list credential at a URL; raise StatusRetrievalError on failure."""


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpxFetcher:
    """Fetch over HTTPS with httpx, with a size limit, a timeout and no redirects.

    ``allow_http_loopback`` also allows plain ``http`` to 127.0.0.1, ::1 and
    localhost, for local testing.
    """

    def __init__(
        self,
        *,
        allow_http_loopback: bool = False,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.allow_http_loopback = allow_http_loopback
        self.timeout = timeout
        self.max_bytes = max_bytes

    def check_url(self, url: str) -> None:
        """Raise :class:`StatusRetrievalError` for a URL this fetcher must not fetch."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme == "https" and host:
            return
        if (
            parts.scheme == "http"
            and self.allow_http_loopback
            and _is_loopback_host(host)
        ):
            return
        allowed = "https" + (
            " (or http to a loopback address)" if self.allow_http_loopback else ""
        )
        raise StatusRetrievalError(
            f"the status list URL {url!r} is not fetched: only {allowed} URLs are "
            "allowed",
            property="statusListCredential",
            value=url,
        )

    def __call__(self, url: str) -> FetchResponse:
        import httpx

        self.check_url(url)
        logger.debug("fetching status list %s", url)
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                with client.stream("GET", url, headers={"Accept": _ACCEPT}) as response:
                    if response.status_code != 200:
                        raise StatusRetrievalError(
                            f"fetching the status list {url} returned HTTP "
                            f"{response.status_code}; expected 200 (redirects are "
                            "not followed)",
                            property="statusListCredential",
                            value=url,
                        )
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > self.max_bytes:
                            raise StatusRetrievalError(
                                f"the status list {url} is larger than "
                                f"{self.max_bytes} bytes",
                                property="statusListCredential",
                                value=url,
                            )
                    headers = {k.lower(): v for k, v in response.headers.items()}
        except httpx.TimeoutException as e:
            raise StatusRetrievalError(
                f"fetching the status list {url} timed out after {self.timeout} s",
                property="statusListCredential",
                value=url,
            ) from e
        except httpx.HTTPError as e:
            raise StatusRetrievalError(
                f"fetching the status list {url} failed: {e}",
                property="statusListCredential",
                value=url,
            ) from e
        return FetchResponse(bytes(body), headers)


def cache_lifetime_from_headers(
    headers: Mapping[str, str], *, now: datetime | None = None
) -> float | None:
    """Return how many seconds a response may be cached, from HTTP caching headers.

    ``Cache-Control: no-store`` or ``no-cache`` gives 0; ``max-age`` wins
    over ``Expires`` (RFC 9111, section 5.3). Returns None when neither is set.
    """
    cache_control = headers.get("cache-control", "")
    directives = [d.strip().lower() for d in cache_control.split(",") if d.strip()]
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age":
            try:
                return max(0.0, float(int(value.strip().strip('"'))))
            except ValueError:
                return 0.0
    expires = headers.get("expires")
    if expires is None:
        return None
    try:
        moment = parsedate_to_datetime(expires)
    except (TypeError, ValueError):
        return 0.0  # RFC 9111, section 5.3: an invalid Expires means already expired
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    reference = now or _date_header(headers) or datetime.now(UTC)
    return max(0.0, (moment - reference).total_seconds())


def _date_header(headers: Mapping[str, str]) -> datetime | None:
    value = headers.get("date")
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
