"""AIMD capacity governor on the in-memory store, with a FakeClock: no real time."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.exceptions import OdooBusyError, RemoteRuleError, ThrottledError
from amazon_odoo_sync.metrics import ODOO_CONCURRENCY_LIMIT
from amazon_odoo_sync.odoo import AdaptiveGovernor, InMemoryCapacityStore, OdooClient


def governor(clock: FakeClock, store: InMemoryCapacityStore | None = None, **kwargs: object
             ) -> AdaptiveGovernor:
    options: dict[str, object] = {"max_concurrency": 8, "cooldown": 1.0}
    options.update(kwargs)
    return AdaptiveGovernor("http://odoo/db", store=store or InMemoryCapacityStore(clock),
                            clock=clock, **options)  # type: ignore[arg-type]


async def test_limit_drops_multiplicatively_on_overload_once_per_cooldown(fake_clock: FakeClock) -> None:
    gov = governor(fake_clock)
    assert await gov.current_limit() == 8
    await gov.record(0.1, overloaded=True)
    assert gov.limit == 4  # floor(8 * 0.6)
    await gov.record(0.1, overloaded=True)  # same burst: within the cooldown
    assert gov.limit == 4
    fake_clock.advance(1.0)
    await gov.record(0.1, overloaded=True)
    assert gov.limit == 2
    fake_clock.advance(1.0)
    await gov.record(0.1, overloaded=True)
    fake_clock.advance(1.0)
    await gov.record(0.1, overloaded=True)
    assert gov.limit == 1  # never below 1
    assert ODOO_CONCURRENCY_LIMIT.labels(instance="http://odoo/db")._value.get() == 1


async def test_limit_recovers_additively_and_never_exceeds_max(fake_clock: FakeClock) -> None:
    gov = governor(fake_clock, initial=1, max_concurrency=4)
    history = []
    for _ in range(40):
        await gov.record(0.1)
        history.append(gov.limit)
    # +1 after a window of `limit` good calls: 1 call at 1, 2 at 2, 3 at 3, then capped at 4.
    assert history[:6] == [2, 2, 3, 3, 3, 4]
    assert max(history) == 4 and history[-1] == 4


async def test_a_big_batch_is_judged_per_record_against_its_own_kind(fake_clock: FakeClock) -> None:
    """Confirming 50 orders takes seconds on a healthy Odoo; searches take milliseconds."""
    gov = governor(fake_clock, min_samples=5, latency_tolerance=2.5)
    for _ in range(8):
        await gov.record(0.02, kind="sale.order.search_read")
        await gov.record(0.12, kind="sale.order.action_confirm", records=1)
    assert gov.limit == 8
    await gov.record(2.4, kind="sale.order.action_confirm", records=50)  # 48 ms per order: normal
    assert gov.limit == 8
    await gov.record(0.4, kind="sale.order.search_read")  # 20x its kind's baseline: overload
    assert gov.limit == 4
    assert gov.baseline_of("sale.order.action_confirm") is not None
    fake_clock.advance(2)  # past the cooldown of that cut
    await gov.record(20.0, kind="sale.order.action_confirm", records=50)  # 400 ms per order: overload
    assert gov.limit == 2


async def test_rising_latency_is_an_overload_signal(fake_clock: FakeClock) -> None:
    gov = governor(fake_clock, min_samples=5, latency_tolerance=2.0)
    for _ in range(8):
        await gov.record(0.1)
    assert gov.limit == 8
    await gov.record(0.5)  # 5x baseline
    assert gov.limit == 4
    assert gov.baseline is not None and gov.baseline > 0.1  # the baseline creeps up


async def test_in_flight_never_exceeds_limit_across_tasks_and_governors(fake_clock: FakeClock) -> None:
    store = InMemoryCapacityStore(fake_clock)
    workers = [governor(fake_clock, store, max_concurrency=3, acquire_timeout=1e9),
               governor(fake_clock, store, max_concurrency=3, acquire_timeout=1e9)]
    active = 0
    peak = 0

    async def one_call(gov: AdaptiveGovernor, n: int) -> None:
        nonlocal active, peak
        async with gov.slot() as slot:
            active += 1
            peak = max(peak, active)
            for _ in range(3):
                await asyncio.sleep(0)
            slot.overloaded = n % 7 == 0
            active -= 1

    await asyncio.gather(*(one_call(workers[n % 2], n) for n in range(60)))
    assert 1 <= peak <= 3
    assert await workers[0].in_flight() == 0


async def test_acquire_times_out_with_throttled_error(fake_clock: FakeClock) -> None:
    gov = governor(fake_clock, max_concurrency=1, acquire_timeout=2.0)
    async with gov.slot():
        with pytest.raises(ThrottledError) as info:
            async with gov.slot():
                pass
    assert info.value.retryable and info.value.system == "odoo"
    async with gov.slot():  # released again
        pass


async def test_expired_lease_of_a_dead_worker_is_reaped(fake_clock: FakeClock) -> None:
    store = InMemoryCapacityStore(fake_clock)
    gov = governor(fake_clock, store, max_concurrency=1, lease_ttl=30.0, acquire_timeout=1e9)
    await gov.current_limit()
    dead = await store.try_acquire("http://odoo/db", holder="dead", ttl=30.0)
    assert dead is not None
    async with gov.slot():  # waits (fake time) until the dead lease expires
        pass
    assert fake_clock.monotonic() >= 30.0


async def test_client_reports_busy_and_permanent_errors_differently(fake_clock: FakeClock) -> None:
    replies = iter(["busy", "user", "busy"])

    def handler(request: httpx.Request) -> httpx.Response:
        kind = next(replies)
        if kind == "busy":
            return httpx.Response(503)
        assert json.loads(request.content) == {"domain": []}
        return httpx.Response(422, json={"name": "odoo.exceptions.UserError", "message": "no"})

    gov = governor(fake_clock)
    async with OdooClient("http://o", "db", "u", "k" * 40, protocol="json2", governor=gov,
                          transport=httpx.MockTransport(handler)) as odoo:
        with pytest.raises(OdooBusyError):
            await odoo.search("res.partner", [])
        assert gov.limit == 4
        fake_clock.advance(5)
        with pytest.raises(RemoteRuleError):
            await odoo.search("res.partner", [])
        assert gov.limit == 4  # a business error is not overload
        with pytest.raises(OdooBusyError):
            await odoo.search("res.partner", [])
        assert gov.limit == 2
        assert await gov.in_flight() == 0
