"""Command: ``sync fba --account A``: pull Amazon's FBA inventory into Odoo now and show the drift.

One complete pull per FBA fulfilment network of the account (pan-EU, UK, US, CA...), applied to
the account's locations in the network's FBA warehouse (differences only), exactly what the
``fba_inventory.pull`` job does. Before applying, Odoo's totals are compared with Amazon's; the
SKUs differing by more than ``stock.fba_drift_tolerance`` are printed (and stored for the
dashboard/metrics). The first pull of a network reports no drift: Odoo expected nothing yet.
Safe while workers run (every adjustment sets an absolute quantity).

Registration (lead): ``fba.register(sync_app)`` on the ``sync`` group of ``cli/sync.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..marketplaces import by_id
from .common import account_settings, console
from .foreground import foreground_retry, progress_bar, run_command

if TYPE_CHECKING:
    from ..flows.fba_inventory import FbaResult

__all__ = ["drift_table", "register", "summary_table", "sync_fba"]


def summary_table(results: Sequence[FbaResult]) -> Table:
    """One row per network pulled."""
    table = Table("network", "via", "SKUs", "pages", "restarts", "adjusted", "quarantined",
                  "shipped, not in Odoo", "drift", title="FBA inventory pulled")
    for result in results:
        table.add_row(result.network, by_id(result.marketplace_id).code, str(result.skus), str(result.pages),
                      str(result.restarts), str(len(result.adjustments)), str(result.quarantined),
                      str(sum(result.unimported_shipped.values())),
                      str(len(result.drift)) if result.drift_checked else "first pull")
    return table


def drift_table(results: Sequence[FbaResult]) -> Table:
    """The drift lines of every network pulled, largest difference first."""
    table = Table("network", "SKU", "Odoo expects", "Amazon reports", "difference", title="FBA drift")
    lines = [(r.network, line) for r in results for line in r.drift]
    for network, line in sorted(lines, key=lambda x: (x[0], -abs(x[1].difference), x[1].sku)):
        diff = line.difference
        style = "red" if diff < 0 else "yellow"
        table.add_row(network, line.sku, f"{line.expected.normalize():f}", str(line.reported),
                      f"[{style}]{diff.normalize():+f}[/]")
    return table


def sync_fba(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", "-a", help="Seller account name.")],
    map_products: Annotated[bool, typer.Option(
        "--map/--no-map", help="Refresh the SKU → Odoo product mapping from Amazon's listings first.")] = True,
    fail_on_drift: Annotated[bool, typer.Option(
        "--fail-on-drift", help="Exit with code 1 when drift is found (for monitoring).")] = False,
) -> None:
    """Pull FBA inventory into Odoo now (every fulfilment network) and print the drift."""
    settings, _ = account_settings(ctx, account)
    retry = foreground_retry(settings)

    async def run() -> list[FbaResult]:
        from ..flows.fba_inventory import pull_account
        from ..flows.runtime import open_runtime
        from ..flows.stock_catalog import map_products_for

        async with open_runtime(settings, call_retry=retry) as rt:
            with progress_bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) as bar:
                if map_products:
                    listing = bar.add_task(f"Listings of {account} → Odoo products by default_code", total=None)
                    await retry.run("sync fba", lambda: map_products_for(rt, account))
                    bar.update(listing, total=1, completed=1)
                task = bar.add_task(f"FBA inventory of {account}", total=None)

                def progress(network: str, pages: int, skus: int) -> None:
                    bar.update(task, description=f"FBA inventory of {account}, network {network}: "
                                                 f"{pages} page(s), {skus} SKUs")

                # Every adjustment sets an absolute quantity: a pull run again is safe.
                results = await retry.run("sync fba", lambda: pull_account(rt, account, progress=progress))
                bar.update(task, total=1, completed=1)
        return results

    results = run_command(f"sync fba --account {account}", run())
    if not results:
        console.print(f"[yellow]{account} has no FBA warehouse in Odoo for any of its marketplaces[/]: "
                      "run `amazon-odoo-sync odoo setup`.")
        return
    console.print(summary_table(results))
    drifted = drift_table(results)
    if drifted.row_count:
        console.print(drifted)
        tolerance = settings.stock.fba_drift_tolerance
        console.print(f"{drifted.row_count} SKU(s) differ by more than {tolerance} unit(s) "
                      "(stock.fba_drift_tolerance); Odoo now has Amazon's figures.")
        if fail_on_drift:
            raise typer.Exit(1)
    elif all(r.drift_checked for r in results):
        console.print("No drift.")
    else:
        console.print("No drift; drift is reported from the second pull of a network on (Odoo expected "
                      "nothing before the first).")


def register(app: typer.Typer) -> None:
    """Add ``fba`` to a ``sync`` command group."""
    app.command("fba")(sync_fba)
