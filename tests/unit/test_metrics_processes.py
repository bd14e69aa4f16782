"""Metrics of every process in one ``/metrics``; retried jobs logged as retries; order latency."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from procrastinate.jobs import Job
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from amazon_odoo_sync.clock import FakeClock, utcnow
from amazon_odoo_sync.exceptions import DataError, ThrottledError, TransientError
from amazon_odoo_sync.flows.orders.write import observe_latency
from amazon_odoo_sync.jobs.retry import RetryPolicy, SyncRetryStrategy
from amazon_odoo_sync.jobs.tasks import RetryLog
from amazon_odoo_sync.mapping.amazon_order import parse_order_v2026
from amazon_odoo_sync.metrics import MULTIPROC_ENV, ORDER_CONFIRM_LATENCY
from amazon_odoo_sync.web.metrics import render_metrics
from tests.factories.orders import order

# What one worker process records: SP-API calls (one throttled), Odoo calls, a job run, the
# circuit it saw; then it exits (``exit`` = 1) as the worker command does, or stays "alive".
WORKER = """
import sys
from amazon_odoo_sync.metrics import (CIRCUIT_STATE, JOB_RUNS, ODOO_CALLS, ODOO_LATENCY, SPAPI_CALLS,
                                      SPAPI_THROTTLED, prepare_process, process_exited)
prepare_process()
SPAPI_CALLS.labels("shop-eu", "orders.searchOrders", "200").inc(3)
SPAPI_CALLS.labels("shop-eu", "orders.searchOrders", "429").inc()
SPAPI_THROTTLED.labels("shop-eu", "orders.searchOrders").inc()
ODOO_CALLS.labels("sale.order", "create", "ok").inc(2)
ODOO_LATENCY.labels("sale.order", "create").observe(0.2)
JOB_RUNS.labels("flows.orders.import_pending", "orders", "succeeded").inc()
CIRCUIT_STATE.labels("shop-eu", sys.argv[2]).set(2)
if sys.argv[1] == "1":
    process_exited()
"""


def run_worker(directory: Path, exit_cleanly: bool, api: str) -> None:
    env = {**os.environ, MULTIPROC_ENV: str(directory)}
    subprocess.run([sys.executable, "-c", WORKER, "1" if exit_cleanly else "0", api], env=env, check=True,
                   timeout=60)


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text.decode()) for s in family.samples}


def test_metrics_recorded_by_other_processes_add_up_in_the_exposition(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"  # created by the first process (prepare_process)
    run_worker(directory, exit_cleanly=True, api="orders")
    run_worker(directory, exit_cleanly=False, api="feeds")  # killed: never marked dead
    queue = GaugeMetricFamily("aos_jobs", "Jobs by queue and state", labels=["queue", "state"])
    queue.add_metric(["orders", "todo"], 4)

    found = samples(render_metrics([queue], directory=directory))

    calls = "aos_spapi_calls_total"
    assert found[(calls, (("account", "shop-eu"), ("operation", "orders.searchOrders"), ("status", "200")))] == 6
    assert found[("aos_spapi_throttled_total", (("account", "shop-eu"), ("operation", "orders.searchOrders")))] == 2
    assert found[("aos_odoo_calls_total", (("method", "create"), ("model", "sale.order"), ("outcome", "ok")))] == 4
    assert found[("aos_odoo_call_seconds_count", (("method", "create"), ("model", "sale.order")))] == 2
    assert found[("aos_job_runs_total", (("outcome", "succeeded"), ("queue", "orders"),
                                         ("task", "flows.orders.import_pending")))] == 2
    assert found[("aos_jobs", (("queue", "orders"), ("state", "todo")))] == 4
    # A live gauge goes with its process: the one that exited no longer reports its circuit.
    circuits = {labels for name, labels in found if name == "aos_circuit_state"}
    assert circuits == {(("account", "shop-eu"), ("api", "feeds"))}


def test_without_a_multiprocess_directory_this_process_registry_is_exported() -> None:
    registry = CollectorRegistry()
    Counter("aos_probe_total", "probe", registry=registry).inc(5)
    found = samples(render_metrics([], directory=None, registry=registry))
    assert found[("aos_probe_total", ())] == 5


def job(attempts: int, **kwargs: str) -> Job:
    return Job(id=7, queue="orders", lock=None, queueing_lock=None, task_name="flows.orders.import_pending",
               attempts=attempts, task_kwargs=dict(kwargs))


def test_a_retried_job_is_logged_as_retried_with_the_time_of_its_next_run(fake_clock: FakeClock) -> None:
    retry = RetryLog(SyncRetryStrategy(random=lambda: 0.5, clock=fake_clock,
                                       policy=RetryPolicy(base_seconds=2)))
    with capture_logs() as logs:
        backoff = retry.get_retry_decision(exception=TransientError("timeout"), job=job(2, account="shop-eu"))
        hinted = retry.get_retry_decision(exception=ThrottledError("429", retry_after=42.5), job=job(0))
    # Due on real time: the database's clock decides when a job runs.
    assert backoff is not None and backoff.retry_at is not None
    assert abs((backoff.retry_at - utcnow()).total_seconds() - 4) < 1
    assert hinted is not None
    assert [(e["event"], e["attempt"], e["next_in_seconds"]) for e in logs] == [
        ("job retried", 3, 4.0), ("job retried", 1, 42.5)]
    assert logs[0]["account"] == "shop-eu" and logs[0]["error"] == "TransientError"
    assert logs[0]["job_id"] == 7 and logs[0]["task"] == "flows.orders.import_pending"


def test_a_job_that_will_not_run_again_is_logged_as_failed(fake_clock: FakeClock) -> None:
    retry = RetryLog(SyncRetryStrategy(clock=fake_clock, policy=RetryPolicy(budget_seconds=0)))
    with capture_logs() as logs:
        assert retry.get_retry_decision(exception=DataError("bad sku"), job=job(0)) is None
        assert retry.get_retry_decision(exception=TransientError("timeout"), job=job(2)) is None
    assert [(e["event"], e["attempt"], e["outcome"]) for e in logs] == [
        ("job failed", 1, "failed"), ("job failed", 3, "failed")]
    assert all("next_in_seconds" not in e for e in logs)


def latency_counts(account: str) -> dict[tuple[str, str, str], float]:
    """(channel, since, le) → cumulative count, for one account."""
    return {(s.labels["channel"], s.labels["since"], s.labels["le"]): s.value
            for metric in ORDER_CONFIRM_LATENCY.collect() for s in metric.samples
            if s.name.endswith("_bucket") and s.labels["account"] == account}


def test_order_latency_is_observed_from_purchase_and_from_the_last_update() -> None:
    fbm = parse_order_v2026(order(order_id="028-0000000-0000001", created="2026-07-08T10:00:00Z",
                                  updated="2026-07-08T10:20:00Z"))
    fba = parse_order_v2026(order(order_id="028-0000000-0000002", status="SHIPPED", fulfilled_by="AMAZON",
                                  created="2026-07-08T08:00:00Z", updated="2026-07-08T10:29:50Z"))
    observe_latency("latency-probe", [fbm, fba], datetime(2026, 7, 8, 10, 30, tzinfo=UTC))
    counts = latency_counts("latency-probe")
    # FBM: 30 min since purchase, 10 min since it was paid; FBA: 2.5 h since purchase, 10 s since shipped.
    assert counts[("MFN", "purchase", "1800.0")] == 1 and counts[("MFN", "purchase", "600.0")] == 0
    assert counts[("MFN", "last_update", "600.0")] == 1 and counts[("MFN", "last_update", "300.0")] == 0
    assert counts[("AFN", "purchase", "21600.0")] == 1 and counts[("AFN", "purchase", "7200.0")] == 0
    assert counts[("AFN", "last_update", "10.0")] == 1 and counts[("AFN", "last_update", "5.0")] == 0


def test_every_command_drops_its_live_gauges_when_it_exits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-off command (here --version) ends through cli.main, which marks its process dead."""
    from amazon_odoo_sync.cli.main import main

    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    live = tmp_path / f"gauge_livemostrecent_{os.getpid()}.db"
    other = tmp_path / f"gauge_livemostrecent_{os.getpid() + 1}.db"
    counters = tmp_path / f"counter_{os.getpid()}.db"
    for path in (live, other, counters):
        path.write_bytes(b"")
    monkeypatch.setattr(sys, "argv", ["amazon-odoo-sync", "--version"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    assert not live.exists() and other.exists() and counters.exists()
