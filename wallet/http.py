"""Outgoing HTTP for the wallet: https only (http to loopback when allowed), size-limited."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import ExchangeError, UpstreamError

__all__ = ["ExchangeClient", "check_url"]

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 2 * 1024 * 1024
_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: Any, *, what: str, allow_http_loopback: bool) -> str:
    """Return ``url`` when the wallet may fetch it, else raise ExchangeError."""
    if not isinstance(url, str) or not url:
        raise ExchangeError(f"{what} is missing or not a string")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if (
        parts.scheme == "http"
        and parts.hostname
        and allow_http_loopback
        and _is_loopback(parts.hostname)
    ):
        return url
    allowed = "an https URL"
    if allow_http_loopback:
        allowed += " (or http on a loopback host)"
    raise ExchangeError(f"{what} {url!r} is not {allowed}", value=url)


class ExchangeClient:
    """Sends the wallet's requests to issuers and verifiers and parses JSON replies."""

    def __init__(
        self,
        *,
        allow_http_loopback: bool = False,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.allow_http_loopback = allow_http_loopback
        self._timeout = timeout
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport
        )

    def close(self) -> None:
        self._client.close()

    def check(self, url: Any, what: str) -> str:
        return check_url(url, what=what, allow_http_loopback=self.allow_http_loopback)

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        """Send a request and read at most ``MAX_RESPONSE_BYTES`` of its body."""
        url = self.check(url, what)
        try:
            with self._client.stream(
                method, url, headers=headers, data=data, json=json_body
            ) as response:
                body = bytearray()
                # The read timeout restarts with every byte, so a server that
                # trickles its answer is stopped by a deadline for the body.
                deadline = time.monotonic() + self._timeout
                for chunk in response.iter_bytes():
                    body += chunk
                    if time.monotonic() > deadline:
                        raise UpstreamError(f"{what} at {url} did not answer in time")
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise ExchangeError(
                            f"the response from {what} is larger than "
                            f"{MAX_RESPONSE_BYTES} bytes"
                        )
                response._content = bytes(body)
        except httpx.HTTPError as e:
            logger.warning("request to %s failed: %s", url, e)
            raise UpstreamError(f"could not reach {what} at {url}: {e}") from e
        return response

    def json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        """Parse a JSON object reply; a 4xx/5xx reply becomes an ExchangeError."""
        if response.status_code >= 400:
            raise UpstreamError(
                f"{what} returned HTTP {response.status_code}: {_error_text(response)}"
            )
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError) as e:
            raise ExchangeError(f"{what} did not return valid JSON: {e}") from e
        if not isinstance(data, dict):
            raise ExchangeError(f"{what} returned JSON that is not an object")
        return data

    def get_json(self, url: str, *, what: str) -> dict[str, Any]:
        response = self.request(
            "GET", url, what=what, headers={"Accept": "application/json"}
        )
        return self.json(response, what)


def _error_text(response: httpx.Response) -> str:
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):
        return response.text[:200] or "(no body)"
    if isinstance(data, dict):
        for key in ("error_description", "detail", "error", "title"):
            if isinstance(data.get(key), str):
                return str(data[key])[:200]
    return response.text[:200]
