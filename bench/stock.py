"""Bench: FBM stock push on PostgreSQL + the in-process SP-API simulator (Amazon's quotas on).

1. Full resync of N SKUs (default 100,000): computations recorded, feed messages built, feeds
   submitted (createFeed quota: burst 15, then 1 per 120 s), time.
2. Latency from an Odoo stock change to its submission to Amazon (p50/p95) under a steady
   stream of changes, with cycles every ``schedules.stock_poll`` seconds (real time).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/stock.py \
        [--skus 100000] [--stream-seconds 30] [--rate 3] [--poll 5]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds modules named like the standard library's (queue.py): keep it off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402

import psycopg  # noqa: E402
from bench._db import scratch_database  # noqa: E402
from tests.integration.stock_sim import DE, FakeOdooStock, make_amazon, make_world  # noqa: E402

from amazon_odoo_sync.config import StockConfig  # noqa: E402
from amazon_odoo_sync.flows.stock import FbmStockPush, SpApiOfferSink  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--stream-seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=3.0, help="Odoo stock changes per second")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between stock cycles")
    args = parser.parse_args()
    with scratch_database("aos_bench_stock") as url:
        await run(url, args)


async def run(url: str, args: argparse.Namespace) -> None:
    n = args.skus
    skus = [f"SKU{i:06d}" for i in range(n)]
    t0 = time.perf_counter()
    world = make_world(skus)
    amazon = make_amazon(world)
    odoo = FakeOdooStock()
    rng = random.Random(1)
    for i in range(n):
        odoo.free[i + 1] = Decimal(rng.randint(0, 50))
    odoo.changes.append((odoo.now, 1))
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        async with conn.cursor() as cur, cur.copy(
                "COPY product_map (account, marketplace_id, sku, fulfillment, odoo_product_id) FROM STDIN") as copy:
            for i, sku in enumerate(skus):
                await copy.write_row(("acme", "", sku, "FBM", i + 1))
        print(f"setup: {n} SKUs in the simulator, product map and fake Odoo in {time.perf_counter() - t0:.1f} s")
        push = FbmStockPush(account="acme", marketplace_ids=[DE], source=odoo, sink=SpApiOfferSink(amazon.client),
                            warehouses={DE: [1]}, config=StockConfig())
        async with amazon.client:
            started = time.perf_counter()
            full = await push.run_cycle(conn, full=True)
            elapsed = time.perf_counter() - started
            print(f"full resync: {full.computed} computed, {full.fed} messages in {len(full.feeds)} feeds, "
                  f"{full.patched} patched ({full.urgent} urgent), {elapsed:.1f} s "
                  f"({full.computed / elapsed:,.0f} SKUs/s)")
            world.clock.advance(600)
            started = time.perf_counter()
            closed = await push.collect_results(conn)
            print(f"processing reports: {closed} feeds read in {time.perf_counter() - started:.1f} s; "
                  f"Amazon sample SKU000007 = {world.offer('A2SIMSELLER01', DE, 'SKU000007').quantity} "
                  f"(Odoo {odoo.free[8]})")

            # Steady stream of changes; cycles every --poll seconds.
            changed_at: dict[str, float] = {}
            latencies: list[float] = []
            stop = time.monotonic() + args.stream_seconds

            async def changes() -> None:
                while time.monotonic() < stop:
                    i = rng.randrange(n)
                    odoo.set(i + 1, max(0, int(odoo.free[i + 1]) + rng.choice((-3, -1, 1, 2, 5))))
                    changed_at.setdefault(skus[i], time.monotonic())
                    await asyncio.sleep(rng.expovariate(args.rate))

            async def cycles() -> None:
                while time.monotonic() < stop + args.poll:
                    result = await push.run_cycle(conn)
                    for (_, sku), at in result.submitted_at.items():
                        if sku in changed_at:
                            latencies.append(at - changed_at.pop(sku))
                    await asyncio.sleep(args.poll)

            await asyncio.gather(changes(), cycles())
    if latencies:
        q = statistics.quantiles(latencies, n=20)
        print(f"change → submitted: {len(latencies)} changes, p50 {statistics.median(latencies):.2f} s, "
              f"p95 {q[18]:.2f} s, max {max(latencies):.2f} s (poll every {args.poll:g} s)")
    print(f"unsent changes at the end (no quantity change or still pending): {len(changed_at)}")


if __name__ == "__main__":
    asyncio.run(main())
