"""Prometheus metrics, defined once here so every module records into the same series."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "CIRCUIT_STATE",
    "FBA_DRIFT_SKUS",
    "FBA_DRIFT_UNITS",
    "JOBS",
    "JOB_DURATION",
    "JOB_RUNS",
    "ODOO_CALLS",
    "ODOO_CONCURRENCY_LIMIT",
    "ODOO_LATENCY",
    "SPAPI_CALLS",
    "SPAPI_THROTTLED",
    "TOKEN_WAIT",
]

JOBS = Gauge("aos_jobs", "Jobs by queue and state", ["queue", "state"])
FBA_DRIFT_SKUS = Gauge("aos_fba_drift_skus", "SKUs whose Amazon FBA total differs from Odoo's expectation "
                       "beyond stock.fba_drift_tolerance (last complete pull)", ["account", "network"])
FBA_DRIFT_UNITS = Gauge("aos_fba_drift_units", "Sum of the absolute FBA drift of those SKUs", ["account", "network"])
SPAPI_CALLS = Counter("aos_spapi_calls_total", "SP-API calls by operation and HTTP status",
                      ["account", "operation", "status"])
SPAPI_THROTTLED = Counter("aos_spapi_throttled_total", "SP-API 429 responses", ["account", "operation"])
TOKEN_WAIT = Histogram("aos_rate_token_wait_seconds", "Time waited for a rate-governor token",
                       ["operation"], buckets=(0, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120))
CIRCUIT_STATE = Gauge("aos_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open",
                      ["account", "api"])
ODOO_CALLS = Counter("aos_odoo_calls_total", "Odoo calls by model, method and outcome",
                     ["model", "method", "outcome"])
ODOO_LATENCY = Histogram("aos_odoo_call_seconds", "Odoo call latency", ["model", "method"])
ODOO_CONCURRENCY_LIMIT = Gauge("aos_odoo_concurrency_limit", "Current adaptive concurrency limit",
                               ["instance"])
JOB_RUNS = Counter("aos_job_runs_total", "Job runs by task, queue and outcome (succeeded/failed/retry)",
                   ["task", "queue", "outcome"])
JOB_DURATION = Histogram("aos_job_seconds", "Job run time", ["task", "queue"],
                         buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300))
