"""Command: ``sync stock --account A [--full]``: push FBM quantities to Amazon now.

Without ``--full`` only what changed since the last cycle (Odoo stock moves/quants, orders) is
recomputed; with it the reservations of orders already in Odoo or cancelled are released
(audited) and every mapped FBM SKU is recomputed, and still only quantities that differ
from what Amazon has are sent. ``--wait`` then polls until Amazon has processed the feeds.
Safe while workers run (per-SKU sequence numbers keep results in order).

Registration (lead): ``sync_stock.register(sync_app)`` on the ``sync`` group of ``cli/sync.py``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn

from .common import account_settings, console
from .foreground import foreground_retry, progress_bar, run_command

__all__ = ["register", "sync_stock"]


def sync_stock(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", "-a", help="Seller account name.")],
    full: Annotated[bool, typer.Option("--full", help="Release the reservations of orders already in Odoo, "
                                                      "recompute every mapped FBM SKU.")] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for Amazon's feed reports.")] = False,
) -> None:
    """Send FBM stock to Amazon now (deltas only; --full recomputes everything)."""
    settings, _ = account_settings(ctx, account)
    retry = foreground_retry(settings)

    async def run() -> None:
        from ..flows.runtime import open_runtime
        from ..flows.stock import stock_push_for, wait_for_feeds
        from ..flows.stock_catalog import map_products_for

        async with open_runtime(settings, call_retry=retry) as rt:
            push = await retry.run("sync stock", lambda: stock_push_for(rt, account))
            with progress_bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                              MofNCompleteColumn(), TimeElapsedColumn()) as bar:
                listing = bar.add_task(f"Listings of {account} → Odoo products by default_code", total=None)
                # A refresh resumes: a retry reads only the marketplaces not read yet.
                catalog = await retry.run("sync stock", lambda: map_products_for(
                    rt, account, force=full, progress=lambda n: bar.advance(listing, n)))
                bar.update(listing, total=1, completed=1)
                task = bar.add_task(f"Stock {account}{' (full)' if full else ''}", total=None)

                def progress(marketplace_id: str, done: int, total: int) -> None:
                    bar.update(task, description=f"Feeds {marketplace_id}", completed=done, total=total)

                # A cycle run again sends only what Amazon does not have yet.
                result = await retry.run("sync stock", lambda: push.run_cycle(full=full, progress=progress))
                await push.record_audit(result, full=full)
                bar.update(task, completed=result.fed + result.patched,
                           total=max(1, result.fed + result.patched))
                if wait and result.feeds:
                    waiting = bar.add_task("Waiting for Amazon's processing reports", total=None)
                    await retry.run("sync stock", lambda: wait_for_feeds(push, sleep=asyncio.sleep))
                    bar.update(waiting, total=1, completed=1)
        if catalog is not None:
            console.print(f"{catalog.listings} listings: {catalog.mapped} mapped to Odoo products by "
                          f"default_code ({len(catalog.changed)} new or changed channel), "
                          f"{len(catalog.unmatched)} without an Odoo product, {len(catalog.ambiguous)} ambiguous.")
        if result.released:
            console.print(f"{result.released} order(s) already in Odoo or cancelled still held reserved units: "
                          "released (see the audit log).")
        console.print(f"{result.computed} SKUs computed; {result.patched} patched ({result.urgent} urgent), "
                      f"{result.fed} in {len(result.feeds)} feed(s); {result.accepted} accepted, "
                      f"{result.rejected} rejected (quarantine), {result.retryable} to retry.")

    run_command(f"sync stock --account {account}", run())


def register(app: typer.Typer) -> None:
    """Add ``stock`` to a ``sync`` command group."""
    app.command("stock")(sync_stock)
