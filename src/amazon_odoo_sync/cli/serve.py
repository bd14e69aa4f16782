"""Command: ``serve``: the HTTP endpoint (``/healthz``, Prometheus ``/metrics``, more routes)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import settings_from

__all__ = ["register"]


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8080,
) -> None:
    """Serve /healthz and /metrics (Prometheus) over HTTP."""
    import uvicorn

    from ..logs import configure_logging
    from ..web.app import create_app

    settings = settings_from(ctx)
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level,
                access_log=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("serve")(serve)
