"""HTTP endpoint for SP-API notifications (what an SQS/EventBridge forwarder or the simulator posts).

The notification is stored before the answer: 200 means it is safe in the inbox (or was already
there), so the sender may forget it. A payload we cannot read gets 400 and a quarantine entry:
visible, never silently dropped.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from psycopg_pool import AsyncConnectionPool

from ..exceptions import DataError
from ..flows.notifications import FLOW, SellerDirectory, quarantine_key
from ..store import quarantine

__all__ = ["notifications_router"]

def notifications_router(pool: AsyncConnectionPool[Any] | None = None) -> APIRouter:
    """The endpoint; without ``pool`` it uses the app's (``app.state.db``, see ``web.app``)."""
    router = APIRouter()
    sellers = SellerDirectory()

    @router.post("/notifications/spapi")
    async def receive(request: Request) -> dict[str, Any]:
        db = pool if pool is not None else await request.app.state.db.pool()
        return await _receive(db, sellers, await request.body())

    return router


async def _receive(pool: AsyncConnectionPool[Any], sellers: SellerDirectory, body: bytes) -> dict[str, Any]:
    try:
        notification = json.loads(body)
        if not isinstance(notification, dict):
            raise DataError("a notification must be a JSON object")
    except (ValueError, DataError) as exc:
        return await _reject(pool, {"raw": body.decode("utf-8", "replace")[:10000]}, str(exc))
    async with pool.connection() as conn:
        try:
            stored = await sellers.store(conn, notification)
        except DataError as exc:
            return await _reject(pool, notification, exc.message)
    return {"stored": stored}


async def _reject(pool: AsyncConnectionPool[Any], notification: dict[str, Any], reason: str) -> dict[str, Any]:
    async with pool.connection() as conn:
        await quarantine.put(conn, flow=FLOW, key=quarantine_key(notification), account=None, reason=reason,
                             payload=notification)
    raise HTTPException(status_code=400, detail=reason)
