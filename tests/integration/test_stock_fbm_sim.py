"""FBM stock push end to end on PostgreSQL, the in-process SP-API simulator and a fake Odoo."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.config import SafetyStockRule, StockConfig
from amazon_odoo_sync.flows.stock import FbmStockPush, SpApiOfferSink
from amazon_odoo_sync.sandbox.spapi.world import Address, Buyer, OrderLine
from amazon_odoo_sync.store import offers, product_map, quarantine, reservations
from amazon_odoo_sync.store.offers import mark_dirty
from amazon_odoo_sync.store.unit import PgStore, Store

from .stock_sim import DE, SELLER, FakeOdooStock, SimAmazon, make_amazon, make_world

pytestmark = pytest.mark.db


@pytest.fixture
def store(pool: AsyncConnectionPool[Any]) -> Store:
    return PgStore(pool)


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


async def _map(conn: psycopg.AsyncConnection, skus: dict[str, int], fulfillment: str = "FBM") -> None:
    for sku, product_id in skus.items():
        await product_map.upsert(conn, product_map.ProductMapping(
            account="acme", marketplace_id="", sku=sku, asin=None, fulfillment=fulfillment,
            odoo_product_id=product_id))


def _push(store: Store, amazon: SimAmazon, odoo: FakeOdooStock, config: StockConfig) -> FbmStockPush:
    return FbmStockPush(store=store, account="acme", marketplace_ids=[DE], source=odoo,
                        sink=SpApiOfferSink(amazon.client), warehouses={DE: [1]}, config=config)


def _buy(amazon: SimAmazon, sku: str, qty: int) -> str:
    order = amazon.world.place_order(SELLER, DE, [OrderLine(sku=sku, quantity=qty)],
                                     buyer=Buyer(name="B", email="b@marketplace.amazon.de"),
                                     address=Address(city="Berlin", postal_code="10115", country_code="DE"))
    return order.amazon_order_id


async def test_small_changes_are_patched_and_deltas_only(conn: psycopg.AsyncConnection, store: Store) -> None:
    amazon = make_amazon(make_world(["A", "B"], quantity=3))
    odoo = FakeOdooStock()
    odoo.set(1, 10)
    odoo.set(2, 3)
    await _map(conn, {"A": 1, "B": 2})
    push = _push(store, amazon, odoo, StockConfig(safety=SafetyStockRule(fixed=1)))
    async with amazon.client:
        first = await push.run_cycle(full=True)
        assert amazon.world.offer(SELLER, DE, "A").quantity == 9
        assert amazon.world.offer(SELLER, DE, "B").quantity == 2
        assert first.patched == 2 and first.accepted == 2
        # Nothing changed: nothing sent, even on a full resync.
        again = await push.run_cycle(full=True)
        assert again.patched == 0 and again.fed == 0
        odoo.add(1, -9)  # A goes to 0 offered: urgent
        third = await push.run_cycle()
        assert third.urgent == 1 and third.patched == 1
        assert amazon.world.offer(SELLER, DE, "A").quantity == 0
    state = (await offers.load(conn, "acme", DE))["A"]
    assert state.accepted_qty == 0 and state.accepted_seq == state.computed_seq


async def test_feed_with_good_and_bad_messages(conn: psycopg.AsyncConnection, store: Store) -> None:
    skus = [f"S{i:02d}" for i in range(8)]
    world = make_world(skus, quantity=0)
    amazon = make_amazon(world)
    # Two SKUs Amazon does not know in this marketplace (deleted listings): rejected messages.
    world.set_offer_status(SELLER, DE, "S03", "DELETED")
    world.set_offer_status(SELLER, DE, "S06", "DELETED")
    odoo = FakeOdooStock()
    for n, _ in enumerate(skus, start=1):
        odoo.set(n, 5 + n)
    await _map(conn, {sku: n for n, sku in enumerate(skus, start=1)})
    push = _push(store, amazon, odoo, StockConfig(feed_min_messages=3))
    async with amazon.client:
        sent = await push.run_cycle(full=True)
        assert sent.fed == 8 and len(sent.feeds) == 1 and sent.patched == 0
        assert await push.collect_results() == 0  # still IN_QUEUE
        world.clock.advance(120)
        assert await push.collect_results() == 1
    good = [s for s in skus if s not in ("S03", "S06")]
    for n, sku in enumerate(skus, start=1):
        if sku in good:
            assert world.offer(SELLER, DE, sku).quantity == 5 + n
    states = await offers.load(conn, "acme", DE)
    assert all(states[s].accepted_qty == states[s].computed_qty for s in good)
    items = {i.key: i for i in await quarantine.open_items(conn, "stock")}
    assert set(items) == {f"acme:{DE}:S03", f"acme:{DE}:S06"}
    assert "does not exist" in items[f"acme:{DE}:S03"].reason
    assert items[f"acme:{DE}:S06"].payload["quantity"] == 12
    # Nothing lost: every message is accepted or quarantined, none pending.
    assert await offers.pending(conn, "acme", DE) == []


async def test_stale_feed_result_never_wins_over_a_newer_patch(conn: psycopg.AsyncConnection, store: Store) -> None:
    skus = [f"S{i:02d}" for i in range(4)]
    world = make_world(skus)
    amazon = make_amazon(world)
    odoo = FakeOdooStock()
    for n, _ in enumerate(skus, start=1):
        odoo.set(n, 10)
    await _map(conn, {sku: n for n, sku in enumerate(skus, start=1)})
    push = _push(store, amazon, odoo, StockConfig(feed_min_messages=3))
    async with amazon.client:
        await push.run_cycle(full=True)  # feed with 10 each, still queued
        odoo.set(1, 0)
        urgent = await push.run_cycle()  # S00 → 0 by patch, applied at once
        assert urgent.urgent == 1 and world.offer(SELLER, DE, "S00").quantity == 0
        world.clock.advance(120)  # now the feed applies its stale 10
        await push.collect_results()
        assert world.offer(SELLER, DE, "S00").quantity == 10
        fix = await push.run_cycle()  # the stale result made S00 pending again
        assert fix.patched == 1
    assert world.offer(SELLER, DE, "S00").quantity == 0
    assert (await offers.load(conn, "acme", DE))["S00"].accepted_qty == 0


async def test_switch_to_fba_sends_zero_first(conn: psycopg.AsyncConnection, store: Store) -> None:
    world = make_world(["A"])
    amazon = make_amazon(world)
    odoo = FakeOdooStock()
    odoo.set(1, 4)
    await _map(conn, {"A": 1})
    push = _push(store, amazon, odoo, StockConfig())
    async with amazon.client:
        await push.run_cycle(full=True)
        assert world.offer(SELLER, DE, "A").quantity == 4
        await _map(conn, {"A": 1}, fulfillment="FBA")
        result = await push.run_cycle(full=True)
        assert result.urgent == 1
        assert world.offer(SELLER, DE, "A").quantity == 0
        assert (await push.run_cycle(full=True)).patched == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_no_oversell_when_orders_outrun_the_odoo_import(conn: psycopg.AsyncConnection, store: Store,
                                                             seed: int) -> None:
    """10 units; buyers order on Amazon every tick; our order poll sees them (reservations) at
    once, Odoo imports them several ticks later; Odoo stock changes meanwhile (receipts,
    breakage). Amazon must never sell more than Odoo has."""
    rng = random.Random(seed)
    world = make_world(["MUG"])
    amazon = make_amazon(world, unlimited=True)
    odoo = FakeOdooStock()
    odoo.set(1, 10)
    physical = 10
    await _map(conn, {"MUG": 1})
    push = _push(store, amazon, odoo, StockConfig())
    queued: list[tuple[str, int]] = []  # known to us, not yet in Odoo
    sold = 0
    async with amazon.client:
        await push.run_cycle(full=True)
        for tick in range(60):
            # Buyers: Amazon lets them buy what it offers (one order may take several units).
            for _ in range(rng.randint(0, 3)):
                offered = world.offer(SELLER, DE, "MUG").quantity
                if offered > 0:
                    qty = rng.randint(1, min(3, offered))
                    queued.append((_buy(amazon, "MUG", qty), qty))
                    sold += qty
            # Our order poll: Pending orders reserve their units (the order flow's job).
            async with conn.transaction():
                for order_id, qty in queued:
                    await reservations.reserve(conn, account="acme", order_id=order_id, marketplace_id=DE,
                                               status="Pending", units={"MUG": qty})
                await mark_dirty(conn, "acme", ["MUG"])
            # Odoo imports slowly: every 4th tick, the oldest two orders.
            if tick % 4 == 3:
                for order_id, qty in queued[:2]:
                    odoo.add(1, -qty)
                    physical -= qty
                    async with conn.transaction():
                        await reservations.release(conn, "acme", [order_id])
                del queued[:2]
            # Meanwhile in the warehouse: receipts and breakage.
            if rng.random() < 0.15:
                odoo.add(1, 2)
                physical += 2
            # (Only unsold units can break: a unit that broke after it was sold is an oversell
            # no synchronisation can prevent.)
            if rng.random() < 0.1 and physical - sum(q for _, q in queued) > 0:
                odoo.add(1, -1)
                physical -= 1
            await push.run_cycle()
            world.clock.advance(5)
            backlog = sum(q for _, q in queued)
            assert physical - backlog >= 0, f"tick {tick}: oversold"
            assert world.offer(SELLER, DE, "MUG").quantity <= max(0, physical - backlog)
    assert world.oversells == []
    assert sold > 10  # the scenario really ran the stock down and up again


async def test_order_reservations_lower_the_offer(conn: psycopg.AsyncConnection, store: Store) -> None:
    world = make_world(["A"])
    amazon = make_amazon(world)
    odoo = FakeOdooStock()
    odoo.set(1, Decimal(6))
    await _map(conn, {"A": 1})
    push = _push(store, amazon, odoo, StockConfig())
    async with amazon.client:
        await push.run_cycle(full=True)
        async with conn.transaction():
            await reservations.reserve(conn, account="acme", order_id="X", marketplace_id=DE,
                                       status="Pending", units={"A": 4})
            await mark_dirty(conn, "acme", ["A"])
        await push.run_cycle()
    assert world.offer(SELLER, DE, "A").quantity == 2
