"""Command: ``sync catalog --account A``: read the account's listings now and map each SKU to the
Odoo product whose internal reference (``default_code``) is the SKU.

The stock flows offer only mapped SKUs, and an FBA SKU's stock lands on its mapped product; the
workers refresh the map every ``stock.catalog_refresh_minutes``, and ``sync stock``/``sync fba``
refresh it when it is due. Run this after ``accounts add`` and ``odoo setup`` (orders need no
map: they fall back to ``default_code``), and after creating products in Odoo, to see at once
which SKUs have no product or several. Safe while workers run. Under the retry rules of jobs
(``cli.foreground``); a retry reads only the marketplaces the failed attempt did not finish.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from .common import account_settings, console
from .foreground import foreground_retry, progress_bar, run_command

if TYPE_CHECKING:
    from ..flows.stock_catalog import CatalogResult

__all__ = ["register", "sync_catalog"]

#: SKUs listed by name in the summary; the rest are counted.
SHOWN = 20


def sync_catalog(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", "-a", help="Seller account name.")],
) -> None:
    """Map the account's Amazon listings to Odoo products (by default_code) now."""
    settings, config = account_settings(ctx, account)
    retry = foreground_retry(settings)

    async def run() -> CatalogResult:
        from ..flows.runtime import open_runtime
        from ..flows.stock_catalog import map_listed_products

        async with open_runtime(settings, call_retry=retry) as rt:
            started = rt.clock.now()
            with progress_bar(SpinnerColumn(), TextColumn("{task.description}"),
                              TextColumn("{task.completed} listings"), TimeElapsedColumn()) as bar:
                reading = bar.add_task(f"Listings of {account} → Odoo products by default_code", total=None)

                async def read() -> CatalogResult:
                    spapi = await rt.spapi(account, priority=rt.settings.priorities.reports)
                    return await map_listed_products(
                        rt.store, account=account, marketplace_ids=config.marketplaces, spapi=spapi,
                        odoo=await rt.odoo(), now=rt.clock.now(), fresh_since=started,
                        progress=lambda n: bar.advance(reading, n))

                result = await retry.run("sync catalog", read)
                bar.update(reading, total=1, completed=1)
        return result

    result = run_command(f"sync catalog --account {account}", run())
    console.print(f"{result.listings} listings: {result.mapped} mapped to Odoo products by default_code "
                  f"({len(result.changed)} new or changed channel), {len(result.unmatched)} without an Odoo "
                  f"product, {len(result.ambiguous)} ambiguous.")
    for label, skus in (("Without an Odoo product", result.unmatched),
                        ("On several Odoo products (map them by hand)", result.ambiguous)):
        if skus:
            more = f" and {len(skus) - SHOWN} more" if len(skus) > SHOWN else ""
            console.print(f"  [yellow]{label}[/]: {', '.join(skus[:SHOWN])}{more}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``catalog`` to a ``sync`` command group."""
    app.command("catalog")(sync_catalog)
