"""HTTP plumbing: problem details (RFC 9457), OAuth error bodies and the body limit."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vcwork.errors import VcworkError
from vcwork.exchange.oid4vci import Oid4vciError

from .errors import AgentError

__all__ = ["BodySizeLimit", "BodyTooLargeError", "install_error_handlers", "problem"]

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://vcwork.dev/problems/"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """Return an RFC 9457 problem details response."""
    slug = title.lower().replace(" ", "-")
    body = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def _describe_validation_error(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    message = str(error.get("msg", "invalid value"))
    return f"{location or 'body'}: {message}"


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as JSON, so no handler leaks a stack trace."""

    @app.exception_handler(AgentError)
    async def _agent_error(_request: Request, exc: AgentError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(Oid4vciError)
    async def _oauth_error(_request: Request, exc: Oid4vciError) -> JSONResponse:
        headers = {"Cache-Control": "no-store"}
        if exc.status == 401:
            headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
        return JSONResponse(
            exc.to_oauth_json(), status_code=exc.status, headers=headers
        )

    @app.exception_handler(VcworkError)
    async def _library_error(_request: Request, exc: VcworkError) -> JSONResponse:
        problem_json = exc.to_problem().to_json()
        return problem(
            422,
            "Invalid input",
            exc.detail,
            code=problem_json.get("code"),
            property=problem_json.get("property"),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(
        _request: Request, exc: RequestValidationError
    ) -> JSONResponse:
        errors = exc.errors()
        details = "; ".join(_describe_validation_error(dict(e)) for e in errors[:5])
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem(
                400, "Malformed JSON", f"the request body is not valid JSON: {details}"
            )
        return problem(422, "Invalid input", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(
        _request: Request, exc: StarletteHTTPException
    ) -> JSONResponse:
        title = {401: "Unauthorized", 404: "Not found", 405: "Method not allowed"}.get(
            exc.status_code, "HTTP error"
        )
        response = problem(exc.status_code, title, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(request: Request, _exc: BodyTooLargeError) -> JSONResponse:
        limit = request.app.state.max_body_bytes
        return problem(
            413,
            "Request too large",
            f"the request body exceeds the limit of {limit} bytes",
        )

    @app.exception_handler(RecursionError)
    async def _too_deep(_request: Request, _exc: RecursionError) -> JSONResponse:
        return problem(400, "Malformed JSON", "the request body is nested too deeply")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error(
            "unexpected error on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc_info=exc,
        )
        return problem(
            500, "Internal error", "the agent failed unexpectedly; the error is logged"
        )


class BodySizeLimit:
    """Reject request bodies larger than ``max_bytes`` with 413, while they stream in."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if (
                name == b"content-length"
                and value.isdigit()
                and int(value) > self.max_bytes
            ):
                await _send_too_large(send, self.max_bytes)
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not response_started:
                await _send_too_large(send, self.max_bytes)


class BodyTooLargeError(Exception):
    """A streamed request body passed the size limit."""


async def _send_too_large(send: Send, max_bytes: int) -> None:
    response = problem(
        413,
        "Request too large",
        f"the request body exceeds the limit of {max_bytes} bytes",
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(k.encode(), v.encode()) for k, v in response.headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": response.body})
