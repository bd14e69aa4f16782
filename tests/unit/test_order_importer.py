"""OrderImporter on the in-memory store and the in-process Odoo emulator: claims, quarantine,
reservations and dirty marks as the store keeps them, sale orders as Odoo has them; no
PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.demo.wiring import prepare_odoo, seed_catalog
from amazon_odoo_sync.flows.odoo_refs import CachedOdooReferences
from amazon_odoo_sync.flows.odoo_targets import load_targets
from amazon_odoo_sync.flows.orders import SALE_ORDER, ImportResult, OrderImporter
from amazon_odoo_sync.marketplaces import by_code
from amazon_odoo_sync.odoo.client import OdooClient
from amazon_odoo_sync.sandbox.odoo.app import create_app
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN
from amazon_odoo_sync.store.memory import MemoryStore
from tests.factories.orders import address, order, order_item

DE = by_code("DE").id
URL = "http://odoo.emu"


class CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return await self.inner.handle_async_request(request)


@dataclass
class World:
    store: MemoryStore
    odoo: OdooClient
    transport: CountingTransport
    importer: OrderImporter

    async def run(self, docs: Sequence[dict[str, Any]]) -> ImportResult:
        async with self.store.transaction() as tx:
            return await self.importer.import_documents(tx, docs)

    async def sale_orders(self) -> dict[str, dict[str, Any]]:
        rows = await self.odoo.search_read(SALE_ORDER, [("client_order_ref", "!=", False)],
                                           ["client_order_ref", "state", "amount_total", "partner_id"],
                                           context={"active_test": False})
        return {r["client_order_ref"]: r for r in rows}

    def section(self, name: str) -> Any:
        return self.store.state.section(name, dict)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    settings = Settings(database={"url": "postgresql://unused/x"}, secrets={"key": Fernet.generate_key().decode()},
                        odoo={"url": URL, "database": DEMO_DATABASE, "user": DEMO_LOGIN},
                        accounts=[{"name": "acme", "region": "EU", "seller_id": "A1SELLER", "marketplaces": ["DE"]}])
    transport = CountingTransport(httpx.ASGITransport(app=create_app(latency_scale=0.0)))
    odoo = OdooClient(URL, DEMO_DATABASE, DEMO_LOGIN, DEMO_API_KEY, transport=transport)
    try:
        assert (await prepare_odoo(odoo, settings)).ok
        await seed_catalog(odoo, [{"sku": f"SKU-{i}", "price": 10} for i in range(1, 4)])
        store = MemoryStore()
        refs = CachedOdooReferences(odoo, settings, targets=await load_targets(odoo, settings), store=store)
        yield World(store=store, odoo=odoo, transport=transport,
                    importer=OrderImporter(odoo=odoo, account="acme", refs=refs))
    finally:
        await odoo.aclose()


def _unshipped(n: int, **kwargs: Any) -> dict[str, Any]:
    return order(order_id=f"028-0000000-{n:07d}", address=address(name=f"Buyer {n}"), **kwargs)


async def test_new_orders_are_confirmed_once_with_amazons_totals(world: World) -> None:
    docs = [_unshipped(n, items=[order_item(sku="SKU-1", quantity=2, unit_price="19.99", tax="6.38")])
            for n in range(3)]
    result = await world.run(docs)
    assert (result.created, result.adopted, result.quarantined) == (3, 0, 0) and len(result.confirmed_ids) == 3
    sale_orders = await world.sale_orders()
    assert {ref: (r["state"], Decimal(str(r["amount_total"]))) for ref, r in sale_orders.items()} == \
        {d["orderId"]: ("sale", Decimal("39.98")) for d in docs}
    claims = world.section("external_ids")
    assert {key[2]: (row.state, row.odoo_id) for key, row in claims.items() if key[1] == SALE_ORDER} == \
        {ref: ("confirmed", r["id"]) for ref, r in sale_orders.items()}
    assert [sku for _, account, sku in world.store.state.section("stock_dirty", list)] == ["SKU-1"]

    again = await world.run(docs)  # a replay: nothing new in Odoo
    assert (again.created, again.unchanged) == (0, 3)
    assert len(await world.sale_orders()) == 3


async def test_odoo_calls_do_not_grow_with_the_batch(world: World) -> None:
    """Batched: three orders or nine, the same Odoo calls (partners, sale orders, totals,
    confirmation, dates each one call for the batch)."""
    await world.run([_unshipped(100)])  # countries, states and products cached from here on
    calls = []
    for first, size in ((0, 3), (10, 9)):
        before = world.transport.calls
        await world.run([_unshipped(first + n) for n in range(size)])
        calls.append(world.transport.calls - before)
    assert calls[0] == calls[1], calls


async def test_an_unknown_sku_waits_in_quarantine_holding_its_units_then_imports(world: World) -> None:
    doc = _unshipped(1, items=[order_item(sku="SKU-NEW", quantity=2)])
    result = await world.run([doc, _unshipped(2)])
    assert (result.created, result.quarantined) == (1, 1)
    async with world.store.session() as tx:
        [item] = await tx.quarantine.open_items("orders")
        assert item.key == "acme:028-0000000-0000001" and "SKU-NEW" in item.reason and item.payload == doc
        assert await tx.reservations.reserved_units("acme") == {"SKU-NEW": 2}
        claim = await tx.external_ids.get("acme", SALE_ORDER, doc["orderId"])
        assert claim is not None and claim.state == "quarantined"

    await seed_catalog(world.odoo, [{"sku": "SKU-NEW", "price": 10}])
    retried = await world.run([doc])
    assert retried.created == 1
    async with world.store.session() as tx:
        assert await tx.quarantine.open_items("orders") == []
        assert await tx.reservations.reserved_units("acme") == {}


async def test_pending_then_cancelled_before_and_after_odoo(world: World) -> None:
    pending = _unshipped(1, status="PENDING", items=[order_item(sku="SKU-2", quantity=3)])
    assert (await world.run([pending])).reserved == 1
    async with world.store.session() as tx:
        assert await tx.reservations.reserved_units("acme") == {"SKU-2": 3}
    cancelled = {**pending, "lastUpdatedTime": "2026-07-08T12:00:00Z",
                 "fulfillment": {**pending["fulfillment"], "fulfillmentStatus": "CANCELLED"}}
    assert (await world.run([cancelled])).cancelled == 1
    async with world.store.session() as tx:
        assert await tx.reservations.reserved_units("acme") == {}

    confirmed = _unshipped(2)
    await world.run([confirmed])
    later = {**confirmed, "lastUpdatedTime": "2026-07-08T12:00:00Z",
             "fulfillment": {**confirmed["fulfillment"], "fulfillmentStatus": "CANCELLED"}}
    assert (await world.run([later, confirmed])).cancelled == 1  # the older document changes nothing
    assert (await world.sale_orders())[confirmed["orderId"]]["state"] == "cancel"
    async with world.store.session() as tx:
        assert [e.action for e in await tx.audit.recent()] == ["order.cancelled"]
    assert (await world.run([confirmed])).unchanged == 1  # cancelled stays cancelled
    assert (await world.sale_orders())[confirmed["orderId"]]["state"] == "cancel"
