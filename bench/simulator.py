"""How fast the SP-API simulator answers, in process (httpx.ASGITransport), usage plans off.

Prints requests/s for getOrder (v2026 and v0) and for searchOrders pages of 100 orders, and the
world's own cost of one 100-order page. The simulator must never be the bottleneck.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta

from amazon_odoo_sync.sandbox.spapi.testing import simulator_client

SELLER = "A2SIMSELLEREU"


async def rate(label: str, n: int, call: object) -> None:
    start = time.perf_counter()
    for i in range(n):
        r = await call(i)  # type: ignore[operator]
        assert r.status_code == 200, r.text
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {n / elapsed:>9,.0f} req/s  ({elapsed / n * 1000:.2f} ms/req)")


async def main() -> None:
    async with simulator_client("normal-day", rate_limits=False) as sim:
        world = sim.world
        t = time.perf_counter()
        world.clock.advance(24 * 3600)
        world.sync()
        print(f"world: {len(world):,} orders materialised for one simulated day in "
              f"{time.perf_counter() - t:.2f} s")
        ids = [o.amazon_order_id for o in world.orders(SELLER)]
        cycle = itertools.cycle(ids)
        h = sim.headers(SELLER)
        after = world.clock.start
        before = world.clock.now() - timedelta(minutes=2)
        n = 200
        t = time.perf_counter()
        for _ in range(n):
            page, _ = world.scan(SELLER, by="updated", after=after, before=before, limit=100)
        print(f"world.scan, page of 100 orders: {(time.perf_counter() - t) / n * 1e6:,.0f} µs")

        await rate("getOrder v2026 (no includedData)", 2000,
                   lambda i: sim.client.get(f"/orders/2026-01-01/orders/{next(cycle)}", headers=h))
        await rate("getOrder v0", 2000,
                   lambda i: sim.client.get(f"/orders/v0/orders/{next(cycle)}", headers=h))
        await rate("getOrder v2026 (all includedData)", 1000,
                   lambda i: sim.client.get(f"/orders/2026-01-01/orders/{next(cycle)}",
                                            params={"includedData": "BUYER,RECIPIENT,PROCEEDS,"
                                                    "FULFILLMENT,PACKAGES,PROMOTION,TAX"},
                                            headers=h))
        await rate("searchOrders, pages of 100 (no includedData)", 200,
                   lambda i: sim.client.get("/orders/2026-01-01/orders", headers=h, params={
                       "lastUpdatedAfter": "2026-07-14T00:00:00Z"}))
        await rate("searchOrders, pages of 100 (FULFILLMENT,PROCEEDS)", 100,
                   lambda i: sim.client.get("/orders/2026-01-01/orders", headers=h, params={
                       "lastUpdatedAfter": "2026-07-14T00:00:00Z",
                       "includedData": "FULFILLMENT,PROCEEDS"}))


if __name__ == "__main__":
    asyncio.run(main())
