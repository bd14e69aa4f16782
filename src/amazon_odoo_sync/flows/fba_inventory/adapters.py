"""The FBA inventory flow's Odoo side on our Odoo client: a warehouse per fulfilment network,
one location per (seller account, kind) inside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ...mapping.fba_inventory import KINDS, SELLABLE_KIND, Kind, location_barcode, location_name
from ...odoo.client import OdooClient

__all__ = ["OdooFbaTarget"]


def _m2o(value: Any) -> int:
    return int(value[0]) if isinstance(value, list | tuple) else int(value)


class OdooFbaTarget:
    """:class:`~.ports.FbaStockTarget` on Odoo: per (account, network), one location per kind in the
    network's FBA warehouse, found and made idempotent by barcode. Fulfillable is a child of the
    warehouse's stock location (``lot_stock_id``: FBA deliveries take their units there), the
    other kinds are under its view location (visible, not sellable)."""

    def __init__(self, odoo: OdooClient, warehouses: Mapping[str, int]) -> None:
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
