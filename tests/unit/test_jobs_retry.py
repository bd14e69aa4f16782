"""The retry decision: permanent vs retryable, a time budget (not a count), holds behind an open
circuit, retry_after, jittered and capped backoff. Time comes from a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from procrastinate.jobs import Job

from amazon_odoo_sync.clock import FakeClock, utcnow
from amazon_odoo_sync.config import JobsConfig
from amazon_odoo_sync.exceptions import (
    CircuitOpenError,
    DataError,
    OdooBusyError,
    PermanentError,
    ThrottledError,
    TransientError,
)
from amazon_odoo_sync.jobs.retry import RetryPolicy, SyncRetryStrategy, decide

HOUR = 3600.0
POLICY = RetryPolicy(budget_seconds=6 * HOUR, base_seconds=2, cap_seconds=300)


def job(attempts: int, job_id: int = 1) -> Job:
    return Job(id=job_id, queue="orders", lock=None, queueing_lock=None, task_name="t",
               attempts=attempts)


def strategy(fake_clock: FakeClock, draw: float = 0.5, policy: RetryPolicy = POLICY) -> SyncRetryStrategy:
    return SyncRetryStrategy(policy=policy, random=lambda: draw, clock=fake_clock)


@pytest.mark.parametrize("exc", [PermanentError("no"), DataError("bad sku"), ValueError("bug"),
                                 KeyError("x")])
def test_permanent_and_unknown_errors_fail_at_once(fake_clock: FakeClock, exc: Exception) -> None:
    now = fake_clock.now()
    assert decide(exc, 0, now, now, POLICY, 0.5) is None
    assert strategy(fake_clock).get_retry_decision(exception=exc, job=job(0)) is None


@pytest.mark.parametrize("exc", [ThrottledError("429"), TransientError("cannot reach Odoo"),
                                 OdooBusyError("serialization")])
def test_retryable_errors_are_retried_until_the_budget_is_spent(fake_clock: FakeClock,
                                                               exc: Exception) -> None:
    first = fake_clock.now()
    fake_clock.advance(6 * HOUR - 1)
    assert decide(exc, 500, first, fake_clock.now(), POLICY, 0.5) is not None
    fake_clock.advance(1)
    assert decide(exc, 501, first, fake_clock.now(), POLICY, 0.5) is None


def test_the_budget_is_time_not_attempts(fake_clock: FakeClock) -> None:
    """What dead-lettered order imports after about a minute of Odoo downtime: 8 attempts."""
    exc = TransientError("cannot reach Odoo for sale.order.search_read")
    first, attempts = fake_clock.now(), 0
    while (delay := decide(exc, attempts, first, fake_clock.now(), POLICY, 0.999)) is not None:
        fake_clock.advance(delay)
        attempts += 1
    assert attempts > 8 * 8  # the old budget was 8 runs in all
    assert fake_clock.now() - first >= timedelta(hours=6)
    assert fake_clock.now() - first < timedelta(hours=6, minutes=5)  # gives up within one cap


def test_a_job_held_by_an_open_circuit_never_gives_up(fake_clock: FakeClock) -> None:
    exc = CircuitOpenError("Odoo circuit open", retry_after=30)
    long_ago = fake_clock.now() - timedelta(days=3)
    delay = decide(exc, 10_000, long_ago, fake_clock.now(), POLICY, 0.0)
    assert delay == 30.0  # at the probe time, no sooner


def test_held_jobs_are_spread_after_the_probe_time(fake_clock: FakeClock) -> None:
    exc = CircuitOpenError("open", retry_after=30)
    now = fake_clock.now()
    assert decide(exc, 0, now, now, POLICY, 0.5) == 30 + 0.5 * 30
    # Spread over one more cooldown at most, however many runs: a held scheduled job blocks its
    # schedule (queueing lock), and the backlog must drain soon after the circuit closes.
    assert decide(exc, 20, now, now, POLICY, 0.999) < 60
    assert decide(CircuitOpenError("open", retry_after=0), 20, now, now, POLICY, 0.5) == 0.5 * 2


def test_retry_after_is_honoured_as_given(fake_clock: FakeClock) -> None:
    now = fake_clock.now()
    assert decide(ThrottledError("429", retry_after=42.5), 3, now, now, POLICY, 0.9) == 42.5
    assert decide(ThrottledError("429", retry_after=-1), 3, now, now, POLICY, 0.9) == 0.0


def test_backoff_is_full_jitter_of_an_exponential_ceiling(fake_clock: FakeClock) -> None:
    now = fake_clock.now()
    policy = RetryPolicy(budget_seconds=HOUR, base_seconds=2, cap_seconds=1000)
    assert [decide(TransientError("x"), n, now, now, policy, 0.5) for n in range(5)] == [
        1.0, 2.0, 4.0, 8.0, 16.0]  # 0.5 * 2 * 2**n
    assert decide(TransientError("x"), 4, now, now, policy, 0.0) == 0.0


@given(attempts=st.integers(min_value=0, max_value=100_000), draw=st.floats(0, 0.999999))
def test_backoff_never_exceeds_the_cap(attempts: int, draw: float) -> None:
    now = utcnow()
    delay = decide(TransientError("x"), attempts, now, now, POLICY, draw)
    assert delay is not None and 0 <= delay <= POLICY.cap_seconds


def test_a_zero_budget_fails_retryable_errors_at_once(fake_clock: FakeClock) -> None:
    now = fake_clock.now()
    assert decide(TransientError("x"), 0, now, now, RetryPolicy(budget_seconds=0), 0.5) is None


def test_the_strategy_hands_procrastinate_the_runners_decision(fake_clock: FakeClock) -> None:
    retry = strategy(fake_clock, draw=0.5)
    exc = TransientError("x")
    retry.remember(7, None)  # the runner found the budget spent
    assert retry.get_retry_decision(exception=exc, job=job(3, job_id=7)) is None
    retry.remember(7, 12.0)
    before = utcnow()
    decision = retry.get_retry_decision(exception=exc, job=job(4, job_id=7))
    assert decision is not None and decision.retry_at is not None
    # Scheduled on real time (the database's), not on the clock measuring the budget.
    assert before + timedelta(seconds=12) <= decision.retry_at <= utcnow() + timedelta(seconds=12)
    # Nothing remembered: judged as a first failure.
    assert retry.get_retry_decision(exception=exc, job=job(0, job_id=8)) is not None


def test_built_from_settings() -> None:
    config = JobsConfig(retry_budget_hours=2.5, backoff_base_seconds=3, backoff_cap_seconds=9)
    retry = SyncRetryStrategy.from_config(config, random=lambda: 1.0)
    assert retry.policy == RetryPolicy(budget_seconds=9000, base_seconds=3, cap_seconds=9)
    assert retry.delay(TransientError("x"), 2) == 9.0  # min(9, 3 * 4)


def test_defaults_retry_for_hours_with_waits_of_at_most_five_minutes() -> None:
    config = JobsConfig()
    assert config.retry_budget_hours >= 1 and config.backoff_cap_seconds <= 300
    assert JobsConfig(max_attempts=8).retry_budget_hours == config.retry_budget_hours  # old files load


def test_a_held_job_is_logged_as_held_not_as_a_failure(fake_clock: FakeClock) -> None:
    from structlog.testing import capture_logs

    from amazon_odoo_sync.jobs.tasks import RetryLog

    logged = RetryLog(strategy(fake_clock, draw=0.0))
    with capture_logs() as logs:
        decision = logged.get_retry_decision(exception=CircuitOpenError("Odoo circuit open", retry_after=30),
                                             job=job(40))
    assert decision is not None
    [entry] = logs
    assert (entry["event"], entry["outcome"], entry["log_level"]) == ("job held: circuit open", "held", "info")
    assert 29 <= entry["next_in_seconds"] <= 30
