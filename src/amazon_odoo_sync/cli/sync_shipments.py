"""Command: ``sync shipments --account A [--since DATE]``: confirm FBM deliveries to Amazon now.

Runs one shipments cycle in this process: new done deliveries are planned, deliveries that
failed (Amazon refused them, or they could not be mapped) are planned again from Odoo — fix
them there (tracking, carrier) or in ``[shipments.carriers]`` first — and every pending one is
sent, with a progress bar. ``--since`` re-reads deliveries changed since DATE (the cursor of the
workers stays where it is) and limits the failed ones resent to those first seen since DATE.
Safe while workers run: a delivery is confirmed once whoever sends it.

Registration (lead): ``sync_shipments.register(sync_app)`` on the ``sync`` group of ``cli/sync.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn

from .common import account_settings, console, iso_datetime
from .foreground import foreground_retry, progress_bar, run_command

__all__ = ["register", "sync_shipments"]


def sync_shipments(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", "-a", help="Seller account name.")],
    since: Annotated[datetime | None, typer.Option(
        parser=iso_datetime, help="Re-read deliveries done since (ISO date, UTC).")] = None,
) -> None:
    """Confirm validated FBM deliveries to Amazon now, resending those that failed."""
    settings, _ = account_settings(ctx, account)
    retry = foreground_retry(settings)

    async def run() -> int:
        from ..flows.runtime import open_runtime
        from ..flows.shipments import poll_shipments

        async with open_runtime(settings, call_retry=retry) as rt:
            with progress_bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn()) as bar:
                sending = bar.add_task(f"Confirming {account} shipments to Amazon", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(sending, completed=done, total=total)

                # A delivery is confirmed once whoever sends it: running the cycle again is safe.
                result = await retry.run("sync shipments", lambda: poll_shipments(
                    rt, account, since=since, move_cursor=since is None, retry_failed=True, progress=progress))
        console.print(f"{result.scanned} deliveries read, {result.confirmed} confirmed, {result.rejected} refused "
                      f"by Amazon, {result.invalid} not mappable, {result.waiting} waiting for tracking, "
                      f"{result.retry} to retry.")
        for problem in result.problems:
            console.print(f"  [yellow]![/yellow] {problem}")
        return 1 if result.rejected or result.invalid else 0

    code = run_command(f"sync shipments --account {account}", run())
    if code:
        console.print("See `amazon-odoo-sync status` / the quarantine for the action each problem needs.")
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``shipments`` to a ``sync`` command group."""
    app.command("shipments")(sync_shipments)
