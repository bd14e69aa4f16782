"""Prometheus metrics, defined once here so every module records into the same series.

Every process records into these: ``serve``, each ``worker``, the ``sync`` commands. How one
``/metrics`` shows them all:

- Same machine (the usual set-up): set ``PROMETHEUS_MULTIPROC_DIR`` to one empty, writable
  directory in the environment of ``serve`` *and* every ``worker`` (prometheus_client's
  multiprocess mode). Each process writes its series to files there; ``/metrics`` on ``serve``
  adds them up (counters and histograms summed over live and exited processes, gauges as noted
  below). Clear the directory when you restart the whole set, not when one worker restarts.
- Workers on other machines: ``worker --metrics-port 9101`` serves that worker's own series
  (``/metrics`` on that port) for Prometheus to scrape directly; ``serve`` still exports the
  database's view (jobs by queue and state, FBA drift) for the whole installation.

Gauges only a live process can vouch for (circuit state, Odoo concurrency limit) use
``livemostrecent``: the newest value written by a process still running; every command marks
itself dead when it exits (:func:`process_exited`, called by ``cli.main``). A process killed
with SIGKILL cannot: its live gauges stay until the directory is cleared. Job counts and FBA
drift are not here: they are read from the database when ``/metrics`` is scraped
(``web/metrics.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "CIRCUIT_STATE",
    "JOB_DURATION",
    "JOB_RUNS",
    "MULTIPROC_ENV",
    "ODOO_CALLS",
    "ODOO_CONCURRENCY_LIMIT",
    "ODOO_LATENCY",
    "ORDER_CONFIRM_LATENCY",
    "SPAPI_CALLS",
    "SPAPI_THROTTLED",
    "TOKEN_WAIT",
    "multiprocess_dir",
    "prepare_process",
    "process_exited",
]

#: prometheus_client's own switch: it picks file-backed values when this is set at import time.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

SPAPI_CALLS = Counter("aos_spapi_calls_total", "SP-API calls by operation and HTTP status",
                      ["account", "operation", "status"])
SPAPI_THROTTLED = Counter("aos_spapi_throttled_total", "SP-API 429 responses", ["account", "operation"])
TOKEN_WAIT = Histogram("aos_rate_token_wait_seconds", "Time waited for a rate-governor token",
                       ["operation"], buckets=(0, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120))
CIRCUIT_STATE = Gauge("aos_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open",
                      ["account", "api"], multiprocess_mode="livemostrecent")
ODOO_CALLS = Counter("aos_odoo_calls_total", "Odoo calls by model, method and outcome",
                     ["model", "method", "outcome"])
ODOO_LATENCY = Histogram("aos_odoo_call_seconds", "Odoo call latency", ["model", "method"])
ODOO_CONCURRENCY_LIMIT = Gauge("aos_odoo_concurrency_limit", "Current adaptive concurrency limit",
                               ["instance"], multiprocess_mode="livemostrecent")
JOB_RUNS = Counter("aos_job_runs_total", "Job runs by task, queue and outcome (succeeded/failed/retry)",
                   ["task", "queue", "outcome"])
JOB_DURATION = Histogram("aos_job_seconds", "Job run time", ["task", "queue"],
                         buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300))
# "last_update": from the Amazon change that made the order importable (paid for FBM, shipped for
# FBA): the connector's own delay. "purchase": from the buyer's purchase, Amazon's pending included.
ORDER_CONFIRM_LATENCY = Histogram(
    "aos_order_confirm_seconds",
    "Time from an Amazon order's purchase date or last update to its confirmation in Odoo",
    ["account", "channel", "since"],
    buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400))


def multiprocess_dir() -> Path | None:
    """The multiprocess directory when this process runs in multiprocess mode, else None."""
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def prepare_process() -> None:
    """Create the multiprocess directory if needed (prometheus_client writes there on first use)."""
    directory = multiprocess_dir()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)


def process_exited() -> None:
    """Drop this process's live gauges from the multiprocess directory (counters stay: totals
    must not go down when a worker stops)."""
    directory = multiprocess_dir()
    if directory is not None and directory.is_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]
