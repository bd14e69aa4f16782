"""Command: ``privacy purge [--dry-run]``: remove buyer personal data past its retention now.

The same purge the workers run daily (``flows.privacy``); safe while they run. ``--dry-run``
counts the rows per table that would lose their personal data, and changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from .common import console, settings_from

__all__ = ["register"]

privacy_app = typer.Typer(help="Buyer personal data kept by the connector.", no_args_is_help=True)


@privacy_app.command("purge")
def purge(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be purged; change nothing.")] = False,
) -> None:
    """Remove buyer names, addresses, phones and e-mails older than [schedules] pii_retention_days."""
    settings = settings_from(ctx)
    days = settings.schedules.pii_retention_days

    async def run() -> None:
        from ..flows.privacy import purge_personal_data
        from ..flows.runtime import open_runtime
        from ..store import audit

        async with open_runtime(settings) as rt:
            result = await purge_personal_data(rt.store, retention_days=days, dry_run=dry_run,
                                               actor=audit.cli_actor())
        table = Table("table", "rows due" if dry_run else "rows purged",
                      title=f"Personal data older than {days} days (before {result.cutoff:%Y-%m-%d %H:%M} UTC)")
        for name, rows in result.rows.items():
            table.add_row(name, str(rows))
        console.print(table)
        if dry_run:
            console.print("Dry run: nothing was changed.")

    asyncio.run(run())


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
