"""The notification endpoint: signed requests only; stored before 200; unreadable input → 400
and a quarantine item; an unknown seller is refused without asking Amazon anything."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.store import accounts, inbox, quarantine
from amazon_odoo_sync.store.secrets import Cipher, new_key
from amazon_odoo_sync.web.notifications import SIGNATURE_HEADER, notifications_router, signature

pytestmark = pytest.mark.db

SECRET = "forwarder-secret-0123456789"

ORDER_CHANGE: dict[str, Any] = {
    "NotificationVersion": "1.0", "NotificationType": "ORDER_CHANGE", "PayloadVersion": "1.0",
    "EventTime": "2026-07-14T00:01:00Z",
    "Payload": {"OrderChangeNotification": {
        "SellerId": "A2UNKNOWN", "AmazonOrderId": "028-0000000-0000001",
        "Summary": {"MarketplaceId": "A1PA6795UKMFR9", "OrderStatus": "Pending", "FulfillmentType": "MFN"}}},
    "NotificationMetadata": {"NotificationId": "n-1"},
}


@pytest.fixture
async def endpoint(db_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncConnectionPool[Any]]]:
    """A client of the notification endpoint, and the pool it stores with."""
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open()
    app = FastAPI()
    app.include_router(notifications_router(pool, secret=SECRET))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c",
                                     event_hooks={"request": [_sign]}) as client:
            yield client, pool
    finally:
        await pool.close()


async def _sign(request: httpx.Request) -> None:
    """Sign as the forwarder does, unless the test set the header itself."""
    if SIGNATURE_HEADER not in request.headers:
        request.headers[SIGNATURE_HEADER] = signature(request.read(), SECRET)


async def test_unsigned_or_badly_signed_posts_leave_no_trace(
        endpoint: tuple[httpx.AsyncClient, AsyncConnectionPool[Any]]) -> None:
    client, pool = endpoint
    body = json.dumps(_order_change("A2ANY", "n-20")).encode()
    for header in ("", "sha256=" + "0" * 64, signature(body, "another-secret"), signature(body + b" ", SECRET),
                   signature(body, SECRET).upper()):
        response = await client.post("/notifications/spapi", content=body if header else b"garbage",
                                     headers={SIGNATURE_HEADER: header})
        assert response.status_code == 401, header
    async with pool.connection() as conn:
        assert await quarantine.open_items(conn) == []
        assert await inbox.pending(conn, 10, source="notification") == []
    big = b"x" * (300 * 1024)
    assert (await client.post("/notifications/spapi", content=big)).status_code == 413


async def test_an_unknown_seller_is_refused_without_any_job_or_amazon_call(
        endpoint: tuple[httpx.AsyncClient, AsyncConnectionPool[Any]]) -> None:
    client, pool = endpoint
    response = await client.post("/notifications/spapi", content=json.dumps(_order_change("A2FORGED", "n-30")))
    assert response.status_code == 400 and "unknown seller A2FORGED" in response.text
    async with pool.connection() as conn:
        assert await inbox.pending(conn, 10, source="notification") == []
        cur = await conn.execute("SELECT count(*) FROM procrastinate_jobs")
        assert await cur.fetchone() == (0,)  # nothing queued that could call Amazon
        assert [i.reason for i in await quarantine.open_items(conn, "notifications")] == [
            "ORDER_CHANGE for unknown seller A2FORGED"]


async def test_bad_notifications_are_rejected_and_quarantined_once(
        endpoint: tuple[httpx.AsyncClient, AsyncConnectionPool[Any]]) -> None:
    client, pool = endpoint
    for body in (b"not json", b"[1, 2]", json.dumps(ORDER_CHANGE).encode(), b"not json"):
        response = await client.post("/notifications/spapi", content=body)
        assert response.status_code == 400
    async with pool.connection() as conn:
        items = await quarantine.open_items(conn, "notifications")
        assert len(items) == 3  # the repeated bad body is one item, seen twice
        assert {i.attempts for i in items} == {1, 2}
        assert any("unknown seller A2UNKNOWN" in i.reason for i in items)
        assert await inbox.pending(conn, 10, source="notification") == []


async def test_a_seller_added_after_the_first_notification_is_known_at_once(
        endpoint: tuple[httpx.AsyncClient, AsyncConnectionPool[Any]]) -> None:
    """The endpoint caches seller → account; an unknown seller re-reads the accounts first."""
    client, pool = endpoint
    async with pool.connection() as conn:
        await accounts.upsert(conn, Cipher([new_key()]), name="shop-us", region="NA",
                              marketplaces=["ATVPDKIKX0DER"], seller_id="A2FIRST")
    first = _order_change("A2FIRST", "n-10")
    assert (await client.post("/notifications/spapi", content=json.dumps(first))).json() == {"stored": True}
    async with pool.connection() as conn:
        await accounts.upsert(conn, Cipher([new_key()]), name="shop-eu", region="EU",
                              marketplaces=["A1PA6795UKMFR9"], seller_id="A2LATER")
    later = _order_change("A2LATER", "n-11")
    assert (await client.post("/notifications/spapi", content=json.dumps(later))).json() == {"stored": True}
    again = await client.post("/notifications/spapi", content=json.dumps(later))
    assert again.json() == {"stored": False}  # a duplicate, not a new row
    async with pool.connection() as conn:
        items = await inbox.pending(conn, 10, source="notification")
        assert sorted((i.key, i.account) for i in items) == [("n-10", "shop-us"), ("n-11", "shop-eu")]


def _order_change(seller_id: str, notification_id: str) -> dict[str, Any]:
    body = json.loads(json.dumps(ORDER_CHANGE))
    body["Payload"]["OrderChangeNotification"]["SellerId"] = seller_id
    body["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = f"028-0000000-{notification_id[-4:]:0>7}"
    body["NotificationMetadata"]["NotificationId"] = notification_id
    return body
