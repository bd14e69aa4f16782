"""FBA inventory: Amazon's figures → an Odoo warehouse per FBA region, one location per kind.

:meth:`FbaInventorySync.pull` reads every page of ``getInventorySummaries`` (details) for a
marketplace; a ``nextToken`` that expired mid-way (Amazon: 30 s) restarts the pull from the
first page (results are keyed by SKU, so a restart loses and doubles nothing). Only a complete
pull is applied: Odoo gets inventory adjustments of the differences only, SKUs Odoo has in FBA
locations that Amazon no longer reports go to 0, and everything applied is in the audit log.
:meth:`FbaInventorySync.apply_notification` does the same for one SKU from an
``FBA_INVENTORY_AVAILABILITY_CHANGES`` notification. SKUs without an Odoo product go to
quarantine (``fba-inventory``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from psycopg import AsyncConnection

from ..amazon.marketplaces import by_id
from ..exceptions import DataError, InvalidInputError
from ..logs import get_logger
from ..mapping.fba_inventory import (
    KINDS,
    Adjustment,
    DriftLine,
    FbaQuantities,
    Kind,
    adjustments,
    drift,
    from_notification,
    from_summary,
    location_barcode,
    location_name,
    zero_missing,
)
from ..store import audit, inbox, offers, product_map, quarantine

__all__ = [
    "FLOW",
    "NOTIFICATION_SOURCE",
    "NOTIFICATION_TYPE",
    "FbaInventorySync",
    "FbaResult",
    "FbaStockTarget",
    "OdooFbaTarget",
    "apply_pending_notifications",
    "fba_syncs_for",
    "pull_account",
    "receive_notification",
]

FLOW = "fba-inventory"
NOTIFICATION_TYPE = "FBA_INVENTORY_AVAILABILITY_CHANGES"
NOTIFICATION_SOURCE = "notification/fba-inventory"
MAX_RESTARTS = 3
_log = get_logger(__name__)


class FbaStockTarget(Protocol):
    """Odoo's side: quantities in the FBA locations of a region, and setting them."""

    async def quantities(self, region: str, product_ids: Sequence[int] | None
                         ) -> dict[tuple[int, Kind], Decimal]:
        """On-hand per (product, kind); ``None``: every product with FBA stock."""

    async def set_quantities(self, region: str, targets: Mapping[tuple[int, Kind], Decimal]) -> None:
        """Inventory adjustments: each (product, kind) location ends at the given quantity."""


class OdooFbaTarget:
    """:class:`FbaStockTarget` on Odoo: locations (barcode-unique) under the FBA warehouse."""

    def __init__(self, odoo: Any, warehouses: Mapping[str, int]) -> None:
        self.odoo = odoo
        self.warehouses = dict(warehouses)  # region → stock.warehouse id
        self._locations: dict[str, dict[Kind, int]] = {}

    async def locations(self, region: str) -> dict[Kind, int]:
        if region in self._locations:
            return self._locations[region]
        barcodes = {location_barcode(region, kind): kind for kind in KINDS}
        rows = await self.odoo.search_read("stock.location", [("barcode", "in", sorted(barcodes))],
                                           ["barcode"])
        found: dict[Kind, int] = {barcodes[r["barcode"]]: int(r["id"]) for r in rows}
        missing = [kind for kind in KINDS if kind not in found]
        if missing:
            [wh] = await self.odoo.read("stock.warehouse", [self.warehouses[region]], ["view_location_id"])
            parent = wh["view_location_id"][0] if isinstance(wh["view_location_id"], list) else wh["view_location_id"]
            # The barcode is unique per company in Odoo: a concurrent creator fails, never duplicates.
            ids = await self.odoo.create("stock.location", [
                {"name": location_name(kind), "usage": "internal", "location_id": parent,
                 "barcode": location_barcode(region, kind)} for kind in missing])
            found.update(zip(missing, ids, strict=True))
        self._locations[region] = found
        return found

    async def quantities(self, region: str, product_ids: Sequence[int] | None
                         ) -> dict[tuple[int, Kind], Decimal]:
        locations = await self.locations(region)
        kind_of = {loc: kind for kind, loc in locations.items()}
        domain: list[Any] = [("location_id", "in", sorted(kind_of))]
        if product_ids is not None:
            domain.append(("product_id", "in", list(product_ids)))
        rows = await self.odoo.search_read("stock.quant", domain, ["product_id", "location_id", "quantity"])
        result: dict[tuple[int, Kind], Decimal] = {}
        for row in rows:
            product = row["product_id"][0] if isinstance(row["product_id"], list) else row["product_id"]
            location = row["location_id"][0] if isinstance(row["location_id"], list) else row["location_id"]
            key = (int(product), kind_of[int(location)])
            result[key] = result.get(key, Decimal(0)) + Decimal(str(row["quantity"]))
        return result

    async def set_quantities(self, region: str, targets: Mapping[tuple[int, Kind], Decimal]) -> None:
        if not targets:
            return
        locations = await self.locations(region)
        ids = await self.odoo.create("stock.quant", [
            {"product_id": product, "location_id": locations[kind], "inventory_quantity": float(qty)}
            for (product, kind), qty in targets.items()], context={"inventory_mode": True})
        await self.odoo.call_method("stock.quant", "action_apply_inventory", ids)


@dataclass(kw_only=True)
class FbaResult:
    skus: int = 0
    pages: int = 0
    restarts: int = 0
    adjustments: list[Adjustment] = field(default_factory=list)
    quarantined: int = 0
    drift: list[DriftLine] = field(default_factory=list)


class FbaInventorySync:
    def __init__(self, *, account: str, marketplace_id: str, region: str, client: Any,
                 target: FbaStockTarget, actor: str = "flow:fba-inventory") -> None:
        self.account = account
        self.marketplace_id = marketplace_id
        self.region = region
        self.client = client
        self.target = target
        self.actor = actor

    async def fetch(self, result: FbaResult) -> dict[str, FbaQuantities]:
        """Every summary of the marketplace; restarts when a nextToken expired."""
        for attempt in range(MAX_RESTARTS + 1):
            found: dict[str, FbaQuantities] = {}
            try:
                async for page in self.client.fba_inventory.get_inventory_summaries_pages(
                        marketplace_id=self.marketplace_id, details=True):
                    result.pages += 1
                    for summary in (page.get("payload") or {}).get("inventorySummaries") or []:
                        item = from_summary(summary)
                        found[item.sku] = item
                return found
            except InvalidInputError as exc:
                if "nexttoken" not in (exc.remote_message or exc.message).lower() or attempt == MAX_RESTARTS:
                    raise
                result.restarts += 1
                _log.info("FBA inventory nextToken expired; pulling again from the first page",
                          account=self.account, marketplace_id=self.marketplace_id)
        raise AssertionError("unreachable")

    async def pull(self, conn: AsyncConnection[Any], *,
                   expected: Mapping[str, Decimal] | None = None) -> FbaResult:
        """Full pull and apply. ``expected`` (SKU → units Odoo expects at Amazon) adds a drift
        report."""
        result = FbaResult()
        found = await self.fetch(result)
        result.skus = len(found)
        await self._apply(conn, list(found.values()), result, complete=True)
        if expected is not None:
            result.drift = drift(expected, found.values())
            for line in result.drift:
                _log.warning("FBA drift", account=self.account, sku=line.sku, expected=str(line.expected),
                             reported=line.reported)
        return result

    async def apply_notification(self, conn: AsyncConnection[Any], payload: Mapping[str, Any]) -> FbaResult:
        result = FbaResult()
        try:
            item = from_notification(payload, self.marketplace_id)
        except DataError as exc:
            async with conn.transaction():
                await quarantine.put(conn, flow=FLOW, key=f"{self.account}:notification:{payload.get('SKU')}",
                                     account=self.account, reason=exc.message, payload=dict(payload))
            result.quarantined += 1
            return result
        if item is not None:
            result.skus = 1
            await self._apply(conn, [item], result, complete=False, source="notification")
        return result

    async def _apply(self, conn: AsyncConnection[Any], items: list[FbaQuantities], result: FbaResult, *,
                     complete: bool, source: str = "pull") -> None:
        products = await product_map.lookup(conn, self.account, self.marketplace_id, [i.sku for i in items])
        known = [i for i in items if i.sku in products]
        async with conn.transaction():
            for item in items:
                if item.sku not in products:
                    await quarantine.put(conn, flow=FLOW, key=f"{self.account}:{self.marketplace_id}:{item.sku}",
                                         account=self.account, reason=f"FBA SKU {item.sku} has no Odoo product "
                                         "(map it, then pull again)",
                                         payload={"sku": item.sku,
                                                  "quantities": {str(k): v for k, v in item.quantities.items()}})
                    result.quarantined += 1
                else:
                    await quarantine.resolve(conn, FLOW, f"{self.account}:{self.marketplace_id}:{item.sku}",
                                             "mapped")
            await offers.save_fba_snapshots(conn, self.account, self.marketplace_id,
                                            {i.sku: {str(k): v for k, v in i.quantities.items()} for i in items},
                                            source="pull" if source == "pull" else "notification")
        sku_of = {p: s for s, p in products.items()}
        current = await self.target.quantities(self.region, None if complete else list(products.values()))
        by_sku = {(sku_of[p], kind): q for (p, kind), q in current.items() if p in sku_of}
        changes = adjustments(known, by_sku)
        if complete:
            # Products in FBA locations that no reported SKU maps to: Amazon has none of them.
            reported = set(products.values())
            gone = {(f"#{p}", kind): q for (p, kind), q in current.items() if p not in reported}
            changes += zero_missing([], gone)
        targets: dict[tuple[int, Kind], Decimal] = {}
        for change in changes:
            product = products[change.sku] if not change.sku.startswith("#") else int(change.sku[1:])
            targets[(product, change.kind)] = Decimal(change.amazon_quantity)
        await self.target.set_quantities(self.region, targets)
        result.adjustments.extend(changes)
        if changes:
            async with conn.transaction():
                await audit.record(conn, actor=self.actor, action="fba_inventory.adjusted",
                                   object_type="fba_region", object_key=f"{self.account}:{self.region}",
                                   details={"marketplace_id": self.marketplace_id, "source": source,
                                            "adjustments": [{"sku": c.sku, "kind": c.kind,
                                                             "from": str(c.odoo_quantity),
                                                             "to": c.amazon_quantity} for c in changes[:500]],
                                            "count": len(changes)})


# -- wiring: runtime, notifications, jobs ---------------------------------------------------------


async def fba_syncs_for(rt: Any, account: str) -> list[FbaInventorySync]:
    """One sync per FBA region of the account (its first marketplace there: Amazon's FBA
    inventory is per fulfilment network, so one pull per region covers every marketplace of
    it). Marketplaces without an FBA warehouse in Odoo (``odoo setup``) are skipped."""
    refs = await rt.refs()
    odoo = await rt.odoo()
    client = await rt.spapi(account, priority=rt.settings.priorities.reports)
    chosen: dict[str, tuple[str, int]] = {}
    for marketplace_id in rt.settings.account(account).marketplaces:
        region = by_id(marketplace_id).region
        warehouse = (await refs.targets(marketplace_id)).fba_warehouse_id
        if warehouse and region not in chosen:
            chosen[region] = (marketplace_id, warehouse)
    target = OdooFbaTarget(odoo, {region: warehouse for region, (_, warehouse) in chosen.items()})
    return [FbaInventorySync(account=account, marketplace_id=marketplace_id, region=region, client=client,
                             target=target) for region, (marketplace_id, _) in chosen.items()]


async def pull_account(rt: Any, account: str, conn: AsyncConnection[Any]) -> list[FbaResult]:
    """Full pull and apply of every FBA region of ``account`` (``conn`` in autocommit mode)."""
    return [await sync.pull(conn) for sync in await fba_syncs_for(rt, account)]


async def receive_notification(conn: AsyncConnection[Any], notification: Mapping[str, Any],
                               account_for_seller: Callable[[str], str | None]) -> bool:
    """Store one FBA_INVENTORY_AVAILABILITY_CHANGES notification and make sure a job applies
    it (both in one transaction). False for a duplicate. Raises DataError for a notification
    we cannot read (the endpoint answers 400 and quarantines it)."""
    if notification.get("NotificationType") != NOTIFICATION_TYPE:
        raise DataError(f"not an {NOTIFICATION_TYPE} notification: {notification.get('NotificationType')!r}")
    metadata = notification.get("NotificationMetadata") or {}
    payload = notification.get("Payload") or {}
    notification_id, seller_id = metadata.get("NotificationId"), payload.get("SellerId")
    if not notification_id or not seller_id or not payload.get("SKU"):
        raise DataError(f"{NOTIFICATION_TYPE} notification lacks NotificationId, SellerId or SKU")
    account = account_for_seller(str(seller_id))
    if account is None:
        raise DataError(f"{NOTIFICATION_TYPE} for unknown seller {seller_id}")
    async with conn.transaction():
        item = await inbox.put(conn, source=NOTIFICATION_SOURCE, key=str(notification_id), account=account,
                               payload=dict(notification))
        if not item.is_new:
            return False
        await apply_notifications_task.defer_in_transaction(conn, account=account)
    return True


async def apply_pending_notifications(rt: Any, account: str, conn: AsyncConnection[Any], *,
                                      limit: int = 500) -> int:
    """Apply the stored notifications of ``account``, oldest first; each is marked processed
    once applied (or quarantined). ``conn`` in autocommit mode."""
    syncs = {sync.region: sync for sync in await fba_syncs_for(rt, account)}
    async with conn.transaction():
        items = [i for i in await inbox.pending(conn, limit * 4, source=NOTIFICATION_SOURCE)
                 if i.account == account][:limit]
    done = 0
    for item in items:
        payload = item.payload.get("Payload") or {}
        regions = {by_id(str(e.get("MarketplaceId"))).region
                   for e in payload.get("FulfillmentInventoryByMarketplace") or []
                   if isinstance(e, Mapping) and _known_marketplace(e.get("MarketplaceId"))}
        for region in sorted(regions):
            if region in syncs:
                await syncs[region].apply_notification(conn, payload)
        async with conn.transaction():
            await inbox.mark_processed(conn, item.id)
        done += 1
    return done


def _known_marketplace(marketplace_id: Any) -> bool:
    try:
        by_id(str(marketplace_id))
    except (KeyError, ValueError, LookupError):
        return False
    return True


def _declare_tasks() -> tuple[Any, Any]:
    from ..jobs.schedule import register_schedule
    from ..jobs.tasks import current_job, task
    from .runtime import get_runtime
    from .stock import autocommit
    from .stock_catalog import map_products_for

    @task(queue="reports", name="fba_inventory.pull", queueing_lock_from="fba_inventory.pull:{account}",
          lock_from="fba_inventory:{account}")
    async def pull_task(*, account: str) -> dict[str, int]:
        """Full FBA pull of an account (every ``schedules.fba_inventory_poll`` seconds)."""
        job = current_job()
        rt = get_runtime(job.settings, job.pool)
        async with autocommit(job.pool) as conn:
            await map_products_for(rt, account, conn)  # FBA SKUs mapped by default_code too
            results = await pull_account(rt, account, conn)
        return {"skus": sum(r.skus for r in results), "adjustments": sum(len(r.adjustments) for r in results),
                "quarantined": sum(r.quarantined for r in results)}

    @task(queue="stock", name="fba_inventory.apply_notifications",
          queueing_lock_from="fba_inventory.notify:{account}", lock_from="fba_inventory:{account}")
    async def notifications_task(*, account: str) -> int:
        job = current_job()
        rt = get_runtime(job.settings, job.pool)
        async with autocommit(job.pool) as conn:
            return await apply_pending_notifications(rt, account, conn)

    register_schedule("fba_inventory.pull", pull_task, every="fba_inventory_poll", per_account=True)
    return pull_task, notifications_task


pull_task, apply_notifications_task = _declare_tasks()
