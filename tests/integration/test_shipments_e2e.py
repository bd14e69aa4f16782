"""Shipments end to end: Odoo emulator deliveries → SP-API simulator confirmShipment, on real PostgreSQL.

Each test: a simulator order (MFN, seller EU, DE), the same order in the Odoo emulator as the
orders flow leaves it (sale order with client_order_ref, external id, stored Amazon document),
deliveries validated in Odoo, then :class:`ShipmentSync` runs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.amazon.client import SpApiClient
from amazon_odoo_sync.amazon.lwa import LwaCredentials
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.config import ShipmentsConfig, SpapiConfig
from amazon_odoo_sync.flows.orders import order_source
from amazon_odoo_sync.flows.shipments import ShipmentSync
from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.sandbox.odoo.app import create_app as create_odoo_app
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE
from amazon_odoo_sync.sandbox.odoo.service import OdooEmulator
from amazon_odoo_sync.sandbox.spapi.testing import BASE_URL, SimHandle, simulator_client
from amazon_odoo_sync.store import external_ids, inbox, product_map, quarantine
from amazon_odoo_sync.store import shipments as rows
from amazon_odoo_sync.store.unit import PgStore

pytestmark = pytest.mark.db

ACCOUNT = "eu"
SELLER = "A2SIMDEMOEU01"
DE = "A1PA6795UKMFR9"


@dataclass
class Harness:
    sim: SimHandle
    emulator: OdooEmulator | None
    odoo: OdooClient
    spapi: SpApiClient
    pool: AsyncConnectionPool[Any]
    clock: FakeClock
    products: dict[str, int] = field(default_factory=dict)
    carrier_id: int = 0

    def sync(self, **config: Any) -> ShipmentSync:
        return ShipmentSync(store=PgStore(self.pool), odoo=self.odoo, spapi=self.spapi, account=ACCOUNT,
                            config=ShipmentsConfig(**config), clock=self.clock)

    def skus(self, n: int) -> list[str]:
        offers = [o.sku for o in self.sim.world.offers(SELLER, DE, channel="MFN")]
        assert len(offers) >= n
        return offers[:n]

    async def amazon_order(self, lines: dict[str, int]) -> str:
        r = await self.sim.client.post("/_sim/orders", json={
            "sellerId": SELLER, "marketplaceId": DE,
            "items": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()]})
        assert r.status_code == 201, r.text
        order_id = str(r.json()["amazonOrderId"])
        self.sim.world.clock.advance(3600)  # Pending → Unshipped (payment authorised)
        return order_id

    async def import_to_odoo(self, order_id: str) -> int:
        """What the orders flow leaves behind: a confirmed sale order, its external id, the
        stored Amazon document."""
        doc = (await self.spapi.orders.get_order(order_id, included_data=["FULFILLMENT"]))["order"]
        lines = []
        for item in doc["orderItems"]:
            sku = item["product"]["sellerSku"]
            if sku not in self.products:
                self.products[sku] = (await self.odoo.create("product.product", [
                    {"name": f"Product {sku}", "default_code": sku, "type": "consu"}]))[0]
            lines.append((0, 0, {"product_id": self.products[sku], "product_uom_qty": item["quantityOrdered"],
                                 "price_unit": 10.0}))
        partner = (await self.odoo.create("res.partner", [{"name": "Buyer"}]))[0]
        sale_id = (await self.odoo.create("sale.order", [{"partner_id": partner, "client_order_ref": order_id,
                                                          "order_line": lines}]))[0]
        await self.odoo.call_method("sale.order", "action_confirm", [sale_id])
        async with self.pool.connection() as conn:
            await external_ids.claim(conn, ACCOUNT, "sale.order", order_id)
            await external_ids.record_odoo_id(conn, ACCOUNT, "sale.order", order_id, sale_id, state="confirmed")
            await inbox.put(conn, source=order_source(ACCOUNT), key=f"{order_id}@{doc['lastUpdatedTime']}",
                            account=ACCOUNT, payload=doc)
            for sku, product_id in self.products.items():
                await product_map.upsert(conn, product_map.ProductMapping(
                    account=ACCOUNT, marketplace_id=DE, sku=sku, asin=None, fulfillment="FBM",
                    odoo_product_id=product_id))
        return sale_id

    async def deliver(self, sale_id: int, quantities: dict[str, int] | None = None, *,
                      tracking: str | None = "1Z999", carrier: bool = True) -> int:
        """Validate the open delivery of ``sale_id``: ``quantities`` per SKU (None: everything);
        the rest goes to a backorder."""
        picking = (await self.odoo.search_read("stock.picking", [("sale_id", "=", sale_id),
                                                                 ("state", "not in", ["done", "cancel"])],
                                               ["move_ids"]))[0]
        moves = await self.odoo.read("stock.move", picking["move_ids"], ["product_id", "product_uom_qty"])
        by_product = {v: k for k, v in self.products.items()}
        for move in moves:
            sku = by_product[move["product_id"][0]]
            quantity = move["product_uom_qty"] if quantities is None else quantities.get(sku, 0)
            await self.odoo.write("stock.move", [move["id"]], {"quantity": quantity, "picked": True})
        values: dict[str, Any] = {"carrier_tracking_ref": tracking or False}
        if carrier:
            values["carrier_id"] = self.carrier_id
        await self.odoo.write("stock.picking", [picking["id"]], values)
        await self.odoo.call_method("stock.picking", "button_validate", [picking["id"]],
                                    context={"skip_backorder": True})
        return int(picking["id"])

    def ground_truth(self, order_id: str) -> Any:
        order = self.sim.world.order(order_id)
        assert order is not None
        return order

    async def row(self, picking_id: int) -> rows.Confirmation:
        async with self.pool.connection() as conn:
            found = await rows.get_many(conn, ACCOUNT, [picking_id])
        return found[picking_id]

    async def open_problem(self, picking_id: int) -> quarantine.QuarantineItem | None:
        async with self.pool.connection() as conn:
            return await quarantine.is_open(conn, "shipments", f"{ACCOUNT}:{picking_id}")


@asynccontextmanager
async def harness(db_url: str, odoo: OdooClient, emulator: OdooEmulator | None) -> AsyncIterator[Harness]:
    async with simulator_client("demo", seed=7) as sim:
        settings = SpapiConfig(endpoints={"NA": BASE_URL, "EU": BASE_URL, "FE": BASE_URL},
                               token_url=f"{BASE_URL}/auth/o2/token", max_token_wait_seconds=5)
        spapi = SpApiClient(account=ACCOUNT, region="EU", seller_id=SELLER, settings=settings,
                            credentials=LwaCredentials(client_id="amzn1.application-oa2-client.sim-demo",
                                                       client_secret="sim-demo-secret",
                                                       refresh_token="Atzr|sim-demo-eu"),
                            transport=httpx.ASGITransport(app=sim.app))
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=6, open=False,
                                                             kwargs={"autocommit": True})
        await pool.open()
        try:
            h = Harness(sim=sim, emulator=emulator, odoo=odoo, spapi=spapi, pool=pool,
                        clock=FakeClock(datetime.now(UTC)))
            ship_product = (await odoo.create("product.product", [{"name": "Shipping", "type": "service"}]))[0]
            h.carrier_id = (await odoo.create("delivery.carrier", [{"name": "UPS", "product_id": ship_product}]))[0]
            yield h
        finally:
            await pool.close()
            await odoo.aclose()
            await spapi.aclose()


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    emulator = OdooEmulator()
    odoo = OdooClient("http://odoo.emulator", DEMO_DATABASE, "admin", DEMO_API_KEY,
                      transport=httpx.ASGITransport(app=create_odoo_app(emulator)))
    async with harness(db_url, odoo, emulator) as built:
        yield built


async def test_full_shipment_is_confirmed_once_with_carrier_tracking_and_items(h: Harness) -> None:
    a, b = h.skus(2)
    order_id = await h.amazon_order({a: 2, b: 1})
    sale_id = await h.import_to_odoo(order_id)
    picking_id = await h.deliver(sale_id)

    result = await h.sync().run()
    assert (result.confirmed, result.rejected, result.invalid) == (1, 0, 0)
    order = h.ground_truth(order_id)
    assert order.status == "Shipped"
    [package] = order.packages
    assert package.package_reference_id == str(picking_id)
    assert (package.carrier_code, package.tracking_number) == ("UPS", "1Z999")
    assert sorted(q for _, q in package.items) == [1, 2]
    assert (await h.row(picking_id)).state == rows.CONFIRMED
    notes = await h.odoo.search_read("mail.message", [("model", "=", "sale.order"), ("res_id", "=", sale_id)],
                                     ["body"])
    assert [n for n in notes if "Shipped" in n["body"] and "1Z999" in n["body"]]

    again = await h.sync().run()  # a later poll sees the same picking: nothing is sent again
    assert again.confirmed == 0 and len(h.ground_truth(order_id).packages) == 1


async def test_two_partial_shipments_each_confirm_their_own_items(h: Harness) -> None:
    a, b = h.skus(2)
    order_id = await h.amazon_order({a: 3, b: 1})
    sale_id = await h.import_to_odoo(order_id)
    first = await h.deliver(sale_id, {a: 2}, tracking="T-1")

    assert (await h.sync().run()).confirmed == 1
    order = h.ground_truth(order_id)
    assert order.status == "PartiallyShipped"
    assert {i.sku: i.quantity_shipped for i in order.items} == {a: 2, b: 0}

    second = await h.deliver(sale_id, tracking="T-2")  # the backorder: 1 x a, 1 x b
    assert second != first
    assert (await h.sync().run()).confirmed == 1
    order = h.ground_truth(order_id)
    assert order.status == "Shipped"
    assert {i.sku: i.quantity_shipped for i in order.items} == {a: 3, b: 1}
    assert [(p.package_reference_id, p.tracking_number) for p in order.packages] == [
        (str(first), "T-1"), (str(second), "T-2")]


async def test_delivery_without_tracking_waits_then_is_reported_then_confirmed(h: Harness) -> None:
    [a] = h.skus(1)
    order_id = await h.amazon_order({a: 1})
    sale_id = await h.import_to_odoo(order_id)
    picking_id = await h.deliver(sale_id, tracking=None)

    first = await h.sync(tracking_grace_minutes=30).run()
    assert first.waiting == 1 and first.confirmed == 0
    assert (await h.row(picking_id)).state == rows.WAITING_TRACKING
    assert await h.open_problem(picking_id) is None  # within the grace time: not a problem yet
    assert h.ground_truth(order_id).packages == []

    h.clock.advance(31 * 60)
    await h.sync(tracking_grace_minutes=30).run()
    problem = await h.open_problem(picking_id)
    assert problem is not None and "without a tracking number" in problem.reason
    assert "carrier_tracking_ref" in problem.details["action"]

    await h.odoo.write("stock.picking", [picking_id], {"carrier_tracking_ref": "LATE-1"})
    late = await h.sync(tracking_grace_minutes=30).run()
    assert late.confirmed == 1
    assert h.ground_truth(order_id).packages[0].tracking_number == "LATE-1"
    assert await h.open_problem(picking_id) is None


async def test_order_cancelled_on_amazon_before_validation_is_quarantined_with_amazons_reason(h: Harness) -> None:
    [a] = h.skus(1)
    order_id = await h.amazon_order({a: 1})
    sale_id = await h.import_to_odoo(order_id)
    h.sim.world.cancel_order(order_id)
    picking_id = await h.deliver(sale_id)

    result = await h.sync().run()
    assert (result.confirmed, result.rejected) == (0, 1)
    row = await h.row(picking_id)
    assert (row.state, row.error_kind) == (rows.REJECTED, "order_cancelled")
    problem = await h.open_problem(picking_id)
    assert problem is not None and "cancelled on Amazon" in problem.reason and "canceled" in problem.reason
    assert problem.details["action"].startswith("Do not ship")
    assert h.ground_truth(order_id).status == "Canceled" and h.ground_truth(order_id).packages == []
    assert (await h.sync().run()).rejected == 0  # not sent again by itself


async def test_duplicated_and_concurrent_runs_confirm_each_delivery_once(h: Harness) -> None:
    a, b = h.skus(2)
    orders = [await h.amazon_order({a: 2, b: 1}) for _ in range(3)]
    pickings = []
    for order_id in orders:
        sale_id = await h.import_to_odoo(order_id)
        pickings.append(await h.deliver(sale_id, {a: 1}, tracking=f"P-{order_id[-4:]}"))
    calls_before = h.sim.sim.limiter  # the simulator counts nothing for us: count packages instead

    results = await asyncio.gather(*(h.sync().run() for _ in range(4)))
    assert sum(r.confirmed for r in results) == 3
    assert calls_before is h.sim.sim.limiter
    for order_id in orders:
        order = h.ground_truth(order_id)
        assert order.status == "PartiallyShipped" and len(order.packages) == 1

    # A crash after Amazon accepted but before we recorded it: the row is pending again and is
    # re-sent with the same stored body (same packageReferenceId): still one package.
    async with h.pool.connection() as conn:
        await conn.execute("UPDATE shipment_confirmations SET state = 'pending' WHERE picking_id = %s",
                           (pickings[0],))
    replay = await h.sync().run()
    assert replay.confirmed == 1 and replay.rejected == 0
    assert [len(h.ground_truth(o).packages) for o in orders] == [1, 1, 1]
    assert {i.sku: i.quantity_shipped for i in h.ground_truth(orders[0]).items} == {a: 1, b: 0}


async def test_unmapped_delivery_and_amazon_carrier_refusal_are_visible(h: Harness) -> None:
    [a] = h.skus(1)
    order_id = await h.amazon_order({a: 1})
    sale_id = await h.import_to_odoo(order_id)
    picking_id = await h.deliver(sale_id, carrier=False)

    result = await h.sync().run()
    assert result.invalid == 1
    problem = await h.open_problem(picking_id)
    assert problem is not None and "no carrier" in problem.reason

    # Fixed in Odoo (carrier set) and resent with the command's retry_failed: confirmed.
    await h.odoo.write("stock.picking", [picking_id], {"carrier_id": h.carrier_id})
    fixed = await h.sync().run(retry_failed=True)
    assert fixed.confirmed == 1 and await h.open_problem(picking_id) is None
    assert h.ground_truth(order_id).status == "Shipped"


async def test_throttling_leaves_the_delivery_pending_and_it_goes_out_later(h: Harness) -> None:
    [a] = h.skus(1)
    order_id = await h.amazon_order({a: 1})
    sale_id = await h.import_to_odoo(order_id)
    picking_id = await h.deliver(sale_id)
    limiter = h.sim.sim.limiter
    limiter.monotonic = lambda: 5000.0
    while limiter.acquire(SELLER, "ordersV0:confirmShipment"):
        pass  # someone else spent the burst: the next call gets 429

    throttled = await h.sync().run()
    assert throttled.retry == 1 and throttled.confirmed == 0
    row = await h.row(picking_id)
    assert row.state == rows.PENDING and row.attempts == 1 and row.error_kind == "ThrottledError"

    limiter.reset()
    h.clock.advance(600)
    later = await h.sync().run()
    assert later.confirmed == 1 and h.ground_truth(order_id).status == "Shipped"


async def test_duplicated_jobs_through_the_queue_confirm_once(h: Harness, db_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from amazon_odoo_sync.config import DatabaseConfig, Settings
    from amazon_odoo_sync.flows.runtime import FlowRuntime
    from amazon_odoo_sync.jobs.worker import run_worker
    from amazon_odoo_sync.tasks import build_worker_app, poll_shipments

    [a] = h.skus(1)
    order_id = await h.amazon_order({a: 2})
    sale_id = await h.import_to_odoo(order_id)
    picking_id = await h.deliver(sale_id)
    settings = Settings(database=DatabaseConfig(url=db_url))
    runtime = FlowRuntime(settings, h.pool, clock=h.clock)
    runtime._odoo = h.odoo
    runtime._spapi[ACCOUNT] = h.spapi
    app = build_worker_app(settings, url=db_url, runtime=runtime)
    async with app.open_async():
        first = await poll_shipments.defer(app, account=ACCOUNT)
        duplicate = await poll_shipments.defer(app, account=ACCOUNT)
    assert first is not None and duplicate is None  # the queueing lock keeps one waiting job
    await run_worker(build_worker_app(settings, url=db_url, runtime=runtime), settings, wait=False,
                     install_signal_handlers=False)
    async with app.open_async():  # a replayed job later finds the delivery confirmed
        assert await poll_shipments.defer(app, account=ACCOUNT) is not None
    await run_worker(build_worker_app(settings, url=db_url, runtime=runtime), settings, wait=False,
                     install_signal_handlers=False)
    order = h.ground_truth(order_id)
    assert order.status == "Shipped" and len(order.packages) == 1
    assert (await h.row(picking_id)).attempts == 1
    async with h.pool.connection() as conn:
        cur = await conn.execute("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
        assert dict(await cur.fetchall()) == {"succeeded": 2}


_REAL = ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY")


@pytest.mark.slow
@pytest.mark.skipif(not all(os.environ.get(v) for v in _REAL), reason="no real Odoo configured (ODOO_URL, ...)")
async def test_partial_then_rest_against_the_real_odoo_18(db_url: str) -> None:
    """The same flow with the real Odoo 18 (adds a few records to the shared test database)."""
    odoo = OdooClient(os.environ["ODOO_URL"], os.environ["ODOO_DB"], os.environ["ODOO_USER"],
                      os.environ["ODOO_API_KEY"])
    async with harness(db_url, odoo, None) as real:
        [a] = real.skus(1)
        order_id = await real.amazon_order({a: 3})
        sale_id = await real.import_to_odoo(order_id)
        first = await real.deliver(sale_id, {a: 1}, tracking="REAL-1")
        assert (await real.sync().run()).confirmed == 1
        assert real.ground_truth(order_id).status == "PartiallyShipped"
        second = await real.deliver(sale_id, tracking="REAL-2")
        assert (await real.sync().run()).confirmed == 1
        order = real.ground_truth(order_id)
        assert order.status == "Shipped"
        assert [p.package_reference_id for p in order.packages] == [str(first), str(second)]
        notes = await real.odoo.search_read("mail.message", [("model", "=", "sale.order"), ("res_id", "=", sale_id),
                                                             ("body", "ilike", "Amazon shipment confirmed")], ["body"])
        assert len(notes) == 2 and any("Shipped" in n["body"] for n in notes)
