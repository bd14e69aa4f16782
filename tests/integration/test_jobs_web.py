"""``/metrics`` and ``/healthz`` of the HTTP app, in-process (ASGI transport)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import psycopg
import pytest
from fastapi import APIRouter

from amazon_odoo_sync.config import DatabaseConfig, Settings
from amazon_odoo_sync.jobs.outbox import defer_in_transaction
from amazon_odoo_sync.mapping.fba_inventory import DriftLine
from amazon_odoo_sync.store import fba_drift
from amazon_odoo_sync.store.unit import PgUnitOfWork
from amazon_odoo_sync.web.app import create_app

pytestmark = pytest.mark.db


async def get(app: object, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def test_metrics_count_jobs_by_queue_and_state(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        for _ in range(3):
            await defer_in_transaction(PgUnitOfWork(conn), "jobs.noop", "reports", {})
        await defer_in_transaction(PgUnitOfWork(conn), "jobs.noop", "stock", {})
        await fba_drift.record_pull(conn, account="shop-eu", network="EU", marketplace_id="A1PA6795UKMFR9", skus=3,
                                    adjustments=2, at=datetime(2026, 11, 1, tzinfo=UTC), lines=[
                                        DriftLine(sku="A", expected=Decimal(5), reported=3),
                                        DriftLine(sku="B", expected=Decimal(1), reported=2)])
        await conn.commit()
    router = APIRouter()

    @router.get("/extra")
    async def extra() -> dict[str, str]:
        return {"mounted": "yes"}

    app = create_app(Settings(database=DatabaseConfig(url=db_url)), [router], url=db_url)
    async with app.router.lifespan_context(app):
        metrics = await get(app, "/metrics")
        health = await get(app, "/healthz")
        mounted = await get(app, "/extra")
    assert metrics.status_code == 200
    lines = metrics.text.splitlines()
    assert 'aos_jobs{queue="reports",state="todo"} 3.0' in lines
    assert 'aos_jobs{queue="stock",state="todo"} 1.0' in lines
    assert 'aos_jobs{queue="orders",state="todo"} 0.0' in lines
    assert 'aos_job_oldest_ready_seconds{queue="orders"} 0.0' in lines  # none waiting
    waited = next(line for line in lines if line.startswith('aos_job_oldest_ready_seconds{queue="reports"}'))
    assert 0 <= float(waited.split()[-1]) < 60
    assert 'aos_fba_drift_skus{account="shop-eu",network="EU"} 2.0' in lines
    assert 'aos_fba_drift_units{account="shop-eu",network="EU"} 3.0' in lines
    assert health.status_code == 200 and health.json() == {"status": "ok", "database": "ok"}
    assert mounted.json() == {"mounted": "yes"}


async def test_healthz_reports_a_database_without_schema(server_url: str) -> None:
    app = create_app(Settings(), url=server_url)
    async with app.router.lifespan_context(app):
        health = await get(app, "/healthz")
    assert health.status_code == 503 and "db upgrade" in health.json()["database"]
