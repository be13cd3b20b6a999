"""HTTP routes of ledger anchoring: the public log API, receipts and closing batches.

Public (no authentication), under ``/anchor``:

- ``GET /anchor/log/tree-head``: the latest signed tree head;
- ``GET /anchor/log/tree-head/{tree_size}``: the tree head signed at that size;
- ``GET /anchor/log/entries/{entry_index}``: a log entry;
- ``GET /anchor/log/entries/{entry_index}/inclusion-proof?tree_size=N``;
- ``GET /anchor/log/consistency-proof?first=M&second=N``;
- ``GET /anchor/receipts/{credential_id}``: a credential's anchor receipt.

Staff: ``GET /anchor/batches`` and ``POST /anchor/batches/close``.

The log is append-only, so a response about a fixed tree size never changes
and is cached for a year. The latest tree head, and proofs to it, change
when a batch closes and are cached for ``Settings.anchor_max_age`` seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from vcwork.anchoring import AnchorNotFoundError

from .anchoring import AnchorService, CloseBusyError
from .errors import NotFoundError
from .http import problem
from .settings import Settings

__all__ = ["anchor_router", "run_anchor_close_loop"]

logger = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
# An anchored receipt never changes, but a day keeps caches from holding it
# for longer than an operator might need to fix a mistake.
RECEIPT_MAX_AGE = 86400
# The largest tree size or entry index a request may name. It is far above
# any real log and keeps values within the database's 64-bit integers.
MAX_INDEX = 2**62

Size = Annotated[int, PathParam(ge=0, le=MAX_INDEX)]


def anchor_router(
    settings: Settings,
    anchoring: Callable[[], AnchorService],
    staff: Callable[..., str],
) -> APIRouter:
    """Build the anchoring routes. ``staff`` is the dependency that checks the API key."""
    router = APIRouter(prefix="/anchor", tags=["anchoring"])
    latest = f"public, max-age={settings.anchor_max_age}"
    # A default, not an Annotated alias: with postponed annotations FastAPI
    # resolves annotations from module globals, where ``staff`` is not.
    staff_actor = Depends(staff)

    @router.get("/log/tree-head")
    def latest_tree_head(request: Request) -> Response:
        body = _read(anchoring().log.get_tree_head)
        return _json(body, latest, request)

    @router.get("/log/tree-head/{tree_size}")
    def tree_head_at(tree_size: Size, request: Request) -> Response:
        body = _read(lambda: anchoring().log.get_tree_head(tree_size))
        return _json(body, IMMUTABLE, request)

    @router.get("/log/entries/{entry_index}")
    def log_entry(entry_index: Size, request: Request) -> Response:
        body = _read(lambda: anchoring().log.get_entry(entry_index))
        return _json(body, IMMUTABLE, request)

    @router.get("/log/entries/{entry_index}/inclusion-proof")
    def inclusion_proof(
        entry_index: Size,
        request: Request,
        tree_size: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None,
    ) -> Response:
        log = anchoring().log
        if entry_index >= (tree_size if tree_size is not None else log.tree_size):
            raise NotFoundError(
                f"entry {entry_index} is not in the anchor log at tree size "
                f"{tree_size if tree_size is not None else log.tree_size}"
            )
        body = _read(lambda: log.get_inclusion_proof(entry_index, tree_size))
        return _json(body, latest if tree_size is None else IMMUTABLE, request)

    @router.get("/log/consistency-proof")
    def consistency_proof(
        request: Request,
        first: Annotated[int, Query(ge=0, le=MAX_INDEX)],
        second: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    ) -> Response:
        body = _read(lambda: anchoring().log.get_consistency_proof(first, second))
        return _json(body, latest if second is None else IMMUTABLE, request)

    @router.get("/receipts/{credential_id:path}")
    def receipt(credential_id: str, request: Request) -> Response:
        try:
            body = anchoring().receipt(credential_id)
        except NotFoundError as e:
            # Not cached: the receipt appears once the batch closes.
            response = problem(404, e.title, e.detail)
            response.headers["Cache-Control"] = "no-store"
            return response
        return _json(body, f"public, max-age={RECEIPT_MAX_AGE}", request)

    @router.get("/batches")
    def batches(_actor: str = staff_actor) -> dict[str, Any]:
        service = anchoring()
        return {
            "logId": service.log_id,
            "pending": service.pending_count,
            "batches": [batch.to_json() for batch in service.batcher.batches()],
        }

    @router.post("/batches/close")
    def close_batches(actor: str = staff_actor) -> dict[str, Any]:
        closed = anchoring().close_batches(due_only=False)
        logger.info("%s closed %d anchor batches", actor, len(closed))
        return {"closed": [batch.to_json() for batch in closed]}

    return router


async def run_anchor_close_loop(
    anchoring: AnchorService, *, interval: float, stop: asyncio.Event
) -> None:
    """Close due anchor batches every ``interval`` seconds until ``stop`` is set.

    The first run is at once, so credentials queued before a restart are
    anchored without waiting. Errors are logged and the loop goes on.
    """
    while not stop.is_set():
        try:
            closed = await asyncio.to_thread(anchoring.close_batches, due_only=True)
        except CloseBusyError:
            logger.debug("another worker has the anchor close lease; skipped this run")
        except Exception as e:  # the loop must survive any failure
            logger.error("closing anchor batches failed: %s", e, exc_info=e)
        else:
            if closed:
                logger.debug("background close anchored %d batches", len(closed))
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            continue


def _read(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return read()
    except AnchorNotFoundError as e:
        raise NotFoundError(e.detail) from e


def _json(body: dict[str, Any], cache_control: str, request: Request) -> Response:
    content = json.dumps(body, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    headers = {"Cache-Control": cache_control, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="application/json", headers=headers)
