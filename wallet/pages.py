"""The wallet's routes: pages for the holder, and the public share and portfolio routes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .app import SESSION_COOKIE, Pages
from .errors import WalletError, WrongPassphraseError
from .portfolio import build_portfolio, criteria_sections, summarize
from .qr import decode_qr_image, qr_png_data_url
from .service import WalletService

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter()


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _service(request: Request) -> WalletService:
    return _pages(request).service


def _text(form: dict[str, Any], name: str, *, max_length: int = 65536) -> str:
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[0]
    if not isinstance(value, str):
        raise WalletError(f"the form field {name!r} must be text")
    if len(value) > max_length:
        raise WalletError(
            f"the form field {name!r} has {len(value)} characters; the limit is "
            f"{max_length}"
        )
    return value


def _list(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and v]


async def _link_or_image(form: dict[str, Any], field: str) -> str:
    """Return the pasted link, or the text of the QR code in the uploaded image."""
    text = _text(form, field).strip()
    upload = form.get("image")
    if not text and isinstance(upload, UploadFile) and upload.filename:
        return decode_qr_image(await upload.read())
    return text


def _date(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _set_session(response: Response, pages: Pages, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=pages.settings.session_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=pages.settings.secure_cookies,
    )


def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else "/"


# -- set up, unlock, lock -------------------------------------------------------


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)


@router.get("/setup")
def setup_page(request: Request) -> Response:
    if _service(request).store.exists():
        return RedirectResponse("/unlock", status_code=303)
    return _pages(request).render(request, "setup.html")


@router.post("/setup")
async def setup(request: Request) -> Response:
    pages = _pages(request)
    form = await pages.form(request)
    passphrase = _text(form, "passphrase", max_length=1024)
    if passphrase != _text(form, "confirm", max_length=1024):
        return pages.render(
            request,
            "setup.html",
            status=400,
            error="the two passphrases differ; type the same one twice",
        )
    try:
        wallet = pages.service.store.create(passphrase)
    except WalletError as e:
        return pages.render(request, "setup.html", status=e.status, error=e.detail)
    token = pages.service.store.open_session(
        wallet, minutes=pages.settings.session_minutes
    )
    response = RedirectResponse("/", status_code=303)
    _set_session(response, pages, token)
    return response


@router.get("/unlock")
def unlock_page(request: Request, next: str = "/") -> Response:
    if not _service(request).store.exists():
        return RedirectResponse("/setup", status_code=303)
    return _pages(request).render(request, "unlock.html", next=_safe_next(next))


@router.post("/unlock")
async def unlock(request: Request) -> Response:
    pages = _pages(request)
    form = await pages.form(request)
    target = _safe_next(_text(form, "next", max_length=2048) or "/")
    try:
        wallet = pages.service.store.unlock(_text(form, "passphrase", max_length=1024))
    except WrongPassphraseError:
        logger.info("unlock failed: wrong passphrase")
        return pages.render(
            request,
            "unlock.html",
            status=401,
            next=target,
            error="That passphrase is wrong. Check for typing mistakes and try again.",
        )
    token = pages.service.store.open_session(
        wallet, minutes=pages.settings.session_minutes
    )
    response = RedirectResponse(target, status_code=303)
    _set_session(response, pages, token)
    return response


@router.post("/lock")
async def lock(request: Request) -> Response:
    pages = _pages(request)
    await pages.form(request)
    token = pages.session_token(request)
    if token:
        pages.service.store.close_session(token)
    response = RedirectResponse("/unlock", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# -- portfolio and details ------------------------------------------------------


@router.get("/")
def portfolio_page(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    slug = wallet.portfolio_slug()
    return pages.render(
        request,
        "portfolio.html",
        portfolio=build_portfolio(wallet.list_credentials()),
        holder=wallet.default_key().did,
        public_url=f"{pages.settings.base_url}/p/{slug}" if slug else None,
    )


@router.get("/credentials/{credential_id}")
def credential_page(request: Request, credential_id: str) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    item = pages.service.find_credential(wallet, credential_id)
    summary = summarize(item)
    achievement = item.credential.get("credentialSubject", {})
    achievement = (
        achievement.get("achievement", {}) if isinstance(achievement, dict) else {}
    )
    endorsements = [
        summarize(other)
        for other in wallet.list_credentials()
        if other.id != item.id
        and summarize(other).is_endorsement
        and _endorses(other.credential, summary)
    ]
    return pages.render(
        request,
        "credential.html",
        item=item,
        summary=summary,
        sections=criteria_sections(
            achievement if isinstance(achievement, dict) else {}
        ),
        evidence=_evidence(item.credential),
        embedded_endorsements=_embedded_endorsements(achievement),
        endorsements=endorsements,
        check=pages.service.recheck(wallet, item),
        received=_date(item.received_at),
    )


def _endorses(endorsement: dict[str, Any], summary: Any) -> bool:
    subject = endorsement.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    return subject_id in (summary.issuer_id, summary.achievement_id)


def _evidence(credential: dict[str, Any]) -> list[dict[str, str]]:
    items = credential.get("evidence")
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            found.append(
                {
                    "name": str(item.get("name", "Evidence")),
                    "narrative": str(item.get("narrative", "")),
                }
            )
    return found


def _embedded_endorsements(achievement: Any) -> list[dict[str, str]]:
    items = achievement.get("endorsement") if isinstance(achievement, dict) else None
    found = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        issuer = item.get("issuer")
        subject = item.get("credentialSubject")
        found.append(
            {
                "issuer": str(issuer.get("name", issuer.get("id", "")))
                if isinstance(issuer, dict)
                else str(issuer),
                "comment": str(subject.get("endorsementComment", ""))
                if isinstance(subject, dict)
                else "",
            }
        )
    return found


@router.post("/credentials/{credential_id}/delete")
async def delete_credential(request: Request, credential_id: str) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    await pages.form(request)
    pages.service.delete_credential(wallet, credential_id)
    return RedirectResponse("/?deleted=1", status_code=303)


# -- receive --------------------------------------------------------------------


@router.get("/receive")
def receive_page(request: Request) -> Response:
    pages = _pages(request)
    pages.wallet(request)
    # An offer link opened on this page arrives as its own query parameters.
    query = request.url.query
    offer = ""
    if "credential_offer" in query:
        offer = "openid-credential-offer://?" + query
    return pages.render(request, "receive.html", offer=offer)


@router.post("/receive")
async def receive_preview(request: Request) -> Response:
    pages = _pages(request)
    pages.wallet(request)
    form = await pages.form(request, files=True)
    try:
        text = await _link_or_image(form, "offer")
        preview = pages.service.preview_offer(text)
    except WalletError as e:
        logger.info("credential offer rejected: %s", e.detail)
        return pages.render(
            request,
            "receive.html",
            status=e.status,
            offer=_text(form, "offer"),
            error=e.detail,
        )
    return pages.render(request, "receive_confirm.html", preview=preview, offer=text)


@router.post("/receive/accept")
async def receive_accept(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    form = await pages.form(request)
    offer = _text(form, "offer")
    tx_code = _text(form, "tx_code", max_length=64).strip() or None
    try:
        outcome = pages.service.receive(wallet, offer, tx_code=tx_code)
    except WalletError as e:
        logger.info("receiving an offer failed: %s", e.detail)
        try:
            preview = pages.service.preview_offer(offer)
        except WalletError:
            return pages.render(
                request, "receive.html", status=e.status, offer=offer, error=e.detail
            )
        return pages.render(
            request,
            "receive_confirm.html",
            status=e.status,
            preview=preview,
            offer=offer,
            error=e.detail,
        )
    return pages.render(
        request,
        "receive_result.html",
        stored=[summarize(i) for i in outcome.stored],
        already=[summarize(i) for i in outcome.already_held],
        rejected=outcome.rejected,
    )


# -- present (OpenID4VP) ------------------------------------------------------------


@router.get("/present")
def present_page(request: Request) -> Response:
    pages = _pages(request)
    pages.wallet(request)
    query = request.url.query
    link = "openid4vp://?" + query if "request_uri" in query else ""
    return pages.render(request, "present.html", link=link)


@router.post("/present")
async def present_choose(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    form = await pages.form(request, files=True)
    try:
        link = await _link_or_image(form, "link")
        pending = pages.service.open_request(wallet, link)
    except WalletError as e:
        logger.info("presentation request rejected: %s", e.detail)
        return pages.render(
            request,
            "present.html",
            status=e.status,
            link=_text(form, "link"),
            error=e.detail,
        )
    return pages.render(
        request,
        "present_choose.html",
        pending=pending,
        matches={
            query_id: [summarize(i) for i in items]
            for query_id, items in pending.matches.items()
        },
    )


@router.post("/present/send")
async def present_send(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    form = await pages.form(request)
    link = _text(form, "link", max_length=8192)
    selection: dict[str, list[str]] = {}
    for value in _list(form, "pick"):
        query_id, _, credential_id = value.partition("|")
        selection.setdefault(query_id, []).append(credential_id)
    try:
        redirect = pages.service.answer_request(wallet, link, selection)
    except WalletError as e:
        logger.info("sending a presentation failed: %s", e.detail)
        return pages.render(
            request, "present.html", status=e.status, link=link, error=e.detail
        )
    return pages.render(request, "present_done.html", redirect=redirect)


# -- share links ----------------------------------------------------------------------


@router.get("/share")
def share_page(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    selected = request.query_params.getlist("id")
    return pages.render(
        request,
        "share.html",
        credentials=[summarize(i) for i in wallet.list_credentials()],
        selected=set(selected),
        days=pages.settings.share_days,
    )


@router.post("/share")
async def share_create(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    form = await pages.form(request)
    try:
        days = int(_text(form, "days", max_length=4) or pages.settings.share_days)
    except ValueError:
        raise WalletError("the number of days must be a whole number") from None
    link = pages.service.create_share(wallet, _list(form, "id"), days=days)
    items = [wallet.get_credential(i) for i in link.record.summary["credential_ids"]]
    summaries = [summarize(i) for i in items]
    return pages.render(
        request,
        "share_done.html",
        link=link,
        qr=qr_png_data_url(link.qr_target),
        expires=_date(link.record.expires_at),
        summaries=summaries,
        profile_links=[
            _profile_link(pages, s.name, s.issuer_name, link.qr_target)
            for s in summaries
        ],
    )


def _profile_link(pages: Pages, name: str, issuer: str, url: str) -> dict[str, str]:
    template = pages.settings.profile_link_template
    return {
        "name": name,
        "issuer": issuer,
        "url": url,
        "href": template.format(
            name=quote(name, safe=""),
            issuer=quote(issuer, safe=""),
            url=quote(url, safe=""),
        ),
    }


@router.get("/shares")
def shares_page(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    shares = [
        {
            "record": share,
            "created": _date(share.created_at),
            "expires": _date(share.expires_at),
            "withdrawn": _date(share.withdrawn_at),
        }
        for share in wallet.list_shares()
    ]
    return pages.render(request, "shares.html", shares=shares)


@router.post("/shares/{share_id}/withdraw")
async def share_withdraw(request: Request, share_id: str) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    await pages.form(request)
    wallet.withdraw_share(share_id)
    return RedirectResponse("/shares", status_code=303)


@router.get("/s/{token}")
def shared_document(request: Request, token: str) -> Response:
    if len(token) > 128:
        raise WalletError("the share link is malformed")
    document = _service(request).store.shared_presentation(token)
    return JSONResponse(document, headers={"Access-Control-Allow-Origin": "*"})


# -- public portfolio ---------------------------------------------------------------


@router.post("/public/publish")
async def publish(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    await pages.form(request)
    pages.service.publish_portfolio(wallet)
    return RedirectResponse("/", status_code=303)


@router.post("/public/unpublish")
async def unpublish(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    await pages.form(request)
    pages.service.unpublish_portfolio(wallet)
    return RedirectResponse("/", status_code=303)


@router.get("/p/{slug}")
def public_portfolio(request: Request, slug: str) -> Response:
    pages = _pages(request)
    snapshot = pages.service.store.public_portfolio(slug[:64])
    for entry in snapshot.get("credentials", []):
        entry["profile"] = _profile_link(
            pages, entry["name"], entry["issuer"], entry["verification_url"]
        )
    return pages.render(request, "public.html", snapshot=snapshot, unlocked=False)


# -- backup and delete ------------------------------------------------------------------


@router.get("/backup")
def backup_page(request: Request) -> Response:
    pages = _pages(request)
    pages.wallet(request)
    return pages.render(request, "backup.html")


@router.post("/backup/export")
async def backup_export(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    form = await pages.form(request)
    passphrase = _text(form, "passphrase", max_length=1024)
    if passphrase != _text(form, "confirm", max_length=1024):
        return pages.render(
            request,
            "backup.html",
            status=400,
            error="the two backup passphrases differ",
        )
    try:
        data = wallet.export_backup(passphrase)
    except WalletError as e:
        return pages.render(request, "backup.html", status=e.status, error=e.detail)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        data,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="wallet-backup-{stamp}.json"'
        },
    )


@router.post("/backup/import")
async def backup_import(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    form = await pages.form(request, files=True)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return pages.render(
            request, "backup.html", status=400, error="choose a backup file"
        )
    try:
        service = pages.service
        result = await run_in_threadpool(
            wallet.import_backup,
            await upload.read(),
            _text(form, "passphrase", max_length=1024),
            verify=lambda credential, dids: service.verify(
                credential, holder_dids=dids
            ),
        )
    except WrongPassphraseError:
        return pages.render(
            request,
            "backup.html",
            status=401,
            error="the backup passphrase is wrong; nothing was imported",
        )
    except WalletError as e:
        return pages.render(request, "backup.html", status=e.status, error=e.detail)
    return pages.render(request, "backup.html", imported=result)


@router.get("/settings")
def settings_page(request: Request) -> Response:
    pages = _pages(request)
    wallet = pages.wallet(request)
    return pages.render(
        request, "settings.html", keys=wallet.holder_keys(), data_dir=None
    )


@router.post("/wallet/delete")
async def delete_wallet(request: Request) -> Response:
    pages = _pages(request)
    pages.wallet(request)
    form = await pages.form(request)
    if _text(form, "confirm", max_length=20) != "DELETE":
        return pages.render(
            request,
            "settings.html",
            status=400,
            keys=[],
            error="type DELETE in capitals to confirm",
        )
    try:
        pages.service.store.delete_wallet(_text(form, "passphrase", max_length=1024))
    except WrongPassphraseError:
        return pages.render(
            request,
            "settings.html",
            status=401,
            keys=[],
            error="the passphrase is wrong; the wallet was not deleted",
        )
    response = RedirectResponse("/setup", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
