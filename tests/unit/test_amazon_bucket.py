"""Property tests of the pure token-bucket math and of the in-memory governor on a fake clock."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.amazon.bucket import BucketState, decide, refill, set_rate, throttled
from amazon_odoo_sync.amazon.governor import BucketKey, InMemoryRateGovernor
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.exceptions import ThrottledError

rates = st.floats(min_value=0.01, max_value=50)
bursts = st.integers(min_value=1, max_value=30)


def assert_within_plan(times: list[float], rate: float, burst: float) -> None:
    """Every window [a, b] holds at most rate * (b - a) + burst grants."""
    times = sorted(times)
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            granted = j - i + 1
            assert granted <= rate * (times[j] - start) + burst + 1e-6, (granted, start, times[j])


@given(rate=rates, burst=bursts,
       gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=150))
def test_grants_never_exceed_rate_times_time_plus_burst(rate: float, burst: int, gaps: list[float]) -> None:
    state = BucketState(tokens=burst, updated_at=0.0, rate=rate, burst=burst)
    now, grants = 0.0, []
    for gap in gaps:
        now += gap
        decision = decide(state, now)
        state = decision.state
        if decision.granted:
            grants.append(now)
        else:
            assert decision.wait > 0
    assert_within_plan(grants, rate, burst)


@given(rate=rates, burst=bursts, gap=st.floats(min_value=0, max_value=1000))
def test_refill_is_capped_at_burst_and_monotonic(rate: float, burst: int, gap: float) -> None:
    state = BucketState(tokens=0.0, updated_at=10.0, rate=rate, burst=burst)
    later = refill(state, 10.0 + gap)
    assert 0.0 <= later.tokens <= burst
    assert refill(state, 5.0).tokens == 0.0  # a clock going backwards adds nothing


@given(rate=rates, burst=bursts, tokens=st.floats(min_value=0, max_value=30),
       mine=st.integers(-100, 100), others=st.lists(st.integers(-100, 100), max_size=5))
def test_a_higher_priority_waiter_always_goes_first(rate: float, burst: int, tokens: float, mine: int,
                                                    others: list[int]) -> None:
    state = BucketState(tokens=min(tokens, burst), updated_at=0.0, rate=rate, burst=burst)
    decision = decide(state, 0.0, priority=mine, waiting_priorities=others)
    ahead = sum(1 for other in others if other > mine)
    # One token stays reserved for every higher-priority waiter.
    assert decision.granted == (state.tokens >= 1.0 + ahead)
    if not decision.granted:
        assert decision.wait == pytest.approx((1.0 + ahead - state.tokens) / rate)
    else:
        assert decision.state.tokens >= ahead


def test_wait_is_what_the_missing_token_takes() -> None:
    state = BucketState(tokens=0.0, updated_at=0.0, rate=2.0, burst=5)
    assert decide(state, 0.0).wait == pytest.approx(0.5)
    assert decide(state, 0.25).wait == pytest.approx(0.25)
    assert decide(state, 0.0, priority=1, waiting_priorities=[5, 7]).wait == pytest.approx(1.5)


def test_throttled_empties_and_backs_off() -> None:
    state = BucketState(tokens=5.0, updated_at=0.0, rate=1.0, burst=5)
    after = throttled(state, 0.0, backoff=4.0)
    assert not decide(after, 3.9).granted
    assert decide(after, 4.0).granted
    assert not decide(throttled(state, 0.0), 0.5).granted  # default: one token interval
    assert decide(throttled(state, 0.0), 1.0).granted


def test_set_rate_credits_the_past_at_the_old_rate() -> None:
    state = BucketState(tokens=0.0, updated_at=0.0, rate=1.0, burst=10)
    faster = set_rate(state, 2.0, 4.0)
    assert faster.tokens == pytest.approx(2.0)
    assert refill(faster, 3.0).tokens == pytest.approx(6.0)
    with pytest.raises(ValueError):
        set_rate(state, 0.0, 0.0)


@settings(max_examples=25, deadline=None)
@given(rate=st.floats(min_value=0.5, max_value=20), burst=st.integers(1, 10), workers=st.integers(2, 8),
       calls=st.integers(1, 6))
def test_concurrent_takers_on_the_memory_governor_stay_within_plan(rate: float, burst: int, workers: int,
                                                                   calls: int) -> None:
    clock = FakeClock()
    governor = InMemoryRateGovernor(clock=clock, plans={"x.op": (rate, burst)})

    async def worker(priority: int) -> None:
        for _ in range(calls):
            await governor.acquire("acct", "EU", "x.op", priority, max_wait=1e9)

    async def main() -> None:
        await asyncio.gather(*(worker(i % 3) for i in range(workers)))

    asyncio.run(main())
    assert len(governor.grants) == workers * calls
    assert_within_plan([g.granted_at for g in governor.grants], rate, burst)


async def test_higher_priority_waiter_is_served_before_lower(fake_clock: FakeClock) -> None:
    governor = InMemoryRateGovernor(clock=fake_clock, plans={"x.op": (1.0, 1)})
    await governor.acquire("acct", "EU", "x.op", 0, max_wait=10)  # bucket now empty
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await governor.acquire("acct", "EU", "x.op", priority, max_wait=100)
        order.append(name)

    # The stock job starts waiting first; reports jobs arrive while it waits and must not jump it.
    await asyncio.gather(take("stock-1", 100), take("reports-1", 40), take("stock-2", 100),
                         take("reports-2", 40))
    assert sorted(order[:2]) == ["stock-1", "stock-2"]
    assert sorted(order[2:]) == ["reports-1", "reports-2"]


async def test_max_wait_exceeded_raises_throttled_with_retry_after(fake_clock: FakeClock) -> None:
    governor = InMemoryRateGovernor(clock=fake_clock, plans={"x.op": (0.1, 1)})
    await governor.acquire("acct", "EU", "x.op", 0, max_wait=0)
    with pytest.raises(ThrottledError) as info:
        await governor.acquire("acct", "EU", "x.op", 0, max_wait=2)
    assert info.value.retry_after == pytest.approx(10.0)
    assert fake_clock.sleeps == []  # gave up at once: waiting could not succeed in time


async def test_rate_header_and_429_change_the_bucket(fake_clock: FakeClock) -> None:
    governor = InMemoryRateGovernor(clock=fake_clock, plans={"x.op": (0.1, 1)})
    key = BucketKey(account="acct", region="EU", operation="x.op")
    await governor.acquire("acct", "EU", "x.op", 0, max_wait=0)
    await governor.observe_rate_limit_header(key, "2.0")
    grant = await governor.acquire("acct", "EU", "x.op", 0, max_wait=1)
    assert grant.waited == pytest.approx(0.5)
    await governor.observe_rate_limit_header(key, "garbage")  # ignored
    await governor.on_throttled(key, retry_after=5)
    grant = await governor.acquire("acct", "EU", "x.op", 0, max_wait=10)
    assert grant.waited == pytest.approx(5.0)
    assert governor.buckets[key].last_throttled_at is not None
