"""The notification endpoint: stored before 200; unreadable input → 400 and a quarantine item."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.store import inbox, quarantine
from amazon_odoo_sync.web.notifications import notifications_router

pytestmark = pytest.mark.db

ORDER_CHANGE: dict[str, Any] = {
    "NotificationVersion": "1.0", "NotificationType": "ORDER_CHANGE", "PayloadVersion": "1.0",
    "EventTime": "2026-07-14T00:01:00Z",
    "Payload": {"OrderChangeNotification": {
        "SellerId": "A2UNKNOWN", "AmazonOrderId": "028-0000000-0000001",
        "Summary": {"MarketplaceId": "A1PA6795UKMFR9", "OrderStatus": "Pending", "FulfillmentType": "MFN"}}},
    "NotificationMetadata": {"NotificationId": "n-1"},
}


async def test_bad_notifications_are_rejected_and_quarantined_once(db_url: str) -> None:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open()
    app = FastAPI()
    app.include_router(notifications_router(pool))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client:
            for body in (b"not json", b"[1, 2]", json.dumps(ORDER_CHANGE).encode(), b"not json"):
                response = await client.post("/notifications/spapi", content=body)
                assert response.status_code == 400
        async with pool.connection() as conn:
            items = await quarantine.open_items(conn, "notifications")
            assert len(items) == 3  # the repeated bad body is one item, seen twice
            assert {i.attempts for i in items} == {1, 2}
            assert any("unknown seller A2UNKNOWN" in i.reason for i in items)
            assert await inbox.pending(conn, 10, source="notification") == []
    finally:
        await pool.close()
