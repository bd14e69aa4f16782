"""Command: ``demo``: a simulated Prime Day through the whole connector, with a reconciliation."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import console, settings_from

__all__ = ["register"]


def demo(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Option(help="Simulator scenario (prime-day, normal-day, demo).")] = "prime-day",
    hours: Annotated[float, typer.Option(min=0.1, help="Simulated hours to run.")] = 2.0,
    speed: Annotated[float, typer.Option(min=1, help="Simulated seconds per real second.")] = 120.0,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Worker processes.")] = 2,
    latency_scale: Annotated[float, typer.Option(min=0, help="Odoo emulator latency (1 = a real Odoo 18).")] = 1.0,
    keep_running: Annotated[bool | None, typer.Option(
        "--keep-running/--exit", help="Keep the dashboard up after the run (default: when interactive).")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="Logs and the demo's configuration.")] = None,
    chaos: Annotated[bool, typer.Option(
        "--chaos", help="Kill workers, take Odoo and PostgreSQL away, storm SP-API and notifications while "
                        "orders arrive; then check nothing was lost, duplicated or oversold.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the chaos schedule (--chaos).")] = 1,
) -> None:
    """Run a simulated Prime Day: SP-API simulator → connector (workers, web) → Odoo emulator."""
    from ..demo.chaos import ChaosOptions
    from ..demo.run import DemoOptions, run_demo

    settings = settings_from(ctx)
    options = DemoOptions(scenario=scenario, hours=hours, speed=speed, workers=workers,
                          latency_scale=latency_scale, chaos=ChaosOptions(seed=seed) if chaos else None,
                          keep_running=sys.stdin.isatty() if keep_running is None else keep_running)
    if work_dir is not None:
        options = dataclasses.replace(options, work_dir=work_dir)
    try:
        ok = asyncio.run(run_demo(settings, options, console))
    except KeyboardInterrupt:
        ok = True
    if not ok:
        console.print("[red]The demo ended with differences between Amazon and Odoo.[/]")
        raise SystemExit(1)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
