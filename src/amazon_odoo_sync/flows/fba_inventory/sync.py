"""FBA inventory of one account in one fulfilment network: read (Amazon's pages, the store,
Odoo's quants) → plan (:mod:`.plan`) → write (quarantine, snapshots, Odoo's adjustments, audit,
the pull's drift)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ...amazon.client import SpApiClient
from ...clock import Clock, SystemClock
from ...exceptions import DataError, InvalidInputError
from ...inventory import DriftLine
from ...logs import get_logger
from ...mapping.fba_inventory import Adjustment, FbaQuantities, from_notification, from_summary
from ...store.unit import Store
from . import plan
from .ports import FbaStockTarget

__all__ = ["FLOW", "MAX_RESTARTS", "FbaInventorySync", "FbaResult", "PullProgress"]

FLOW = "fba-inventory"
MAX_RESTARTS = 3
_LOGGED_DRIFT_LINES = 50
_log = get_logger(__name__)

#: ``progress(network, pages, skus)`` after every page of a pull.
PullProgress = Callable[[str, int, int], None]


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

    def __init__(self, *, store: Store, account: str, network: str, marketplace_id: str, client: SpApiClient,
                 target: FbaStockTarget, marketplace_ids: Sequence[str] = (),
                 tolerance: Decimal | int = 0, clock: Clock | None = None,
                 actor: str = "flow:fba-inventory") -> None:
        self.store = store
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

    async def pull(self, *, progress: PullProgress | None = None) -> FbaResult:
        """Full pull, drift check (from the second pull of the network on), apply, record."""
        result = self._result()
        found = await self.fetch(result, progress)
        result.skus = len(found)
        async with self.store.session() as tx:
            result.drift_checked = await tx.fba_drift.last_pull(self.account, self.network) is not None
        await self._apply(list(found.values()), result, complete=True)
        async with self.store.transaction() as tx:
            await tx.fba_drift.record_pull(account=self.account, network=self.network,
                                           marketplace_id=self.marketplace_id, skus=result.skus,
                                           adjustments=len(result.adjustments), lines=result.drift,
                                           at=self.clock.now())
        return result

    async def apply_notification(self, payload: Mapping[str, object]) -> FbaResult:
        result = self._result()
        try:
            item = None
            for marketplace_id in self.marketplace_ids:  # the network's figures, under any of its marketplaces
                item = from_notification(payload, marketplace_id)
                if item is not None:
                    break
        except DataError as exc:
            async with self.store.transaction() as tx:
                await tx.quarantine.put(flow=FLOW, key=f"{self.account}:notification:{payload.get('SKU')}",
                                        account=self.account, reason=exc.message, payload=dict(payload))
            result.quarantined += 1
            return result
        if item is not None:
            result.skus = 1
            await self._apply([item], result, complete=False, source="notification")
        return result

    def _key(self, sku: str) -> str:
        return f"{self.account}:{self.marketplace_id}:{sku}"

    async def _apply(self, items: list[FbaQuantities], result: FbaResult, *, complete: bool,
                     source: str = "pull") -> None:
        async with self.store.session() as tx:
            products = await tx.product_map.lookup(self.account, self.marketplace_id, [i.sku for i in items])
        unmapped = {i.sku for i in plan.unmapped(items, products)}
        async with self.store.transaction() as tx:
            for item in items:
                if item.sku in unmapped:
                    await tx.quarantine.put(flow=FLOW, key=self._key(item.sku), account=self.account,
                                            reason=f"FBA SKU {item.sku} has no Odoo product (map it, then pull again)",
                                            payload={"sku": item.sku,
                                                     "quantities": {str(k): v for k, v in item.quantities.items()}})
                    result.quarantined += 1
                else:
                    await tx.quarantine.resolve(FLOW, self._key(item.sku), "mapped")
            await tx.offers.save_fba_snapshots(self.account, self.marketplace_id,
                                               {i.sku: {str(k): v for k, v in i.quantities.items()} for i in items},
                                               source="pull" if source == "pull" else "notification")
            shipped = await tx.fba_drift.shipped_unimported(self.account, self.marketplace_ids)
        current = await self.target.quantities(self.account, self.network,
                                               None if complete else list(products.values()))
        named: dict[int, str] = {}
        if complete:
            async with self.store.session() as tx:
                named = await tx.product_map.skus_of_products(self.account, self.marketplace_id,
                                                              plan.gone_products(current, products))
        planned = plan.plan_fba(items=items, products=products, current=current, shipped=shipped,
                                complete=complete, gone_named=named, check_drift=result.drift_checked,
                                tolerance=self.tolerance, at=self.clock.now())
        result.unimported_shipped = dict(planned.unimported_shipped)
        if complete and result.drift_checked:
            result.drift = list(planned.drift)
            self._log_drift(result.drift)
        await self.target.set_quantities(self.account, self.network, planned.targets)
        changes = list(planned.adjustments)
        result.adjustments.extend(changes)
        if changes:
            async with self.store.transaction() as tx:
                await tx.audit.record(actor=self.actor, action="fba_inventory.adjusted", object_type="fba_network",
                                      object_key=f"{self.account}:{self.network}",
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
