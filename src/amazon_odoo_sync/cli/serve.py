"""Command: ``serve``: the HTTP endpoint (``/healthz``, Prometheus ``/metrics``, more routes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import settings_from

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..config import Settings

__all__ = ["register"]


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
) -> None:
    """Serve the dashboard, the SP-API notification endpoint, /healthz and /metrics over HTTP."""
    import uvicorn

    from ..logs import configure_logging
    from ..metrics import prepare_process

    settings = settings_from(ctx)
    configure_logging(settings.log_level, settings.log_format)
    prepare_process()
    # log_config=None: uvicorn's records reach our JSON handler instead of its own text one.
    uvicorn.run(service_app(settings), host=host, port=port, log_level=settings.log_level,
                access_log=False, log_config=None)


def service_app(settings: Settings) -> FastAPI:
    """The full web service: dashboard, notification endpoint, health and metrics."""
    from psycopg_pool import AsyncConnectionPool

    from ..store.database import database_url
    from ..web.app import create_app
    from ..web.dashboard import dashboard_router
    from ..web.notifications import notifications_router

    url = database_url(settings)
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(url, min_size=1, max_size=8, open=False,
                                                         name="aos-service", kwargs={"autocommit": True})
    return create_app(settings, (dashboard_router(pool, settings), notifications_router(pool)), url=url,
                      pools=[pool])


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("serve")(serve)
