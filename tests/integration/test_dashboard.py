"""The operator dashboard on real PostgreSQL, through httpx.ASGITransport.

Each test gets a fresh migrated database (``db_url``); rows are written through the store
modules (and the job outbox), then the pages are read as a browser (or htmx) would, signed in as
the operator ``olga`` (sign-in, roles and CSRF themselves: ``test_web_auth``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.config import AccountConfig, DatabaseConfig, Settings
from amazon_odoo_sync.jobs.outbox import defer_in_transaction
from amazon_odoo_sync.store import accounts, audit, external_ids, inbox, quarantine
from amazon_odoo_sync.store.secrets import Cipher, Secret, new_key
from amazon_odoo_sync.store.unit import PgUnitOfWork
from amazon_odoo_sync.web.dashboard import RESOLUTION, dashboard_router

from .web_login import add_user, sign_in

pytestmark = pytest.mark.db

PAGES = ("/", "/quarantine", "/jobs", "/orders", "/audit")
PARTIALS = ("/partials/overview", "/partials/quarantine", "/partials/jobs", "/partials/orders",
            "/partials/audit")
HTMX = {"HX-Request": "true"}
ACTOR = "web:olga"
DE = "A1PA6795UKMFR9"
FR = "A13V1IB3VIYZZH"

CLIENT_SECRET = "amzn1.oa2-cs.v1.TOPSECRET-client-secret-4711"
REFRESH_TOKEN = "Atzr|IwEBI-TOPSECRET-refresh-token-0815"
CLIENT_ID = "amzn1.application-oa2-client.client-id-123"


@pytest.fixture
async def client(db_url: str, pool: AsyncConnectionPool[Any]) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database=DatabaseConfig(url=db_url),
                        accounts=[AccountConfig(name="not-yet", region="EU", marketplaces=["FR"])])
    app = FastAPI()
    app.include_router(dashboard_router(pool, settings))
    async with pool.connection() as conn:
        await add_user(conn, "olga", "operator")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://dash") as c:
        await sign_in(c, "olga")
        yield c


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


def rows_of(html: str) -> int:
    return len(re.findall(r"<tr[ >]", html.split("<tbody>", 1)[1])) if "<tbody>" in html else 0


async def add_account(conn: psycopg.AsyncConnection[Any]) -> None:
    await accounts.upsert(conn, Cipher([new_key()]), name="shop-eu", region="EU", marketplaces=[DE, FR],
                          seller_id="A2SELLER", lwa_client_id=CLIENT_ID,
                          lwa_client_secret=Secret(CLIENT_SECRET), refresh_token=Secret(REFRESH_TOKEN))


async def add_order(conn: psycopg.AsyncConnection[Any], order_id: str, *, marketplace: str = DE,
                    odoo_id: int | None = None, state: str = "created") -> None:
    updated = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    await inbox.put(conn, source="orders/shop-eu", key=f"{order_id}@{updated.isoformat()}", account="shop-eu",
                    payload={"orderId": order_id, "salesChannel": {"marketplaceId": marketplace}})
    await external_ids.claim(conn, "shop-eu", "sale.order", order_id, amazon_updated_at=updated)
    if odoo_id is not None:
        await external_ids.record_odoo_id(conn, "shop-eu", "sale.order", order_id, odoo_id, state=state)


async def failed_job(conn: psycopg.AsyncConnection[Any], sku: str) -> int:
    job_id = await defer_in_transaction(PgUnitOfWork(conn), "tests.dashboard.task", "orders", {"sku": sku})
    assert job_id is not None
    await conn.execute("SELECT procrastinate_finish_job_v1(%s, 'failed', false)", (job_id,))
    await conn.execute("INSERT INTO job_failures (job_id, attempt, final, error_type, message, context) "
                       "VALUES (%s, 1, true, 'DataError', %s, '{}')", (job_id, f"unknown SKU {sku}"))
    return job_id


# -- empty database --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES + PARTIALS)
async def test_every_page_renders_on_a_fresh_database(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    # Only the job queues, and the audit log's row of olga's sign-in.
    assert "<tbody>" not in response.text or path in ("/", "/partials/overview", "/audit", "/partials/audit")
    if path in PAGES:
        assert '<script src="/static/htmx.min.js">' in response.text
        assert 'hx-trigger="every 3s"' in response.text


async def test_overview_lists_every_queue_at_zero_on_a_fresh_database(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    for queue in ("stock", "shipments", "orders", "reports", "housekeeping"):
        assert f"<td>{queue}</td>" in html
    assert "No account yet" in html
    assert "In the configuration file but not stored, so not used: not-yet" in html
    assert "accounts import" in html


async def test_static_files_are_shipped_and_nothing_else_is_served(client: httpx.AsyncClient) -> None:
    js = await client.get("/static/htmx.min.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.text.startswith("/*! htmx 2.") and "0BSD" in js.text.splitlines()[0]
    assert "var htmx=" in js.text
    assert (await client.get("/static/dashboard.css")).status_code == 200
    assert (await client.get("/static/..%2Fdashboard.py")).status_code == 404
    assert (await client.get("/static/dashboard.py")).status_code == 404


# -- rows shown ---------------------------------------------------------------------------------

async def test_overview_counts_orders_inbox_quarantine_jobs_quota_and_circuits(
        client: httpx.AsyncClient, conn: psycopg.AsyncConnection[Any]) -> None:
    await add_account(conn)
    await add_order(conn, "302-0000001-0000001", odoo_id=11)
    await add_order(conn, "302-0000002-0000002", odoo_id=12)
    await add_order(conn, "405-0000003-0000003", marketplace=FR)  # claimed, not yet in Odoo
    await inbox.put(conn, source="notification", key="n-1", account="shop-eu", payload={})
    await quarantine.put(conn, flow="orders", key="shop-eu:X", account="shop-eu", reason="unknown SKU")
    await failed_job(conn, "SKU-1")
    await defer_in_transaction(PgUnitOfWork(conn), "tests.dashboard.task", "stock", {"sku": "SKU-2"})
    await conn.execute("INSERT INTO spapi_rate_buckets (account, region, operation, tokens, rate, burst, "
                       "updated_at, throttled_count) VALUES ('shop-eu', 'EU', 'getOrders', 3, 0.0167, 20, "
                       "now(), 7)")
    await conn.execute("INSERT INTO spapi_circuits (account, api, state, failures, opened_at, updated_at, "
                       "last_error) VALUES ('shop-eu', 'orders', 'open', 5, now(), now(), 'HTTP 503'), "
                       "('shop-eu', 'feeds', 'closed', 0, NULL, now(), NULL)")

    html = (await client.get("/")).text
    de_row = re.search(rf"<td>shop-eu</td><td>{DE}</td>(.*?)</tr>", html, re.S)
    fr_row = re.search(rf"<td>shop-eu</td><td>{FR}</td>(.*?)</tr>", html, re.S)
    assert de_row and fr_row
    numbers = lambda row: re.findall(r'<td class="num">(\d+)</td>', row)  # noqa: E731
    # columns: claimed, created, total
    assert numbers(de_row.group(1)) == ["0", "2", "2"]
    assert numbers(fr_row.group(1)) == ["1", "0", "1"]
    assert "<td>notification</td><td>pending</td>" in html
    assert '<a href="/quarantine">orders</a>' in html
    assert re.search(r'<span class="big">1</span> failed jobs', html)
    assert re.search(r'<span class="big">1</span> jobs waiting', html)
    assert "getOrders" in html and '<td class="num">7</td>' in html
    assert "HTTP 503" in html and "feeds" not in html  # closed circuits are only counted


async def test_quarantine_page_shows_open_items_with_payload_escaped(
        client: httpx.AsyncClient, conn: psycopg.AsyncConnection[Any]) -> None:
    await quarantine.put(conn, flow="orders", key="shop-eu:303-1", account="shop-eu",
                         reason="unknown SKU <b>X-1</b>", details={"sku": "X-1"},
                         payload={"note": "<script>alert('pwned')</script>"})
    await quarantine.put(conn, flow="orders", key="shop-eu:303-1", account="shop-eu", reason="unknown SKU again")
    done = await quarantine.put(conn, flow="stock", key="gone", account=None, reason="old")
    await quarantine.resolve(conn, done.flow, done.key, "fixed")

    for path in ("/quarantine", "/partials/quarantine"):
        html = (await client.get(path)).text
        assert "shop-eu:303-1" in html and "unknown SKU again" in html
        assert "gone" not in html  # resolved items are history
        assert "<details" in html and "&lt;script&gt;alert(" in html
        assert "<script>alert" not in html
        assert re.search(r'<td class="num">2</td>', html)  # attempts


async def test_orders_page_lists_latest_and_searches_by_order_id(
        client: httpx.AsyncClient, conn: psycopg.AsyncConnection[Any]) -> None:
    await add_order(conn, "302-1111111-1111111", odoo_id=41)
    await add_order(conn, "028-2222222-2222222", odoo_id=42)
    await external_ids.claim(conn, "shop-eu", "res.partner", "buyer-hash")  # not an order

    html = (await client.get("/orders")).text
    assert "302-1111111-1111111" in html and "028-2222222-2222222" in html
    assert "sale.order 41" in html and "2025-03-01 12:30:00Z" in html
    assert "buyer-hash" not in html
    assert html.index("028-2222222") < html.index("302-1111111")  # newest first

    found = (await client.get("/partials/orders", params={"q": "2222"}, headers=HTMX)).text
    assert "028-2222222-2222222" in found and "302-1111111" not in found
    assert "<html" not in found
    none = (await client.get("/orders", params={"q": "%"})).text  # a LIKE wildcard is a literal
    assert "No order matches" in none


async def test_jobs_page_shows_waiting_and_failed_jobs_with_their_error(
        client: httpx.AsyncClient, conn: psycopg.AsyncConnection[Any]) -> None:
    failed = await failed_job(conn, "SKU-404")
    waiting = await defer_in_transaction(PgUnitOfWork(conn), "tests.dashboard.task", "stock", {"sku": "SKU-OK"})

    html = (await client.get("/jobs")).text
    failed_part, waiting_part = html.split("<h2>Running</h2>")
    assert f'<td class="num">{failed}</td>' in failed_part and "unknown SKU SKU-404" in failed_part
    assert f'hx-post="/jobs/{failed}/retry"' in failed_part
    assert f'<td class="num">{waiting}</td>' in waiting_part and "SKU-OK" in waiting_part


async def test_audit_page_shows_latest_rows(client: httpx.AsyncClient,
                                            conn: psycopg.AsyncConnection[Any]) -> None:
    await audit.record(conn, actor="cli:alice", action="accounts.add", object_type="account",
                       object_key="shop-eu", details={"refresh_token": "leak-me-not", "region": "EU"})
    html = (await client.get("/audit")).text
    assert "cli:alice" in html and "accounts.add" in html and "shop-eu" in html
    assert "leak-me-not" not in html


# -- actions ---------------------------------------------------------------------------------------

async def test_resolve_button_resolves_and_audits(client: httpx.AsyncClient,
                                                  conn: psycopg.AsyncConnection[Any]) -> None:
    item = await quarantine.put(conn, flow="orders", key="shop-eu:303-9", account="shop-eu", reason="bad")
    html = (await client.get("/quarantine")).text
    assert f'hx-post="/quarantine/{item.id}/resolve"' in html

    response = await client.post(f"/quarantine/{item.id}/resolve", headers=HTMX)
    assert response.status_code == 200
    assert "shop-eu:303-9" in response.text  # in the notice
    assert "Quarantine is empty" in response.text and 'hx-swap-oob="true"' in response.text
    assert "<html" not in response.text

    stored = await quarantine.get(conn, item.id)
    assert stored is not None and stored.resolved_at is not None and stored.resolution == RESOLUTION
    entries = await audit.recent(conn, 5, object_type="quarantine")
    assert [(e.actor, e.action, e.object_key, e.details["id"]) for e in entries] == [
        (ACTOR, "quarantine.resolve", "orders:shop-eu:303-9", item.id)]

    again = await client.post(f"/quarantine/{item.id}/resolve", headers=HTMX)
    assert "already resolved" in again.text
    assert len(await audit.recent(conn, 5, object_type="quarantine")) == 1


async def test_resolve_leaves_a_reopened_item_of_the_same_key_alone(
        client: httpx.AsyncClient, conn: psycopg.AsyncConnection[Any]) -> None:
    old = await quarantine.put(conn, flow="orders", key="k", account=None, reason="first")
    await quarantine.resolve(conn, "orders", "k", "elsewhere")
    new = await quarantine.put(conn, flow="orders", key="k", account=None, reason="second")
    assert new.id != old.id
    await client.post(f"/quarantine/{old.id}/resolve", headers=HTMX)
    assert await quarantine.is_open(conn, "orders", "k") is not None


async def test_actions_need_the_csrf_token_so_a_cross_site_form_cannot_press_them(
        client: httpx.AsyncClient, conn: psycopg.AsyncConnection[Any]) -> None:
    item = await quarantine.put(conn, flow="orders", key="csrf", account=None, reason="bad")
    token = client.headers.pop("X-CSRF-Token")
    # What a form on another site can send: the browser adds the cookie, not the token.
    assert (await client.post(f"/quarantine/{item.id}/resolve", headers=HTMX)).status_code == 403
    assert (await client.post("/jobs/1/retry", data={"csrf_token": "0" * 64})).status_code == 403
    assert (await client.post(f"/quarantine/{item.id}/resolve", headers={
        "X-CSRF-Token": token, "Origin": "https://evil.example"})).status_code == 403
    assert await quarantine.is_open(conn, "orders", "csrf") is not None
    page = (await client.get("/quarantine")).text
    assert f"hx-headers='{{\"X-CSRF-Token\": \"{token}\"}}'" in page  # what htmx sends with each request


async def test_retry_button_requeues_a_failed_job_through_jobs_admin(
        client: httpx.AsyncClient, conn: psycopg.AsyncConnection[Any]) -> None:
    job_id = await failed_job(conn, "SKU-R")
    response = await client.post(f"/jobs/{job_id}/retry", headers=HTMX)
    assert response.status_code == 200 and f"job {job_id} is queued again" in response.text
    cur = await conn.execute("SELECT status::text FROM procrastinate_jobs WHERE id = %s", (job_id,))
    assert await cur.fetchone() == ("todo",)
    entries = await audit.recent(conn, 5, object_type="job")
    assert [(e.actor, e.action, e.object_key) for e in entries] == [(ACTOR, "job.retry", str(job_id))]
    missing = await client.post("/jobs/999999/retry", headers=HTMX)
    assert "no failed job with this id" in missing.text


@pytest.mark.parametrize(("path", "headers"), [("/jobs", {}), ("/partials/jobs", HTMX), ("/", {})])
async def test_a_page_the_database_cannot_read_says_so(client: httpx.AsyncClient, conn: psycopg.AsyncConnection[Any],
                                                       path: str, headers: dict[str, str]) -> None:
    await conn.execute("ALTER TABLE procrastinate_jobs RENAME TO procrastinate_jobs_away")
    response = await client.get(path, headers=headers)
    assert response.status_code == 503
    assert "the database could not be read (UndefinedTable)" in response.text
    assert ("<html" in response.text) is (path != "/partials/jobs")


# -- fragments, secrets, volume ------------------------------------------------------------------

@pytest.mark.parametrize("path", PARTIALS)
async def test_partials_return_only_the_fragment(client: httpx.AsyncClient, path: str) -> None:
    html = (await client.get(path, headers=HTMX)).text
    assert "<html" not in html and "<nav" not in html and "<script" not in html
    assert "as of " in html


async def test_no_account_secret_appears_in_any_page(client: httpx.AsyncClient,
                                                     conn: psycopg.AsyncConnection[Any]) -> None:
    await add_account(conn)
    await quarantine.put(conn, flow="orders", key="shop-eu:1", account="shop-eu", reason="r")
    await audit.record(conn, actor="cli:bob", action="accounts.add", object_type="account",
                       object_key="shop-eu", details={"lwa_client_secret": CLIENT_SECRET})
    cur = await conn.execute("SELECT lwa_client_secret, refresh_token FROM accounts")
    ciphertexts = [value for row in await cur.fetchall() for value in row]
    assert all(ciphertexts)
    forbidden = [CLIENT_SECRET, REFRESH_TOKEN, CLIENT_ID, *ciphertexts]
    for path in PAGES + PARTIALS:
        html = (await client.get(path)).text
        assert "shop-eu" in html or path in ("/jobs", "/partials/jobs", "/orders", "/partials/orders")
        for secret in forbidden:
            assert secret not in html, (path, secret[:12])
    assert "<td>set</td>" in (await client.get("/")).text  # credentials shown as set, not as values


async def test_pages_stay_bounded_with_thousands_of_rows(client: httpx.AsyncClient,
                                                         conn: psycopg.AsyncConnection[Any]) -> None:
    # Volume through plain SQL: the store functions one by one would make the test slow.
    await conn.execute(f"""
        INSERT INTO inbox (source, key, account, payload)
        SELECT 'orders/shop-eu', 'o-' || g || '@t', 'shop-eu',
               jsonb_build_object('salesChannel', jsonb_build_object('marketplaceId', '{DE}'))
        FROM generate_series(1, 3000) g;
        INSERT INTO external_ids (account, kind, amazon_key, odoo_model, odoo_id, state)
        SELECT 'shop-eu', 'sale.order', 'o-' || g, 'sale.order', g, 'created' FROM generate_series(1, 3000) g;
        INSERT INTO quarantine (flow, key, account, reason, payload)
        SELECT 'orders', 'q-' || g, 'shop-eu', 'unknown SKU', '{{"a": 1}}' FROM generate_series(1, 2000) g;
        INSERT INTO audit_log (actor, action) SELECT 'cli:x', 'a-' || g FROM generate_series(1, 1000) g;
    """)
    overview = (await client.get("/")).text
    assert re.search(rf"<td>shop-eu</td><td>{DE}</td>\s*<td class=\"num\">3000</td>", overview)
    assert re.search(r"<td>orders/shop-eu</td><td>pending</td><td class=\"num\">3000</td>", overview)
    orders = (await client.get("/partials/orders")).text
    assert rows_of(orders) == 200 and "o-3000" in orders and "The newest 200 shown" in orders
    quarantined = (await client.get("/partials/quarantine")).text
    assert rows_of(quarantined) == 200 and "2000 open items, the oldest 200 shown" in quarantined
    audited = (await client.get("/partials/audit")).text
    assert rows_of(audited) == 200 and "a-1000" in audited and "a-1<" not in audited
