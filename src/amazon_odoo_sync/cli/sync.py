"""Commands: ``sync orders`` (backfill a period), ``sync order ID`` (recover one), ``sync stock``,
``sync shipments``, ``sync fba``, ``sync catalog``.

Every one runs under the retry rules of jobs (:mod:`.foreground`): a 429, a 5xx or an open
circuit is waited out, the wait shown on the progress bar, and an error that stays ends the
command with one paragraph and exit code 1."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn

from ..marketplaces import Marketplace
from .common import account_settings, console, iso_datetime, marketplace, marketplace_ids, use_stored_accounts
from .foreground import foreground_retry, progress_bar, run_command

__all__ = ["register"]

sync_app = typer.Typer(help="Resynchronise Amazon data on demand (safe while workers run).",
                       no_args_is_help=True)


@sync_app.callback()
def _accounts_from_database(ctx: typer.Context) -> None:
    # Every sync command (those added later too) works the accounts stored in the database.
    use_stored_accounts(ctx)


@sync_app.command("orders")
def sync_orders(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", "-a", help="Seller account name.")],
    since: Annotated[datetime, typer.Option(parser=iso_datetime,
                                            help="Orders updated since (ISO date, UTC).")],
    until: Annotated[datetime | None, typer.Option(parser=iso_datetime,
                                                   help="... and until (default: now).")] = None,
    marketplaces: Annotated[list[Marketplace] | None, typer.Option(
        "--marketplace", "-m", parser=marketplace,
        help="Code or id, one of the account's; repeatable (default: all of them).")] = None,
    import_now: Annotated[bool, typer.Option("--import/--no-import",
                                             help="Import here too instead of leaving it to workers.")] = True,
) -> None:
    """Re-read Amazon orders of a period into Odoo; duplicates are harmless."""
    settings, config = account_settings(ctx, account)
    wanted = marketplace_ids(config, marketplaces)
    retry = foreground_retry(settings)

    async def run() -> None:
        from ..flows.orders import backfill, import_pending
        from ..flows.runtime import open_runtime

        async with open_runtime(settings, call_retry=retry) as rt:
            with progress_bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                              TextColumn("{task.completed} orders"), TimeElapsedColumn()) as bar:
                reading = bar.add_task(f"Reading {account} from Amazon", total=None)

                async def read() -> Any:
                    bar.reset(reading, total=None)  # a retry reads again (stored ones are duplicates)
                    return await backfill(rt, account, wanted, since, until,
                                          progress=lambda n: bar.advance(reading, n))

                stored = await retry.run("sync orders", read)
                bar.update(reading, total=bar.tasks[reading].completed)
                if import_now:
                    importing = bar.add_task("Importing into Odoo", total=None)
                    result = await retry.run("sync orders", lambda: import_pending(rt, account))
                    bar.update(importing, completed=result.created + result.adopted, total=result.created +
                               result.adopted)
        console.print(f"{stored.stored} new order versions stored, {stored.duplicates} already known.")
        if import_now:
            console.print(f"Odoo: {result.created} created, {result.adopted} adopted, {result.cancelled} cancelled, "
                          f"{result.reserved} pending, {result.quarantined} quarantined.")

    run_command("sync orders", run())


@sync_app.command("order")
def sync_order(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="Amazon order id, e.g. 028-1234567-1234567.")],
    account: Annotated[str, typer.Option("--account", "-a", help="Seller account name.")],
) -> None:
    """Fetch one Amazon order and import it now."""
    settings, _ = account_settings(ctx, account)
    retry = foreground_retry(settings)

    async def run() -> None:
        from ..flows.orders import recover_order
        from ..flows.runtime import open_runtime

        async with open_runtime(settings, call_retry=retry) as rt:
            with progress_bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) as bar:
                bar.add_task(f"Fetching {order_id} and importing it", total=None)
                result = await retry.run("sync order", lambda: recover_order(rt, account, order_id))
        if result.quarantined:
            console.print(f"[yellow]{order_id} is in quarantine[/]: see `amazon-odoo-sync status`.")
        else:
            console.print(f"{order_id}: {result.created} created, {result.adopted} adopted, "
                          f"{result.cancelled} cancelled, {result.reserved} waiting (Pending on Amazon).")

    run_command(f"sync order {order_id}", run())


def register(app: typer.Typer) -> None:
    from . import fba, sync_catalog, sync_shipments, sync_stock

    fba.register(sync_app)
    sync_catalog.register(sync_app)
    sync_stock.register(sync_app)
    sync_shipments.register(sync_app)
    app.add_typer(sync_app, name="sync")
