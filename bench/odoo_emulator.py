"""Throughput of the Odoo emulator in-process at latency_scale=0 (it must not be the bottleneck).

Run: .venv/bin/python bench/odoo_emulator.py
"""

from __future__ import annotations

import asyncio
import time

import httpx

from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.sandbox.odoo import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN, create_app


async def main() -> None:
    app = create_app()
    async with OdooClient("http://emu", DEMO_DATABASE, DEMO_LOGIN, DEMO_API_KEY,
                          transport=httpx.ASGITransport(app=app)) as odoo:
        await odoo.authenticate()
        [product] = await odoo.create("product.product", [{"name": "Bench", "default_code": "BENCH",
                                                           "is_storable": True}])
        n = 2000
        started = time.perf_counter()
        for _ in range(n):
            await odoo.search("product.product", [["default_code", "=", "BENCH"]], limit=1)
        simple = n / (time.perf_counter() - started)
        print(f"simple calls (search by default_code) : {simple:8.0f} calls/s over {n}")
        started = time.perf_counter()
        ids = await odoo.create("res.partner", [{"name": f"P{i}"} for i in range(1000)])
        print(f"batched create of 1000 partners        : {time.perf_counter() - started:8.3f} s")
        orders = [{"partner_id": ids[i % 1000], "client_order_ref": f"AMZ-{i}",
                   "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1, "price_unit": 10.0}]]}
                  for i in range(500)]
        started = time.perf_counter()
        order_ids = await odoo.create("sale.order", orders)
        print(f"batched create of 500 orders           : {time.perf_counter() - started:8.3f} s")
        started = time.perf_counter()
        await odoo.call_method("sale.order", "action_confirm", order_ids)
        print(f"confirm 500 orders (500 pickings)      : {time.perf_counter() - started:8.3f} s")
        started = time.perf_counter()
        rows = await odoo.search_read("sale.order", [], ["name", "amount_total", "state"], chunk_size=200)
        print(f"search_read {len(rows)} orders, 3 fields      : {time.perf_counter() - started:8.3f} s")


if __name__ == "__main__":
    asyncio.run(main())
