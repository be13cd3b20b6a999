"""JSON routes: the VC API verify endpoints, OpenID4VP endpoints and the log API."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from vcwork.credentials import VerificationResult, parse_document
from vcwork.errors import ParsingError
from vcwork.exchange.oid4vp import (
    REQUEST_OBJECT_MEDIA_TYPE,
    AuthorizationRequest,
    CredentialQuery,
    Oid4vpError,
    authorization_link,
    encode_request_object,
    matches_credential_query,
    parse_dcql_query,
    parse_direct_post_response,
)

from .http import ProblemError
from .service import MAX_JSON_DEPTH, VerifierService, json_depth
from .store import PresentationRequestRow

__all__ = ["DEFAULT_QUERIES", "create_presentation_request", "router"]

logger = logging.getLogger(__name__)
router = APIRouter()

VC_TYPE_IRI = "https://www.w3.org/2018/credentials#VerifiableCredential"
OB_VOCAB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
DEFAULT_QUERIES = {
    "badges": CredentialQuery(
        id="badges",
        type_values=((VC_TYPE_IRI, OB_VOCAB + "OpenBadgeCredential"),),
        claims=(("credentialSubject", "achievement"),),
        multiple=True,
    ),
    "endorsements": CredentialQuery(
        id="endorsements",
        type_values=((VC_TYPE_IRI, OB_VOCAB + "EndorsementCredential"),),
        multiple=True,
    ),
}


def service_of(request: Request) -> VerifierService:
    service: VerifierService = request.app.state.service
    return service


async def read_json_object(request: Request) -> dict[str, Any]:
    """Parse the body as a JSON object of bounded depth; raise ProblemError (400)."""
    body = await request.body()
    try:
        document = parse_document(body)
    except ParsingError as e:
        raise ProblemError(
            400, "Invalid JSON body", e.detail, kind="invalid-json"
        ) from e
    if json_depth(document) > MAX_JSON_DEPTH:
        raise ProblemError(
            400,
            "JSON nested too deeply",
            f"the body nests more than {MAX_JSON_DEPTH} levels of objects and arrays",
            kind="invalid-json",
        )
    return document


def _options(body: dict[str, Any]) -> dict[str, Any]:
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise ProblemError(
            400,
            "Invalid options",
            "options must be a JSON object",
            kind="invalid-request",
        )
    return options


def _vc_api_body(result: VerificationResult, result_id: str) -> dict[str, Any]:
    """Render a result in the VC API verify response shape plus vcwork's details."""
    body = result.to_json()
    body["checks"] = [c.name for c in result.checks if c.outcome == "passed"]
    body["errors"] = [p.to_json() for p in result.problems]
    body["problemDetails"] = body["errors"]
    body["details"] = {
        "checks": [c.to_json() for c in result.checks],
        "credentialResults": body.pop("credentialResults", []),
    }
    body.pop("problems", None)
    body["resultId"] = result_id
    return body


@router.post("/credentials/verify")
async def verify_credential_route(request: Request) -> JSONResponse:
    """VC API: verify a credential; 200 when verified, 400 with the problems if not."""
    body = await read_json_object(request)
    _options(body)
    credential = body.get("verifiableCredential")
    if not isinstance(credential, dict):
        raise ProblemError(
            400,
            "Missing credential",
            "the body must have a verifiableCredential object",
            kind="invalid-request",
            extra={"verified": False},
        )
    service = service_of(request)
    result, result_id = await run_in_threadpool(
        service.verify_credential, credential, channel="vc-api"
    )
    return JSONResponse(
        _vc_api_body(result, result_id), status_code=200 if result.verified else 400
    )


@router.post("/presentations/verify")
async def verify_presentation_route(request: Request) -> JSONResponse:
    """VC API: verify a presentation against options.challenge and options.domain."""
    body = await read_json_object(request)
    options = _options(body)
    presentation = body.get("verifiablePresentation")
    if not isinstance(presentation, dict):
        raise ProblemError(
            400,
            "Missing presentation",
            "the body must have a verifiablePresentation object",
            kind="invalid-request",
            extra={"verified": False},
        )
    challenge = options.get("challenge")
    domain = options.get("domain")
    for name, value in (("challenge", challenge), ("domain", domain)):
        if value is not None and not isinstance(value, str):
            raise ProblemError(
                400,
                f"Invalid {name}",
                f"options.{name} must be a string",
                kind="invalid-request",
                extra={"verified": False},
            )
    service = service_of(request)
    result, result_id = await run_in_threadpool(
        service.verify_presentation,
        presentation,
        challenge=challenge,
        domain=domain,
        channel="vc-api",
    )
    return JSONResponse(
        _vc_api_body(result, result_id), status_code=200 if result.verified else 400
    )


# -- OpenID4VP ----------------------------------------------------------------


def create_presentation_request(
    service: VerifierService,
    *,
    queries: list[CredentialQuery],
    purpose: str,
) -> PresentationRequestRow:
    """Create and store an Authorization Request; return its row."""
    from vcwork.exchange.oid4vp import new_nonce

    settings = service.settings
    now = datetime.now(UTC)
    authorization = AuthorizationRequest.create(
        response_uri=settings.response_uri,
        queries=queries,
        lifetime=timedelta(seconds=settings.request_lifetime_seconds),
        now=now,
        client_name=settings.verifier_name,
    )
    row = PresentationRequestRow(
        request_id=new_nonce(),
        page_id=new_nonce(),
        state=authorization.state,
        nonce=authorization.nonce,
        client_id=authorization.client_id,
        request_object=encode_request_object(authorization),
        purpose=purpose[:200],
        created_at=now,
        expires_at=authorization.expires_at,
        status="pending",
    )
    service.store.add_request(row)
    logger.info("created presentation request %s", row.request_id)
    return row


def request_links(
    service: VerifierService, row: PresentationRequestRow
) -> dict[str, str]:
    base = service.settings.base_url
    request_uri = f"{base}/oid4vp/request/{row.request_id}"
    return {
        "request_uri": request_uri,
        "authorization_link": authorization_link(
            client_id=row.client_id, request_uri=request_uri
        ),
        "page_url": f"{base}/requests/{row.page_id}",
        "status_url": f"{base}/requests/{row.page_id}/status",
    }


@router.post("/api/presentation-requests")
async def create_request_route(request: Request) -> JSONResponse:
    """Create an OpenID4VP request; the body may carry a ``dcql_query`` and ``purpose``."""
    body = await read_json_object(request)
    if "dcql_query" in body:
        try:
            queries = parse_dcql_query(body["dcql_query"])
        except Oid4vpError as e:
            raise ProblemError(400, "Invalid DCQL query", e.detail) from e
    else:
        queries = [DEFAULT_QUERIES["badges"]]
    purpose = body.get("purpose", "")
    if not isinstance(purpose, str):
        raise ProblemError(400, "Invalid purpose", "purpose must be a string")
    service = service_of(request)
    row = await run_in_threadpool(
        create_presentation_request, service, queries=queries, purpose=purpose
    )
    return JSONResponse(
        {**request_links(service, row), "expires_at": row.expires_at.isoformat()},
        status_code=201,
    )


def _oauth_error(status: int, error: str, description: str, kind: str) -> ProblemError:
    return ProblemError(
        status,
        "OpenID4VP request rejected",
        description,
        kind=kind,
        extra={"error": error, "error_description": description},
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@router.get("/oid4vp/request/{request_id}")
async def request_object_route(request: Request, request_id: str) -> Response:
    """Serve the Request Object (JAR by reference) as an unsecured JWT."""
    service = service_of(request)
    row = await run_in_threadpool(service.store.request_by_id, request_id[:128])
    if row is None:
        raise _oauth_error(
            404, "invalid_request", "no such presentation request", "request-not-found"
        )
    if _aware(row.expires_at) <= datetime.now(UTC):
        raise _oauth_error(
            400,
            "invalid_request",
            "the presentation request has expired; ask the employer for a new QR code",
            "request-expired",
        )
    if row.status != "pending":
        raise _oauth_error(
            400,
            "invalid_request",
            "the presentation request was already answered",
            "request-used",
        )
    return Response(row.request_object, media_type=REQUEST_OBJECT_MEDIA_TYPE)


def _form_fields(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _oauth_error(
            400, "invalid_request", "the body is not UTF-8", "invalid-form"
        ) from e
    fields = parse_qs(text, keep_blank_values=True, max_num_fields=20)
    return {name: values[0] for name, values in fields.items() if values}


@router.post("/oid4vp/response")
async def direct_post_route(request: Request) -> JSONResponse:
    """Receive a ``direct_post`` Authorization Response, verify it, record the result."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        raise _oauth_error(
            415,
            "invalid_request",
            "send the response as application/x-www-form-urlencoded (direct_post)",
            "unsupported-media-type",
        )
    try:
        fields = _form_fields(await request.body())
    except ValueError as e:
        raise _oauth_error(
            400, "invalid_request", f"the form body is invalid: {e}", "invalid-form"
        ) from e
    try:
        response = parse_direct_post_response(fields)
    except Oid4vpError as e:
        raise _oauth_error(400, e.error, e.detail, "invalid-response") from e
    if response.state is None:
        raise _oauth_error(
            400, "invalid_request", "state is missing", "invalid-response"
        )
    service = service_of(request)
    return await run_in_threadpool(_handle_response, service, response)


def _handle_response(service: VerifierService, response: Any) -> JSONResponse:
    store = service.store
    row = store.request_by_state(response.state)
    if row is None:
        raise _oauth_error(
            400, "invalid_request", "state does not match any request", "unknown-state"
        )
    if _aware(row.expires_at) <= datetime.now(UTC):
        store.finish_request(
            row.state,
            status="failed",
            result_id=None,
            error="the request expired before the wallet answered",
        )
        raise _oauth_error(
            400,
            "invalid_request",
            "the presentation request has expired",
            "request-expired",
        )
    if not store.claim_request(row.state):
        raise _oauth_error(
            400,
            "invalid_request",
            "this request was already answered; a response is accepted once (replay rejected)",
            "request-used",
        )
    if response.error is not None:
        store.finish_request(
            row.state,
            status="failed",
            result_id=None,
            error=f"the wallet declined: {response.error}",
        )
        return JSONResponse({})
    try:
        request_object = AuthorizationRequestView.from_row(row)
        result_ids = []
        failures = []
        for query_id, presentation in response.presentations():
            query = request_object.queries.get(query_id)
            if query is None:
                raise _oauth_error(
                    400,
                    "invalid_request",
                    f"vp_token has {query_id!r}, which the request did not ask for",
                    "invalid-response",
                )
            result, result_id = service.verify_presentation(
                presentation,
                challenge=row.nonce,
                domain=row.client_id,
                channel="oid4vp",
                source={"purpose": row.purpose, "query": query_id},
            )
            result_ids.append(result_id)
            failures.extend(_failure_reasons(result, query))
    except ProblemError as e:
        store.finish_request(row.state, status="failed", result_id=None, error=e.detail)
        raise
    if failures:
        store.finish_request(
            row.state,
            status="failed",
            result_id=" ".join(result_ids),
            error="; ".join(failures),
        )
        raise _oauth_error(
            400, "invalid_request", "; ".join(failures), "presentation-rejected"
        )
    store.finish_request(
        row.state, status="responded", result_id=" ".join(result_ids), error=None
    )
    return JSONResponse({})


def _failure_reasons(result: VerificationResult, query: CredentialQuery) -> list[str]:
    reasons = []
    for problem in result.problems:
        if problem.code == "INVALID_CHALLENGE_ERROR":
            reasons.append(
                "the presentation was made for another request (nonce mismatch)"
            )
        elif problem.code == "INVALID_DOMAIN_ERROR":
            reasons.append(
                "the presentation was made for another verifier (wrong audience)"
            )
    holder = result.check("holder_binding")
    if holder is not None and holder.outcome == "failed":
        reasons.append("the presentation was not signed by its holder")
    proof = result.check("proof")
    if proof is not None and proof.outcome == "failed" and not reasons:
        reasons.append("the presentation's proof does not verify: " + proof.detail)
    documents = [r.document for r in result.credential_results if r.document]
    if not any(matches_credential_query(query, d) for d in documents):
        reasons.append(f"no presented credential matches the query {query.id!r}")
    return reasons


class AuthorizationRequestView:
    """The stored request's DCQL queries, read back from its Request Object."""

    def __init__(self, queries: dict[str, CredentialQuery]) -> None:
        self.queries = queries

    @classmethod
    def from_row(cls, row: PresentationRequestRow) -> AuthorizationRequestView:
        import base64

        payload = row.request_object.split(".")[1]
        claims = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        return cls({q.id: q for q in parse_dcql_query(claims["dcql_query"])})


@router.get("/requests/{page_id}/status")
async def request_status_route(request: Request, page_id: str) -> JSONResponse:
    """Tell the employer's page whether the wallet has answered (polled by the page)."""
    service = service_of(request)
    row = await run_in_threadpool(service.store.request_by_page, page_id[:128])
    if row is None:
        raise ProblemError(
            404,
            "Request not found",
            "no such presentation request",
            kind="request-not-found",
        )
    status = row.status
    if status == "pending" and _aware(row.expires_at) <= datetime.now(UTC):
        status = "expired"
    body: dict[str, Any] = {"status": status}
    if row.result_id:
        body["result_url"] = f"/requests/{row.page_id}/result"
    if row.error:
        body["error"] = row.error
    return JSONResponse(body)


@router.get("/api/results/{result_id}")
async def result_json_route(request: Request, result_id: str) -> JSONResponse:
    service = service_of(request)
    record = await run_in_threadpool(service.store.record, result_id[:128])
    if record is None:
        raise ProblemError(
            404,
            "Result not found",
            "no such result, or it passed its retention period",
            kind="result-not-found",
        )
    return JSONResponse(record.summary)


@router.get("/api/verification-counts")
async def counts_route(
    request: Request, issuer: str | None = None, since: str | None = None
) -> JSONResponse:
    """Aggregate daily counts per issuer: no credential ids, no holders, no times."""
    since_day = None
    if since is not None:
        try:
            since_day = date.fromisoformat(since)
        except ValueError as e:
            raise ProblemError(
                400, "Invalid date", f"since must be YYYY-MM-DD, got {since!r}"
            ) from e
    service = service_of(request)
    rows = await run_in_threadpool(service.store.counts, issuer=issuer, since=since_day)
    return JSONResponse(
        {
            "counts": [
                {
                    "issuer": r.issuer,
                    "day": r.day.isoformat(),
                    "outcome": r.outcome,
                    "count": r.count,
                }
                for r in rows
            ]
        }
    )
