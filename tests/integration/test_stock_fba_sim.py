"""FBA inventory pull on PostgreSQL + the SP-API simulator into a fake Odoo FBA warehouse."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.flows.fba_inventory import FbaInventorySync
from amazon_odoo_sync.mapping.fba_inventory import Kind
from amazon_odoo_sync.sandbox.spapi.world import FbaInventory, Offer, Product
from amazon_odoo_sync.store import audit, product_map, quarantine
from amazon_odoo_sync.store.unit import PgStore

from .stock_sim import DE, SELLER, make_amazon, make_world

FR = "A13V1IB3VIYZZH"

pytestmark = pytest.mark.db


class FakeFbaWarehouse:
    """One account's FBA locations in one network (the flow must ask for exactly those)."""

    def __init__(self, account: str = "acme", network: str = "EU") -> None:
        self.account, self.network = account, network
        self.stock: dict[tuple[int, Kind], Decimal] = {}
        self.writes: list[dict[tuple[int, Kind], Decimal]] = []

    async def quantities(self, account: str, network: str, product_ids: Sequence[int] | None
                         ) -> dict[tuple[int, Kind], Decimal]:
        assert (account, network) == (self.account, self.network)
        return {k: v for k, v in self.stock.items() if product_ids is None or k[0] in product_ids}

    async def set_quantities(self, account: str, network: str, targets: Mapping[tuple[int, Kind], Decimal]) -> None:
        assert (account, network) == (self.account, self.network)
        self.writes.append(dict(targets))
        self.stock.update(targets)


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


async def test_pull_with_pages_and_an_expired_token(conn: psycopg.AsyncConnection,
                                                    pool: AsyncConnectionPool[Any]) -> None:
    world = make_world([])
    clock = [0.0]
    for i in range(7):
        asin = f"BFBA{i:06d}"
        world.add_product(Product(asin=asin, title=f"G{i}"))
        world.add_offer(Offer(seller_id=SELLER, marketplace_id=DE, sku=f"F{i}", asin=asin, channel="AFN",
                              price=Decimal(20), currency="EUR"))
        world.add_fba_inventory(FbaInventory(seller_id=SELLER, network="EU", sku=f"F{i}", asin=asin,
                                             fnsku=f"X{i}", fulfillable=10 + i, inbound_shipped=i,
                                             inbound_receiving=1, unfulfillable_defective=i % 2,
                                             reserved_fc_processing=2))
    amazon = make_amazon(world, fba_page_size=2, monotonic=lambda: clock[0], unlimited=True)
    for i in range(6):  # F6 is not mapped: quarantined
        await product_map.upsert(conn, product_map.ProductMapping(
            account="acme", marketplace_id="", sku=f"F{i}", asin=None, fulfillment="FBA", odoo_product_id=100 + i))
    odoo = FakeFbaWarehouse()
    odoo.stock[(100, "fulfillable")] = Decimal(10)  # already right: no adjustment
    odoo.stock[(101, "fulfillable")] = Decimal(3)
    odoo.stock[(999, "fulfillable")] = Decimal(4)  # Amazon has none of it any more
    sync = FbaInventorySync(store=PgStore(pool), account="acme", marketplace_id=DE, network="EU",
                            client=amazon.client, target=odoo)

    # Expire the token handed out with the second page once.
    original = amazon.client.fba_inventory.get_inventory_summaries_pages
    calls = [0]

    def pages(**kwargs):  # type: ignore[no-untyped-def]
        async def run():  # type: ignore[no-untyped-def]
            n = 0
            async for page in original(**kwargs):
                n += 1
                if n == 2 and calls[0] == 0:
                    clock[0] += 31  # the next nextToken is older than 30 s
                    calls[0] += 1
                yield page
        return run()

    amazon.client.fba_inventory.get_inventory_summaries_pages = pages  # type: ignore[method-assign]
    seen: list[tuple[str, int, int]] = []
    result = await sync.pull(progress=lambda *p: seen.append(p))
    assert result.restarts == 1 and result.skus == 7 and result.pages >= 4 + 2
    assert seen[-1] == ("EU", result.pages, 7) and len(seen) == result.pages
    for i in range(6):
        inv = world.fba_inventory(SELLER, DE, f"F{i}")
        assert inv is not None
        assert odoo.stock[(100 + i, "fulfillable")] == inv.fulfillable
        assert odoo.stock.get((100 + i, "inbound_shipped"), Decimal(0)) == inv.inbound_shipped
        assert odoo.stock[(100 + i, "inbound_receiving")] == 1
        assert odoo.stock[(100 + i, "reserved")] == 2
        assert odoo.stock.get((100 + i, "unfulfillable"), Decimal(0)) == i % 2
    assert odoo.stock[(999, "fulfillable")] == 0
    assert (100, "fulfillable") not in odoo.writes[0]  # differences only
    assert [i.key for i in await quarantine.open_items(conn, "fba-inventory")] == [f"acme:{DE}:F6"]
    assert any(e.action == "fba_inventory.adjusted" for e in await audit.recent(conn))
    assert not result.drift_checked and result.drift == []  # the first pull: nothing expected yet
    # A second pull changes nothing, and finds no drift: Odoo holds Amazon's figures. An expired
    # token again (now on the first follow-up page) still gives a complete pull.
    calls[0] = 0
    again = await sync.pull()
    await amazon.client.aclose()
    assert again.restarts == 1 and again.skus == 7
    assert again.adjustments == [] and again.drift_checked and again.drift == []


async def test_notification_updates_one_sku(conn: psycopg.AsyncConnection, pool: AsyncConnectionPool[Any]) -> None:
    amazon = make_amazon(make_world([]))
    await product_map.upsert(conn, product_map.ProductMapping(
        account="acme", marketplace_id="", sku="F1", asin=None, fulfillment="FBA", odoo_product_id=7))
    odoo = FakeFbaWarehouse()
    sync = FbaInventorySync(store=PgStore(pool), account="acme", marketplace_id=DE, marketplace_ids=[DE, FR],
                            network="EU", client=amazon.client, target=odoo)
    # Amazon names the marketplace the change came from: FR is in the pan-EU pool pulled via DE.
    payload = {"SKU": "F1", "FNSKU": "X", "ASIN": "B", "FulfillmentInventoryByMarketplace": [
        {"MarketplaceId": FR, "FulfillmentInventory": {
            "InboundQuantityBreakdown": {"Working": 0, "Shipped": 5, "Receiving": 0}, "Fulfillable": 8,
            "Unfulfillable": 0, "Researching": 0, "ReservedQuantityBreakdown": {"PendingCustomerOrder": 1}}}]}
    result = await sync.apply_notification(payload)
    await amazon.client.aclose()
    assert odoo.stock == {(7, "fulfillable"): 8, (7, "inbound_shipped"): 5, (7, "reserved"): 1}
    assert len(result.adjustments) == 3
    bad = await sync.apply_notification({"SKU": "F1"})
    assert bad.quarantined == 1
