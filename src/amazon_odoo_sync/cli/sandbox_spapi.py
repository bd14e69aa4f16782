"""Command ``sandbox spapi``: run the SP-API simulator as an HTTP server (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import console

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""

    @app.command("spapi")
    def spapi(
        scenario: Annotated[str, typer.Option("--scenario", "-s",
                                              help="Shipped scenario name or a TOML path.")] = "demo",
        port: Annotated[int, typer.Option("--port", "-p", help="TCP port.")] = 8765,
        host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
        speed: Annotated[float | None, typer.Option(
            "--speed", help="Simulated seconds per real second (0: manual clock via /_sim).")
        ] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="Override the scenario's seed.")
                        ] = None,
        no_faults: Annotated[bool, typer.Option("--no-faults",
                                                help="Ignore the scenario's fault injection.")
                             ] = False,
    ) -> None:
        """Serve a simulated Amazon SP-API (LWA at /auth/o2/token, admin under /_sim)."""
        import uvicorn

        from ..exceptions import ConfigurationError
        from ..sandbox.spapi import make_simulator
        from ..sandbox.spapi.scenario import ScenarioError

        try:
            app, world = make_simulator(scenario, seed, speed, faults=not no_faults,
                                        tick_seconds=1.0)
        except ScenarioError as exc:
            raise ConfigurationError(str(exc), source=scenario) from exc
        sc = app.state.sim.scenario
        console.print(f"SP-API simulator: scenario [bold]{sc.name}[/] seed {world.seed}, "
                      f"speed {world.clock.speed:g}x, sim time {world.clock.now():%Y-%m-%d %H:%M}Z")
        for seller in world.sellers.values():
            console.print(f"  seller {seller.seller_id} ({seller.name}): refresh token "
                          f"{seller.refresh_token}, marketplaces "
                          f"{', '.join(m.code for m in seller.marketplaces)}")
        for lwa in sc.apps:
            console.print(f"  LWA app {lwa.client_id} (secret {lwa.client_secret}, "
                          f"restricted role: {'yes' if lwa.pii else 'no'})")
        console.print(f"  endpoint http://{host}:{port}  token URL http://{host}:{port}/auth/o2/token")
        uvicorn.run(app, host=host, port=port, log_level="warning")
