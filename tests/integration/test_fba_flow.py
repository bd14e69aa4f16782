"""FBA inventory flow on PostgreSQL, the SP-API simulator and the Odoo emulator: one pull per
fulfilment network, locations per (account, network), shipped orders not yet in Odoo, drift."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.amazon.client import SpApiClient
from amazon_odoo_sync.amazon.governor import InMemoryRateGovernor
from amazon_odoo_sync.amazon.lwa import LwaCredentials
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.config import Settings, SpapiConfig
from amazon_odoo_sync.demo.wiring import seed_catalog
from amazon_odoo_sync.flows.fba_inventory import FbaInventorySync, FbaResult, fba_syncs_for, fulfillable_location
from amazon_odoo_sync.mapping.fba_inventory import KINDS, SELLABLE_KIND, Kind, location_barcode
from amazon_odoo_sync.marketplaces import by_code, by_id
from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.sandbox.odoo.app import create_app as create_emulator
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN
from amazon_odoo_sync.sandbox.spapi.app import create_app
from amazon_odoo_sync.sandbox.spapi.auth import LwaApp
from amazon_odoo_sync.sandbox.spapi.clock import SimClock
from amazon_odoo_sync.sandbox.spapi.ratelimit import RateLimiter
from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings, attach
from amazon_odoo_sync.sandbox.spapi.world import FbaInventory, Seller, World
from amazon_odoo_sync.store import fba_drift, product_map, reservations
from amazon_odoo_sync.store.unit import PgStore

pytestmark = pytest.mark.db

BASE = "http://sim.test"
UK, DE, FR, US, CA = (by_code(c).id for c in ("UK", "DE", "FR", "US", "CA"))
#: account → (seller id, region, marketplaces)
ACCOUNTS = {"acme": ("A2FBAACME001", "EU", (UK, DE, FR)), "beta": ("A2FBABETA001", "EU", (DE,)),
            "nacme": ("A3FBANACME01", "NA", (US, CA))}


@dataclass
class Env:
    world: World
    odoo: OdooClient
    rt: Any
    products: dict[str, int]
    warehouses: dict[str, int]

    async def syncs(self, account: str) -> dict[str, FbaInventorySync]:
        return {s.network: s for s in await fba_syncs_for(self.rt, account)}

    def add(self, account: str, marketplace_id: str, sku: str, **buckets: int) -> FbaInventory:
        seller_id = ACCOUNTS[account][0]
        network = by_id(marketplace_id).fba_network
        return self.world.add_fba_inventory(FbaInventory(seller_id=seller_id, network=network, sku=sku,
                                                         asin=f"B0{sku}", fnsku=f"X-{sku}",
                                                         **buckets))

    async def in_odoo(self, account: str, network: str) -> dict[tuple[str, Kind], int]:
        """Non-zero quantities of the account's FBA locations in ``network``, by (SKU, kind)."""
        barcodes = {location_barcode(account, network, k): k for k in KINDS}
        locations = {int(r["id"]): barcodes[r["barcode"]] for r in await self.odoo.search_read(
            "stock.location", [("barcode", "in", sorted(barcodes))], ["barcode"])}
        sku_of = {p: s for s, p in self.products.items()}
        out: dict[tuple[str, Kind], int] = {}
        for row in await self.odoo.search_read("stock.quant", [("location_id", "in", sorted(locations))],
                                               ["product_id", "location_id", "quantity"]):
            if row["quantity"]:
                key = (sku_of[row["product_id"][0]], locations[row["location_id"][0]])
                out[key] = out.get(key, 0) + int(row["quantity"])
        return out


def figures(inv: FbaInventory) -> dict[Kind, int]:
    return {"fulfillable": inv.fulfillable, "inbound_working": inv.inbound_working,
            "inbound_shipped": inv.inbound_shipped, "inbound_receiving": inv.inbound_receiving,
            "reserved": inv.reserved, "researching": inv.researching, "unfulfillable": inv.unfulfillable}


def truth(env: Env, account: str, network: str) -> dict[tuple[str, Kind], int]:
    seller_id = ACCOUNTS[account][0]
    return {(inv.sku, kind): qty for inv in env.world.fba_inventories(seller_id)
            if inv.network == network for kind, qty in figures(inv).items() if qty}


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
async def env(pool: AsyncConnectionPool[Any]) -> AsyncIterator[Env]:
    world = World(SimClock(datetime(2026, 3, 1, tzinfo=UTC)), seed=7)
    for account, (seller_id, _, mids) in ACCOUNTS.items():
        world.add_seller(Seller(seller_id=seller_id, name=account, refresh_token=f"Atzr|{account}",
                                marketplace_ids=mids))
    attach(world, SellingSettings(fba_page_size=2, notification_autostart=False))
    sim = create_app(world, apps=[LwaApp(client_id="app", client_secret="s")], limiter=RateLimiter(enabled=False))
    spapi_settings = SpapiConfig(token_url=f"{BASE}/auth/o2/token", endpoints={"NA": BASE, "EU": BASE, "FE": BASE})
    clients = {account: SpApiClient(account=account, region=region, seller_id=seller_id, settings=spapi_settings,
                                    credentials=LwaCredentials(client_id="app", client_secret="s",
                                                               refresh_token=f"Atzr|{account}"),
                                    transport=httpx.ASGITransport(app=sim), governor=InMemoryRateGovernor())
               for account, (seller_id, region, _) in ACCOUNTS.items()}
    odoo = OdooClient("http://odoo.emu", DEMO_DATABASE, DEMO_LOGIN, DEMO_API_KEY,
                      transport=httpx.ASGITransport(app=create_emulator(latency_scale=0.0)))
    warehouses = {}
    for network in ("EU", "UK", "US", "CA"):
        [warehouses[network]] = await odoo.create("stock.warehouse", [{"name": f"Amazon FBA {network}",
                                                                       "code": f"FBA{network}"}])
    skus = ["A", "B", "C", "D", "SHARED", "BETA-ONLY"]
    products = await seed_catalog(odoo, [{"sku": s, "channel": "AFN"} for s in skus])
    settings = Settings(accounts=[{"name": a, "region": r, "seller_id": s, "marketplaces": list(m)}
                                  for a, (s, r, m) in ACCOUNTS.items()],
                        stock={"fba_drift_tolerance": 1})

    async def targets(marketplace_id: str) -> Any:
        return SimpleNamespace(fba_warehouse_id=warehouses[by_id(marketplace_id).fba_network])

    async def get_odoo() -> OdooClient:
        return odoo

    async def spapi(account: str, *, priority: int | None = None) -> SpApiClient:
        return clients[account]

    refs = SimpleNamespace(targets=targets)

    async def get_refs() -> Any:
        return refs

    rt = SimpleNamespace(settings=settings, clock=FakeClock(), refs=get_refs, odoo=get_odoo, spapi=spapi,
                         store=PgStore(pool))
    try:
        yield Env(world=world, odoo=odoo, rt=rt, products=products, warehouses=warehouses)
    finally:
        for client in clients.values():
            await client.aclose()
        await odoo.aclose()


async def _map(conn: psycopg.AsyncConnection, env: Env, account: str, *skus: str) -> None:
    for sku in skus:
        await product_map.upsert(conn, product_map.ProductMapping(
            account=account, marketplace_id="", sku=sku, asin=None, fulfillment="FBA",
            odoo_product_id=env.products[sku]))


async def test_an_account_is_pulled_once_per_fulfilment_network(conn: psycopg.AsyncConnection, env: Env) -> None:
    await _map(conn, env, "acme", "A", "B", "C")
    await _map(conn, env, "nacme", "A", "B")
    env.add("acme", DE, "A", fulfillable=10, inbound_shipped=3)  # pan-EU pool: DE and FR
    env.add("acme", DE, "B", fulfillable=4, reserved_fc_processing=1, unfulfillable_defective=2)
    env.add("acme", DE, "C", fulfillable=1)
    env.add("acme", UK, "A", fulfillable=7, researching=1)  # the UK pool, other figures
    env.add("nacme", US, "A", fulfillable=20)
    env.add("nacme", CA, "A", fulfillable=5)
    env.add("nacme", CA, "B", inbound_working=6)

    acme = await env.syncs("acme")
    assert {n: (s.marketplace_id, s.marketplace_ids) for n, s in acme.items()} == {"UK": (UK, [UK]),
                                                                                 "EU": (DE, [DE, FR])}
    nacme = await env.syncs("nacme")
    assert {n: (s.marketplace_id, s.marketplace_ids) for n, s in nacme.items()} == {"US": (US, [US]),
                                                                                  "CA": (CA, [CA])}
    results: list[FbaResult] = []
    for sync in [*acme.values(), *nacme.values()]:
        results.append(await sync.pull())
    assert [(r.account, r.network, r.skus, r.quarantined) for r in results] == [
        ("acme", "UK", 1, 0), ("acme", "EU", 3, 0), ("nacme", "US", 1, 0), ("nacme", "CA", 2, 0)]
    assert results[1].pages == 2  # page size 2: three SKUs on two pages
    for account, network in (("acme", "UK"), ("acme", "EU"), ("nacme", "US"), ("nacme", "CA")):
        assert await env.in_odoo(account, network) == truth(env, account, network), (account, network)
    assert await env.in_odoo("acme", "UK") == {("A", "fulfillable"): 7, ("A", "researching"): 1}

    # Fulfillable is sellable (under the warehouse's stock location, where FBA deliveries take
    # their units); the other kinds are visible in the warehouse but not under its stock.
    [wh] = await env.odoo.read("stock.warehouse", [env.warehouses["EU"]], ["lot_stock_id", "view_location_id"])
    rows = {r["barcode"]: r for r in await env.odoo.search_read(
        "stock.location", [("barcode", "in", [location_barcode("acme", "EU", k) for k in KINDS])],
        ["barcode", "name", "location_id"])}
    for kind in KINDS:
        row = rows[location_barcode("acme", "EU", kind)]
        parent = wh["lot_stock_id"][0] if kind == SELLABLE_KIND else wh["view_location_id"][0]
        assert row["location_id"][0] == parent, kind
    assert rows[location_barcode("acme", "EU", "fulfillable")]["name"] == "acme Fulfillable"
    assert await fulfillable_location(env.odoo, "acme", FR, env.warehouses["EU"]) == \
        rows[location_barcode("acme", "EU", "fulfillable")]["id"]
    [sellable] = await env.odoo.read("product.product", [env.products["A"]], ["free_qty"],
                                     context={"location": wh["lot_stock_id"][0]})
    [in_warehouse] = await env.odoo.read("product.product", [env.products["A"]], ["qty_available"],
                                         context={"warehouse_id": env.warehouses["EU"]})
    assert sellable["free_qty"] == 10 and in_warehouse["qty_available"] == 13  # in transit: visible, not sellable


async def test_two_accounts_in_one_network_keep_separate_figures(conn: psycopg.AsyncConnection, env: Env) -> None:
    await _map(conn, env, "acme", "SHARED", "A")
    await _map(conn, env, "beta", "SHARED", "BETA-ONLY")
    env.add("acme", DE, "SHARED", fulfillable=10, inbound_receiving=2)
    env.add("acme", DE, "A", fulfillable=3)
    env.add("beta", DE, "SHARED", fulfillable=4)
    env.add("beta", DE, "BETA-ONLY", fulfillable=6, unfulfillable_expired=1)
    acme, beta = (await env.syncs("acme"))["EU"], (await env.syncs("beta"))["EU"]
    await acme.pull()
    await beta.pull()
    again = await acme.pull()  # complete: zeroes what acme's Amazon no longer has, only of acme
    assert again.adjustments == [] and again.drift == []
    assert await env.in_odoo("acme", "EU") == {("SHARED", "fulfillable"): 10, ("SHARED", "inbound_receiving"): 2,
                                               ("A", "fulfillable"): 3}
    assert await env.in_odoo("beta", "EU") == {("SHARED", "fulfillable"): 4, ("BETA-ONLY", "fulfillable"): 6,
                                               ("BETA-ONLY", "unfulfillable"): 1}
    assert (await beta.pull()).adjustments == []
    # acme sells out of A at Amazon (no longer reported): only acme's A goes to 0.
    env.world._fba.pop((ACCOUNTS["acme"][0], "EU", "A"))
    gone = await acme.pull()
    assert [(a.sku, a.kind, a.amazon_quantity) for a in gone.adjustments] == [("A", "fulfillable", 0)]
    assert ("A", "fulfillable") not in await env.in_odoo("acme", "EU")
    assert await env.in_odoo("beta", "EU") == truth(env, "beta", "EU")
    [wh] = await env.odoo.read("stock.warehouse", [env.warehouses["EU"]], ["lot_stock_id"])
    [product] = await env.odoo.read("product.product", [env.products["SHARED"]], ["free_qty"],
                                    context={"location": wh["lot_stock_id"][0]})
    assert product["free_qty"] == 10 + 4  # both accounts' Fulfillable, under the network's stock


async def test_shipped_orders_not_in_odoo_stay_in_fulfillable(conn: psycopg.AsyncConnection, env: Env) -> None:
    await _map(conn, env, "acme", "A", "B")
    env.add("acme", DE, "A", fulfillable=10)
    env.add("acme", DE, "B", fulfillable=5)
    env.add("acme", UK, "A", fulfillable=9)
    eu = (await env.syncs("acme"))["EU"]
    await eu.pull()
    # Amazon ships 2 A from FR (same pan-EU pool) and 1 from the UK (other pool); an order of 4 B
    # is still Pending (its units are in Amazon's reserved, not shipped). None is in Odoo yet.
    env.world.adjust_fba_inventory(ACCOUNTS["acme"][0], FR, "A", fulfillable=-2)
    env.world.adjust_fba_inventory(ACCOUNTS["acme"][0], DE, "B", fulfillable=-4, reserved_pending_customer_order=4)
    await reservations.reserve(conn, account="acme", order_id="302-1", marketplace_id=FR, status="SHIPPED",
                               units={"A": 2})
    await reservations.reserve(conn, account="acme", order_id="202-2", marketplace_id=UK, status="Shipped",
                               units={"A": 1})
    await reservations.reserve(conn, account="acme", order_id="302-3", marketplace_id=DE, status="PENDING",
                               units={"B": 4})
    result = await eu.pull()
    assert result.unimported_shipped == {"A": 2}
    # Odoo keeps the 2 shipped A (its import takes them off); B follows Amazon at once.
    assert await env.in_odoo("acme", "EU") == {("A", "fulfillable"): 10, ("B", "fulfillable"): 1,
                                               ("B", "reserved"): 4}
    assert result.drift == [] and result.drift_checked
    # The import (tests/integration/test_fba_e2e.py does it for real): Odoo's delivery takes the
    # 2 from Fulfillable and the reservation is released.
    await eu.target.set_quantities("acme", "EU", {(env.products["A"], "fulfillable"): Decimal(8)})
    await reservations.release(conn, "acme", ["302-1"])
    after = await eu.pull()
    assert after.adjustments == [] and after.drift == [] and after.unimported_shipped == {}
    assert await env.in_odoo("acme", "EU") == truth(env, "acme", "EU")


async def test_drift_beyond_tolerance_from_the_second_pull(conn: psycopg.AsyncConnection, env: Env) -> None:
    await _map(conn, env, "acme", "A", "B", "C", "D")
    seller = ACCOUNTS["acme"][0]
    env.add("acme", DE, "A", fulfillable=10)
    env.add("acme", DE, "B", fulfillable=10)
    env.add("acme", DE, "C", fulfillable=10)
    env.add("acme", UK, "A", fulfillable=10)
    # Odoo had other figures before the first pull: not drift (it expected nothing yet).
    eu = (await env.syncs("acme"))["EU"]
    await eu.target.set_quantities("acme", "EU", {(env.products["A"], "fulfillable"): Decimal(50)})
    first = await eu.pull()
    assert not first.drift_checked and first.drift == [] and await fba_drift.latest(conn) == []
    assert await fba_drift.last_pull(conn, "acme", "EU") is not None
    assert await fba_drift.last_pull(conn, "acme", "UK") is None

    env.world.adjust_fba_inventory(seller, DE, "A", fulfillable=-1)  # 1 lost: within tolerance (1)
    env.world.adjust_fba_inventory(seller, DE, "B", fulfillable=-3, unfulfillable_warehouse_damaged=1)  # 2 gone
    # The seller sends 5 C to FBA and records the transfer in Odoo: expected, not drift.
    await eu.target.set_quantities("acme", "EU", {(env.products["C"], "inbound_shipped"): Decimal(5)})
    env.world.adjust_fba_inventory(seller, DE, "C", inbound_shipped=5)
    env.add("acme", DE, "D", inbound_receiving=4)  # sent to Amazon without an Odoo transfer
    second = await eu.pull()
    assert second.drift_checked
    assert [(x.sku, x.expected, x.reported, x.difference) for x in second.drift] == [
        ("B", Decimal(10), 8, Decimal(-2)), ("D", Decimal(0), 4, Decimal(4))]
    stored = await fba_drift.latest(conn, account="acme")
    assert [(r.network, r.sku, r.expected, r.reported, r.difference) for r in stored] == [
        ("EU", "D", Decimal(0), 4, Decimal(4)), ("EU", "B", Decimal(10), 8, Decimal(-2))]
    assert await env.in_odoo("acme", "EU") == truth(env, "acme", "EU")  # applied after the check
    assert await fba_drift.totals(conn) == [("acme", "EU", 2, Decimal(6))]

    # The next pull finds Odoo equal to Amazon: its (account, network) rows are replaced by none.
    third = await eu.pull()
    assert third.drift == [] and await fba_drift.latest(conn) == []
