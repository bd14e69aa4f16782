"""``demo --chaos``: the demo's Prime Day while things break, then proof that nothing was lost.

While orders pour in, at moments drawn from a seed (:func:`plan_chaos`, pure):

* a worker process is killed (SIGKILL) every few seconds and started again;
* Odoo is unreachable (502 from the proxy in front of it) twice for a few simulated minutes, and
  answers slowly, with 503s, around each outage;
* PostgreSQL goes away once: every connection of the demo database cut and none accepted for a
  few seconds, as in a restart (done to the one database, so a shared server's others are spared);
* SP-API answers 20 % 429 and 5 % 5xx, with latency spikes and timeouts; notifications are 30 %
  duplicated, shuffled, delayed, 2 % dropped; feeds are processed late.

A warehouse (:class:`Warehouse`) validates the delivery of FBM orders in Odoo as they arrive, so
shipments flow back to Amazon under the same faults. When the faults stop, the backlog drains
and :func:`verdict` compares with the simulator's ground truth: every order in Odoo once with its
amounts to the cent (the demo's reconciliation), no unit oversold, every validated FBM delivery
confirmed to Amazon exactly once and no other. After each fault the run measures how long the
pipeline took to confirm in Odoo every order that was importable when the fault ended.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from ..exceptions import SyncError, TransientError
from ..store.observe import close_database, confirmed_orders, open_database
from .reconcile import expected_in_odoo

__all__ = ["ChaosEvent", "ChaosOptions", "Recovery", "Warehouse", "plan_chaos", "shipment_problems", "verdict"]

Kind = Literal["kill_worker", "odoo_slow", "odoo_down", "database_down"]

#: SP-API and notification faults for the whole window (Amazon's side of a bad day).
SPAPI_FAULTS: Mapping[str, Any] = {
    "throttle_rate": 0.20, "error_rate": 0.05, "latency_ms": 20, "latency_jitter_ms": 400,
    "timeout_rate": 0.005, "timeout_seconds": 3,
    "notifications_drop_rate": 0.02, "notifications_duplicate_rate": 0.30,
    "notifications_reorder_rate": 0.30, "notifications_delay_seconds": 300,
    "feed_processing_seconds": 1800,
}
SPAPI_CALM: Mapping[str, Any] = {
    "throttle_rate": 0.0, "error_rate": 0.0, "latency_ms": 0, "latency_jitter_ms": 0, "timeout_rate": 0.0,
    "notifications_drop_rate": 0.0, "notifications_duplicate_rate": 0.0, "notifications_reorder_rate": 0.0,
    "notifications_delay_seconds": 0, "feed_processing_seconds": 60,
}


@dataclass(frozen=True, kw_only=True)
class ChaosOptions:
    seed: int = 1
    #: Real seconds between worker kills, on average (each gap drawn between half and 1.5 times).
    kill_every: float = 4.0
    #: Real seconds the database stays away.
    database_down: tuple[float, float] = (3.0, 6.0)
    #: Simulated minutes of each of the two Odoo outages, and of the slow phase on either side.
    odoo_down_minutes: tuple[float, float] = (3.0, 6.0)
    odoo_slow_minutes: float = 2.0


@dataclass(frozen=True, kw_only=True)
class ChaosEvent:
    """A fault from ``at`` to ``at + seconds`` (simulated seconds after the window opened)."""

    kind: Kind
    at: float
    seconds: float = 0.0
    worker: int = 0  # kill_worker: which one (0-based)
    #: For database_down the outage lasts this many *real* seconds (a server restart's length).
    real_seconds: float = 0.0

    @property
    def end(self) -> float:
        return self.at + self.seconds

    def describe(self) -> str:
        if self.kind == "kill_worker":
            return f"worker-{self.worker + 1} killed (SIGKILL)"
        if self.kind == "odoo_down":
            return f"Odoo unreachable for {self.seconds / 60:.1f} simulated minutes"
        if self.kind == "odoo_slow":
            return f"Odoo slow and answering 503 for {self.seconds / 60:.1f} simulated minutes"
        return f"PostgreSQL down for {self.real_seconds:.1f} s (every connection cut)"


def plan_chaos(options: ChaosOptions, *, window: float, speed: float, workers: int) -> list[ChaosEvent]:
    """Every fault of the run, in order, from the seed alone: the same seed, window and speed
    give the same schedule. ``window`` is in simulated seconds; ``speed`` converts the real-time
    knobs (kill interval) to simulated seconds."""
    rng = random.Random(options.seed)
    events: list[ChaosEvent] = []
    at = rng.uniform(0.5, 1.5) * options.kill_every * speed
    while at < window:
        events.append(ChaosEvent(kind="kill_worker", at=at, worker=rng.randrange(workers)))
        at += rng.uniform(0.5, 1.5) * options.kill_every * speed
    slow = options.odoo_slow_minutes * 60
    # Two outages, one in each half of the window, each with its slow shoulders inside its half.
    for half in range(2):
        down = rng.uniform(*options.odoo_down_minutes) * 60
        lo, hi = half * window / 2 + slow, (half + 1) * window / 2 - slow - down
        start = rng.uniform(lo, max(lo, hi))
        events += [ChaosEvent(kind="odoo_slow", at=start - slow, seconds=slow),
                   ChaosEvent(kind="odoo_down", at=start, seconds=down),
                   ChaosEvent(kind="odoo_slow", at=start + down, seconds=slow)]
    events.append(ChaosEvent(kind="database_down", at=rng.uniform(0.3, 0.7) * window,
                             real_seconds=rng.uniform(*options.database_down)))
    return sorted(events, key=lambda e: (e.at, e.kind))


@dataclass(kw_only=True)
class Recovery:
    """How long after a fault ended every order importable at that moment was in Odoo."""

    event: ChaosEvent
    ended_real: float
    ended_sim: float
    waiting_for: set[str]
    seconds: float | None = None
    sim_minutes: float | None = None

    def line(self) -> str:
        if self.seconds is None:
            return f"{self.event.describe()}: not recovered ({len(self.waiting_for)} orders still missing)"
        return (f"{self.event.describe()}: recovered in {self.seconds:.1f} s "
                f"({self.sim_minutes:.1f} simulated minutes)")


def shipment_problems(orders: Sequence[Mapping[str, Any]], validated: Mapping[str, int]) -> list[str]:
    """FBM shipments against what the warehouse validated in Odoo: each validated delivery is one
    package on Amazon (none missing, none sent twice), and no other order got a package."""
    problems = []
    for order in orders:
        if order["fulfillmentChannel"] != "MFN":
            continue
        oid, packages = order["amazonOrderId"], len(order["packages"])
        wanted = validated.get(oid, 0)
        if packages != wanted:
            problems.append(f"{oid}: {wanted} deliveries validated in Odoo, {packages} confirmed to Amazon")
    return problems


@dataclass(frozen=True, kw_only=True)
class Verdict:
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verdict(*, reconciled: bool, differences: int, oversells: int, shipment_issues: Sequence[str],
            unrecovered: int) -> Verdict:
    problems: list[str] = []
    if not reconciled:
        problems.append(f"orders: {differences} differences between Amazon and Odoo (lost, duplicated or amounts)")
    if oversells:
        problems.append(f"{oversells} oversells recorded by Amazon")
    if shipment_issues:
        problems.append(f"FBM shipments: {len(shipment_issues)} orders not confirmed exactly once")
    if unrecovered:
        problems.append(f"{unrecovered} faults not recovered from before the drain")
    return Verdict(problems=tuple(problems))


class Warehouse:
    """Validates the deliveries of FBM orders confirmed in Odoo, with a carrier and tracking
    number, as a seller's warehouse does; remembers which orders it shipped. Odoo being away is
    expected here: a failed round is tried again at the next."""

    def __init__(self, odoo: Any) -> None:
        self.odoo = odoo
        self.validated: dict[str, int] = {}
        self.failed_rounds = 0
        self.last_error = ""
        self._carrier: int | None = None

    async def _carrier_id(self) -> int:
        if self._carrier is None:
            found = await self.odoo.search_read("delivery.carrier", [("name", "=", "UPS")], ["id"])
            if found:
                self._carrier = int(found[0]["id"])
            else:
                service = (await self.odoo.create("product.product", [{"name": "UPS shipping", "type": "service"}]))[0]
                self._carrier = int((await self.odoo.create("delivery.carrier", [
                    {"name": "UPS", "product_id": service}]))[0])
        return self._carrier

    async def ship(self, fbm_unshipped: Sequence[str], limit: int = 50) -> None:
        todo = [oid for oid in fbm_unshipped if oid not in self.validated][:limit]
        if not todo:
            return
        try:
            await self._ship(todo)
        except (SyncError, httpx.HTTPError, OSError) as exc:
            self.failed_rounds += 1
            self.last_error = f"{type(exc).__name__}: {exc}"

    async def _ship(self, todo: Sequence[str]) -> None:
        carrier = await self._carrier_id()
        sales = await self.odoo.search_read("sale.order", [("client_order_ref", "in", list(todo)),
                                                           ("state", "=", "sale")], ["client_order_ref"])
        ref_of = {int(s["id"]): str(s["client_order_ref"]) for s in sales}
        if not ref_of:
            return
        pickings = await self.odoo.search_read(
            "stock.picking", [("sale_id", "in", list(ref_of)), ("state", "not in", ["done", "cancel"]),
                              ("picking_type_code", "=", "outgoing")], ["move_ids", "sale_id"])
        for picking in pickings:
            moves = await self.odoo.search_read("stock.move", [("id", "in", picking["move_ids"])],
                                                ["product_uom_qty"])
            await self.odoo.write_many("stock.move", {
                int(m["id"]): {"quantity": m["product_uom_qty"], "picked": True} for m in moves})
            await self.odoo.write("stock.picking", [picking["id"]], {
                "carrier_id": carrier, "carrier_tracking_ref": f"1ZCHAOS{int(picking['id']):09d}"})
            result = await self.odoo.call_method("stock.picking", "button_validate", [picking["id"]],
                                                 context={"skip_backorder": True, "skip_sms": True})
            if result is True or result is None:
                sale = picking["sale_id"]
                oid = ref_of[int(sale[0] if isinstance(sale, list) else sale)]
                self.validated[oid] = self.validated.get(oid, 0) + 1


@dataclass(kw_only=True)
class ChaosDriver:
    """Runs the schedule against the live processes and measures each recovery."""

    options: ChaosOptions
    events: list[ChaosEvent]
    sim: httpx.AsyncClient
    odoo_admin_url: str
    database_url: str
    server_url: str
    database_name: str
    kill_worker: Callable[[int], None]
    sim_elapsed: Callable[[], Awaitable[float]]
    speed: float
    log: Callable[[str], None]
    recoveries: list[Recovery] = field(default_factory=list)
    database_cuts: int = 0

    async def _odoo(self, faults: Mapping[str, Any]) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            await http.post(f"{self.odoo_admin_url}/_emulator/faults", json=dict(faults))

    async def start(self) -> None:
        await self.sim.post("/_sim/faults", json=dict(SPAPI_FAULTS))

    async def calm(self) -> None:
        await self.sim.post("/_sim/faults", json=dict(SPAPI_CALM))
        await self._odoo({"mode": "up"})

    async def _importable(self) -> set[str]:
        orders = (await self.sim.get("/_sim/orders")).json()["orders"]
        return {o["amazonOrderId"] for o in orders if expected_in_odoo(o)}

    async def _ended(self, event: ChaosEvent) -> None:
        self.recoveries.append(Recovery(event=event, ended_real=time.monotonic(),
                                        ended_sim=await self.sim_elapsed(), waiting_for=await self._importable()))

    async def run(self, window: float) -> None:
        """Play every event whose time has come until the window closes; then calm everything."""
        pending = list(self.events)
        ends: list[tuple[float, ChaosEvent]] = []
        while True:
            now = await self.sim_elapsed()
            for end_at, event in [e for e in ends if e[0] <= now]:
                ends.remove((end_at, event))
                if event.kind in ("odoo_down", "odoo_slow"):
                    await self._odoo({"mode": "up"})
                if event.kind != "odoo_slow":
                    await self._ended(event)
            while pending and pending[0].at <= now:
                event = pending.pop(0)
                self.log(f"simulated minute {event.at / 60:.0f}: {event.describe()}")
                if event.kind == "kill_worker":
                    self.kill_worker(event.worker)
                    await self._ended(event)
                elif event.kind == "odoo_slow":
                    await self._odoo({"mode": "slow", "slow_factor": 5.0, "slow_min": 0.5,
                                      "fail_next": [{"kind": "http_503", "count": 5}]})
                    ends.append((event.end, event))
                elif event.kind == "odoo_down":
                    await self._odoo({"mode": "down", "down_status": 502})
                    ends.append((event.end, event))
                else:
                    await self._database_down(event)
            if now >= window and not ends:
                break
            await asyncio.sleep(0.25)
        await self.calm()

    async def _database_down(self, event: ChaosEvent) -> None:
        self.database_cuts += await asyncio.to_thread(close_database, self.server_url, self.database_name)
        try:
            await asyncio.sleep(event.real_seconds)
        finally:
            await asyncio.to_thread(open_database, self.server_url, self.database_name)
        await self._ended(event)

    async def follow_recoveries(self, until: float) -> None:
        """Mark each recovery once every order it waits for is confirmed in Odoo (till ``until``,
        a ``time.monotonic()`` deadline)."""
        while any(r.seconds is None for r in self.recoveries) and time.monotonic() < until:
            await self.check_recoveries()
            await asyncio.sleep(1.0)

    async def check_recoveries(self) -> None:
        open_ = [r for r in self.recoveries if r.seconds is None]
        if not open_:
            return
        try:
            confirmed = await asyncio.to_thread(confirmed_orders, self.database_url)
        except TransientError:
            return
        importable = await self._importable()  # an order cancelled meanwhile is no longer awaited
        now_real, now_sim = time.monotonic(), await self.sim_elapsed()
        for recovery in open_:
            recovery.waiting_for = (recovery.waiting_for & importable) - confirmed
            if not recovery.waiting_for:
                recovery.seconds = now_real - recovery.ended_real
                recovery.sim_minutes = (now_sim - recovery.ended_sim) / 60
