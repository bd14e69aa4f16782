"""Command: ``sandbox odoo`` -- run the Odoo 18 emulator as an HTTP server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import console

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""

    @app.command("odoo")
    def sandbox_odoo(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port (8069 like Odoo).")] = 8069,
        db: Annotated[str, typer.Option("--db", help="Database name clients must use.")] = "odoo",
        persist: Annotated[Path | None, typer.Option("--persist", help="JSON file keeping the data across "
                                                                          "restarts.")] = None,
        latency_scale: Annotated[float, typer.Option("--latency-scale", min=0.0,
                                                     help="0 = instant, 1 = like a real Odoo 18 on 2 cores.")] = 1.0,
        version: Annotated[str, typer.Option(help="Odoo version to claim (19.0 enables JSON-2).")] = "18.0",
        workers: Annotated[int, typer.Option(min=1, help="Calls the emulated server works on at once.")] = 3,
    ) -> None:
        """Serve an emulated Odoo (JSON-RPC; JSON-2 with --version 19.0). Login admin / API key below."""
        import uvicorn

        from ..sandbox.odoo import DEMO_API_KEY, DEMO_LOGIN, create_app

        app_ = create_app(latency_scale=latency_scale, persist_path=persist, version=version, database=db,
                          workers=workers)
        console.print(f"Odoo emulator {version} on http://{host}:{port}  database={db}  login={DEMO_LOGIN}  "
                      f"api key={DEMO_API_KEY}  latency x{latency_scale}"
                      + (f"  data={persist}" if persist else "  (in memory)"))
        uvicorn.run(app_, host=host, port=port, log_level="warning")
