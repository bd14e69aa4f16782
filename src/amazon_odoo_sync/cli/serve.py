"""Command: ``serve``: the HTTP service: dashboard (sign-in required), ``/healthz``, Prometheus
``/metrics`` (a bearer token when ``$AOS_METRICS_TOKEN`` is set) and, when ``[notifications]
http_endpoint`` is on, the signed notification endpoint (its secret in ``$AOS_NOTIFICATIONS_SECRET``)."""

from __future__ import annotations

import os
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
    """Serve the dashboard (sign-in required), /healthz, /metrics and, when on, the notification endpoint."""
    import uvicorn

    from ..logs import configure_logging
    from ..metrics import prepare_process

    settings = settings_from(ctx)
    app = service_app(settings)  # a configuration error stops here, before anything listens
    configure_logging(settings.log_level, settings.log_format)
    prepare_process()
    # log_config=None: uvicorn's records reach our JSON handler instead of its own text one.
    # proxy_headers=False: X-Forwarded-For/-Proto are read by web.auth, from [web] trusted_proxies only.
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level, access_log=False, log_config=None,
                proxy_headers=False)


def service_app(settings: Settings) -> FastAPI:
    """The full web service: dashboard, notification endpoint (when on), health and metrics."""
    from fastapi import APIRouter
    from psycopg_pool import AsyncConnectionPool

    from ..config import METRICS_TOKEN_ENV, NOTIFICATIONS_SECRET_ENV
    from ..exceptions import ConfigurationError
    from ..store.database import database_url
    from ..web.app import create_app
    from ..web.dashboard import dashboard_router
    from ..web.notifications import notifications_router

    url = database_url(settings)
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(url, min_size=1, max_size=8, open=False,
                                                         name="aos-service", kwargs={"autocommit": True})
    routers: list[APIRouter] = [dashboard_router(pool, settings)]
    if settings.notifications.http_endpoint:
        secret = os.environ.get(NOTIFICATIONS_SECRET_ENV, "")
        if len(secret) < 16:
            raise ConfigurationError(f"[notifications] http_endpoint is on: set the environment variable "
                                     f"{NOTIFICATIONS_SECRET_ENV} to the secret (at least 16 characters) "
                                     "its senders sign with", field="notifications.http_endpoint")
        routers.append(notifications_router(pool, secret=secret))
    return create_app(settings, routers, url=url, pools=[pool],
                      metrics_token=os.environ.get(METRICS_TOKEN_ENV) or None)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("serve")(serve)
