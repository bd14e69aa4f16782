"""FBM push on PostgreSQL + the in-process SP-API simulator + a fake Odoo: the FBM → FBA switch
against Amazon's 8560 refusal (patch and feed report), and marketplaces sharing a warehouse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.config import StockConfig
from amazon_odoo_sync.flows.stock import FbmStockPush, SpApiOfferSink
from amazon_odoo_sync.sandbox.spapi.world import Offer, Product, Seller
from amazon_odoo_sync.store import audit, offers, product_map, quarantine, reservations
from amazon_odoo_sync.store.unit import PgStore, Store

from .stock_sim import DE, SELLER, FakeOdooStock, SimAmazon, make_amazon, make_world

pytestmark = pytest.mark.db

FR = "A13V1IB3VIYZZH"
IT = "APJ6JRA9NG5V4"
ACTION = "SKU is FBA on Amazon: map it as FBA"


@pytest.fixture
def store(pool: AsyncConnectionPool[Any]) -> Store:
    return PgStore(pool)


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


async def _map(conn: psycopg.AsyncConnection, skus: dict[str, int], fulfillment: str = "FBM",
               marketplace_id: str = "") -> None:
    for sku, product_id in skus.items():
        await product_map.upsert(conn, product_map.ProductMapping(
            account="acme", marketplace_id=marketplace_id, sku=sku, asin=None, fulfillment=fulfillment,
            odoo_product_id=product_id))


def _push(store: Store, amazon: SimAmazon, odoo: FakeOdooStock, config: StockConfig, *,
          warehouses: dict[str, list[int]] | None = None) -> FbmStockPush:
    warehouses = warehouses or {DE: [1]}
    return FbmStockPush(store=store, account="acme", marketplace_ids=list(warehouses), source=odoo,
                        sink=SpApiOfferSink(amazon.client), warehouses=warehouses, config=config)


async def _closed_audits(conn: psycopg.AsyncConnection) -> list[str]:
    return [e.object_key or "" for e in await audit.recent(conn, 100, object_type="offer")
            if e.action == "stock.fbm_offer_closed"]


# -- FBM → FBA: Amazon refuses the closing 0 with 8560 -------------------------------------------


async def test_switch_zero_refused_as_fba_by_patch_is_done(conn: psycopg.AsyncConnection, store: Store) -> None:
    world = make_world(["A", "B"])
    amazon = make_amazon(world)
    odoo = FakeOdooStock()
    odoo.set(1, 4)
    odoo.set(2, 6)
    await _map(conn, {"A": 1, "B": 2})
    push = _push(store, amazon, odoo, StockConfig())
    async with amazon.client:
        await push.run_cycle(full=True)
        assert world.offer(SELLER, DE, "A").quantity == 4
        # The seller converted A to FBA on Amazon (the offer is Amazon-fulfilled now) and maps it
        # as FBA here; B is converted on Amazon but still mapped FBM here: a mapping mistake.
        world.offer(SELLER, DE, "A").channel = "AFN"
        world.offer(SELLER, DE, "B").channel = "AFN"
        await _map(conn, {"A": 1}, fulfillment="FBA")
        odoo.set(2, 5)
        result = await push.run_cycle(full=True)
        assert result.patched == 2 and result.urgent == 1
        assert result.accepted == 1 and result.rejected == 1
        # Nothing left to send for A; B waits for its mapping to be fixed.
        again = await push.run_cycle(full=True)
        assert again.patched == 0 and again.fed == 0
    states = await offers.load(conn, "acme", DE)
    assert states["A"].accepted_qty == 0 and states["A"].accepted_seq == states["A"].computed_seq
    assert states["A"].fulfillment == "FBA"
    items = {i.key: i for i in await quarantine.open_items(conn, "stock")}
    assert set(items) == {f"acme:{DE}:B"}
    assert items[f"acme:{DE}:B"].reason.startswith(ACTION + " (8560: ")
    assert items[f"acme:{DE}:B"].details["action"] == ACTION
    assert await _closed_audits(conn) == [f"acme:{DE}:A"]


async def test_switch_zero_refused_as_fba_in_a_feed_report(conn: psycopg.AsyncConnection, store: Store) -> None:
    skus = ["A", "B", "C", "D"]
    world = make_world(skus)
    amazon = make_amazon(world)
    odoo = FakeOdooStock()
    for n, _ in enumerate(skus, start=1):
        odoo.set(n, 5)
    await _map(conn, {sku: n for n, sku in enumerate(skus, start=1)})
    # No urgent patches: every change rides in the feed, the closing 0 too.
    push = _push(store, amazon, odoo, StockConfig(feed_min_messages=2, max_urgent_patches=0))
    async with amazon.client:
        await push.run_cycle(full=True)
        world.clock.advance(120)
        await push.collect_results()
        assert [world.offer(SELLER, DE, s).quantity for s in skus] == [5, 5, 5, 5]
        for sku in ("A", "B"):
            world.offer(SELLER, DE, sku).channel = "AFN"
        await _map(conn, {"A": 1}, fulfillment="FBA")  # switched; B: FBA on Amazon, FBM here
        await offers.mark_dirty(conn, "acme", ["A"])  # what the catalog refresh does for a changed mapping
        odoo.set(2, 9)
        odoo.set(3, 8)
        sent = await push.run_cycle()
        assert sent.fed == 3 and sent.patched == 0 and len(sent.feeds) == 1
        world.clock.advance(120)
        closed = await push.collect_results()
        assert closed == 1
    assert world.offer(SELLER, DE, "C").quantity == 8
    states = await offers.load(conn, "acme", DE)
    assert states["A"].accepted_qty == 0 and states["C"].accepted_qty == 8
    assert states["B"].accepted_qty == 5  # Amazon never took the 9
    items = {i.key: i for i in await quarantine.open_items(conn, "stock")}
    assert set(items) == {f"acme:{DE}:B"}
    assert items[f"acme:{DE}:B"].details["action"] == ACTION and items[f"acme:{DE}:B"].details["via"] == "feed"
    assert await _closed_audits(conn) == [f"acme:{DE}:A"]
    assert await offers.pending(conn, "acme", DE) == []


# -- marketplaces sharing a warehouse ------------------------------------------------------------


def _world_eu(skus: dict[str, tuple[str, ...]]) -> SimAmazon:
    """Offers of each SKU in the marketplaces given; all FBM, quantity 0."""
    world = make_world([])
    world.add_seller(Seller(seller_id=SELLER, name="Sim", refresh_token="Atzr|r", marketplace_ids=(DE, FR, IT)))
    for n, (sku, marketplaces) in enumerate(skus.items()):
        asin = f"B{n:09d}"
        world.add_product(Product(asin=asin, title=sku))
        for mid in marketplaces:
            world.add_offer(Offer(seller_id=SELLER, marketplace_id=mid, sku=sku, asin=asin, channel="MFN",
                                  price=Decimal("10.00"), currency="EUR"))
    return make_amazon(world)


def _shown(amazon: SimAmazon, sku: str, *marketplaces: str) -> list[int]:
    return [amazon.world.offer(SELLER, mid, sku).quantity for mid in marketplaces]  # type: ignore[union-attr]


async def _reserve(conn: psycopg.AsyncConnection, order_id: str, marketplace_id: str, sku: str, units: int) -> None:
    async with conn.transaction():
        await reservations.reserve(conn, account="acme", order_id=order_id, marketplace_id=marketplace_id,
                                   status="Pending", units={sku: units})
        await offers.mark_dirty(conn, "acme", [sku])


async def test_shared_warehouse_full_offers_everything_everywhere(conn: psycopg.AsyncConnection, store: Store) -> None:
    amazon = _world_eu({"A": (DE, FR, IT)})
    odoo = FakeOdooStock()
    odoo.set(1, 30)
    await _map(conn, {"A": 1})
    push = _push(store, amazon, odoo, StockConfig(), warehouses={DE: [1], FR: [1], IT: [2]})
    async with amazon.client:
        await push.run_cycle(full=True)
        assert _shown(amazon, "A", DE, FR, IT) == [30, 30, 30]
        # An FR order not in Odoo yet: DE shares FR's warehouse, IT does not.
        await _reserve(conn, "O-1", FR, "A", 4)
        await push.run_cycle()
    assert _shown(amazon, "A", DE, FR, IT) == [26, 26, 30]


async def test_shared_warehouse_split_by_weight(conn: psycopg.AsyncConnection, store: Store) -> None:
    amazon = _world_eu({"A": (DE, FR, IT), "B": (DE, FR, IT)})
    odoo = FakeOdooStock()
    odoo.set(1, 30)
    odoo.set(2, 1)
    await _map(conn, {"A": 1, "B": 2})
    config = StockConfig(shared_warehouse="split", split_weights={"DE": Decimal(2), "IT": Decimal(0)})
    push = _push(store, amazon, odoo, config, warehouses={DE: [1], FR: [1], IT: [1]})
    async with amazon.client:
        await push.run_cycle(full=True)
        # 30 units 2:1:0; B's single unit goes where the weight is largest.
        assert _shown(amazon, "A", DE, FR, IT) == [20, 10, 0]
        assert _shown(amazon, "B", DE, FR, IT) == [1, 0, 0]
        await _reserve(conn, "O-1", FR, "A", 3)  # 27 left: 18 + 9
        await push.run_cycle()
        assert _shown(amazon, "A", DE, FR, IT) == [18, 9, 0]
        odoo.set(1, 31)  # 28 left: 18.67 + 9.33 → 19 + 9
        await push.run_cycle()
        assert _shown(amazon, "A", DE, FR, IT) == [19, 9, 0]


async def test_split_counts_every_sku_of_a_product_and_recomputes_them_together(
        conn: psycopg.AsyncConnection, store: Store) -> None:
    # One Odoo product sold as "A" in DE and "A-FR" in FR (marketplace-specific mappings).
    amazon = _world_eu({"A": (DE,), "A-FR": (FR,)})
    odoo = FakeOdooStock()
    odoo.set(1, 12)
    await _map(conn, {"A": 1}, marketplace_id=DE)
    await _map(conn, {"A-FR": 1}, marketplace_id=FR)
    push = _push(store, amazon, odoo, StockConfig(shared_warehouse="split"), warehouses={DE: [1], FR: [1]})
    async with amazon.client:
        await push.run_cycle(full=True)
        assert _shown(amazon, "A", DE) + _shown(amazon, "A-FR", FR) == [6, 6]
        # An order of A-FR marks only A-FR dirty; A draws on the same units and follows.
        await _reserve(conn, "O-1", FR, "A-FR", 4)
        await push.run_cycle()
        assert _shown(amazon, "A", DE) + _shown(amazon, "A-FR", FR) == [4, 4]
