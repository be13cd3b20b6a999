"""The wallet web app: FastAPI with server-rendered pages, problem details for JSON routes."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import WalletError, WalletLockedError, WalletMissingError
from .service import WalletService
from .settings import Settings
from .store import UnlockedWallet

__all__ = ["SESSION_COOKIE", "create_app"]

logger = logging.getLogger(__name__)

SESSION_COOKIE = "vcwork_wallet_session"
_TEMPLATES = Path(__file__).parent / "templates"
_PROBLEM_BASE = "https://vcwork.dev/problems/wallet#"
# Routes for machines, which get JSON problem details instead of HTML pages.
_API_PREFIXES = ("/s/", "/api/", "/healthz")
# Routes that take file uploads, with the larger backup limit.
_UPLOAD_PATHS = ("/backup/import", "/receive", "/present")


def is_api_path(path: str) -> bool:
    return path.startswith(_API_PREFIXES) or path.endswith(".json")


def problem_response(status: int, title: str, detail: str, code: str) -> JSONResponse:
    return JSONResponse(
        {
            "type": _PROBLEM_BASE + code,
            "title": title,
            "status": status,
            "detail": detail,
        },
        status_code=status,
        media_type="application/problem+json",
    )


class BodySizeLimit:
    """Reject request bodies over a byte limit, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.max_upload_bytes if path in _UPLOAD_PATHS else self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    await self._reject(scope, send, limit)
                    return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if too_large and not started:
            await self._reject(scope, send, limit)

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        response = problem_response(
            413,
            "Request body too large",
            f"the request body is larger than {limit} bytes",
            "BODY_TOO_LARGE",
        )
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


class Pages:
    """Template rendering and session handling shared by the routes."""

    def __init__(self, service: WalletService) -> None:
        self.service = service
        self.templates = Jinja2Templates(directory=str(_TEMPLATES))

    @property
    def settings(self) -> Settings:
        return self.service.settings

    def session_token(self, request: Request) -> str | None:
        return request.cookies.get(SESSION_COOKIE)

    def csrf_token(self, request: Request) -> str:
        token = self.session_token(request) or ""
        return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()

    def wallet(self, request: Request) -> UnlockedWallet:
        """Return the wallet unlocked by the request's session cookie."""
        token = self.session_token(request)
        if not token:
            if not self.service.store.exists():
                raise WalletMissingError("set up your wallet first")
            raise WalletLockedError(
                "the wallet is locked; unlock it with your passphrase"
            )
        return self.service.store.resume_session(token)

    async def form(self, request: Request, *, files: bool = False) -> dict[str, Any]:
        """Read a form and check its CSRF token when a session is open."""
        try:
            data = await request.form(
                max_files=1 if files else 0,
                max_fields=200,
                max_part_size=self.settings.max_backup_bytes,
            )
        except (StarletteHTTPException, ValueError, AssertionError) as e:
            raise WalletError(f"the form could not be read: {e}") from e
        values: dict[str, Any] = {}
        for key, value in data.multi_items():
            if key in values:
                existing = values[key]
                values[key] = (
                    [*existing, value]
                    if isinstance(existing, list)
                    else [existing, value]
                )
            else:
                values[key] = value
        if self.session_token(request):
            sent = values.get("csrf")
            if not isinstance(sent, str) or not hmac.compare_digest(
                sent, self.csrf_token(request)
            ):
                raise WalletError(
                    "the form expired or came from another site; reload the page and "
                    "submit it again"
                )
        return values

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        context.setdefault("unlocked", bool(self.session_token(request)))
        return self.templates.TemplateResponse(
            request,
            name,
            {"csrf": self.csrf_token(request), **context},
            status_code=status,
        )


def _install_error_handlers(app: FastAPI, pages: Pages) -> None:
    def html_error(request: Request, status: int, title: str, detail: str) -> Response:
        return pages.render(
            request, "error.html", status=status, title=title, detail=detail
        )

    @app.exception_handler(WalletError)
    async def wallet_error(request: Request, error: WalletError) -> Response:
        if is_api_path(request.url.path):
            return problem_response(error.status, error.title, error.detail, error.code)
        if isinstance(error, WalletMissingError):
            return RedirectResponse("/setup", status_code=303)
        if isinstance(error, WalletLockedError):
            target = "/unlock?next=" + quote(request.url.path, safe="/")
            response = RedirectResponse(target, status_code=303)
            response.delete_cookie(SESSION_COOKIE)
            return response
        return html_error(request, error.status, error.title, error.detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        title = "Not found" if error.status_code == 404 else "Request failed"
        detail = (
            "there is no page at this address"
            if error.status_code == 404
            else str(error.detail)
        )
        if is_api_path(request.url.path):
            return problem_response(error.status_code, title, detail, "HTTP_ERROR")
        return html_error(request, error.status_code, title, detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(
        request: Request, error: RequestValidationError
    ) -> Response:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
            for e in error.errors()[:5]
        )
        if is_api_path(request.url.path):
            return problem_response(400, "Invalid request", detail, "INVALID_REQUEST")
        return html_error(request, 400, "Invalid request", detail)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        detail = "the wallet hit an unexpected error; nothing was changed"
        if is_api_path(request.url.path):
            return problem_response(500, "Internal error", detail, "INTERNAL_ERROR")
        return html_error(request, 500, "Internal error", detail)


def create_app(settings: Settings) -> FastAPI:
    """Build the wallet web app for ``settings``; the database is created if missing."""
    from .pages import router

    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    service = WalletService(settings)
    pages = Pages(service)
    app = FastAPI(
        title="vcwork wallet",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.pages = pages
    app.state.service = service
    _install_error_handlers(app, pages)
    app.include_router(router)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        # Everything is served by the wallet itself: inline styles and data: images only.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not is_api_path(request.url.path):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_backup_bytes,
    )
    return app
