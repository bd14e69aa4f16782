"""The FBM push (flows.stock.FbmStockPush) on the in-memory store, the in-process SP-API simulator
and a fake Odoo: no PostgreSQL. The same cycle as the integration tests run on PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.config import SafetyStockRule, StockConfig
from amazon_odoo_sync.exceptions import OdooBusyError
from amazon_odoo_sync.flows.stock import FbmStockPush, SpApiOfferSink
from amazon_odoo_sync.inventory import QuantityUpdate
from amazon_odoo_sync.sandbox.spapi.world import Address, Buyer, OrderLine
from amazon_odoo_sync.store.memory import MemoryStore
from amazon_odoo_sync.store.product_map import ProductMapping
from amazon_odoo_sync.store.reservations import ORDER_KIND, Reservation
from tests.integration.stock_sim import DE, SELLER, FakeOdooStock, SimAmazon, make_amazon, make_world


async def _map(store: MemoryStore, skus: Mapping[str, int], fulfillment: str = "FBM") -> None:
    async with store.transaction() as tx:
        for sku, product_id in skus.items():
            await tx.product_map.upsert(ProductMapping(account="acme", marketplace_id="", sku=sku, asin=None,
                                                       fulfillment=fulfillment, odoo_product_id=product_id))


def _push(store: MemoryStore, amazon: SimAmazon, odoo: FakeOdooStock, config: StockConfig) -> FbmStockPush:
    return FbmStockPush(store=store, account="acme", marketplace_ids=[DE], source=odoo,
                        sink=SpApiOfferSink(amazon.client), warehouses={DE: [1]}, config=config)


async def _reserve(store: MemoryStore, order_id: str, units: dict[str, int]) -> None:
    async with store.transaction() as tx:
        await tx.reservations.reserve_many("acme", [Reservation(order_id=order_id, marketplace_id=DE,
                                                                status="Pending", units=units)])
        await tx.offers.mark_dirty("acme", units)


async def test_changes_are_patched_deltas_only_and_accepted() -> None:
    store = MemoryStore()
    amazon = make_amazon(make_world(["A", "B"], quantity=3))
    odoo = FakeOdooStock()
    odoo.set(1, 10)
    odoo.set(2, 3)
    await _map(store, {"A": 1, "B": 2})
    push = _push(store, amazon, odoo, StockConfig(safety=SafetyStockRule(fixed=1)))
    async with amazon.client:
        first = await push.run_cycle(full=True)
        assert (amazon.world.offer(SELLER, DE, "A").quantity, amazon.world.offer(SELLER, DE, "B").quantity) == (9, 2)
        assert first.patched == 2 and first.accepted == 2 and first.computed == 2
        again = await push.run_cycle(full=True)
        assert again.patched == 0 and again.fed == 0
        odoo.add(1, -9)  # A to 0 offered: urgent
        third = await push.run_cycle()
        assert third.urgent == 1 and third.patched == 1 and third.computed == 1
    assert amazon.world.offer(SELLER, DE, "A").quantity == 0
    async with store.session() as tx:
        state = (await tx.offers.load("acme", DE))["A"]
        assert state.accepted_qty == 0 and state.accepted_seq == state.computed_seq
        assert (await tx.cursors.get("acme", "stock-fbm")) is not None


async def test_a_feed_report_accepts_and_quarantines() -> None:
    store = MemoryStore()
    skus = [f"S{i:02d}" for i in range(6)]
    world = make_world(skus)
    amazon = make_amazon(world)
    world.set_offer_status(SELLER, DE, "S03", "DELETED")
    odoo = FakeOdooStock()
    for n, _ in enumerate(skus, start=1):
        odoo.set(n, 5 + n)
    await _map(store, {sku: n for n, sku in enumerate(skus, start=1)})
    push = _push(store, amazon, odoo, StockConfig(feed_min_messages=3))
    async with amazon.client:
        sent = await push.run_cycle(full=True)
        assert sent.fed == 6 and len(sent.feeds) == 1 and sent.patched == 0
        assert await push.collect_results() == 0  # still in Amazon's queue
        world.clock.advance(120)
        assert await push.collect_results() == 1
    assert world.offer(SELLER, DE, "S00").quantity == 6
    async with store.session() as tx:
        [item] = await tx.quarantine.open_items("stock")
        assert item.key == f"acme:{DE}:S03" and "does not exist" in item.reason
        assert await tx.offers.pending("acme", DE) == [] and await tx.offers.open_feeds("acme") == []


async def test_reservations_lower_the_offer_and_a_full_resync_releases_closed_orders() -> None:
    store = MemoryStore()
    amazon = make_amazon(make_world(["A"]))
    odoo = FakeOdooStock()
    odoo.set(1, Decimal(6))
    await _map(store, {"A": 1})
    push = _push(store, amazon, odoo, StockConfig())
    async with amazon.client:
        await push.run_cycle(full=True)
        await _reserve(store, "O-1", {"A": 4})
        await push.run_cycle()
        assert amazon.world.offer(SELLER, DE, "A").quantity == 2
        # The order reaches Odoo (its free quantity counts it now) but its reservation leaked.
        odoo.add(1, -4)
        async with store.transaction() as tx:
            await tx.external_ids.claim("acme", ORDER_KIND, "O-1")
            await tx.external_ids.record_odoo_id("acme", ORDER_KIND, "O-1", 42)
        await push.run_cycle()
        assert amazon.world.offer(SELLER, DE, "A").quantity == 0  # counted twice
        full = await push.run_cycle(full=True)
        assert full.released == 1
        assert amazon.world.offer(SELLER, DE, "A").quantity == 2
    async with store.session() as tx:
        assert await tx.reservations.reserved_units("acme") == {}
        [entry] = [e for e in await tx.audit.recent() if e.action == "reservation.released"]
        assert entry.object_key == "O-1" and entry.details["units"] == {"A": 4}


class FailingOdoo(FakeOdooStock):
    failing: bool = False

    async def free_quantities(self, product_ids: Any, warehouse_ids: Any) -> dict[int, Decimal]:
        if self.failing:
            raise OdooBusyError("Odoo is away", system="odoo")
        return await super().free_quantities(product_ids, warehouse_ids)


async def test_a_cycle_that_fails_leaves_the_dirty_marks_and_the_cursor() -> None:
    store = MemoryStore()
    amazon = make_amazon(make_world(["A"]))
    odoo = FailingOdoo()
    odoo.set(1, 5)
    await _map(store, {"A": 1})
    push = _push(store, amazon, odoo, StockConfig())
    async with amazon.client:
        await push.run_cycle(full=True)
        async with store.session() as tx:
            cursor = await tx.cursors.get("acme", "stock-fbm")
        await _reserve(store, "O-1", {"A": 2})
        odoo.failing = True
        with pytest.raises(OdooBusyError):
            await push.run_cycle()
        async with store.session() as tx:
            assert await tx.cursors.get("acme", "stock-fbm") == cursor
        odoo.failing = False
        again = await push.run_cycle()  # the marks were not lost with the failed cycle
        assert again.computed == 1 and amazon.world.offer(SELLER, DE, "A").quantity == 3


async def test_no_oversell_when_orders_outrun_the_odoo_import() -> None:
    rng = random.Random(3)
    store = MemoryStore()
    amazon = make_amazon(make_world(["MUG"]), unlimited=True)
    odoo = FakeOdooStock()
    odoo.set(1, 10)
    physical = 10
    await _map(store, {"MUG": 1})
    push = _push(store, amazon, odoo, StockConfig())
    queued: list[tuple[str, int]] = []
    async with amazon.client:
        await push.run_cycle(full=True)
        for tick in range(40):
            for _ in range(rng.randint(0, 3)):
                offered = amazon.world.offer(SELLER, DE, "MUG").quantity
                if offered > 0:
                    qty = rng.randint(1, min(3, offered))
                    order = amazon.world.place_order(
                        SELLER, DE, [OrderLine(sku="MUG", quantity=qty)], buyer=Buyer(name="B", email="b@x.de"),
                        address=Address(city="Berlin", postal_code="10115", country_code="DE"))
                    queued.append((order.amazon_order_id, qty))
                    await _reserve(store, order.amazon_order_id, {"MUG": qty})
            if tick % 4 == 3:
                for order_id, qty in queued[:2]:
                    odoo.add(1, -qty)
                    physical -= qty
                    async with store.transaction() as tx:
                        await tx.reservations.release("acme", [order_id])
                del queued[:2]
            if rng.random() < 0.15:
                odoo.add(1, 2)
                physical += 2
            await push.run_cycle()
            amazon.world.clock.advance(5)
            assert amazon.world.offer(SELLER, DE, "MUG").quantity <= max(0, physical - sum(q for _, q in queued))
    assert amazon.world.oversells == []


class RecordingSink:
    """Amazon accepting everything at once, remembering what it was sent."""

    seller_id = "S"

    def __init__(self) -> None:
        self.sent: list[QuantityUpdate] = []
        self.offers: dict[str, int] = {}

    async def patch_quantity(self, marketplace_id: str, update: QuantityUpdate) -> Mapping[str, Any]:
        self.sent.append(update)
        self.offers[update.sku] = update.quantity
        return {"status": "ACCEPTED", "issues": []}

    async def submit_feed(self, marketplace_id: str, content: bytes) -> str:
        raise AssertionError("everything goes as patches here")

    async def feed_result(self, feed_id: str) -> tuple[str, Mapping[str, Any] | None]:
        raise AssertionError("no feed")


stock = st.dictionaries(st.integers(1, 8), st.decimals(-2, 40, places=1), min_size=1)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=stock, reserved=st.dictionaries(st.integers(1, 8), st.integers(1, 5)))
def test_unchanged_stock_sends_nothing_and_never_more_than_free_minus_reserved(
        first: dict[int, Decimal], reserved: dict[int, int]) -> None:
    async def scenario() -> None:
        store = MemoryStore()
        odoo = FakeOdooStock()
        for product, units in first.items():
            odoo.set(product, units)
        await _map(store, {f"P{p}": p for p in range(1, 9)})
        for product, units in reserved.items():
            await _reserve(store, f"O-{product}", {f"P{product}": units})
        sink = RecordingSink()
        push = FbmStockPush(store=store, account="acme", marketplace_ids=[DE], source=odoo, sink=sink,
                            warehouses={DE: [1]}, config=StockConfig(feed_min_messages=1000))
        await push.run_cycle(full=True)
        for product in range(1, 9):
            ceiling = max(0, int(first.get(product, Decimal(0)) // 1) - reserved.get(product, 0))
            assert 0 <= sink.offers.get(f"P{product}", 0) <= ceiling
        sink.sent.clear()
        await push.run_cycle(full=True)
        await push.run_cycle()
        assert sink.sent == []

    asyncio.run(scenario())
