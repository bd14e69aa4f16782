"""Bench: FBM shipment confirmations/s against the SP-API simulator's usage plan for confirmShipment.

Amazon's default plan is 2 requests/s with a burst of 10. ``--scale`` multiplies the simulator's
rate (as Amazon does for a seller granted a higher plan; the simulator reports the scaled rate in
``x-amzn-RateLimit-Limit`` and our governor follows it), which is how N=5,000 runs in minutes
instead of 42 minutes of real time. What is measured is the fraction of the quota ceiling the
flow reaches: ``confirmed / (burst + rate × scale × seconds)`` over the sending phase, and the
number of 429 answers.

Setup (not timed): N MFN orders in the simulator's world, the same N as confirmed sale orders in
the in-process Odoo emulator with their deliveries validated (carrier UPS, tracking), external ids
and stored Amazon documents in a fresh PostgreSQL database. Then one shipments run: the scan
(Odoo read + planning) and the send phase are timed separately.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/shipments.py \
        [--n 5000] [--scale 25] [--concurrency 4] [--governor pg|memory]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import time
from collections import Counter
from typing import Any

import httpx
from bench._db import scratch_database
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.amazon.client import SpApiClient
from amazon_odoo_sync.amazon.lwa import LwaCredentials
from amazon_odoo_sync.config import ShipmentsConfig, SpapiConfig
from amazon_odoo_sync.demo.run import throttle_share
from amazon_odoo_sync.flows.orders import order_source
from amazon_odoo_sync.flows.shipments import ShipmentResult, ShipmentSync
from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.sandbox.odoo.app import create_app as create_odoo_app
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE
from amazon_odoo_sync.sandbox.odoo.service import OdooEmulator
from amazon_odoo_sync.sandbox.spapi import make_simulator
from amazon_odoo_sync.sandbox.spapi.orders_json import v2026_order
from amazon_odoo_sync.sandbox.spapi.world import Address, Buyer, OrderLine
from amazon_odoo_sync.store._sql import jsonb
from amazon_odoo_sync.store.spapi_state import PgSpapiState
from amazon_odoo_sync.store.unit import PgStore

ACCOUNT = "eu"
SELLER = "A2SIMDEMOEU01"
DE = "A1PA6795UKMFR9"
BASE = "http://spapi.sim"
RATE, BURST = 2.0, 10


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the simulator's answers to confirmShipment by status."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.statuses: Counter[int] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/shipmentConfirmation"):
            self.statuses[response.status_code] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000, help="deliveries to confirm")
    parser.add_argument("--scale", type=float, default=25.0, help="multiplier of Amazon's 2/s rate")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--governor", choices=("pg", "memory"), default="pg")
    args = parser.parse_args()
    with scratch_database("aos_bench_ship") as url:
        await run(url, args)


async def setup(pool: AsyncConnectionPool[Any], odoo: OdooClient, world: Any, n: int) -> None:
    sku = next(o.sku for o in world.offers(SELLER, DE, channel="MFN"))
    world.set_fbm_quantity(SELLER, DE, sku, n * 2)
    buyer = Buyer(name="Bench Buyer", email="bench@marketplace.amazon.de")
    address = Address(name="Bench Buyer", line1="1 Street", city="Town", postal_code="10115", country_code="DE")
    orders = [world.place_order(SELLER, DE, [OrderLine(sku=sku, quantity=1)], buyer=buyer, address=address)
              for _ in range(n)]
    world.clock.advance(3600)
    world.sync()
    docs = {o.amazon_order_id: v2026_order(o, frozenset({"FULFILLMENT"}), False) for o in orders}
    product = (await odoo.create("product.product", [{"name": sku, "default_code": sku, "type": "consu"}]))[0]
    service = (await odoo.create("product.product", [{"name": "Shipping", "type": "service"}]))[0]
    carrier = (await odoo.create("delivery.carrier", [{"name": "UPS", "product_id": service}]))[0]
    partner = (await odoo.create("res.partner", [{"name": "Bench Buyer"}]))[0]
    sale_of: dict[str, int] = {}
    ids = list(docs)
    for start in range(0, n, 500):
        chunk = ids[start:start + 500]
        created = await odoo.create("sale.order", [
            {"partner_id": partner, "client_order_ref": oid,
             "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 1, "price_unit": 10})]}
            for oid in chunk])
        await odoo.call_method("sale.order", "action_confirm", created)
        sale_of.update(zip(chunk, created, strict=True))
        pickings = await odoo.search_read("stock.picking", [("sale_id", "in", created)], ["move_ids"])
        await odoo.write("stock.move", [m for p in pickings for m in p["move_ids"]], {"quantity": 1, "picked": True})
        await odoo.write("stock.picking", [p["id"] for p in pickings],
                         {"carrier_id": carrier, "carrier_tracking_ref": "1ZBENCH0001"})
        await odoo.call_method("stock.picking", "button_validate", [p["id"] for p in pickings])
    async with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO external_ids (account, kind, amazon_key, odoo_model, odoo_id, state) "
            "VALUES (%s, 'sale.order', %s, 'sale.order', %s, 'confirmed')",
            [(ACCOUNT, oid, sale_of[oid]) for oid in ids])
        await cur.executemany(
            "INSERT INTO inbox (source, key, account, payload, state) VALUES (%s, %s, %s, %s, 'processed')",
            [(order_source(ACCOUNT), f"{oid}@{doc['lastUpdatedTime']}", ACCOUNT, jsonb(doc))
             for oid, doc in docs.items()])


async def run(url: str, args: argparse.Namespace) -> None:
    app, world = make_simulator("demo", seed=11, speed=0, rate_limits=True, faults=False)
    app.state.sim.limiter.scale = args.scale
    emulator = OdooEmulator()
    transport = CountingTransport(httpx.ASGITransport(app=app))
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(url, min_size=2, max_size=args.concurrency + 4, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open()
    settings = SpapiConfig(endpoints={"NA": BASE, "EU": BASE, "FE": BASE}, token_url=f"{BASE}/auth/o2/token")
    credentials = LwaCredentials(client_id="amzn1.application-oa2-client.sim-demo",
                                 client_secret="sim-demo-secret", refresh_token="Atzr|sim-demo-eu")
    if args.governor == "pg":
        spapi = SpApiClient.shared(PgSpapiState(pool), account=ACCOUNT, region="EU", credentials=credentials,
                                   settings=settings, seller_id=SELLER, transport=transport, priority=80)
    else:
        spapi = SpApiClient(account=ACCOUNT, region="EU", credentials=credentials, settings=settings,
                            seller_id=SELLER, transport=transport, priority=80)
    odoo = OdooClient("http://odoo.emulator", DEMO_DATABASE, "admin", DEMO_API_KEY,
                      transport=httpx.ASGITransport(app=create_odoo_app(emulator)))
    try:
        t = time.perf_counter()
        await setup(pool, odoo, world, args.n)
        print(f"setup: {args.n} orders/deliveries in {time.perf_counter() - t:.1f} s (not measured)")
        sync = ShipmentSync(store=PgStore(pool), odoo=odoo, spapi=spapi, account=ACCOUNT, clock=None,
                            config=ShipmentsConfig(concurrency=args.concurrency, send_batch=args.n,
                                                   post_odoo_note=False))
        result = ShipmentResult()
        t = time.perf_counter()
        await sync.scan(result)
        scan_s = time.perf_counter() - t
        t = time.perf_counter()
        rounds = 0
        while result.confirmed + result.rejected < result.planned and rounds < 50:
            await sync.send_pending(result)
            rounds += 1
        send_s = time.perf_counter() - t
        rate = RATE * args.scale
        ceiling = BURST + rate * send_s
        shipped = sum(1 for o in world.orders(SELLER) if o.status == "Shipped")
        print(f"scan: {result.scanned} pickings read, {result.planned} planned in {scan_s:.1f} s "
              f"({result.planned / scan_s:.0f}/s)")
        print(f"send: {result.confirmed} confirmed, {result.rejected} rejected, {result.retry} retried in "
              f"{send_s:.1f} s ({rounds} round(s), concurrency {args.concurrency}, governor {args.governor})")
        print(f"plan: {rate:g} req/s (Amazon's {RATE:g}/s x {args.scale:g}), burst {BURST}; ceiling over the send "
              f"phase {ceiling:.0f} calls")
        print(f"throughput: {result.confirmed / send_s:.2f} confirmations/s = "
              f"{100 * result.confirmed / ceiling:.1f} % of the quota ceiling "
              f"(= {result.confirmed / send_s / args.scale:.2f}/s at Amazon's default 2/s)")
        print(f"simulator answers to confirmShipment: {dict(transport.statuses)}; "
              f"429s: {transport.statuses.get(429, 0)}; orders Shipped in the simulator: {shipped}/{args.n}")
        sim = app.state.sim
        print(throttle_share({"faultsInjected": sim.faults.injected, "quotaExceeded": sim.limiter.quota_exceeded,
                              "calls": sum(sim.limiter.calls.values())}))
    finally:
        await spapi.aclose()
        await odoo.aclose()
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
