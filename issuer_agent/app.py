"""The FastAPI application: public, staff, VC-API and OpenID4VCI routes.

Public routes (no authentication): the DID document, issuer and
authorization server metadata, the catalog, status lists, credential
offers, the token, nonce and credential endpoints of OpenID4VCI (the last
one takes the access token from the token endpoint), and the anchor log and
receipts (``anchor_routes.py``). Staff routes need
``Authorization: Bearer <API key>``.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from vcwork.exchange.oid4vci import Oid4vciError

from .anchor_routes import anchor_router, run_anchor_close_loop
from .anchoring import connect_evm_anchoring
from .errors import AgentError, InvalidInputError
from .http import BodySizeLimit, install_error_handlers
from .issuance import Issuance
from .keystore import verify_api_key
from .service import AchievementDefinition, EvidenceItem, IssuerService
from .settings import Settings

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

JSON_LD = "application/ld+json"
DID_JSON = "application/did+json"
# Form bodies of the token endpoint are small; anything larger is not a token request.
MAX_FORM_FIELDS = 20


# -- request bodies -------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AlignmentIn(_Body):
    target_name: str = Field(alias="targetName", min_length=1, max_length=500)
    target_url: str = Field(alias="targetUrl", min_length=1, max_length=2048)
    target_description: str | None = Field(
        None, alias="targetDescription", max_length=2000
    )
    target_framework: str | None = Field(None, alias="targetFramework", max_length=500)
    target_code: str | None = Field(None, alias="targetCode", max_length=200)
    target_type: str | None = Field(None, alias="targetType", max_length=200)


class AchievementIn(_Body):
    """An achievement to add to the catalog, with its competency statement."""

    slug: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=5000)
    level: Literal["entry", "intermediate", "advanced"]
    can_do: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list, max_length=50
    )
    assessment_method: str | None = None
    assessment_details: str | None = Field(None, max_length=5000)
    context: str | None = Field(None, max_length=5000)
    criteria_narrative: str | None = Field(None, max_length=20000)
    achievement_type: str | None = Field(None, max_length=100)
    alignments: list[AlignmentIn] = Field(default_factory=list, max_length=50)
    parts: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Slugs of the achievements this one stacks (a pathway).",
    )
    auto_award: bool = Field(False, description="Award it once every part is earned.")
    tags: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )


class ParticipantIn(_Body):
    name: str = Field(min_length=1, max_length=300)
    email: str | None = Field(None, max_length=320)
    did: str | None = Field(None, max_length=2048)


class EvidenceIn(_Body):
    url: str | None = Field(None, max_length=2048)
    name: str | None = Field(None, max_length=300)
    narrative: str | None = Field(None, max_length=10000)


class CompetencyRecordIn(_Body):
    """A demonstrated competency; recording it issues the credential."""

    achievement: str = Field(min_length=1, max_length=100, description="Catalog slug.")
    assessment_method: str
    assessor: str = Field(min_length=1, max_length=300)
    assessed_on: date
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=20)


class StatusChangeIn(_Body):
    reason: str = Field(min_length=1, max_length=2000)


class OfferIn(_Body):
    tx_code: bool = Field(
        True, description="Require a transaction code at the token endpoint."
    )


# -- helpers --------------------------------------------------------------------


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise AgentError("the request body is empty; send a JSON object")
    try:
        return json.loads(raw)
    except RecursionError:
        raise AgentError("the request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise AgentError(f"the request body is not valid JSON: {e}") from None


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _staff(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> str:
    """Return the name of the caller's API key, or raise 401 Unauthorized."""
    token = _bearer(authorization)
    actor = verify_api_key(request.app.state.service.database, token) if token else None
    if actor is None:
        raise StarletteHTTPException(
            401,
            "a valid API key is required: send 'Authorization: Bearer <key>'; "
            "create one with 'vcwork issuer create-api-key'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return str(actor)


Staff = Annotated[str, Depends(_staff)]


def create_app(settings: Settings) -> FastAPI:
    """Build the issuer agent for ``settings``; the database opens at start-up."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service = IssuerService(settings)
        try:
            service.anchoring.use_evm(connect_evm_anchoring(settings))
        except Exception:
            service.close()
            raise
        state["service"] = service
        app.state.service = service
        state["issuance"] = Issuance(service)
        stop_anchoring = asyncio.Event()
        anchoring_task = None
        if settings.anchor_close_interval > 0:
            anchoring_task = asyncio.create_task(
                run_anchor_close_loop(
                    service.anchoring,
                    interval=settings.anchor_close_interval,
                    stop=stop_anchoring,
                )
            )
        logger.info("issuer agent started: %s as %s", settings.base_url, service.did)
        try:
            yield
        finally:
            # Let a close in progress finish before the database closes.
            stop_anchoring.set()
            if anchoring_task is not None:
                await anchoring_task
            service.close()
            logger.info("issuer agent stopped")

    app = FastAPI(
        title="vcwork issuer agent",
        version="0.1.0",
        description="Define, issue, revoke and publish Open Badges 3.0 micro-credentials.",
        lifespan=lifespan,
    )
    app.state.max_body_bytes = settings.max_body_bytes
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    def service() -> IssuerService:
        return state["service"]  # type: ignore[no-any-return]

    def issuance() -> Issuance:
        return state["issuance"]  # type: ignore[no-any-return]

    app.include_router(
        anchor_router(settings, lambda: service().anchoring, staff=_staff)
    )

    # -- public: identity and metadata ------------------------------------------

    @app.get("/", tags=["public"])
    def index() -> dict[str, Any]:
        """Name the agent and link its public routes, for a person opening the URL."""
        base = settings.base_url
        return {
            "service": "vcwork issuer agent",
            "issuer": service().did,
            "links": {
                "catalog": f"{base}/catalog",
                "didDocument": f"{base}/.well-known/did.json",
                "openidCredentialIssuer": f"{base}/.well-known/openid-credential-issuer",
                "anchorLogTreeHead": f"{base}/anchor/log/tree-head",
                "openapi": f"{base}/openapi.json",
            },
        }

    @app.get("/.well-known/did.json", tags=["public"])
    def did_document() -> Response:
        document = service().keys.did_document()
        evm = service().anchoring.evm
        if evm is not None:
            entry = evm.did_service(did=service().did, base_url=settings.base_url)
            listed = document.get("service")
            document["service"] = [*(listed if isinstance(listed, list) else []), entry]
        return JSONResponse(document, media_type=DID_JSON)

    @app.get("/.well-known/openid-credential-issuer", tags=["openid4vci"])
    def issuer_metadata() -> dict[str, Any]:
        return issuance().issuer_metadata()

    @app.get("/.well-known/oauth-authorization-server", tags=["openid4vci"])
    def authorization_server_metadata() -> dict[str, Any]:
        return issuance().authorization_server_metadata()

    @app.get("/catalog", tags=["catalog"])
    def catalog() -> dict[str, Any]:
        return {"issuer": service().did, "achievements": service().list_achievements()}

    @app.get("/catalog/{slug}", tags=["catalog"])
    def catalog_entry(slug: str) -> dict[str, Any]:
        return service().get_achievement(slug)

    @app.get("/achievements/{slug}", tags=["catalog"])
    def achievement(slug: str) -> Response:
        entry = service().get_achievement(slug)
        body = {**entry["achievement"], "endorsement": entry["endorsements"]}
        return JSONResponse(body, media_type=JSON_LD)

    @app.get("/status/{list_id}", tags=["status"])
    def status_list(list_id: str, request: Request) -> Response:
        credential = service().status_list_credential(list_id)
        if credential is None:
            raise StarletteHTTPException(404, f"no status list {list_id!r}")
        body = json.dumps(credential, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {
            "Cache-Control": f"public, max-age={settings.status_list_max_age}",
            "ETag": etag,
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/vc+ld+json", headers=headers)

    # -- public: OpenID4VCI ---------------------------------------------------------

    @app.get("/offers/{offer_id}", tags=["openid4vci"])
    def credential_offer(offer_id: str) -> Response:
        return JSONResponse(
            issuance().credential_offer(offer_id), headers={"Cache-Control": "no-store"}
        )

    @app.get("/offers/{offer_id}/qr.png", tags=["openid4vci"])
    def offer_qr_png(offer_id: str) -> Response:
        return Response(
            issuance().offer_qr(offer_id, image_format="png"), media_type="image/png"
        )

    @app.get("/offers/{offer_id}/qr.svg", tags=["openid4vci"])
    def offer_qr_svg(offer_id: str) -> Response:
        return Response(
            issuance().offer_qr(offer_id, image_format="svg"),
            media_type="image/svg+xml",
        )

    @app.post("/token", tags=["openid4vci"])
    async def token(request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            raise Oid4vciError(
                "the token request must be application/x-www-form-urlencoded"
            )
        from urllib.parse import parse_qsl

        raw = (await request.body()).decode("utf-8", "replace")
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        names = [name for name, _ in pairs]
        if len(names) != len(set(names)):
            raise Oid4vciError("a token request parameter is repeated")
        body = issuance().token(dict(pairs))
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @app.post("/nonce", tags=["openid4vci"])
    def nonce() -> Response:
        return JSONResponse(issuance().nonce(), headers={"Cache-Control": "no-store"})

    @app.post("/credential", tags=["openid4vci"])
    async def credential_endpoint(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        token_value = _bearer(authorization)
        if token_value is None:
            raise Oid4vciError(
                "the credential request needs 'Authorization: Bearer <access token>'",
                error="invalid_token",
                status=401,
            )
        try:
            body = await _json_body(request)
        except AgentError as e:
            raise Oid4vciError(e.detail, error="invalid_credential_request") from None
        result = issuance().credential(token_value, body)
        return JSONResponse(result, headers={"Cache-Control": "no-store"})

    # -- staff: catalog, participants, records --------------------------------------

    @app.post("/catalog", tags=["catalog"], status_code=201)
    def define_achievement(body: AchievementIn, actor: Staff) -> dict[str, Any]:
        definition = AchievementDefinition(
            **body.model_dump(exclude={"alignments"}),
            alignments=[a.model_dump(by_alias=True) for a in body.alignments],
        )
        return service().define_achievement(definition, actor=actor)

    @app.post("/participants", tags=["participants"], status_code=201)
    def enrol(body: ParticipantIn, actor: Staff) -> dict[str, Any]:
        return service().enrol(
            name=body.name, email=body.email, did=body.did, actor=actor
        )

    @app.get("/participants/{participant_id}", tags=["participants"])
    def participant(participant_id: str, _actor: Staff) -> dict[str, Any]:
        return service().get_participant(participant_id)

    @app.post(
        "/participants/{participant_id}/records", tags=["participants"], status_code=201
    )
    def record_competency(
        participant_id: str, body: CompetencyRecordIn, actor: Staff
    ) -> dict[str, Any]:
        return service().record_competency(
            participant_id=participant_id,
            slug=body.achievement,
            assessment_method=body.assessment_method,
            assessor=body.assessor,
            assessed_on=body.assessed_on,
            evidence=[EvidenceItem(**e.model_dump()) for e in body.evidence],
            actor=actor,
        )

    @app.post("/roster", tags=["participants"])
    async def import_roster(request: Request, actor: Staff) -> dict[str, Any]:
        from .roster import import_roster_rows

        raw = await request.body()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError("the roster must be UTF-8 encoded CSV") from None
        rows = list(csv.DictReader(io.StringIO(text)))
        results = import_roster_rows(service(), rows, actor=actor)
        failed = sum(1 for r in results if not r["ok"])
        return {
            "rows": len(results),
            "issued": len(results) - failed,
            "failed": failed,
            "results": results,
        }

    # -- staff: credentials and status --------------------------------------------

    @app.get("/credentials/{credential_id}", tags=["credentials"])
    def get_credential(credential_id: str, _actor: Staff) -> dict[str, Any]:
        return service().get_credential(credential_id)

    for action in ("revoke", "suspend", "reinstate"):

        def change(
            credential_id: str,
            body: StatusChangeIn,
            actor: Staff,
            action: str = action,
        ) -> dict[str, Any]:
            return service().change_status(
                credential_id, action, reason=body.reason, actor=actor
            )

        app.post(
            f"/credentials/{{credential_id}}/{action}",
            tags=["credentials"],
            name=action,
        )(change)

    @app.post(
        "/credentials/{credential_id}/offers", tags=["openid4vci"], status_code=201
    )
    def create_offer(
        credential_id: str, actor: Staff, body: OfferIn | None = None
    ) -> dict[str, Any]:
        # An empty request body means the defaults (a transaction code is required).
        with_tx_code = body.tx_code if body is not None else True
        offer = issuance().create_offer(
            credential_id, with_tx_code=with_tx_code, actor=actor
        )
        base = settings.base_url
        return {
            "offerId": offer.offer_id,
            "credentialOfferUri": offer.credential_offer_uri,
            "link": offer.link,
            "qrPng": f"{base}/offers/{offer.offer_id}/qr.png",
            "qrSvg": f"{base}/offers/{offer.offer_id}/qr.svg",
            "txCode": offer.tx_code,
            "expires": offer.expires,
        }

    @app.post("/endorsements", tags=["catalog"], status_code=201)
    async def add_endorsement(request: Request, actor: Staff) -> dict[str, Any]:
        return service().add_endorsement(await _json_body(request), actor=actor)

    @app.get("/audit", tags=["credentials"])
    def audit(_actor: Staff, credential_id: str | None = None) -> dict[str, Any]:
        return {"entries": service().audit_log(credential_id=credential_id)}

    # -- VC-API -----------------------------------------------------------------------

    @app.post("/credentials/issue", tags=["vc-api"], status_code=201)
    async def vc_api_issue(request: Request, actor: Staff) -> dict[str, Any]:
        body = await _json_body(request)
        if not isinstance(body, dict) or "credential" not in body:
            raise AgentError(
                "the body must be a JSON object with a 'credential' member"
            )
        unknown = set(body) - {"credential", "options"}
        if unknown:
            raise AgentError(f"unknown members in the request body: {sorted(unknown)}")
        signed = service().issue_vc_api(
            body["credential"], body.get("options"), actor=actor
        )
        return {"verifiableCredential": signed}

    @app.post("/credentials/status", tags=["vc-api"])
    async def vc_api_status(request: Request, actor: Staff) -> dict[str, Any]:
        body = await _json_body(request)
        credential_id, purpose, value = _read_status_request(body)
        if purpose == "revocation":
            if not value:
                raise AgentError(
                    "revocation is final; a revoked credential cannot be un-revoked"
                )
            action = "revoke"
        else:
            action = "suspend" if value else "reinstate"
        result = service().change_status(
            credential_id,
            action,
            reason=f"VC-API status update ({purpose}={value})",
            actor=actor,
        )
        return result

    from .outcomes import create_outcomes_router

    app.include_router(
        create_outcomes_router(minimum_cell_size=settings.outcomes_minimum_cell_size)
    )
    return app


def _read_status_request(body: object) -> tuple[str, str, bool]:
    """Read a VC-API UpdateCredentialStatusRequest: credentialId, credentialStatus, status."""
    if not isinstance(body, dict):
        raise AgentError("the body must be a JSON object")
    credential_id = body.get("credentialId")
    status_object = body.get("credentialStatus")
    value = body.get("status")
    if not isinstance(credential_id, str) or not credential_id:
        raise AgentError("credentialId must be a non-empty string")
    if not isinstance(status_object, dict):
        raise AgentError(
            "credentialStatus must be an object with type and statusPurpose"
        )
    purpose = status_object.get("statusPurpose")
    if purpose not in ("revocation", "suspension"):
        raise AgentError(
            f"credentialStatus.statusPurpose must be 'revocation' or 'suspension', got {purpose!r}"
        )
    if not isinstance(value, bool):
        raise AgentError("status must be true (set) or false (clear)")
    return credential_id, str(purpose), value
