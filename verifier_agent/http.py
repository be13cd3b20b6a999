"""HTTP plumbing: problem details, body size and rate limits, HTML or JSON errors."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "BodyLimitMiddleware",
    "ProblemError",
    "is_api_path",
    "problem_response",
    "rate_limit_middleware",
]

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Problem types of the agent itself; the library's problems keep the spec URLs.
AGENT_PROBLEM_BASE = "urn:vcwork:problem:"
_API_PREFIXES = ("/credentials/", "/presentations/", "/oid4vp/", "/api/")


def is_api_path(path: str) -> bool:
    return path.startswith(_API_PREFIXES)


class ProblemError(Exception):
    """An error answered as RFC 9457 problem details (or an HTML page for browsers).

    ``extra`` adds members, such as OAuth's ``error`` and ``error_description``.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        kind: str = "invalid-request",
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "type": AGENT_PROBLEM_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


def problem_response(
    error: ProblemError, *, html: Callable[[ProblemError], Response] | None = None
) -> Response:
    if html is not None:
        response = html(error)
        response.headers.update(error.headers)
        return response
    return JSONResponse(
        error.body(),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers,
    )


def _raw_problem(status: int, title: str, detail: str, kind: str) -> bytes:
    body = ProblemError(status, title, detail, kind=kind).body()
    return json.dumps(body).encode()


class BodyLimitMiddleware:
    """Reject request bodies larger than ``max_bytes`` with 413 before the app reads them.

    The body is buffered up to the limit and replayed to the app, so a
    client that sends no or a false ``Content-Length`` is limited too.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_bytes
            except ValueError:
                await self._reject(send, 400, "Content-Length is not a number")
                return
            if too_large:
                await self._reject_large(send)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject_large(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject_large(self, send: Send) -> None:
        await self._reject(
            send,
            413,
            f"the request body is larger than {self.max_bytes} bytes; send a "
            "smaller credential or presentation",
        )

    async def _reject(self, send: Send, status: int, detail: str) -> None:
        title = "Request body too large" if status == 413 else "Invalid request"
        kind = "body-too-large" if status == 413 else "invalid-request"
        payload = _raw_problem(status, title, detail, kind)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def rate_limit_middleware(
    *, count: Callable[[str, float], int], limit: int, window_seconds: int
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """Return an HTTP middleware that answers 429 past ``limit`` requests per window.

    ``count(client, now)`` records one request and returns the window's total;
    it is backed by the database, so the limit holds across replicas.
    """

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path in ("/healthz",):
            return await call_next(request)
        client = request.client.host if request.client else "unknown"
        total = await run_in_threadpool(count, client, time.time())
        if total > limit:
            retry = window_seconds - int(time.time()) % window_seconds
            logger.warning("rate limit reached for %s (%d requests)", client, total)
            error = ProblemError(
                429,
                "Too many requests",
                f"more than {limit} requests in {window_seconds} s from this "
                f"client; retry in {retry} s",
                kind="rate-limited",
                headers={"Retry-After": str(retry)},
            )
            html = (
                request.app.state.html_error(request)
                if not is_api_path(request.url.path)
                else None
            )
            return problem_response(error, html=html)
        return await call_next(request)

    return middleware
