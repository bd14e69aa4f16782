"""Benchmark: 8 worker processes hammer one PostgreSQL rate bucket; is the plan ever exceeded?

Creates a fresh database on ``DATABASE_URL`` (dropped afterwards), migrates it, then for each plan
(rate/s, burst) runs 8 processes that take tokens as fast as the governor allows for ~10 s.
Prints granted calls/s against the configured rate and the most grants seen in any window against
``rate * window + burst`` (grant times are the database's, i.e. the governor's own time line).
Exits 1 if the bound is ever broken.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/governor.py
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.amazon.governor import SharedRateGovernor
from amazon_odoo_sync.exceptions import ThrottledError
from amazon_odoo_sync.store.migrate import upgrade
from amazon_odoo_sync.store.rate_buckets import PgRateBuckets

WORKERS = 8
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
PLANS = [(2.0, 10), (10.0, 20)]


def _worker(url: str, rate: float, burst: int, start_at: float, queue: multiprocessing.Queue[list[float]]) -> None:
    async def run() -> list[float]:
        pool: AsyncConnectionPool = AsyncConnectionPool(url, min_size=1, max_size=2, open=False)
        await pool.open()
        governor = SharedRateGovernor(PgRateBuckets(pool), plans={"bench.op": (rate, burst)})
        grants: list[float] = []
        await asyncio.sleep(max(0.0, start_at - time.time()))  # everyone starts together
        end = start_at + SECONDS
        try:
            while (left := end - time.time()) > 0:
                try:
                    grant = await governor.acquire("bench", "EU", "bench.op", 50, max_wait=left)
                except ThrottledError:
                    break
                grants.append(grant.granted_at)
        finally:
            await pool.close()
        return grants

    queue.put(asyncio.run(run()))


def max_in_window(times: list[float], window: float) -> int:
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] > window:
            j += 1
        best = max(best, i - j + 1)
    return best


def bound_broken(times: list[float], rate: float, burst: int) -> tuple[int, float, float] | None:
    for i, start in enumerate(times):
        for k in range(i, len(times)):
            if k - i + 1 > rate * (times[k] - start) + burst + 1e-6:
                return k - i + 1, start, times[k]
    return None


def run_plan(url: str, rate: float, burst: int) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM spapi_rate_buckets; DELETE FROM spapi_rate_waiters")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3.0  # let every process start and connect first
    procs = [ctx.Process(target=_worker, args=(url, rate, burst, start_at, queue)) for _ in range(WORKERS)]
    for proc in procs:
        proc.start()
    times = sorted(t for _ in procs for t in queue.get(timeout=SECONDS + 60))
    for proc in procs:
        proc.join()
    duration = times[-1] - times[0] if len(times) > 1 else 0.0
    sustained = (len(times) - burst) / duration if duration else 0.0
    print(f"plan rate={rate:g}/s burst={burst}: {WORKERS} processes, {len(times)} grants in {duration:.2f}s")
    print(f"  sustained (grants - burst) / duration = {sustained:.3f}/s (configured {rate:g}/s)")
    for window in (1.0, 2.0, 5.0, duration):
        most = max_in_window(times, window)
        allowed = rate * window + burst
        print(f"  window {window:6.2f}s: max granted {most:4d} <= bound {allowed:7.2f}  "
              f"{'ok' if most <= allowed + 1e-6 else 'BROKEN'}")
    broken = bound_broken(times, rate, burst)
    if broken:
        print(f"  BOUND BROKEN: {broken[0]} grants between {broken[1]:.4f} and {broken[2]:.4f}")
    return broken is None


def main() -> int:
    server = os.environ.get("DATABASE_URL")
    if not server:
        print("set DATABASE_URL (a server where a scratch database may be created)", file=sys.stderr)
        return 2
    name = f"aos_bench_governor_{os.getpid()}"
    url = urlunsplit(urlsplit(server)._replace(path="/" + name))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(url)
        ok = all([run_plan(url, rate, burst) for rate, burst in PLANS])
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("result:", "plan respected" if ok else "PLAN EXCEEDED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
