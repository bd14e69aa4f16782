"""HTTP endpoint for SP-API notifications, for a forwarder of your own (off by default).

Amazon delivers notifications to SQS or EventBridge only; the workers read SQS themselves
(``[notifications] sqs_queue_url``). Whoever posts here must prove they hold the shared secret:
the header ``X-AOS-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` (:func:`signature`).
A request without a valid signature gets 401 and leaves no trace in the database, so nobody else
can fill the quarantine or make the workers call Amazon for forged orders.

A signed notification is stored before the answer: 200 means it is safe in the inbox (or was
already there), so the sender may forget it. A signed payload we cannot read, or one of a seller
we do not know, gets 400 and a quarantine entry (visible, never silently dropped); nothing is
asked of Amazon for it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from psycopg_pool import AsyncConnectionPool

from ..exceptions import DataError
from ..flows.notifications import FLOW, SellerDirectory, quarantine_key
from ..logs import get_logger
from ..store.unit import PgStore, Store

__all__ = ["SIGNATURE_HEADER", "notifications_router", "signature"]

SIGNATURE_HEADER = "X-AOS-Signature"
#: Larger bodies are refused before they are read in full (a notification is a few kB).
MAX_BODY = 256 * 1024

_log = get_logger(__name__)


def signature(body: bytes, secret: str) -> str:
    """The header value that proves ``body`` was sent by a holder of ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def notifications_router(pool: AsyncConnectionPool[Any] | None = None, *, secret: str) -> APIRouter:
    """The endpoint; without ``pool`` it uses the app's (``app.state.db``, see ``web.app``)."""
    if not secret:
        raise ValueError("the notification endpoint needs a secret")
    router = APIRouter()
    # The seller map is cached across requests, per pool (the app's is opened at the first
    # request, and anew after a restart of the app).
    directory: dict[str, tuple[AsyncConnectionPool[Any], SellerDirectory]] = {}

    @router.post("/notifications/spapi")
    async def receive(request: Request) -> dict[str, Any]:
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            raise HTTPException(status_code=413, detail="notification too large")
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(status_code=413, detail="notification too large")
        sent = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(sent.encode("utf-8", "replace"), signature(body, secret).encode()):
            client = request.client.host if request.client else "unknown"
            _log.warning("notification refused: bad signature", client=client, signed=bool(sent))
            raise HTTPException(status_code=401, detail=f"missing or wrong {SIGNATURE_HEADER}")
        db = pool if pool is not None else await request.app.state.db.pool()
        if "current" not in directory or directory["current"][0] is not db:
            directory["current"] = (db, SellerDirectory(PgStore(db)))
        return await _receive(directory["current"][1], body)

    return router


async def _receive(sellers: SellerDirectory, body: bytes) -> dict[str, Any]:
    try:
        notification = json.loads(body)
        if not isinstance(notification, dict):
            raise DataError("a notification must be a JSON object")
    except (ValueError, DataError) as exc:
        return await _reject(sellers.store, {"raw": body.decode("utf-8", "replace")[:10000]}, str(exc))
    try:
        stored = await sellers.store_one(notification)
    except DataError as exc:
        return await _reject(sellers.store, notification, exc.message)
    return {"stored": stored}


async def _reject(store: Store, notification: dict[str, Any], reason: str) -> dict[str, Any]:
    async with store.transaction() as tx:
        await tx.quarantine.put(flow=FLOW, key=quarantine_key(notification), account=None, reason=reason,
                                payload=notification)
    raise HTTPException(status_code=400, detail=reason)
