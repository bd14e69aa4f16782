"""What the shipments plan needs, gathered from Odoo, Amazon and the store (no decisions here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ...amazon.client import SpApiClient
from ...exceptions import DataError, NotFoundError
from ...logs import get_logger
from ...mapping.amazon_order import AmazonOrder, parse_order_v2026
from ...odoo.client import OdooClient
from ...odoo.values import m2o_id, to_odoo_datetime
from ...store.unit import Store
from ..orders import order_source

__all__ = ["MOVE_FIELDS", "PICKING_FIELDS", "Inputs", "ShipmentReader"]

PICKING_FIELDS: Final = ["name", "state", "picking_type_code", "sale_id", "carrier_id", "carrier_tracking_ref",
                         "date_done", "write_date", "move_ids", "backorder_id"]
MOVE_FIELDS: Final = ["product_id", "quantity", "state"]

_log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """Everything the plan of some deliveries reads, besides the stored rows."""

    #: The deliveries these inputs were read for: only they are planned with them.
    picking_ids: frozenset[int]
    #: Odoo sale order id → Amazon order id (this account's imported orders).
    order_of: Mapping[int, str]
    #: Moves of the deliveries by id.
    moves: Mapping[int, Mapping[str, Any]]
    #: Amazon orders by id (absent: could not be read).
    orders: Mapping[str, AmazonOrder]
    #: Marketplace id → SKU → Odoo product id, for the marketplaces of merchant-fulfilled orders.
    products: Mapping[str, Mapping[str, int]]


class ShipmentReader:
    """One account's reads: Odoo's deliveries, the Amazon orders as the orders flow stored them
    (fetched when it did not), and the SKU → product resolution the order import uses."""

    def __init__(self, *, store: Store, odoo: OdooClient, spapi: SpApiClient, account: str) -> None:
        self.store = store
        self.odoo = odoo
        self.spapi = spapi
        self.account = account

    async def done_pickings_since(self, since: datetime) -> list[dict[str, Any]]:
        """Done outgoing deliveries of sale orders changed since ``since`` (one Odoo call)."""
        return await self.odoo.search_read(
            "stock.picking", [("picking_type_code", "=", "outgoing"), ("state", "=", "done"),
                              ("sale_id", "!=", False), ("write_date", ">=", to_odoo_datetime(since))],
            PICKING_FIELDS)

    async def pickings(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        return await self.odoo.read("stock.picking", list(ids), PICKING_FIELDS)

    async def order_of(self, pickings: Sequence[Mapping[str, Any]]) -> dict[int, str]:
        """Sale order id → Amazon order id, for the pickings' sale orders this account imported."""
        async with self.store.session() as tx:
            return await tx.shipments.sale_orders_of(self.account,
                                                     {m2o_id(p.get("sale_id")) or 0 for p in pickings} - {0})

    async def inputs(self, pickings: Sequence[Mapping[str, Any]], order_of: Mapping[int, str]) -> Inputs:
        """What planning ``pickings`` (this account's, done) reads."""
        moves = await self._moves([m for p in pickings for m in p.get("move_ids") or []])
        orders = await self.amazon_orders(sorted({order_of[m2o_id(p["sale_id"]) or 0] for p in pickings}))
        products: dict[str, Mapping[str, int]] = {}
        for marketplace_id in sorted({o.marketplace_id for o in orders.values() if not o.is_fba}):
            products[marketplace_id] = await self._products(
                marketplace_id, [i.sku for o in orders.values() if o.marketplace_id == marketplace_id for i in o.items])
        return Inputs(picking_ids=frozenset(int(p["id"]) for p in pickings), order_of=order_of, moves=moves,
                      orders=orders, products=products)

    async def _moves(self, move_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        ids = sorted({int(m) for m in move_ids})
        if not ids:
            return {}
        return {int(m["id"]): m for m in await self.odoo.read("stock.move", ids, MOVE_FIELDS)}

    async def stored_orders(self, order_ids: Sequence[str]) -> dict[str, Any]:
        """Order id → the newest document the orders flow stored."""
        async with self.store.session() as tx:
            return await tx.inbox.latest_documents(source=order_source(self.account), order_ids=order_ids)

    async def amazon_orders(self, order_ids: Sequence[str]) -> dict[str, AmazonOrder]:
        """Amazon orders as the orders flow stored them; those it did not store are fetched."""
        docs = await self.stored_orders(order_ids)
        for order_id in order_ids:
            if order_id not in docs:
                try:
                    docs[order_id] = (await self.spapi.orders.get_order(
                        order_id, included_data=("FULFILLMENT",)))["order"]
                except (NotFoundError, KeyError):
                    _log.warning("shipment.order_not_found", account=self.account, amazon_order_id=order_id)
        return self.parsed(docs, log=True)

    def parsed(self, docs: Mapping[str, Any], *, log: bool = False) -> dict[str, AmazonOrder]:
        orders: dict[str, AmazonOrder] = {}
        for order_id, doc in docs.items():
            try:
                orders[order_id] = parse_order_v2026(doc)
            except DataError as exc:
                if log:
                    _log.warning("shipment.order_unreadable", account=self.account, amazon_order_id=order_id,
                                 error=exc.message)
        return orders

    async def _products(self, marketplace_id: str, skus: Iterable[str]) -> dict[str, int]:
        """SKU → Odoo product, as the order import resolves it: the product map, else default_code."""
        wanted = sorted(set(skus))
        async with self.store.session() as tx:
            found = await tx.product_map.lookup(self.account, marketplace_id, wanted)
        missing = [s for s in wanted if s not in found]
        if missing:
            for row in await self.odoo.search_read("product.product", [("default_code", "in", missing)],
                                                   ["default_code"], context={"active_test": False}):
                found.setdefault(str(row["default_code"]), int(row["id"]))
        return found
