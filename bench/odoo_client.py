"""Orders/s created + confirmed through OdooClient: one by one vs batched.

Targets:

* the Odoo emulator, in process (``httpx.ASGITransport`` over ``sandbox.odoo.app.create_app``),
  when it is importable;
* a real Odoo when ``ODOO_URL``, ``ODOO_DB``, ``ODOO_USER`` and ``ODOO_API_KEY`` are set.

One by one: per order ``sale.order.create`` then ``action_confirm`` (2 calls/order). Batched:
``create`` of ``--batch`` orders in one call, then ``action_confirm`` on all their ids in one call.

    .venv/bin/python bench/odoo_client.py [--orders 200] [--batch 50] [--real-orders 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from amazon_odoo_sync.odoo import OdooClient


async def _fixture_ids(odoo: OdooClient) -> tuple[int, int]:
    partners = await odoo.search("res.partner", [("name", "=", "AOS Bench Customer")], limit=1)
    partner = partners[0] if partners else (await odoo.create(
        "res.partner", [{"name": "AOS Bench Customer", "country_id": False}]))[0]
    products = await odoo.search("product.product", [("default_code", "=", "AOS-BENCH")], limit=1)
    product = products[0] if products else (await odoo.create(
        "product.product", [{"name": "AOS Bench Widget", "default_code": "AOS-BENCH",
                             "type": "consu", "list_price": 10.0}]))[0]
    return partner, product


def _order(partner: int, product: int, n: int) -> dict[str, Any]:
    line = {"product_id": product, "product_uom_qty": 1, "price_unit": 10.0}
    return {"partner_id": partner, "client_order_ref": f"AOS-BENCH-{n}",
            "order_line": [(0, 0, dict(line)), (0, 0, dict(line, product_uom_qty=2))]}


async def one_by_one(odoo: OdooClient, partner: int, product: int, orders: int) -> float:
    started = time.perf_counter()
    for n in range(orders):
        [order_id] = await odoo.create("sale.order", [_order(partner, product, n)])
        await odoo.call_method("sale.order", "action_confirm", [order_id])
    return orders / (time.perf_counter() - started)


async def batched(odoo: OdooClient, partner: int, product: int, orders: int, batch: int) -> float:
    started = time.perf_counter()
    for first in range(0, orders, batch):
        size = min(batch, orders - first)
        ids = await odoo.create("sale.order", [_order(partner, product, first + i)
                                               for i in range(size)])
        await odoo.call_method("sale.order", "action_confirm", ids)
    return orders / (time.perf_counter() - started)


async def run_target(name: str, make: Callable[[], Awaitable[OdooClient]], orders: int,
                     batch: int) -> None:
    odoo = await make()
    async with odoo:
        partner, product = await _fixture_ids(odoo)
        await one_by_one(odoo, partner, product, min(orders, 5))  # warm up
        single = await one_by_one(odoo, partner, product, orders)
        many = await batched(odoo, partner, product, max(orders, batch), batch)
    print(f"{name:<10} one-by-one {single:8.1f} orders/s   batched({batch}) {many:8.1f} orders/s"
          f"   speed-up x{many / single:.1f}   ({orders} orders, 2 lines each, create+confirm)")


async def _emulator_client() -> OdooClient:
    from amazon_odoo_sync.sandbox.odoo.app import create_app
    from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN

    # Realistic latency (measured on a real Odoo 18, 2 cores): the speed-up is what batching buys.
    return OdooClient("http://emulator", DEMO_DATABASE, DEMO_LOGIN, DEMO_API_KEY,
                      transport=httpx.ASGITransport(app=create_app(latency_scale=1.0)))


async def _real_client() -> OdooClient:
    return OdooClient(os.environ["ODOO_URL"], os.environ["ODOO_DB"], os.environ["ODOO_USER"],
                      os.environ["ODOO_API_KEY"], timeout=300)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=200, help="orders per mode (emulator)")
    parser.add_argument("--real-orders", type=int, default=20, help="orders per mode (real Odoo)")
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    try:
        await run_target("emulator", _emulator_client, args.orders, args.batch)
    except ImportError as exc:
        print(f"emulator   skipped: {exc}")
    if all(os.environ.get(v) for v in ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY")):
        await run_target("real Odoo", _real_client, args.real_orders, args.batch)
    else:
        print("real Odoo  skipped: set ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY")


if __name__ == "__main__":
    asyncio.run(main())
