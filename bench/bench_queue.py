"""Jobs per second through the job pipeline on this machine.

Defer rate (one transaction per job, through the outbox; and batched through procrastinate),
then processing rate of N empty jobs and N jobs doing one DB write, with 1 worker process, 1
process at concurrency 4, and 2 processes. Processing rate is measured from the job events
(first start to last success), so process start-up is not counted; wall time is shown too.

Uses its own database on the server of ``DATABASE_URL`` (created, then dropped).

    .venv/bin/python bench/bench_queue.py [--jobs 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from amazon_odoo_sync.jobs.outbox import defer_in_transaction
from amazon_odoo_sync.store.migrate import upgrade
from amazon_odoo_sync.store.unit import PgUnitOfWork

CLI = Path(sys.executable).with_name("amazon-odoo-sync")
BATCH = """
SELECT unnest(procrastinate_defer_jobs_v1(array_agg(
    ROW('housekeeping', %(task)s::text, 20, NULL, NULL,
        CASE WHEN %(task)s::text = 'jobs.probe'
             THEN jsonb_build_object('key', 'k' || i, 'record_start', false)
             ELSE '{}'::jsonb END, NULL)::procrastinate_job_to_defer_v1)))
FROM generate_series(1, %(n)s::int) AS i
"""
RATE = """
SELECT count(DISTINCT j.id) FILTER (WHERE j.status = 'succeeded'),
       EXTRACT(EPOCH FROM max(e.at) FILTER (WHERE e.type = 'succeeded')
                        - min(e.at) FILTER (WHERE e.type = 'started'))
FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
"""


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def defer_rates(url: str, n: int) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for _ in range(n):
            await defer_in_transaction(PgUnitOfWork(conn), "jobs.noop", "housekeeping", {})
        single = n / (time.perf_counter() - started)
        started = time.perf_counter()
        await conn.execute(BATCH, {"task": "jobs.noop", "n": n})
        batched = n / (time.perf_counter() - started)
        await conn.execute("TRUNCATE procrastinate_jobs CASCADE")
    print(f"defer: {single:8.0f} jobs/s one transaction each (outbox)   "
          f"{batched:8.0f} jobs/s batched ({n} jobs)")


def process(url: str, task: str, n: int, processes: int, concurrency: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE procrastinate_jobs, job_probe_results CASCADE")
        conn.execute(BATCH, {"task": task, "n": n})
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOS_")}
    env.update({"DATABASE_URL": url, "AOS_LOG_LEVEL": "warning"})
    started = time.perf_counter()
    workers = [subprocess.Popen([str(CLI), "worker", "--no-wait", "--concurrency", str(concurrency)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for _ in range(processes)]
    for worker in workers:
        _, err = worker.communicate()
        if worker.returncode:
            sys.exit(f"worker failed ({worker.returncode}):\n{err.decode()[-2000:]}")
    wall = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        row = conn.execute(RATE).fetchone()
    assert row is not None
    done, seconds = int(row[0]), float(row[1] or 0)
    if done != n:
        sys.exit(f"only {done} of {n} jobs succeeded")
    label = f"{processes} process{'es' if processes > 1 else ''} x concurrency {concurrency}"
    print(f"{task:10s} {label:28s} {n / seconds:8.0f} jobs/s   (wall {wall:5.1f} s incl. start-up)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL")
    if not server:
        sys.exit("set DATABASE_URL (a server where databases may be created)")
    name = f"aos_bench_queue_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = with_db(server, name)
    try:
        upgrade(url)
        print(f"job pipeline on {os.cpu_count()} CPU(s), PostgreSQL at {urlsplit(server).hostname}")
        asyncio.run(defer_rates(url, args.jobs))
        for task in ("jobs.noop", "jobs.probe"):
            for processes, concurrency in ((1, 1), (1, 4), (2, 1)):
                process(url, task, args.jobs, processes, concurrency)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
