"""The retry decision: retryable vs permanent, retry_after, jittered backoff, cap, max attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from procrastinate.jobs import Job

from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.config import JobsConfig
from amazon_odoo_sync.exceptions import (
    CircuitOpenError,
    DataError,
    OdooBusyError,
    PermanentError,
    ThrottledError,
    TransientError,
)
from amazon_odoo_sync.jobs.retry import SyncRetryStrategy


def job(attempts: int) -> Job:
    return Job(id=1, queue="orders", lock=None, queueing_lock=None, task_name="t", attempts=attempts)


def strategy(fake_clock: FakeClock, draw: float = 0.5, **kwargs: float) -> SyncRetryStrategy:
    return SyncRetryStrategy(random=lambda: draw, clock=fake_clock, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("exc", [PermanentError("no"), DataError("bad sku"), ValueError("bug"),
                                 KeyError("x")])
def test_permanent_and_unknown_errors_are_not_retried(fake_clock: FakeClock, exc: Exception) -> None:
    assert strategy(fake_clock).get_retry_decision(exception=exc, job=job(0)) is None


@pytest.mark.parametrize("exc", [ThrottledError("429"), TransientError("timeout"),
                                 OdooBusyError("serialization"), CircuitOpenError("open")])
def test_retryable_errors_are_retried(fake_clock: FakeClock, exc: Exception) -> None:
    decision = strategy(fake_clock).get_retry_decision(exception=exc, job=job(0))
    assert decision is not None and decision.retry_at is not None


def test_retry_after_is_honoured_as_given(fake_clock: FakeClock) -> None:
    retry = strategy(fake_clock, cap_seconds=5)
    decision = retry.get_retry_decision(exception=ThrottledError("429", retry_after=42.5), job=job(3))
    assert decision is not None
    assert decision.retry_at == fake_clock.now() + timedelta(seconds=42.5)


def test_backoff_is_full_jitter_of_an_exponential_ceiling(fake_clock: FakeClock) -> None:
    retry = strategy(fake_clock, draw=0.5, base_seconds=2, cap_seconds=1000)
    delays = [retry.delay(TransientError("x"), attempts) for attempts in range(5)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]  # 0.5 * 2 * 2**n
    assert strategy(fake_clock, draw=0.0).delay(TransientError("x"), 4) == 0.0


def test_backoff_is_capped(fake_clock: FakeClock) -> None:
    retry = strategy(fake_clock, draw=0.999, base_seconds=2, cap_seconds=60, max_attempts=10_000)
    assert retry.delay(TransientError("x"), 30) == pytest.approx(0.999 * 60)
    assert retry.delay(TransientError("x"), 5000) == pytest.approx(0.999 * 60)  # no overflow


def test_max_attempts_counts_every_run(fake_clock: FakeClock) -> None:
    retry = strategy(fake_clock, max_attempts=3)
    exc = TransientError("x", retry_after=1)
    assert [retry.get_retry_decision(exception=exc, job=job(n)) is not None for n in range(4)] == [
        True, True, False, False]
    assert retry.will_retry(exc, 1) and not retry.will_retry(exc, 2)


def test_built_from_settings() -> None:
    config = JobsConfig(max_attempts=4, backoff_base_seconds=3, backoff_cap_seconds=9)
    retry = SyncRetryStrategy.from_config(config, random=lambda: 1.0)
    assert (retry.max_attempts, retry.base_seconds, retry.cap_seconds) == (4, 3, 9)
    assert retry.delay(TransientError("x"), 2) == 9.0  # min(9, 3 * 4)
