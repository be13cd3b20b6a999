"""The FastAPI application of the employer's verifier agent."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import qrcode
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .api import DEFAULT_QUERIES, create_presentation_request, request_links, router
from .http import (
    BodyLimitMiddleware,
    ProblemError,
    is_api_path,
    problem_response,
    rate_limit_middleware,
)
from .service import ShareFetchError, VerifierService
from .settings import Settings
from .store import Store

__all__ = ["create_app"]

logger = logging.getLogger(__name__)
TEMPLATES_DIR = Path(__file__).parent / "templates"


def qr_data_url(text: str) -> str:
    """Return a PNG QR code of ``text`` as a data URL."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4
    )
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def create_app(settings: Settings) -> FastAPI:
    """Build the verifier agent: VC API, OpenID4VP, share links and employer pages."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url)
    service = VerifierService(settings, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.purge)
        logger.info("verifier agent started at %s", settings.base_url)
        yield
        store.close()
        logger.info("verifier agent stopped")

    app = FastAPI(
        title="vcwork verifier agent", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

    def render(
        request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        return templates.TemplateResponse(
            request, name, {"settings": settings, **context}, status_code=status
        )

    def html_error(request: Request) -> Callable[[ProblemError], Response]:
        return lambda error: render(
            request, "error.html", {"error": error}, error.status
        )

    app.state.service = service
    app.state.html_error = html_error

    def wants_html(request: Request) -> bool:
        return not is_api_path(request.url.path) and not request.url.path.endswith(
            "/status"
        )

    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, error: ProblemError) -> Response:
        if error.status >= 500:
            logger.error(
                "%s %s failed: %s", request.method, request.url.path, error.detail
            )
        return problem_response(
            error, html=html_error(request) if wants_html(request) else None
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        problem = ProblemError(
            error.status_code,
            titles.get(error.status_code, "HTTP error"),
            str(error.detail),
            kind="http-error",
        )
        return problem_response(
            problem, html=html_error(request) if wants_html(request) else None
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation(
        request: Request, error: RequestValidationError
    ) -> Response:
        problem = ProblemError(
            400,
            "Invalid request",
            "; ".join(str(e.get("msg")) for e in error.errors()[:5]),
        )
        return problem_response(
            problem, html=html_error(request) if wants_html(request) else None
        )

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        problem = ProblemError(
            500,
            "Internal error",
            "the verifier failed unexpectedly; the error is logged",
            kind="internal",
        )
        return problem_response(
            problem, html=html_error(request) if wants_html(request) else None
        )

    app.middleware("http")(
        rate_limit_middleware(
            count=lambda client, now: store.count_request(
                client, window_seconds=settings.rate_limit_window_seconds, now=now
            ),
            limit=settings.rate_limit_requests,
            window_seconds=settings.rate_limit_window_seconds,
        )
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.include_router(router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        return render(request, "home.html", {})

    @app.post("/requests")
    async def create_request_page(request: Request) -> Response:
        fields = parse_qs(
            (await request.body()).decode("utf-8", "replace"), max_num_fields=20
        )
        purpose = fields.get("purpose", [""])[0][:200]
        queries = [DEFAULT_QUERIES["badges"]]
        if fields.get("endorsements"):
            queries.append(DEFAULT_QUERIES["endorsements"])
        row = await run_in_threadpool(
            create_presentation_request, service, queries=queries, purpose=purpose
        )
        return RedirectResponse(f"/requests/{row.page_id}", status_code=303)

    @app.get("/requests/{page_id}", response_class=HTMLResponse)
    async def request_page(request: Request, page_id: str) -> HTMLResponse:
        row = await run_in_threadpool(store.request_by_page, page_id[:128])
        if row is None:
            raise ProblemError(
                404,
                "Request not found",
                "This request does not exist or was deleted after its retention period.",
            )
        links = request_links(service, row)
        return render(
            request,
            "request.html",
            {
                "row": row,
                "links": links,
                "qr": qr_data_url(links["authorization_link"]),
            },
        )

    @app.get("/requests/{page_id}/result", response_class=HTMLResponse)
    async def request_result_page(request: Request, page_id: str) -> HTMLResponse:
        row = await run_in_threadpool(store.request_by_page, page_id[:128])
        if row is None or not row.result_id:
            raise ProblemError(
                404, "No result yet", "The wallet has not answered this request."
            )
        records = [
            await run_in_threadpool(store.record, rid) for rid in row.result_id.split()
        ]
        summaries = [r.summary for r in records if r is not None]
        return render(
            request, "result.html", {"summaries": summaries, "rejection": row.error}
        )

    @app.get("/results/{result_id}", response_class=HTMLResponse)
    async def result_page(request: Request, result_id: str) -> HTMLResponse:
        record = await run_in_threadpool(store.record, result_id[:128])
        if record is None:
            raise ProblemError(
                404,
                "Result not found",
                "This result does not exist or passed its retention period.",
            )
        return render(
            request, "result.html", {"summaries": [record.summary], "rejection": None}
        )

    @app.get("/share", response_class=HTMLResponse)
    async def share_page(request: Request, u: str = "") -> Response:
        try:
            share = await run_in_threadpool(service.fetch_share, u)
        except ShareFetchError as e:
            status = 400 if "must be" in str(e) or "missing" in str(e) else 502
            raise ProblemError(
                status, "The share link could not be used", str(e), kind="share-failed"
            ) from e
        _, result_id = await run_in_threadpool(
            lambda: service.verify_presentation(
                share.presentation,
                challenge=share.challenge,
                domain=share.domain,
                channel="share",
                source={"share_url": u},
            )
        )
        return RedirectResponse(f"/results/{result_id}", status_code=303)

    @app.get("/learn", response_class=HTMLResponse)
    async def learn(request: Request) -> HTMLResponse:
        return render(request, "learn.html", {})

    @app.get("/trust", response_class=HTMLResponse)
    async def trust(request: Request) -> HTMLResponse:
        return render(request, "trust.html", {})

    @app.get("/log", response_class=HTMLResponse)
    async def log_page(request: Request) -> HTMLResponse:
        # The log links every result page, with the holders' DIDs and what
        # they disclosed, so it is shown only on the verifier's own machine.
        client = request.client.host if request.client else ""
        if client not in ("127.0.0.1", "::1", "localhost"):
            logger.info("refused the verification log to %s", client)
            error = {
                "title": "Not available here",
                "detail": "The verification log is shown only on the verifier's "
                "own machine (a loopback address).",
                "status": 403,
            }
            return render(request, "error.html", {"error": error}, 403)
        records = await run_in_threadpool(store.recent_records, 100)
        counts = await run_in_threadpool(store.counts)
        return render(request, "log.html", {"records": records, "counts": counts})

    return app
