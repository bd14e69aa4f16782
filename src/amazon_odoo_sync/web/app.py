"""The HTTP app (FastAPI): ``/healthz`` and ``/metrics``; other modules add their routers.

``create_app(settings, extra_routers=(...))`` mounts the given ``APIRouter``s. ``/healthz`` is
open (monitoring polls it; it tells only whether the database answers). ``/metrics`` asks for
``Authorization: Bearer <metrics_token>`` when a token is given (``serve`` passes
``$AOS_METRICS_TOKEN``), and is open otherwise. Route handlers
reach the database through ``request.app.state.db`` (:class:`Database`: a small pool, opened on
first use and closed when the app shuts down); what they read is the store's
(:mod:`amazon_odoo_sync.store.dashboard`).
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client.core import Metric
from psycopg_pool import AsyncConnectionPool

from ..config import Settings
from ..store.dashboard import PgDashboard
from .metrics import CONTENT_TYPE_LATEST, database_metrics, render_metrics

__all__ = ["Database", "create_app"]


class Database:
    """A lazily opened pool, so building the app needs no database."""

    def __init__(self, url: str, max_size: int = 4) -> None:
        self.url = url
        self.max_size = max_size
        self._pool: AsyncConnectionPool[Any] | None = None

    async def pool(self) -> AsyncConnectionPool[Any]:
        if self._pool is None:
            pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                self.url, min_size=1, max_size=self.max_size, open=False, name="aos-web",
                kwargs={"autocommit": True})
            await pool.open(wait=True, timeout=10)
            self._pool = pool
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def create_app(settings: Settings, extra_routers: Iterable[APIRouter] = (), *,
               url: str | None = None,
               pools: Iterable[AsyncConnectionPool[Any]] = (),
               metrics_token: str | None = None) -> FastAPI:
    """``pools``: pools the extra routers use, opened at start-up and closed at shutdown.
    ``metrics_token``: the bearer token ``/metrics`` asks for (None: open)."""
    if url is None:
        from ..store.database import database_url

        url = database_url(settings)
    database = Database(url)

    owned = list(pools)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for pool in owned:
            await pool.open(wait=True, timeout=10)
        try:
            yield
        finally:
            for pool in owned:
                await pool.close()
            await database.close()

    app = FastAPI(title="amazon-odoo-sync", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.db = database

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        try:
            async with PgDashboard(await database.pool()).reading() as reads:
                ready = await reads.schema_ready()
        except Exception as exc:  # report, never raise: this is what monitoring polls
            # The driver's name (OperationalError, PoolTimeout) when the store translated one.
            return JSONResponse({"status": "error", "database": type(exc.__cause__ or exc).__name__},
                                status_code=503)
        if not ready:
            return JSONResponse({"status": "error", "database": "schema missing: run db upgrade"},
                                status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        if metrics_token:
            sent = request.headers.get("authorization", "")
            expected = f"Bearer {metrics_token}"
            if not hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode("utf-8")):
                return PlainTextResponse("a bearer token is required", status_code=401,
                                         headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        families: list[Metric] = []
        try:
            async with PgDashboard(await database.pool()).reading() as reads:
                families = await database_metrics(reads)
        except Exception:  # still export process metrics when the database is away
            pass
        return Response(render_metrics(families), media_type=CONTENT_TYPE_LATEST)

    for router in extra_routers:
        app.include_router(router)
    return app
