"""``amazon-odoo-sync demo``: the connector as a seller runs it, against a simulated Prime Day.

Real processes, as in production: the SP-API simulator and the Odoo emulator each serve HTTP on
loopback; the connector runs as its web service (dashboard) and as worker processes sharing one
PostgreSQL database (embedded unless ``DATABASE_URL`` is set); notifications reach the workers
through the simulator's SQS queue, as Amazon delivers them.
Setup goes through the same steps as for a real seller (accounts, ``odoo setup``, notification
subscriptions). Then simulated time runs, orders pour in, and at the end a reconciliation
compares every order and amount per marketplace in Amazon and in Odoo.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import platformdirs
from cryptography.fernet import Fernet
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ..config import Settings
from ..exceptions import SyncError, TransientError
from ..odoo.client import OdooClient
from ..sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN
from ..sandbox.spapi.scenario import load_scenario
from ..store.database import recreate_database
from ..store.migrate import upgrade
from ..store.observe import confirmed_orders, failed_jobs, job_states
from .chaos import ChaosDriver, ChaosOptions, Warehouse, plan_chaos, shipment_problems, verdict
from .reconcile import ODOO_FIELDS, Reconciliation, expected_in_odoo, reconcile
from .soak import Sampler, render
from .summary import count_orders, summarise_metrics
from .wiring import (
    DEMO_USER,
    OdooTarget,
    add_demo_user,
    prepare_odoo,
    register_accounts,
    sandbox_settings,
    seed_catalog,
    set_cursors,
    store_odoo_key,
)

__all__ = ["DemoOptions", "run_demo"]

DEMO_DATABASE_NAME = "aos_demo"
NOTIFICATION_ARN = "arn:aws:sqs:us-east-1:000000000000:amazon-odoo-sync-demo"
#: Where the simulator keeps that ARN's messages (its own SQS).
NOTIFICATION_QUEUE_PATH = "/_sqs/000000000000/amazon-odoo-sync-demo"
#: Killed workers are noticed within seconds in a chaos run (a worker's jobs wait for that).
CHAOS_JOBS = "[jobs]\nheartbeat_seconds = 1\nstalled_after_seconds = 4\nstalled_check_seconds = 2\n"


@dataclass(frozen=True, kw_only=True)
class DemoOptions:
    scenario: str = "prime-day"
    hours: float = 2.0
    speed: float = 120.0
    workers: int = 2
    latency_scale: float = 1.0
    drain_timeout: float = 300.0
    keep_running: bool = False
    #: Faults from a seed while orders arrive (``demo --chaos``), then the ground-truth checks.
    chaos: ChaosOptions | None = None
    #: Seconds between samples of memory and database sizes (0: none), printed as a curve (soak).
    sample_every: float = 0.0
    #: More settings of the web and worker processes, as ``AOS_`` variables (a soak's retention...).
    extra_env: dict[str, str] = field(default_factory=dict)
    work_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("amazon-odoo-sync")) / "demo")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path="/" + name))


class Processes:
    """Child processes, logged to files, stopped (TERM, then KILL) on exit.

    ``supervised`` names (the connector's own processes in a chaos run) are started again when
    they exit, as systemd's ``Restart=always`` would; each such exit is counted."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._how: dict[str, tuple[tuple[str, ...], dict[str, str] | None]] = {}
        self.supervised: set[str] = set()
        self.unplanned_exits: dict[str, int] = {}

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab" if name in self._how else "wb")
        child = subprocess.Popen([sys.executable, "-m", "amazon_odoo_sync", *args], stdout=log,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 env={**os.environ, **(env or {})}, start_new_session=True)
        self._how[name] = (args, env)
        self.children = [(n, c) for n, c in self.children if n != name] + [(name, child)]
        return child

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` and start it again at once."""
        for child_name, child in self.children:
            if child_name == name and child.poll() is None:
                child.kill()
                child.wait()
        args, env = self._how[name]
        self.start(name, *args, env=env)

    def check(self) -> None:
        for name, child in list(self.children):
            if child.poll() is not None:
                if name in self.supervised:
                    self.unplanned_exits[name] = self.unplanned_exits.get(name, 0) + 1
                    args, env = self._how[name]
                    self.start(name, *args, env=env)
                    continue
                raise RuntimeError(f"{name} exited with {child.returncode}; see {self.log_dir / (name + '.log')}")

    def stop(self) -> None:
        for _, child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, child in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(max(0.1, deadline - time.monotonic()))
            if child.poll() is None:
                child.kill()
                child.wait()


async def _wait_http(url: str, method: str = "GET", json: Any = None, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                response = await client.request(method, url, json=json)
                if response.status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {within:.0f} s")
            await asyncio.sleep(0.3)


def _config_toml(settings: Settings, *, poll_seconds: float, sqs_queue_url: str, speed: float,
                 extra: str = "") -> str:
    """The workers' configuration file (the demo's throwaway secret key included). Notifications
    come from the simulator's SQS queue, as Amazon delivers them; the simulator counts a
    message's visibility timeout in simulated seconds, so it is scaled like time."""
    lines = ['log_level = "warning"', "", "[database]", f'url = "{settings.database.url}"', "",
             "[secrets]", f'key = "{settings.secrets.key}"', "",
             "[spapi]", f'token_url = "{settings.spapi.token_url}"', "max_token_wait_seconds = 20", "",
             "[spapi.endpoints]"]
    lines += [f'{region} = "{url}"' for region, url in settings.spapi.endpoints.items()]
    lines += ["", "[odoo]", f'url = "{settings.odoo.url}"', f'database = "{settings.odoo.database}"',
              f'user = "{settings.odoo.user}"', "", "[schedules]", f"orders_poll = {poll_seconds}",
              "orders_overlap = 120", "",
              "[notifications]", f'sqs_queue_url = "{sqs_queue_url}"', "poll_seconds = 1",
              f"visibility_timeout_seconds = {min(43200, int(120 * max(1.0, speed)))}", "",
              "[web]", "# The dashboard is served over plain HTTP on 127.0.0.1: cookies without Secure.",
              "cookie_secure = false", "", extra]
    for account in settings.accounts:
        marketplaces = ", ".join(f'"{m}"' for m in account.marketplaces)
        lines += ["[[accounts]]", f'name = "{account.name}"', f'region = "{account.region}"',
                  f'seller_id = "{account.seller_id}"', f"marketplaces = [{marketplaces}]", ""]
    return "\n".join(lines)


def _scenario_file(name: str, speed: float, hours: float, directory: Path) -> Path:
    """The scenario with orders only during the demo's window, and Amazon's quotas scaled like
    time, so the demo sees Prime-Day pressure in minutes without quota being scarce or free."""
    from importlib import resources

    text = resources.files("amazon_odoo_sync.sandbox.spapi").joinpath("scenarios", f"{name}.toml").read_text()
    kept = [line for line in text.splitlines()
            if not line.strip().startswith(("rate_limit_scale", "days"))]
    index = kept.index("[scenario]") + 1
    kept[index:index] = [f"rate_limit_scale = {speed}", f"days = {hours / 24}"]
    path = directory / f"{name}.toml"
    path.write_text("\n".join(kept) + "\n")
    return path


@contextlib.contextmanager
def _embedded_or_given(base: Settings, console: Console) -> Iterator[tuple[str, bool]]:
    if base.database.url:
        yield base.database.url, False
        return
    from ..store.embedded import start_embedded_postgres, stop_embedded_postgres

    directory = base.database.embedded_dir
    server = start_embedded_postgres(directory)
    if server.started:
        console.print(f"Started embedded PostgreSQL in {directory}; stopped when the demo ends.")
    else:  # another command's: it stays up for them (``db stop-embedded`` stops it)
        console.print(f"Using the embedded PostgreSQL already running in {directory}; it keeps running.")
    try:
        yield server.url, server.started
    finally:
        if server.started:
            stop_embedded_postgres(directory)


def _output(console: Console) -> Console:
    """Without a terminal (a pipe, a file) lines are not wrapped at 80 columns and tables get
    the width they need: the output is read later, whole."""
    if console.is_terminal:
        return console
    return Console(file=console.file, width=max(console.width, 160), soft_wrap=True, highlight=False)


async def run_demo(base: Settings, options: DemoOptions, console: Console) -> bool:
    """Run the demo; True when Odoo reconciles with Amazon to the cent."""
    console = _output(console)
    options.work_dir.mkdir(parents=True, exist_ok=True)
    with _embedded_or_given(base, console) as (server_url, _):
        recreate_database(server_url, DEMO_DATABASE_NAME)
        database_url = _with_database(server_url, DEMO_DATABASE_NAME)
        upgrade(database_url)
        processes = Processes(options.work_dir)
        try:
            return await _run(database_url, options, console, processes, server_url=server_url)
        finally:
            processes.stop()


async def _run(database_url: str, options: DemoOptions, console: Console, processes: Processes, *,
               server_url: str) -> bool:
    from ..flows.notification_setup import setup_notifications
    from ..flows.retrying import ForegroundRetry
    from ..flows.runtime import open_runtime

    sim_port, odoo_port, web_port = _free_port(), _free_port(), _free_port()
    sim_url, odoo_url, web_url = (f"http://127.0.0.1:{p}" for p in (sim_port, odoo_port, web_port))
    scenario_path = _scenario_file(options.scenario, options.speed, options.hours, options.work_dir)
    scenario = load_scenario(scenario_path)
    processes.start("simulator", "sandbox", "spapi", "--scenario", str(scenario_path), "--port", str(sim_port),
                    "--speed", "0")
    processes.start("emulator", "sandbox", "odoo", "--port", str(odoo_port),
                    "--latency-scale", str(options.latency_scale))
    await _wait_http(f"{sim_url}/_sim/clock")
    await _wait_http(f"{odoo_url}/web/webclient/version_info", "POST", json={"jsonrpc": "2.0", "params": {}})

    odoo = OdooTarget(url=odoo_url, database=DEMO_DATABASE, user=DEMO_LOGIN, api_key=DEMO_API_KEY)
    settings = sandbox_settings(scenario, sim_url=sim_url, odoo=odoo, database_url=database_url,
                                secrets_key=Fernet.generate_key().decode())
    config_path = options.work_dir / "config.toml"
    config_path.write_text(_config_toml(settings, poll_seconds=max(10.0, 600 / options.speed),
                                        sqs_queue_url=sim_url + NOTIFICATION_QUEUE_PATH, speed=options.speed,
                                        extra=CHAOS_JOBS if options.chaos else ""))
    config_path.chmod(0o600)
    console.print(f"[bold]Scenario[/] {scenario.name}: {scenario.description}")
    console.print(f"Simulator {sim_url}, Odoo emulator {odoo_url}, database {DEMO_DATABASE_NAME}, "
                  f"logs in {options.work_dir}")

    async with open_runtime(settings) as rt, httpx.AsyncClient(base_url=sim_url, timeout=30) as sim:
        await register_accounts(rt.pool, rt.cipher, settings, scenario)
        await store_odoo_key(rt.pool, rt.cipher, odoo)
        demo_password = await add_demo_user(rt.pool)
        client = await rt.odoo()
        setup = await prepare_odoo(client, settings)
        console.print(f"odoo setup: {setup.count('created')} created, {setup.count('present')} present"
                      + ("" if setup.ok else " [red](incomplete)[/]"))
        offers = (await sim.get("/_sim/offers")).json()["offers"]
        products = await seed_catalog(client, offers)
        # On hand in Odoo = what Amazon offers, so the scheduled stock flow keeps the offers.
        refs = await rt.refs()
        for account in settings.accounts:
            first = account.marketplaces[0]
            await seed_catalog(client, [o for o in offers if o["sellerId"] == account.seller_id
                                        and o["marketplaceId"] == first],
                               stock_warehouse_id=(await refs.targets(first)).warehouse_id)
        console.print(f"Catalog: {len(products)} products in Odoo for {len(offers)} Amazon offers")
        await set_cursors(rt.pool, settings, scenario.start)
        # Notifications: Amazon delivers to an SQS queue; the ARN is not routed anywhere, so the
        # simulator keeps them in its own SQS queue, which the workers' SQS poll job reads.
        # What `notifications setup` does, under the same retry rules (the scenario injects faults);
        # ORDER_CHANGE only: the demo reconciles orders.
        setup_retry = ForegroundRetry.from_config(settings.jobs)
        for account in settings.accounts:
            spapi = await rt.spapi(account.name)
            await setup_retry.run("notifications setup", functools.partial(
                setup_notifications, spapi, account=account.name, arn=NOTIFICATION_ARN, types=("ORDER_CHANGE",)))

        # DATABASE_URL (the server the demo database lives on) must not win over the demo database.
        # The web process's /metrics adds up what the workers count (multiprocess mode).
        metrics_dir = options.work_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir()
        env = {"AOS_CONFIG": str(config_path), "AOS_DATABASE__URL": database_url,
               "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), **options.extra_env}
        processes.start("web", "serve", "--port", str(web_port), env=env)
        for index in range(options.workers):
            processes.start(f"worker-{index + 1}", "worker", "--concurrency", "4", "--name", f"demo-{index + 1}",
                            env=env)
        await _wait_http(f"{web_url}/healthz")
        console.print(f"Dashboard: [bold cyan]{web_url}/[/]  ({options.workers} workers); sign in as "
                      f"[bold]{DEMO_USER}[/], password [bold]{demo_password}[/]", highlight=False)

        window = options.hours * 3600
        # Orders arrive during the window; then time runs on until every order has settled (paid,
        # FBA shipped) and Amazon's two-minute lag has passed, so the end state is final. Chaos
        # lasts as long: the backlog drains once it stops.
        settle = max(scenario.orders.pending_minutes, scenario.orders.afn_ship_minutes) + 5
        run_for = window + settle * 60
        chaos = warehouse = None
        if options.chaos is not None:
            processes.supervised = {"web", *(f"worker-{i + 1}" for i in range(options.workers))}

            async def sim_elapsed() -> float:
                from ..sandbox.spapi.clock import parse_iso

                return (parse_iso((await sim.get("/_sim/clock")).json()["now"]) - scenario.start).total_seconds()

            chaos = ChaosDriver(options=options.chaos, sim=sim, odoo_admin_url=odoo_url, database_url=database_url,
                                server_url=server_url, database_name=DEMO_DATABASE_NAME,
                                events=plan_chaos(options.chaos, window=run_for, speed=options.speed,
                                                  workers=options.workers),
                                kill_worker=lambda i: processes.kill(f"worker-{i + 1}"), sim_elapsed=sim_elapsed,
                                speed=options.speed, log=lambda text: console.print(f"[yellow]chaos[/] {text}"))
            warehouse = Warehouse(OdooClient(odoo.url, odoo.database, odoo.user, odoo.api_key, timeout=30))
            console.print(f"[bold]Chaos[/] seed {options.chaos.seed}: {len(chaos.events)} faults planned "
                          f"({sum(e.kind == 'kill_worker' for e in chaos.events)} worker kills, 2 Odoo outages, "
                          "1 database restart), SP-API 20 % 429 / 5 % 5xx, notifications 30 % duplicated")
            await chaos.start()

        sampler = sampling = None
        if options.sample_every > 0:
            async def sim_minutes() -> float:
                from ..sandbox.spapi.clock import parse_iso

                now = parse_iso((await sim.get("/_sim/clock")).json()["now"])
                return (now - scenario.start).total_seconds() / 60

            sampler = Sampler(database_url=database_url, every=options.sample_every, sim_minutes=sim_minutes,
                              pids=lambda: {n: c.pid for n, c in processes.children if c.poll() is None})
            sampling = asyncio.create_task(sampler.run())
        started = time.monotonic()
        await sim.post("/_sim/speed", json={"speed": options.speed})
        driving = asyncio.create_task(chaos.run(run_for)) if chaos else None
        try:
            ok = await _follow(sim, database_url, scenario.start, window, run_for, console, processes,
                               warehouse, chaos)
            if driving:
                await driving
        finally:
            if driving and not driving.done():
                driving.cancel()
        await sim.post("/_sim/speed", json={"speed": 0})
        # The chaos run's own Odoo client: the runtime's shares state through the database it cut.
        result, orders, rows = await _drain(sim, warehouse.odoo if warehouse else client, options, console, processes)
        elapsed = time.monotonic() - started
        _print_reconciliation(result, console)
        console.print(count_orders(orders, rows).sentence())
        stats = (await sim.get("/_sim/stats")).json()
        faults = stats["faultsInjected"]
        console.print(f"{stats['oversells']} oversells, "
                      f"{sum(faults.values()) if isinstance(faults, dict) else faults} faults injected; "
                      f"{elapsed:.0f} s")
        console.print(f"{web_url}/metrics (web and workers): {await _metrics(web_url)}")
        console.print(throttle_share(stats))
        if sampler is not None and sampling is not None:
            sampling.cancel()
            console.print("[bold]Memory and database over the run[/]")
            for text in render(sampler.samples):
                console.print(text, markup=False)
        if chaos is not None and warehouse is not None:
            ok = await _chaos_report(chaos, warehouse, sim, result.ok, len(result.differences), int(stats["oversells"]),
                                     options, console, processes, database_url) and ok
        if options.keep_running:
            console.print(f"Dashboard: [bold cyan]{web_url}/[/] (user [bold]{DEMO_USER}[/], password "
                          f"[bold]{demo_password}[/])  Everything keeps running; press Ctrl-C to stop.",
                          highlight=False)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.Event().wait()  # until Ctrl-C cancels the run
        else:
            console.print(f"The dashboard ({web_url}/) stops with the demo now; --keep-running keeps it up.")
        return ok and result.ok


def throttle_share(stats: dict[str, Any]) -> str:
    """The simulator's 429s, injected apart from those our own pacing caused (quota exceeded)."""
    faults = stats.get("faultsInjected") or {}
    injected = int(faults.get("throttle", 0)) if isinstance(faults, dict) else 0
    own = sum(int(n) for n in (stats.get("quotaExceeded") or {}).values())
    calls = max(1, int(stats.get("calls") or 0))
    return (f"SP-API 429s: {injected} injected, {own} from our own pacing ({own / calls:.2%} of "
            f"{calls} calls; target below 1 %)")


async def _metrics(web_url: str) -> str:
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(f"{web_url}/metrics")
    except httpx.HTTPError as exc:
        return f"not read ({type(exc).__name__})"
    if response.status_code != 200:
        return f"not read (HTTP {response.status_code})"
    return summarise_metrics(response.text).sentence()


async def _follow(sim: httpx.AsyncClient, database_url: str, start: Any, window: float, run_for: float,
                  console: Console, processes: Processes, warehouse: Warehouse | None = None,
                  chaos: ChaosDriver | None = None) -> bool:
    from ..sandbox.spapi.clock import parse_iso

    imported = 0
    with _Meter(console) as meter:
        while True:
            processes.check()
            clock = (await sim.get("/_sim/clock")).json()
            elapsed = (parse_iso(clock["now"]) - start).total_seconds()
            orders = (await sim.get("/_sim/orders")).json()["orders"]
            expected = sum(1 for o in orders if expected_in_odoo(o))
            phase = "orders" if elapsed < window else "settling"
            with contextlib.suppress(TransientError):  # the database may be away (chaos)
                imported = len(await asyncio.to_thread(confirmed_orders, database_url))
            confirmed = min(imported, expected)
            if warehouse is not None:
                await warehouse.ship([o["amazonOrderId"] for o in orders
                                      if o["fulfillmentChannel"] == "MFN" and o["status"] == "Unshipped"])
            if chaos is not None:
                await chaos.check_recoveries()
            done = elapsed >= run_for
            meter.update("clock", f"Simulated minutes ({phase})", round(min(elapsed, run_for) / 60),
                         round(run_for / 60))
            meter.update("amazon", "Orders placed on Amazon", len(orders), len(orders))
            meter.update("odoo", "Confirmed in Odoo", confirmed, expected)
            meter.line(f"simulated minute {round(min(elapsed, run_for) / 60)} of {round(run_for / 60)} ({phase}): "
                       f"{len(orders)} orders placed on Amazon, {expected} to import, {confirmed} confirmed in Odoo",
                       final=done)
            if done:
                return True
            await asyncio.sleep(1.0)


async def _drain(sim: httpx.AsyncClient, odoo: Any, options: DemoOptions, console: Console,
                 processes: Processes) -> tuple[Reconciliation, list[dict[str, Any]], list[dict[str, Any]]]:
    """Wait until Odoo matches Amazon (or the drain timeout): the reconciliation, and the Amazon
    and Odoo rows it was made from."""
    started = time.monotonic()
    with _Meter(console) as meter:
        while True:
            processes.check()
            orders = (await sim.get("/_sim/orders")).json()["orders"]
            try:
                rows = await odoo.search_read("sale.order", [("client_order_ref", "!=", False)], list(ODOO_FIELDS))
            except SyncError:  # Odoo busy or away (a chaos run's last queued 503s): read again
                await asyncio.sleep(2.0)
                continue
            result = reconcile(orders, rows)
            expected = sum(line.amazon_orders for line in result.lines)
            present = min(sum(line.odoo_orders for line in result.lines), expected)
            waited = time.monotonic() - started
            timed_out = waited > options.drain_timeout
            meter.update("drain", "Catching up", present, expected)
            if result.ok:
                meter.line(f"caught up: {present} of {expected} orders in Odoo after {waited:.0f} s", final=True)
            elif timed_out:
                meter.line(f"not caught up after {waited:.0f} s: {present} of {expected} orders in Odoo",
                           final=True)
            else:
                meter.line(f"catching up: {present} of {expected} orders in Odoo")
            if result.ok or timed_out:
                return result, orders, rows
            await asyncio.sleep(2.0)


class _Meter:
    """Progress: bars on a terminal; elsewhere (a pipe, a log file) a plain line every
    ``every`` seconds and the last one at the end. Rich's bars there would only print their final
    frame, after the fact, one bar above the next, each frozen where its loop ended."""

    def __init__(self, console: Console, every: float = 10.0) -> None:
        self.console = console
        self.every = every
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._printed = float("-inf")

    def __enter__(self) -> _Meter:
        if self.console.is_terminal:
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description:<28}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(), console=self.console)
            self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, key: str, description: str, completed: int, total: int) -> None:
        if self._progress is None:
            return
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(description, total=total)
        self._progress.update(self._tasks[key], description=description, completed=completed, total=total)

    def line(self, text: str, *, final: bool = False) -> None:
        if self._progress is not None:
            return
        now = time.monotonic()
        if final or now - self._printed >= self.every:
            self.console.print(text, markup=False)
            self._printed = now


def _print_reconciliation(result: Reconciliation, console: Console) -> None:
    table = Table(title="Reconciliation: Amazon vs Odoo (orders that belong in Odoo)")
    for column in ("Marketplace", "Currency", "Amazon orders", "Amazon untaxed", "Amazon tax", "Odoo orders",
                   "Odoo untaxed", "Odoo tax", ""):
        table.add_column(column, justify="left" if column in ("Marketplace", "Currency", "") else "right")
    for line in result.lines:
        table.add_row(line.marketplace, line.currency, str(line.amazon_orders), f"{line.amazon_untaxed:,.2f}",
                      f"{line.amazon_tax:,.2f}", str(line.odoo_orders), f"{line.odoo_untaxed:,.2f}",
                      f"{line.odoo_tax:,.2f}", "[green]✓[/]" if line.matches else "[red]✗[/]")
    console.print(table)
    if result.differences:
        console.print(f"[red]{len(result.differences)} differences:[/]")
        for diff in result.differences[:30]:
            amounts = ""
            if diff.odoo_amount is not None:
                amounts = f" (Amazon {diff.amazon_amount}, Odoo {diff.odoo_amount})"
            if diff.odoo_tax is not None:
                amounts += f" (tax: Amazon {diff.amazon_tax}, Odoo {diff.odoo_tax})"
            console.print(f"  {diff.marketplace} {diff.amazon_order_id}: {diff.problem}{amounts}")
    else:
        console.print("[green]Every order, its untaxed amount and its tax match, to the cent.[/]")



async def _chaos_report(chaos: ChaosDriver, warehouse: Warehouse, sim: httpx.AsyncClient, reconciled: bool,
                        differences: int, oversells: int, options: DemoOptions, console: Console,
                        processes: Processes, database_url: str) -> bool:
    """After the drain: the recovery after each fault, FBM shipments against what the warehouse
    validated, and the verdict; True when nothing differs."""
    await chaos.follow_recoveries(until=time.monotonic() + 30)
    console.print("[bold]Recovery after each fault[/] (every order importable when it ended, confirmed in Odoo):")
    for recovery in chaos.recoveries:
        console.print(f"  {recovery.line()}")
    timed = [r.seconds for r in chaos.recoveries if r.seconds is not None]
    if timed:
        console.print(f"  worst {max(timed):.1f} s, median {sorted(timed)[len(timed) // 2]:.1f} s")
    # The shipments flow polls Odoo every few seconds; give it time to send what was validated last.
    deadline = time.monotonic() + options.drain_timeout
    while True:
        processes.check()
        orders = (await sim.get("/_sim/orders")).json()["orders"]
        # The warehouse ships what reached Odoo late in the drain too.
        unshipped = [o["amazonOrderId"] for o in orders
                     if o["fulfillmentChannel"] == "MFN" and o["status"] == "Unshipped"]
        await warehouse.ship(unshipped, limit=100)
        problems = shipment_problems(orders, warehouse.validated)
        if (not problems and all(oid in warehouse.validated for oid in unshipped)) or time.monotonic() > deadline:
            break
        await asyncio.sleep(2.0)
    console.print(f"FBM shipments: {sum(warehouse.validated.values())} deliveries validated in Odoo, "
                  f"{len(problems)} not confirmed to Amazon exactly once"
                  + (f" ({warehouse.failed_rounds} warehouse rounds failed, the last: {warehouse.last_error})"
                     if warehouse.failed_rounds else ""))
    for problem in problems[:20]:
        console.print(f"  {problem}")
    states = await asyncio.to_thread(job_states, database_url)
    for (task_name, error), count in sorted((await asyncio.to_thread(failed_jobs, database_url)).items()):
        console.print(f"  dead letter: {count} × {task_name} ({error})")
    exits = ", ".join(f"{n} {c}" for n, c in sorted(processes.unplanned_exits.items())) or "none"
    console.print(f"Jobs: {states.get('failed', 0)} failed (dead letter), {states.get('todo', 0)} waiting; "
                  f"{chaos.database_cuts} connections cut by the database restart; "
                  f"exits not caused by the run: {exits}")
    result = verdict(reconciled=reconciled, differences=differences, oversells=oversells,
                     shipment_issues=problems, unrecovered=sum(r.seconds is None for r in chaos.recoveries))
    if result.ok:
        console.print("[green]Chaos: nothing lost, duplicated or oversold; every shipment confirmed once.[/]")
    for problem in result.problems:
        console.print(f"[red]Chaos: {problem}[/]")
    return result.ok
