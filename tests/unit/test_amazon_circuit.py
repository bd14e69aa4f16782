"""Circuit breaker transitions on a fake clock (pure functions and the in-memory breaker)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amazon_odoo_sync.amazon.circuit import CircuitState, InMemoryCircuitBreaker, admit, failed, succeeded
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.exceptions import CircuitOpenError


def test_transitions(fake_clock: FakeClock) -> None:
    now = fake_clock.now()
    state = CircuitState()
    for _ in range(2):
        state = failed(state, now, threshold=3)
    assert state.state == "closed" and state.failures == 2
    assert succeeded(state) == CircuitState()
    state = failed(state, now, threshold=3)
    assert state.state == "open" and state.opened_at == now
    allowed, _, retry_after = admit(state, now + timedelta(seconds=10), 30)
    assert not allowed and retry_after == pytest.approx(20)
    allowed, probing, _ = admit(state, now + timedelta(seconds=30), 30)
    assert allowed and probing.state == "half_open"
    allowed, same, _ = admit(probing, now + timedelta(seconds=31), 30)
    assert not allowed and same == probing  # one probe at a time
    allowed, _, _ = admit(probing, now + timedelta(seconds=61), 30)
    assert allowed  # the probe's owner vanished: another probe
    reopened = failed(probing, now + timedelta(seconds=32), threshold=3)
    assert reopened.state == "open" and reopened.opened_at == now + timedelta(seconds=32)


async def test_in_memory_breaker(fake_clock: FakeClock) -> None:
    breaker = InMemoryCircuitBreaker(failure_threshold=2, reset_seconds=5, clock=fake_clock)
    await breaker.before_call("a", "orders")
    await breaker.record_failure("a", "orders", "HTTP 500")
    await breaker.record_failure("a", "orders", "HTTP 500")
    with pytest.raises(CircuitOpenError) as info:
        await breaker.before_call("a", "orders")
    assert info.value.retry_after == pytest.approx(5)
    await breaker.before_call("a", "feeds")  # per API
    await breaker.before_call("b", "orders")  # per account
    fake_clock.advance(5)
    await breaker.before_call("a", "orders")
    with pytest.raises(CircuitOpenError):
        await breaker.before_call("a", "orders")
    await breaker.record_success("a", "orders")
    await breaker.before_call("a", "orders")
