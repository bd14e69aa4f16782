"""FBA inventory: Amazon's figures → an Odoo warehouse per FBA fulfilment network, with one
location per (seller account, kind) inside it (see :mod:`..mapping.fba_inventory`).

Amazon keeps FBA inventory per fulfilment network (``Marketplace.fba_network``: the pan-European
pool, the UK, US, CA...), so an account is pulled once per network it sells in, through its first
marketplace there (:func:`fba_syncs_for`).

:meth:`FbaInventorySync.pull` reads every page of ``getInventorySummaries`` (details); a
``nextToken`` that expired mid-way (Amazon: 30 s) restarts the pull from the first page (results
are keyed by SKU, so a restart loses and doubles nothing). Only a complete pull is applied:
Odoo gets inventory adjustments of the differences only, products Odoo has in the account's FBA
locations that Amazon no longer reports go to 0, and everything applied is in the audit log.
Units of FBA orders Amazon shipped but Odoo has not imported yet stay in Odoo's Fulfillable
(the import takes them off), so the import lands on Amazon's figure.

Before a complete pull is applied, Odoo's totals (what it expects Amazon to hold) are compared
with Amazon's: SKUs differing by more than ``stock.fba_drift_tolerance`` units are drift, logged
and stored (:mod:`..store.fba_drift`, ``amazon-odoo-sync sync fba``). The first pull of an
(account, network) reports none: Odoo expected nothing yet.

:meth:`FbaInventorySync.apply_notification` applies one SKU from an
``FBA_INVENTORY_AVAILABILITY_CHANGES`` notification the same way (no drift). SKUs without an
Odoo product go to quarantine (``fba-inventory``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from psycopg import AsyncConnection

from ..clock import Clock, SystemClock
from ..exceptions import DataError, InvalidInputError
from ..logs import get_logger
from ..mapping.fba_inventory import (
    KINDS,
    SELLABLE_KIND,
    Adjustment,
    DriftLine,
    FbaQuantities,
    Kind,
    adjustments,
    drift,
    expected_totals,
    from_notification,
    from_summary,
    location_barcode,
    location_name,
    with_unimported_shipments,
)
from ..marketplaces import by_id
from ..store import audit, fba_drift, inbox, offers, product_map, quarantine
from ..store.unit import UnitOfWork
from .intake import ReadNotification

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
    "fulfillable_location",
    "networks_of",
    "pull_account",
    "notifications_stored",
    "read_notification",
]

FLOW = "fba-inventory"
NOTIFICATION_TYPE = "FBA_INVENTORY_AVAILABILITY_CHANGES"
NOTIFICATION_SOURCE = "notification/fba-inventory"
MAX_RESTARTS = 3
_LOGGED_DRIFT_LINES = 50
_log = get_logger(__name__)

#: ``progress(network, pages, skus)`` after every page of a pull.
PullProgress = Callable[[str, int, int], None]


class FbaStockTarget(Protocol):
    """Odoo's side: quantities in the FBA locations of one account in one network, and setting them."""

    async def quantities(self, account: str, network: str, product_ids: Sequence[int] | None
                         ) -> dict[tuple[int, Kind], Decimal]:
        """On-hand per (product, kind); ``None``: every product with stock in those locations."""

    async def set_quantities(self, account: str, network: str,
                             targets: Mapping[tuple[int, Kind], Decimal]) -> None:
        """Inventory adjustments: each (product, kind) location ends at the given quantity."""


def _m2o(value: Any) -> int:
    return int(value[0]) if isinstance(value, list | tuple) else int(value)


class OdooFbaTarget:
    """:class:`FbaStockTarget` on Odoo: per (account, network), one location per kind in the
    network's FBA warehouse, found and made idempotent by barcode. Fulfillable is a child of the
    warehouse's stock location (``lot_stock_id``: FBA deliveries take their units there), the
    other kinds are under its view location (visible, not sellable)."""

    def __init__(self, odoo: Any, warehouses: Mapping[str, int]) -> None:
        self.odoo = odoo
        self.warehouses = dict(warehouses)  # network → stock.warehouse id
        self._locations: dict[tuple[str, str], dict[Kind, int]] = {}
        self._contexts: dict[str, dict[str, Any]] = {}

    async def _warehouse(self, network: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The warehouse row and a context in its company (the FBA warehouse may belong to
        another company than the API user's default one)."""
        [wh] = await self.odoo.read("stock.warehouse", [self.warehouses[network]],
                                    ["view_location_id", "lot_stock_id", "company_id"])
        company = wh.get("company_id")
        context = {"allowed_company_ids": [_m2o(company)]} if company else {}
        self._contexts[network] = context
        return wh, context

    async def _context(self, network: str) -> dict[str, Any]:
        if network not in self._contexts:
            await self._warehouse(network)
        return self._contexts[network]

    async def locations(self, account: str, network: str) -> dict[Kind, int]:
        """Location id per kind of ``account`` in ``network``'s warehouse; made when missing."""
        key = (account, network)
        if key in self._locations:
            return self._locations[key]
        wh, context = await self._warehouse(network)
        barcodes = {location_barcode(account, network, kind): kind for kind in KINDS}
        rows = await self.odoo.search_read("stock.location", [("barcode", "in", sorted(barcodes))],
                                           ["barcode"], context=context)
        found: dict[Kind, int] = {barcodes[r["barcode"]]: int(r["id"]) for r in rows}
        missing = [kind for kind in KINDS if kind not in found]
        if missing:
            parent = {kind: _m2o(wh["lot_stock_id"]) if kind == SELLABLE_KIND else _m2o(wh["view_location_id"])
                      for kind in missing}
            vals: list[dict[str, Any]] = [
                {"name": location_name(account, kind), "usage": "internal", "location_id": parent[kind],
                 "barcode": location_barcode(account, network, kind)} for kind in missing]
            if wh.get("company_id"):
                for v in vals:
                    v["company_id"] = _m2o(wh["company_id"])
            # The barcode is unique per company in Odoo: a concurrent creator fails, never duplicates.
            ids = await self.odoo.create("stock.location", vals, context=context)
            found.update(zip(missing, ids, strict=True))
        self._locations[key] = found
        return found

    async def quantities(self, account: str, network: str, product_ids: Sequence[int] | None
                         ) -> dict[tuple[int, Kind], Decimal]:
        locations = await self.locations(account, network)
        kind_of = {loc: kind for kind, loc in locations.items()}
        domain: list[Any] = [("location_id", "in", sorted(kind_of))]
        if product_ids is not None:
            domain.append(("product_id", "in", list(product_ids)))
        rows = await self.odoo.search_read("stock.quant", domain, ["product_id", "location_id", "quantity"],
                                           context=await self._context(network))
        result: dict[tuple[int, Kind], Decimal] = {}
        for row in rows:
            location = _m2o(row["location_id"])
            if location not in kind_of:  # a quant of a sub-location someone made below ours
                continue
            key = (_m2o(row["product_id"]), kind_of[location])
            result[key] = result.get(key, Decimal(0)) + Decimal(str(row["quantity"]))
        return result

    async def set_quantities(self, account: str, network: str,
                             targets: Mapping[tuple[int, Kind], Decimal]) -> None:
        if not targets:
            return
        locations = await self.locations(account, network)
        context = await self._context(network)
        ids = await self.odoo.create("stock.quant", [
            {"product_id": product, "location_id": locations[kind], "inventory_quantity": float(qty)}
            for (product, kind), qty in targets.items()], context={**context, "inventory_mode": True})
        await self.odoo.call_method("stock.quant", "action_apply_inventory", ids, context=context)


@dataclass(kw_only=True)
class FbaResult:
    account: str = ""
    network: str = ""
    marketplace_id: str = ""
    skus: int = 0
    pages: int = 0
    restarts: int = 0
    adjustments: list[Adjustment] = field(default_factory=list)
    quarantined: int = 0
    #: Units of shipped orders not in Odoo yet, kept in Odoo's Fulfillable (SKU → units).
    unimported_shipped: dict[str, int] = field(default_factory=dict)
    #: Drift checked: a complete pull with an earlier one of the same (account, network).
    drift_checked: bool = False
    drift: list[DriftLine] = field(default_factory=list)


class FbaInventorySync:
    """FBA inventory of one account in one fulfilment network.

    ``marketplace_id``: the marketplace the network is pulled through (the account's first one
    there); ``marketplace_ids``: every marketplace of the account in the network (their shipped,
    not yet imported orders count; notifications may name any of them)."""

    def __init__(self, *, account: str, network: str, marketplace_id: str, client: Any,
                 target: FbaStockTarget, marketplace_ids: Sequence[str] = (),
                 tolerance: Decimal | int = 0, clock: Clock | None = None,
                 actor: str = "flow:fba-inventory") -> None:
        self.account = account
        self.network = network
        self.marketplace_id = marketplace_id
        self.marketplace_ids = list(dict.fromkeys([marketplace_id, *marketplace_ids]))
        self.client = client
        self.target = target
        self.tolerance = Decimal(tolerance)
        self.clock = clock or SystemClock()
        self.actor = actor

    def _result(self) -> FbaResult:
        return FbaResult(account=self.account, network=self.network, marketplace_id=self.marketplace_id)

    async def fetch(self, result: FbaResult, progress: PullProgress | None = None) -> dict[str, FbaQuantities]:
        """Every summary of the network; restarts when a nextToken expired."""
        for attempt in range(MAX_RESTARTS + 1):
            found: dict[str, FbaQuantities] = {}
            try:
                async for page in self.client.fba_inventory.get_inventory_summaries_pages(
                        marketplace_id=self.marketplace_id, details=True):
                    result.pages += 1
                    for summary in (page.get("payload") or {}).get("inventorySummaries") or []:
                        item = from_summary(summary)
                        found[item.sku] = item
                    if progress is not None:
                        progress(self.network, result.pages, len(found))
                return found
            except InvalidInputError as exc:
                if "nexttoken" not in (exc.remote_message or exc.message).lower() or attempt == MAX_RESTARTS:
                    raise
                result.restarts += 1
                _log.info("FBA inventory nextToken expired; pulling again from the first page",
                          account=self.account, network=self.network, marketplace_id=self.marketplace_id)
        raise AssertionError("unreachable")

    async def pull(self, conn: AsyncConnection[Any], *, progress: PullProgress | None = None) -> FbaResult:
        """Full pull, drift check (from the second pull of the network on), apply, record."""
        result = self._result()
        found = await self.fetch(result, progress)
        result.skus = len(found)
        result.drift_checked = await fba_drift.last_pull(conn, self.account, self.network) is not None
        await self._apply(conn, list(found.values()), result, complete=True)
        async with conn.transaction():
            await fba_drift.record_pull(conn, account=self.account, network=self.network,
                                        marketplace_id=self.marketplace_id, skus=result.skus,
                                        adjustments=len(result.adjustments), lines=result.drift,
                                        at=self.clock.now())
        return result

    async def apply_notification(self, conn: AsyncConnection[Any], payload: Mapping[str, Any]) -> FbaResult:
        result = self._result()
        try:
            item = None
            for marketplace_id in self.marketplace_ids:  # the network's figures, under any of its marketplaces
                item = from_notification(payload, marketplace_id)
                if item is not None:
                    break
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
            shipped = await fba_drift.shipped_unimported(conn, self.account, self.marketplace_ids)
        current = await self.target.quantities(self.account, self.network,
                                               None if complete else list(products.values()))
        sku_of = {p: s for s, p in products.items()}
        reported = list(known)
        if complete:
            # Products in the account's FBA locations that no reported SKU maps to: Amazon has
            # none of them any more (named by their mapped SKU, else by Odoo id; a SKU now
            # mapped to another product names that one).
            gone = sorted({p for p, _ in current} - set(sku_of))
            named = await product_map.skus_of_products(conn, self.account, self.marketplace_id, gone)
            for product in gone:
                sku = named.get(product)
                if not sku or sku in set(sku_of.values()):
                    sku = f"#{product}"
                sku_of[product] = sku
                reported.append(FbaQuantities(sku=sku, asin=None, fnsku=None, quantities={}))
        by_sku: dict[tuple[str, Kind], Decimal] = {}
        for (product, kind), qty in current.items():
            if product in sku_of:
                by_sku[(sku_of[product], kind)] = by_sku.get((sku_of[product], kind), Decimal(0)) + qty
        skus = {i.sku for i in reported}
        result.unimported_shipped = {sku: units for sku, units in shipped.items() if sku in skus}
        if complete and result.drift_checked:
            # Before anything is applied: what Odoo expects Amazon to hold against what it holds.
            expected = expected_totals(by_sku, result.unimported_shipped, skus)
            result.drift = drift(expected, reported, tolerance=self.tolerance, at=self.clock.now())
            self._log_drift(result.drift)
        changes = adjustments(with_unimported_shipments(reported, result.unimported_shipped), by_sku)
        product_of = {sku: product for product, sku in sku_of.items()}
        targets = {(product_of[c.sku], c.kind): Decimal(c.amazon_quantity) for c in changes}
        await self.target.set_quantities(self.account, self.network, targets)
        result.adjustments.extend(changes)
        if changes:
            async with conn.transaction():
                await audit.record(conn, actor=self.actor, action="fba_inventory.adjusted",
                                   object_type="fba_network", object_key=f"{self.account}:{self.network}",
                                   details={"marketplace_id": self.marketplace_id, "source": source,
                                            "unimported_shipped": result.unimported_shipped,
                                            "adjustments": [{"sku": c.sku, "kind": c.kind,
                                                             "from": str(c.odoo_quantity),
                                                             "to": c.amazon_quantity} for c in changes[:500]],
                                            "count": len(changes)})

    def _log_drift(self, lines: Sequence[DriftLine]) -> None:
        for line in lines[:_LOGGED_DRIFT_LINES]:
            _log.warning("FBA drift", account=self.account, network=self.network, sku=line.sku,
                         expected=str(line.expected), reported=line.reported, difference=str(line.difference))
        if lines:
            _log.warning("FBA drift found", account=self.account, network=self.network, skus=len(lines),
                         units=str(sum((abs(line.difference) for line in lines), Decimal(0))),
                         tolerance=str(self.tolerance))


# -- wiring: runtime, notifications, jobs ---------------------------------------------------------


def networks_of(marketplace_ids: Sequence[str]) -> dict[str, list[str]]:
    """The account's marketplaces per FBA fulfilment network, in the account's order."""
    networks: dict[str, list[str]] = {}
    for marketplace_id in marketplace_ids:
        networks.setdefault(by_id(marketplace_id).fba_network, []).append(marketplace_id)
    return networks


async def fulfillable_location(odoo: Any, account: str, marketplace_id: str, warehouse_id: int) -> int:
    """The account's Fulfillable location in the FBA warehouse of ``marketplace_id``'s network
    (made when missing). With several accounts in one network, an FBA delivery must take its
    units from here, not from whichever child of the warehouse's stock Odoo reserves first."""
    network = by_id(marketplace_id).fba_network
    return (await OdooFbaTarget(odoo, {network: warehouse_id}).locations(account, network))[SELLABLE_KIND]


async def fba_syncs_for(rt: Any, account: str) -> list[FbaInventorySync]:
    """One sync per FBA fulfilment network of the account, pulled through its first marketplace
    there that has an FBA warehouse in Odoo (``odoo setup``); networks without one are skipped."""
    refs = await rt.refs()
    odoo = await rt.odoo()
    client = await rt.spapi(account, priority=rt.settings.priorities.reports)
    chosen: dict[str, tuple[str, int, list[str]]] = {}
    for network, marketplace_ids in networks_of(rt.settings.account(account).marketplaces).items():
        for marketplace_id in marketplace_ids:
            warehouse = (await refs.targets(marketplace_id)).fba_warehouse_id
            if warehouse:
                chosen[network] = (marketplace_id, warehouse, marketplace_ids)
                break
    target = OdooFbaTarget(odoo, {network: warehouse for network, (_, warehouse, _) in chosen.items()})
    tolerance = rt.settings.stock.fba_drift_tolerance
    return [FbaInventorySync(account=account, network=network, marketplace_id=marketplace_id,
                             marketplace_ids=marketplace_ids, client=client, target=target, tolerance=tolerance,
                             clock=rt.clock)
            for network, (marketplace_id, _, marketplace_ids) in chosen.items()]


async def pull_account(rt: Any, account: str, conn: AsyncConnection[Any], *,
                       progress: PullProgress | None = None) -> list[FbaResult]:
    """Full pull and apply of every FBA network of ``account`` (``conn`` in autocommit mode)."""
    return [await sync.pull(conn, progress=progress) for sync in await fba_syncs_for(rt, account)]


def read_notification(notification: Mapping[str, Any],
                      account_for_seller: Callable[[str], str | None]) -> ReadNotification:
    """Check one FBA_INVENTORY_AVAILABILITY_CHANGES notification and say whose it is (no I/O).
    Raises DataError for one we cannot read (the intake quarantines it)."""
    if notification.get("NotificationType") != NOTIFICATION_TYPE:
        raise DataError(f"not an {NOTIFICATION_TYPE} notification: {notification.get('NotificationType')!r}")
    metadata = notification.get("NotificationMetadata") or {}
    payload = notification.get("Payload") or {}
    if not isinstance(metadata, Mapping) or not isinstance(payload, Mapping):
        raise DataError(f"{NOTIFICATION_TYPE} notification: NotificationMetadata and Payload must be objects")
    notification_id, seller_id = metadata.get("NotificationId"), payload.get("SellerId")
    if not notification_id or not seller_id or not payload.get("SKU"):
        raise DataError(f"{NOTIFICATION_TYPE} notification lacks NotificationId, SellerId or SKU")
    if not all(isinstance(v, str | int) for v in (notification_id, seller_id)) or not isinstance(payload["SKU"], str):
        raise DataError(f"{NOTIFICATION_TYPE} notification: NotificationId, SellerId and SKU must be text")
    # Read when the notification is applied (which networks it concerns): a list, or refused now.
    if not isinstance(payload.get("FulfillmentInventoryByMarketplace"), list):
        raise DataError(f"{NOTIFICATION_TYPE} of {payload['SKU']} without FulfillmentInventoryByMarketplace")
    account = account_for_seller(str(seller_id))
    if account is None:
        raise DataError(f"{NOTIFICATION_TYPE} for unknown seller {seller_id}")
    return ReadNotification(source=NOTIFICATION_SOURCE, notification_id=str(notification_id), account=account,
                            payload=notification)


async def notifications_stored(tx: UnitOfWork, account: str, notifications: list[ReadNotification]) -> None:
    """New notifications of ``account`` are stored: make sure a job applies them (same transaction)."""
    await apply_notifications_task.defer_in(tx, account=account)


async def apply_pending_notifications(rt: Any, account: str, conn: AsyncConnection[Any], *,
                                      limit: int = 500) -> int:
    """Apply the stored notifications of ``account``, oldest first; each is marked processed
    once applied (or quarantined). ``conn`` in autocommit mode."""
    syncs = {sync.network: sync for sync in await fba_syncs_for(rt, account)}
    async with conn.transaction():
        items = await inbox.pending(conn, limit, source=NOTIFICATION_SOURCE, account=account)
    done = 0
    for item in items:
        payload = item.payload.get("Payload") or {}
        networks = {by_id(str(e.get("MarketplaceId"))).fba_network
                    for e in payload.get("FulfillmentInventoryByMarketplace") or []
                    if isinstance(e, Mapping) and _known_marketplace(e.get("MarketplaceId"))}
        for network in sorted(networks):
            if network in syncs:
                await syncs[network].apply_notification(conn, payload)
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
    from ..store.database import autocommit
    from .runtime import job_runtime
    from .stock_catalog import map_products_for

    @task(queue="reports", name="fba_inventory.pull", queueing_lock_from="fba_inventory.pull:{account}",
          lock_from="fba_inventory:{account}")
    async def pull_task(*, account: str) -> dict[str, int]:
        """Full FBA pull of an account (every ``schedules.fba_inventory_poll`` seconds)."""
        job = current_job()
        rt = job_runtime()
        async with autocommit(job.pool) as conn:
            await map_products_for(rt, account)  # FBA SKUs mapped by default_code too
            results = await pull_account(rt, account, conn)
        return {"skus": sum(r.skus for r in results), "adjustments": sum(len(r.adjustments) for r in results),
                "quarantined": sum(r.quarantined for r in results), "drift": sum(len(r.drift) for r in results)}

    @task(queue="stock", name="fba_inventory.apply_notifications",
          queueing_lock_from="fba_inventory.notify:{account}", lock_from="fba_inventory:{account}")
    async def notifications_task(*, account: str) -> int:
        job = current_job()
        rt = job_runtime()
        async with autocommit(job.pool) as conn:
            return await apply_pending_notifications(rt, account, conn)

    register_schedule("fba_inventory.pull", pull_task, every="fba_inventory_poll", per_account=True)
    return pull_task, notifications_task


pull_task, apply_notifications_task = _declare_tasks()
