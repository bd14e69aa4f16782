"""Bench: Amazon orders through the whole pipeline, batched importer vs the naive one.

N orders of the ``prime-day`` scenario (the first hours of the day that hold N orders) go from the
SP-API simulator to the Odoo emulator, both run as subprocesses, so ``time.process_time()`` of
this process measures the connector alone (its SQS poller, or with ``--delivery http`` its
notification endpoint; fetches, polling backup, two drain loops standing in for two workers,
the database client). The simulator's clock runs
``--speed`` times real time; Amazon's usage plans are scaled by the same factor (so the quota per
simulated second is Amazon's) unless ``--rate-limit-scale`` says otherwise. The emulator's
latency model (``--latency-scale``, 1 = a real Odoo 18 on 2 cores) is the same for both modes.

Printed per mode: orders/s (import capacity = orders / time the drains spent importing; and
end to end = orders / real time until the last one was confirmed), latency in simulated time
(from Amazon's purchase date, and from the moment the order became importable: Unshipped for
FBM, Shipped for FBA) p50/p95/p99, SP-API calls and 429s per order, Odoo calls per order,
connector CPU ms per order, the reconciliation with the simulator's ground truth, and where the
slowest 1 % of orders spent their time (last notification stored, last document stored, confirmed).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/orders.py \
        [--orders 5000] [--naive | --compare] [--delivery sqs|http] [--latency-scale 1] [--speed S] \
        [--notification-delay SECONDS] [--profile FILE] [--odoo auto|emulator|real] [--backlog]

With ``ODOO_URL``, ``ODOO_DB``, ``ODOO_USER`` and ``ODOO_API_KEY`` set, the orders go to that real
Odoo instead (``--odoo real``; use a scratch database: products, partners and orders are
created in it), and the run first measures the raw ceiling of the same Odoo (bench/_real_odoo.py:
batches of 50 partners + 50 orders + one confirmation, 1 and 2 clients); it then prints the
drain's ratio to the 2-client ceiling, Odoo calls per order by model.method, and CPU per order
of the connector, its PostgreSQL, Odoo and Odoo's PostgreSQL (from /proc, when they run here).
"""

from __future__ import annotations

import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(_BENCH.parent / "src"))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import functools  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import psycopg  # noqa: E402
import uvicorn  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from psycopg_pool import AsyncConnectionPool  # noqa: E402

from amazon_odoo_sync.amazon.sqs import SqsClient  # noqa: E402
from amazon_odoo_sync.demo.reconcile import ODOO_FIELDS, Reconciliation, expected_in_odoo, reconcile  # noqa: E402
from amazon_odoo_sync.demo.wiring import (  # noqa: E402
    OdooTarget,
    prepare_odoo,
    register_accounts,
    sandbox_settings,
    seed_catalog,
    set_cursors,
    store_odoo_key,
)
from amazon_odoo_sync.exceptions import RetryableError  # noqa: E402
from amazon_odoo_sync.flows.orders import (  # noqa: E402
    IMPORT_BATCH,
    OrderImporter,
    fetch_notified_orders,
    import_batch,
    poll_orders,
    spread_import,
)
from amazon_odoo_sync.flows.runtime import FlowRuntime  # noqa: E402
from amazon_odoo_sync.flows.sqs_notifications import poll_sqs  # noqa: E402
from amazon_odoo_sync.logs import configure_logging  # noqa: E402
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN  # noqa: E402
from amazon_odoo_sync.sandbox.spapi.scenario import Scenario, load_scenario  # noqa: E402
from amazon_odoo_sync.store import reservations  # noqa: E402
from amazon_odoo_sync.store.migrate import upgrade  # noqa: E402
from amazon_odoo_sync.web.notifications import notifications_router  # noqa: E402

_spec = importlib.util.spec_from_file_location("_sandbox_procs", _BENCH / "_sandbox_procs.py")
assert _spec and _spec.loader
procs = importlib.util.module_from_spec(_spec)
sys.modules["_sandbox_procs"] = procs
_spec.loader.exec_module(procs)
_spec = importlib.util.spec_from_file_location("_real_odoo", _BENCH / "_real_odoo.py")
assert _spec and _spec.loader
real_odoo = importlib.util.module_from_spec(_spec)
sys.modules["_real_odoo"] = real_odoo
_spec.loader.exec_module(real_odoo)
_spec = importlib.util.spec_from_file_location("_naive_orders", _BENCH / "_naive_orders.py")
assert _spec and _spec.loader
naive_orders = importlib.util.module_from_spec(_spec)
sys.modules["_naive_orders"] = naive_orders
_spec.loader.exec_module(naive_orders)

ARN = "arn:aws:sqs:eu-west-1:123456789012:aos-bench-orders"
#: Signs the simulator's HTTP deliveries (--delivery http), as the endpoint requires.
HTTP_SECRET = "bench-notifications-secret"
#: Where the simulator keeps the messages of that ARN (its own SQS) when it is not routed elsewhere.
QUEUE_PATH = "/_sqs/123456789012/aos-bench-orders"
#: After the last order: AFN orders ship 2 h after purchase, cancellations come up to 3.5 h after.
TAIL = timedelta(hours=3, minutes=40)
ImporterFactory = Callable[..., OrderImporter]
#: What a worker does when it fetches a job: take the next waiting one, as procrastinate orders
#: them (of the two order tasks whose work the bench's loops run with the chosen importer).
TAKE_JOB = """
UPDATE procrastinate_jobs SET status = 'succeeded'
WHERE id = (SELECT id FROM procrastinate_jobs
            WHERE status = 'todo' AND task_name IN ('orders.fetch_notified', 'orders.import')
              AND (scheduled_at IS NULL OR scheduled_at <= now())
            ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING task_name, args
"""


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts requests (by operation, from the path alone: cheap) and 429 answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, classify: Callable[[httpx.Request], str]) -> None:
        self.inner = inner
        self.classify = classify
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        name = self.classify(request)
        self.calls[name] += 1
        if response.status_code == 429:
            self.throttled[name] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def reset(self) -> None:
        self.calls.clear()
        self.throttled.clear()


def spapi_operation(request: httpx.Request) -> str:
    path = request.url.path
    if path.startswith("/auth/"):
        return "lwa-token"
    if path.startswith("/orders/2026-01-01/orders"):
        return "getOrder" if path.count("/") > 3 else "searchOrders"
    return path.split("/")[1] if path.count("/") > 1 else path


async def retrying(call: Callable[[], Awaitable[Any]], attempts: int = 8) -> Any:
    """Setup calls meet the scenario's injected faults too: retry what a job would retry."""
    for attempt in range(attempts):
        try:
            return await call()
        except RetryableError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Outcome:
    mode: str
    orders_placed: int = 0
    orders_expected: int = 0
    orders_confirmed: int = 0
    busy_seconds: float = 0.0
    batch_seconds: float = 0.0  # summed over the drain loops: / busy_seconds = how parallel they ran
    batches: int = 0
    wall_seconds: float = 0.0
    latency_purchase: list[float] = field(default_factory=list)  # simulated seconds
    latency_ready: list[float] = field(default_factory=list)
    trace: list[tuple[str, float]] = field(default_factory=list)  # (order id, latency from importable)
    ready_at: list[tuple[str, datetime]] = field(default_factory=list)
    spapi_calls: Counter[str] = field(default_factory=Counter)
    spapi_429: Counter[str] = field(default_factory=Counter)
    odoo_calls: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0
    sim_cpu: float = 0.0
    odoo_cpu: float = 0.0
    odoo_pg_cpu: float | None = None  # a real Odoo on this machine: its PostgreSQL backends
    connector_pg_cpu: float | None = None
    ceilings: list[Any] = field(default_factory=list)  # a real Odoo: the raw ceiling, same run
    odoo_target: str = "emulator"
    notifications: dict[str, int] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    reconciliation: Reconciliation | None = None
    #: (orders, units) left reserved at the end although the order is in Odoo or cancelled.
    leaked: tuple[int, int] = (0, 0)
    finished: bool = False

    @property
    def capacity(self) -> float:
        return self.orders_confirmed / self.busy_seconds if self.busy_seconds else 0.0

    @property
    def end_to_end(self) -> float:
        return self.orders_confirmed / self.wall_seconds if self.wall_seconds else 0.0

    def per_order(self, value: float) -> float:
        return value / self.orders_confirmed if self.orders_confirmed else float("nan")


class Bench:
    """One run of one mode: fresh simulator, emulator and database."""

    def __init__(self, args: argparse.Namespace, mode: str, scenario: Scenario, hours: float) -> None:
        self.args = args
        self.mode = mode
        self.scenario = scenario
        self.hours = hours
        self.factory: ImporterFactory = naive_orders.NaiveOrderImporter if mode == "naive" else OrderImporter
        self.speed: float = args.speed
        self.out = Outcome(mode=mode)
        self.stop = asyncio.Event()
        self.batches: list[tuple[float, float, list[int]]] = []  # (start, end, confirmed Odoo ids)
        self.confirmed: set[int] = set()
        self.first_error: str | None = None
        self.wake = asyncio.Event()
        self.real = args.odoo == "real"
        self.products: list[int] = []

    # -- bookkeeping -------------------------------------------------------------------------

    def sim_time(self, real: float) -> datetime:
        return self.sim0 + timedelta(seconds=self.speed * (real - self.t0))

    def error(self, where: str, exc: BaseException) -> None:
        key = f"{where}: {type(exc).__name__}"
        self.out.errors[key] += 1
        self.out.error_samples.setdefault(key, str(exc)[:200])
        if self.first_error is None and not isinstance(exc, RetryableError):
            self.first_error = "".join(traceback.format_exception(exc))

    def held(self) -> bool:
        """--backlog: imports wait until every order of the run is placed and importable."""
        return bool(self.args.backlog) and self.sim_time(time.monotonic()) < self.final_at

    # -- the connector's loops -----------------------------------------------------------------

    async def drain(self, rt: FlowRuntime, account: str, importer: OrderImporter) -> int:
        """What ``flows.orders.import_pending`` does, with this mode's importer; the batches drained."""
        done = 0
        while True:
            started = time.monotonic()
            result = await import_batch(rt.store, importer, batch=IMPORT_BATCH)
            if result is None:
                break
            self.batches.append((started, time.monotonic(), result.confirmed_ids))
            self.confirmed.update(result.confirmed_ids)
            done += 1
        return done

    async def worker(self, rt: FlowRuntime, accounts: list[str]) -> None:
        """A stand-in for a procrastinate worker slot on the orders queue: it takes the next
        fetch or import job the flows deferred (as a worker fetches one), runs what it would run
        with this mode's importer (an import job's lane 0 first spreads a backlog over more
        lanes, as ``orders.import`` does), and sleeps until a new job is announced (LISTEN, as
        procrastinate does) or a second has passed."""
        importers = {a: self.factory(odoo=await rt.odoo(), account=a, refs=await rt.refs()) for a in accounts}
        retry: list[tuple[str, str, int]] = []
        while not self.stop.is_set():
            self.wake.clear()
            async with rt.pool.connection() as conn, conn.cursor() as cur:
                await cur.execute(TAKE_JOB)
                row = await cur.fetchone()
            if row is not None:
                job = (str(row[0]), str(row[1]["account"]), int(row[1].get("lane") or 0))
            elif retry:
                job = retry.pop(0)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), 1.0)
                continue
            task, account, lane = job
            if task == "orders.import" and self.held():
                retry.append(job)
                await asyncio.sleep(0.2)
                continue
            try:
                if task == "orders.fetch_notified":
                    await fetch_notified_orders(rt, account)
                else:
                    if not lane and not self.args.no_lanes:
                        await spread_import(rt, account)
                    await self.drain(rt, account, importers[account])
            except Exception as exc:  # a job would be retried: so is this
                self.error("fetch_notified_orders" if task == "orders.fetch_notified" else "import", exc)
                retry.append(job)
                await asyncio.sleep(0.5)

    async def listen(self, url: str) -> None:
        """Wake the workers when a job is deferred (procrastinate's NOTIFY on insert)."""
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("LISTEN procrastinate_any_queue_v1")
            while not self.stop.is_set():
                async for _ in conn.notifies(timeout=1.0):
                    self.wake.set()

    async def sweeper(self, rt: FlowRuntime, accounts: list[str]) -> None:
        """The ``orders.fetch_notified`` schedule, every ``schedules.orders_notified_sweep``
        seconds of simulated time (it catches a notification whose job ran just before it)."""
        every = rt.settings.schedules.orders_notified_sweep / self.speed
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), every)
            for account in accounts:
                try:
                    await fetch_notified_orders(rt, account)
                except Exception as exc:
                    self.error("fetch_notified_orders", exc)

    async def sqs_poller(self, rt: FlowRuntime, sim_url: str) -> None:
        """The ``notifications.sqs_poll`` job, run back to back: long polls of 10 messages. The
        visibility timeout is the configured one in real seconds (the simulator counts it in
        simulated seconds)."""
        visibility = int(rt.settings.notifications.visibility_timeout_seconds * self.speed)
        async with SqsClient(sim_url + QUEUE_PATH, transport=httpx.AsyncHTTPTransport()) as client:
            while not self.stop.is_set():
                try:
                    await poll_sqs(rt.store, client, max_messages=10, wait_seconds=1,
                                   visibility_timeout=visibility, run_seconds=5)
                except Exception as exc:
                    self.error("sqs_poll", exc)
                    await asyncio.sleep(0.5)

    async def poller(self, rt: FlowRuntime) -> None:
        """The polling backup, every ``schedules.orders_poll`` seconds of simulated time."""
        every = (self.args.poll_every or rt.settings.schedules.orders_poll) / self.speed
        while not self.stop.is_set():
            for account in rt.settings.accounts:
                try:
                    await poll_orders(rt, account.name, account.marketplaces)
                except Exception as exc:
                    self.error("poll_orders", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), every)

    # -- the run ---------------------------------------------------------------------------------

    async def run(self) -> Outcome:
        args = self.args
        sim = procs.start_spapi(args.scenario, speed=0, rate_limit_scale=args.rate_limit_scale or self.speed,
                                hours=self.hours, seed=args.seed, faults=args.faults != "off")
        emu = None
        server_url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        db_name = f"aos_bench_orders_{uuid.uuid4().hex[:8]}"
        try:
            faults: dict[str, float] = {}
            if args.faults == "compressed":
                # Their cost is real time, not scaled by the speed: a 429 makes the client back off by
                # Amazon's *default* plan interval (searchOrders: 178 s), a timeout lasts 20 s.
                faults |= {"throttle_rate": 0.0, "timeout_rate": 0.0}
            if args.notification_delay is not None:
                faults["notifications_delay_seconds"] = args.notification_delay
            if faults:
                async with httpx.AsyncClient() as client:
                    (await client.post(f"{sim.url}/_sim/faults", json=faults)).raise_for_status()
            if self.real:
                emu = real_odoo.RealOdoo.from_env(server_url)
                emu.connector_db = db_name
                self.out.odoo_target = f"real Odoo {emu.url} db {emu.database}"
            else:
                emu = procs.start_odoo(latency_scale=args.latency_scale, workers=args.odoo_workers)
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{db_name}"')
            try:
                url = server_url.rsplit("/", 1)[0] + "/" + db_name
                upgrade(url)
                await self.connect(url, sim, emu)
            finally:
                with psycopg.connect(server_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        finally:
            if emu is not None:
                emu.stop()
            sim.stop()
        return self.out

    async def connect(self, url: str, sim: Any, emu: Any) -> None:
        odoo_target = (OdooTarget(url=emu.url, database=emu.database, user=emu.user, api_key=emu.api_key)
                       if self.real else
                       OdooTarget(url=emu.url, database=DEMO_DATABASE, user=DEMO_LOGIN, api_key=DEMO_API_KEY))
        self.odoo_target = odoo_target
        settings = sandbox_settings(self.scenario, sim_url=sim.url, odoo=odoo_target, database_url=url,
                                    secrets_key=Fernet.generate_key().decode())
        spapi_t = CountingTransport(httpx.AsyncHTTPTransport(), spapi_operation)
        odoo_t = CountingTransport(httpx.AsyncHTTPTransport(),
                                   real_odoo.jsonrpc_operation if self.real else lambda r: "http")
        self.odoo_t = odoo_t
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(url, min_size=2, max_size=12, open=False,
                                                             kwargs={"autocommit": True})
        await pool.open()
        rt = FlowRuntime(settings, pool, spapi_transport=spapi_t, odoo_transport=odoo_t)
        admin = httpx.AsyncClient(timeout=60)
        port = procs.free_port()
        app = FastAPI()
        app.include_router(notifications_router(pool, secret=HTTP_SECRET))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="off", access_log=False))
        server_task = asyncio.create_task(server.serve())
        try:
            await self.setup(rt, admin, sim, f"http://127.0.0.1:{port}/notifications/spapi"
                             if self.args.delivery == "http" else None)
            while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
                await asyncio.sleep(0.05)
            await self.measure(rt, admin, sim, emu, spapi_t)
        finally:
            self.stop.set()
            server.should_exit = True
            await server_task
            await admin.aclose()
            await rt.aclose()
            await pool.close()

    async def setup(self, rt: FlowRuntime, admin: httpx.AsyncClient, sim: Any, endpoint: str | None) -> None:
        """``accounts add``, ``odoo setup``, catalog, cursors, destination and subscriptions."""
        started = time.perf_counter()
        settings = rt.settings
        await register_accounts(rt.pool, rt.cipher, settings, self.scenario)
        await store_odoo_key(rt.pool, rt.cipher, self.odoo_target)
        odoo = await rt.odoo()
        result = await prepare_odoo(odoo, settings)
        if not result.ok:
            failed = [i for i in result.items if i.status not in ("present", "created")]
            raise RuntimeError(f"odoo setup failed: {failed}")
        offers = (await admin.get(f"{sim.url}/_sim/offers")).json()["offers"]
        catalog = await seed_catalog(odoo, offers)
        self.products = real_odoo.stock_products(offers, catalog)
        await set_cursors(rt.pool, settings, self.scenario.start)
        if endpoint:  # else the ARN stays unrouted: the simulator's own SQS queue
            (await admin.post(f"{sim.url}/_sim/notifications/routes", json={"targets": {ARN: endpoint},
                                                                          "httpSecret": HTTP_SECRET})
             ).raise_for_status()
        destination_id = None
        for account in settings.accounts:
            notifications = (await rt.spapi(account.name)).notifications
            if destination_id is None:  # destinations belong to the application, not the seller
                destination = await retrying(functools.partial(
                    notifications.create_destination, name="aos-bench-orders",
                    resource_specification={"sqs": {"arn": ARN}}))
                destination_id = destination["payload"]["destinationId"]
            await retrying(functools.partial(notifications.create_subscription, "ORDER_CHANGE",
                                             destination_id=destination_id, payload_version="1.0"))
        await rt.refs()
        print(f"  [{self.mode}] setup (accounts, odoo setup, {len(offers)} offers, subscriptions) in "
              f"{time.perf_counter() - started:.1f} s", flush=True)

    async def measure(self, rt: FlowRuntime, admin: httpx.AsyncClient, sim: Any, emu: Any,
                      spapi_t: CountingTransport) -> None:
        args, out = self.args, self.out
        if self.real:  # the raw ceiling of the same Odoo, just before the drain
            for clients in (1, 2):
                out.ceilings.append(await real_odoo.raw_ceiling(emu, self.products, clients=clients,
                                                                batches=args.ceiling_batches))
                print(f"  [{self.mode}] raw ceiling {out.ceilings[-1].line()}", flush=True)
            self.odoo_t.reset()
            odoo_before: Counter[str] = Counter()
            reading0 = emu.reading()
        else:
            odoo_before = Counter((await admin.get(f"{emu.url}/_emulator/stats")).json()["calls"])
        spapi_t.reset()
        sim_cpu0, emu_cpu0 = sim.cpu_seconds(), emu.cpu_seconds()
        accounts = [a.name for a in rt.settings.accounts]
        profiler = cProfile.Profile() if args.profile else None
        cpu0 = time.process_time()
        clock = (await admin.post(f"{sim.url}/_sim/speed", json={"speed": self.speed})).json()
        self.t0 = time.monotonic()
        self.wall0 = time.time()
        self.sim0 = parse_time(clock["now"])
        orders_end = self.scenario.start + timedelta(hours=self.hours)
        final_at = orders_end + TAIL
        self.final_at = final_at
        if profiler:
            profiler.enable()
        tasks = [asyncio.create_task(self.listen(rt.settings.database.url or ""))]
        tasks += [asyncio.create_task(self.worker(rt, accounts)) for _ in range(args.workers)]
        tasks.append(asyncio.create_task(self.poller(rt)))
        tasks.append(asyncio.create_task(self.sweeper(rt, accounts)))
        if args.delivery == "sqs":
            tasks.append(asyncio.create_task(self.sqs_poller(rt, sim.url)))
        overhead = 0.0  # CPU of this bench's own look-ups, not the connector's
        expected: set[str] | None = None
        truth: list[dict[str, Any]] = []
        deadline = self.t0 + args.timeout
        done_at: float | None = None
        last_report = self.t0
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(1.0)
                now = time.monotonic()
                if now - last_report >= 30:
                    last_report = now
                    print(f"  [{self.mode}] {now - self.t0:5.0f} s real, sim {self.sim_time(now):%H:%M}, "
                          f"{len(self.confirmed)} confirmed, errors {sum(out.errors.values())}", flush=True)
                if expected is None and self.sim_time(now) >= final_at:
                    c = time.process_time()
                    truth = (await admin.get(f"{sim.url}/_sim/orders")).json()["orders"]
                    expected = {o["amazonOrderId"] for o in truth if expected_in_odoo(o)}
                    overhead += time.process_time() - c
                if expected is not None and len(self.confirmed) >= len(expected):
                    done_at = now
                    break
        finally:
            if profiler:
                profiler.disable()
            cpu = time.process_time() - cpu0 - overhead
            out.sim_cpu, out.odoo_cpu = sim.cpu_seconds() - sim_cpu0, emu.cpu_seconds() - emu_cpu0
            out.spapi_calls = Counter(spapi_t.calls)
            out.spapi_429 = Counter(spapi_t.throttled)
            if self.real:
                out.odoo_calls = Counter(self.odoo_t.calls)
                reading = emu.reading()
                out.odoo_pg_cpu = reading.odoo_pg - reading0.odoo_pg
                out.connector_pg_cpu = reading.connector_pg - reading0.connector_pg
            else:
                out.odoo_calls = Counter((await admin.get(f"{emu.url}/_emulator/stats")).json()["calls"]) - odoo_before
        out.cpu_seconds = cpu
        out.finished = done_at is not None
        # The count matches: let the loops run on while checking the books, then stop them.
        odoo = await rt.odoo()
        for _ in range(10):
            truth = (await admin.get(f"{sim.url}/_sim/orders")).json()["orders"]
            # A real Odoo holds other orders too: only this run's.
            domain = ([("client_order_ref", "in", [o["amazonOrderId"] for o in truth])] if self.real
                      else [("client_order_ref", "!=", False)])
            rows = await odoo.search_read("sale.order", domain, list(ODOO_FIELDS), context={"active_test": False})
            out.reconciliation = reconcile(truth, rows)
            if out.reconciliation.ok or time.monotonic() > deadline:
                break
            await asyncio.sleep(5)
        self.stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with rt.pool.connection() as conn:
            for account in rt.settings.accounts:
                orders, units = await reservations.held_by_closed(conn, account.name)
                out.leaked = (out.leaked[0] + orders, out.leaked[1] + units)
        hub = (await admin.get(f"{sim.url}/_sim/notifications")).json()
        out.notifications = {"published": int(hub["published"]), **hub.get("outcomes", {})}
        self.results(truth, rows, done_at)
        if self.real:  # the machine's load drifts: the 2-client ceiling again, after the drain
            out.ceilings.append(await real_odoo.raw_ceiling(emu, self.products, clients=2,
                                                            batches=args.ceiling_batches))
        await self.trace_slowest(rt, truth)
        if profiler:
            buffer = io.StringIO()
            stats = pstats.Stats(profiler, stream=buffer)
            stats.dump_stats(f"{args.profile}.{self.mode}")
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(45)
            print(buffer.getvalue())

    async def trace_slowest(self, rt: FlowRuntime, truth: list[dict[str, Any]]) -> None:
        """Where the slowest 1 % of orders (importable → confirmed) spent their time: when their
        last notification was stored, when their last document was stored, when they were
        confirmed. Simulated minutes after importable."""
        out = self.out
        if not out.trace:
            return
        slowest = sorted(out.trace, key=lambda t: -t[1])[:max(3, len(out.trace) // 100)]
        ids = [order_id for order_id, _ in slowest]
        async with rt.pool.connection() as conn, conn.cursor() as cur:
            await cur.execute(
                "SELECT payload->'Payload'->'OrderChangeNotification'->>'AmazonOrderId', max(received_at), count(*) "
                "FROM inbox WHERE source = 'notification' AND payload->'Payload'->'OrderChangeNotification'"
                "->>'AmazonOrderId' = ANY(%s) GROUP BY 1", (ids,))
            notified = {r[0]: (r[1], r[2]) for r in await cur.fetchall()}
            await cur.execute("SELECT split_part(key, '@', 1), max(received_at), count(*) FROM inbox "
                              "WHERE source LIKE 'orders/%%' AND split_part(key, '@', 1) = ANY(%s) GROUP BY 1", (ids,))
            stored = {r[0]: (r[1], r[2]) for r in await cur.fetchall()}
        by_id = {o["amazonOrderId"]: o for o in truth}
        ready_at = dict(out.ready_at)

        def after_ready(order_id: str, wall: datetime | None) -> str:
            if wall is None:
                return "   never"
            sim = self.sim0 + timedelta(seconds=self.speed * (wall.timestamp() - self.wall0))
            return f"{(sim - ready_at[order_id]).total_seconds() / 60:+7.1f}"

        print(f"  slowest {len(slowest)} (minutes after importable: last notification stored / last document "
              f"stored / confirmed):")
        for order_id, latency in slowest:
            order = by_id.get(order_id, {})
            n_at, n_count = notified.get(order_id, (None, 0))
            d_at, d_count = stored.get(order_id, (None, 0))
            print(f"    {order_id} {order.get('fulfillmentChannel')} {order.get('marketplaceId')} "
                  f"{order.get('status')!s:<10} "
                  f"{after_ready(order_id, n_at)} ({n_count} notif.) {after_ready(order_id, d_at)} ({d_count} docs) "
                  f"{latency / 60:+7.1f}")

    def results(self, truth: list[dict[str, Any]], rows: list[dict[str, Any]], done_at: float | None) -> None:
        out = self.out
        out.orders_placed = len(truth)
        by_ref = {int(r["id"]): str(r["client_order_ref"]) for r in rows}
        first: dict[str, float] = {}
        for _, end, ids in self.batches:
            for odoo_id in ids:
                ref = by_ref.get(odoo_id)
                if ref is not None and ref not in first:
                    first[ref] = end
        pending = timedelta(minutes=self.scenario.orders.pending_minutes)
        expected = [o for o in truth if expected_in_odoo(o)]
        out.orders_expected = len(expected)
        out.orders_confirmed = sum(1 for o in expected if o["amazonOrderId"] in first)
        for order in expected:
            at = first.get(order["amazonOrderId"])
            if at is None:
                continue
            confirmed = self.sim_time(at)
            purchase = parse_time(order["purchaseDate"])
            if order["fulfillmentChannel"] == "AFN":
                ready = min((parse_time(p["shipDate"]) for p in order["packages"]), default=purchase)
            else:
                ready = purchase + pending
            out.latency_purchase.append((confirmed - purchase).total_seconds())
            out.latency_ready.append(max(0.0, (confirmed - ready).total_seconds()))
            out.trace.append((order["amazonOrderId"], out.latency_ready[-1]))
            out.ready_at.append((order["amazonOrderId"], ready))
        out.busy_seconds = union_seconds([(s, e) for s, e, ids in self.batches])
        out.batch_seconds = sum(e - s for s, e, ids in self.batches)
        out.batches = len(self.batches)
        last = max((e for _, e, ids in self.batches if ids), default=done_at or self.t0)
        out.wall_seconds = last - self.t0


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total


def minutes(seconds: float) -> str:
    return f"{seconds / 60:6.1f} min"


def report(out: Outcome, args: argparse.Namespace) -> None:
    print(f"\n== {out.mode}: {out.orders_confirmed} of {out.orders_expected} importable orders confirmed "
          f"({out.orders_placed} placed){'' if out.finished else '  [TIMEOUT]'}")
    print(f"  orders/s            : {out.capacity:8.2f} while importing ({out.busy_seconds:.0f} s busy), "
          f"{out.end_to_end:.2f} end to end ({out.wall_seconds:.0f} s real); {out.batches} import batches, "
          f"drains in parallel {out.batch_seconds / out.busy_seconds if out.busy_seconds else 0:.2f}x")
    for label, values in (("purchase → confirmed", out.latency_purchase), ("importable → confirmed",
                                                                             out.latency_ready)):
        print(f"  {label:<22}: p50 {minutes(pct(values, 50))}  p95 {minutes(pct(values, 95))}  "
              f"p99 {minutes(pct(values, 99))}  (simulated time; p99 = {pct(values, 99) / args.speed:.1f} s real)")
    api = {k: v for k, v in out.spapi_calls.items() if k != "lwa-token"}
    print(f"  notifications       : {out.notifications}")
    print(f"  SP-API calls/order  : {out.per_order(sum(api.values())):8.3f}  {dict(sorted(api.items()))}, "
          f"429s {sum(out.spapi_429.values())} {dict(out.spapi_429)}")
    print(f"  Odoo calls/order    : {out.per_order(sum(out.odoo_calls.values())):8.2f}  "
          f"{dict(out.odoo_calls.most_common(12 if out.ceilings else 8))}")
    if out.ceilings:
        print(f"  Odoo                : {out.odoo_target}")
        for n, ceiling in enumerate(out.ceilings):
            print(f"  raw ceiling {'after ' if n == 2 else 'before'}  : {ceiling.line()}")
        ms = {name: out.per_order(value or 0.0) * 1000 for name, value in (
            ("connector", out.cpu_seconds), ("its PostgreSQL", out.connector_pg_cpu), ("Odoo", out.odoo_cpu),
            ("Odoo's PostgreSQL", out.odoo_pg_cpu))}
        print("  CPU/order           : " + ", ".join(f"{name} {value:.1f} ms" for name, value in ms.items())
              + f"  (simulator {out.sim_cpu:.1f} s in all)")
    else:
        print(f"  connector CPU/order : {out.per_order(out.cpu_seconds) * 1000:8.2f} ms  ({out.cpu_seconds:.1f} s; "
              f"simulator {out.sim_cpu:.1f} s, emulator {out.odoo_cpu:.1f} s, PostgreSQL not counted)")
    print(f"  reservations leaked : {out.leaked[1]} units of {out.leaked[0]} orders in Odoo or cancelled (must be 0)")
    if out.errors:
        print(f"  retried errors      : {dict(out.errors)}")
        for key, sample in out.error_samples.items():
            print(f"    e.g. {key}: {sample}")
    rec = out.reconciliation
    if rec is not None:
        print(f"  reconciliation      : {'OK' if rec.ok else 'DIFFERENCES'}  "
              + ", ".join(f"{line.marketplace} {line.amazon_orders}/{line.odoo_orders} "
                          f"{line.amazon_amount}/{line.odoo_amount} (tax {line.amazon_tax}/{line.odoo_tax}) "
                          f"{line.currency}" for line in rec.lines))
        for diff in rec.differences[:10]:
            print(f"    {diff.amazon_order_id} {diff.marketplace}: {diff.problem} "
                  f"{diff.amazon_amount or ''} {diff.odoo_amount or ''} "
                  f"tax {diff.amazon_tax or ''} {diff.odoo_tax or ''}")


def calls_per_order(out: Outcome) -> float:
    return out.per_order(sum(out.odoo_calls.values()))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=5000, help="orders of the scenario to run (about)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--naive", action="store_true", help="one order at a time, one Odoo call per operation")
    mode.add_argument("--compare", action="store_true", help="both modes, same settings, and the ratio")
    parser.add_argument("--scenario", default="prime-day")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--latency-scale", type=float, default=1.0, help="Odoo emulator latency (1 = real)")
    parser.add_argument("--odoo-workers", type=int, default=2,
                        help="calls the emulated Odoo runs at once (the real Odoo 18 of #18 had 2 HTTP workers)")
    parser.add_argument("--odoo", choices=("auto", "emulator", "real"), default="auto",
                        help="where orders go: the emulator, or the real Odoo of ODOO_URL, ODOO_DB, ODOO_USER, "
                        "ODOO_API_KEY, next to its raw ceiling measured in the same run (auto: real when set)")
    parser.add_argument("--ceiling-batches", type=int, default=6,
                        help="real Odoo: batches of 50 orders per raw client for the ceiling")
    parser.add_argument("--speed", type=float, default=None,
                        help="simulated seconds per real second (default: the run takes --minutes)")
    parser.add_argument("--minutes", type=float, default=4.0, help="real minutes per mode when --speed is unset")
    parser.add_argument("--rate-limit-scale", type=float, default=None, help="default: = speed")
    parser.add_argument("--poll-every", type=float, default=None,
                        help="simulated seconds between polling-backup runs (default: schedules.orders_poll)")
    parser.add_argument("--workers", type=int, default=2, help="concurrent job slots (drain loops)")
    parser.add_argument("--backlog", action="store_true",
                        help="imports wait until all orders of the run are importable, then drain the backlog: "
                        "orders/s while importing is then the drain's capacity, not the arrival rate")
    parser.add_argument("--no-lanes", action="store_true",
                        help="one import job per account, as before #18 (no spreading over Odoo's capacity)")
    parser.add_argument("--delivery", choices=("sqs", "http"), default="sqs",
                        help="how notifications arrive: Amazon's SQS queue (default; the simulator's), read "
                        "10 at a time by the poller, or posted one by one to the HTTP endpoint")
    parser.add_argument("--faults", choices=("scenario", "compressed", "off"), default="compressed",
                        help="the scenario's faults; compressed (default): without injected 429s and "
                        "timeouts, whose cost is real time that the clock speed does not scale")
    parser.add_argument("--notification-delay", type=float, default=None, metavar="SECONDS",
                        help="each notification is delivered up to this many simulated seconds late "
                        "(uniform; default: the scenario's); late enough, many arrive after their order's import")
    parser.add_argument("--timeout", type=float, default=900.0, help="real seconds per mode")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the connector; stats to FILE.<mode>")
    args = parser.parse_args()
    if args.odoo == "auto":
        args.odoo = "real" if real_odoo.configured() else "emulator"
    if args.odoo == "real" and not real_odoo.configured():
        parser.error("--odoo real: set ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY")
    if args.odoo == "real" and args.seed is None:  # the order ids of an earlier run are in that Odoo
        args.seed = int.from_bytes(os.urandom(4), "big")
    configure_logging("warning", "console")  # the connector's info lines would bury the figures
    scenario = load_scenario(args.scenario)
    hours = procs.hours_for_orders(scenario, args.orders)
    simulated = timedelta(hours=hours) + TAIL
    if args.speed is None:
        args.speed = round(simulated.total_seconds() / (args.minutes * 60))
    modes = ["batched", "naive"] if args.compare else ["naive"] if args.naive else ["batched"]
    print(f"scenario {args.scenario}: ~{args.orders} orders in its first {hours:.2f} h, then {TAIL} for the "
          f"last ones to ship or be cancelled; speed {args.speed:g}x (≈ {simulated.total_seconds() / args.speed:.0f} s "
          f"real), rate-limit scale {args.rate_limit_scale or args.speed:g}, Odoo latency scale "
          f"{args.latency_scale:g} ({args.odoo_workers} workers), {args.workers} drain loops, "
          f"notifications by {args.delivery}, faults {args.faults}", flush=True)
    outcomes = []
    for m in modes:
        outcomes.append(await Bench(args, m, scenario, hours).run())
        report(outcomes[-1], args)
    batched = next((o for o in outcomes if o.mode == "batched"), None)
    naive = next((o for o in outcomes if o.mode == "naive"), None)
    if batched:
        print("\ntargets (batched):")
        if naive and naive.capacity:
            print(f"  ≥ 3× naive           : {batched.capacity / naive.capacity:5.2f}× orders/s while importing, "
                  f"{batched.end_to_end / naive.end_to_end if naive.end_to_end else float('nan'):.2f}× end to end, "
                  f"{calls_per_order(naive) / calls_per_order(batched):.1f}× fewer Odoo calls per order")
        cpu = batched.per_order(batched.cpu_seconds) * 1000
        if batched.ceilings:
            one = batched.ceilings[0]
            # the 2-client ceiling before and after the drain, averaged: the drain ran in between
            rate = sum(c.rate for c in batched.ceilings[1:]) / len(batched.ceilings[1:])
            ratio = batched.capacity / rate if rate else float("nan")
            print(f"  ≥ 0.9 of the 2-client raw ceiling : {ratio:.2f} ({batched.capacity:.1f} vs {rate:.1f} "
                  f"orders/s, the mean before and after; end to end {batched.end_to_end / rate if rate else 0:.2f})  "
                  f"{'met' if ratio >= 0.9 else 'MISSED'}")
            odoo_ms, raw_ms = batched.per_order(batched.odoo_cpu) * 1000, one.per_order_ms(one.odoo_cpu)
            print(f"  Odoo CPU ≤ 1.1× raw batch         : {odoo_ms:.1f} vs {raw_ms:.1f} ms/order = "
                  f"{odoo_ms / raw_ms if raw_ms else float('nan'):.2f}×  "
                  f"{'met' if odoo_ms <= 1.1 * raw_ms else 'MISSED'}")
            print(f"  connector CPU ≤ 8 ms per order    : {cpu:.2f} ms  {'met' if cpu <= 8 else 'MISSED'}")
        else:
            print(f"  ≤ 1 ms CPU per order : {cpu:.2f} ms  {'met' if cpu <= 1 else 'MISSED'}")
        p99 = pct(batched.latency_ready, 99)
        print(f"  p99 ≤ 5 min (sim)    : {p99 / 60:.1f} min from importable, "
              f"{pct(batched.latency_purchase, 99) / 60:.1f} min from purchase  "
              f"{'met' if p99 <= 300 else 'MISSED'} (from importable)")
    if any(o.reconciliation is None or not o.reconciliation.ok for o in outcomes):
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
