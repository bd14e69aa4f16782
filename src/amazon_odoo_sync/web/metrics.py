"""Prometheus exposition: job counts and FBA drift are read from the database at scrape time.

Gauges that only some processes could keep current (jobs by queue and state) are refreshed by
the process serving ``/metrics``; counters and histograms recorded in this process (SP-API calls,
job runs of an in-process worker) are exported as they are.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from psycopg import AsyncConnection

from ..jobs.admin import STATES, queue_depths
from ..jobs.queues import QUEUES
from ..metrics import FBA_DRIFT_SKUS, FBA_DRIFT_UNITS, JOBS
from ..store import fba_drift

__all__ = ["CONTENT_TYPE_LATEST", "collect_job_metrics", "render_metrics"]


async def collect_job_metrics(conn: AsyncConnection[Any]) -> None:
    """Set ``aos_jobs{queue,state}``; known queue/state pairs without jobs read 0."""
    depths = await queue_depths(conn)
    counts = {(d.queue, d.state): d.jobs for d in depths}
    for queue in set(QUEUES) | {q for q, _ in counts}:
        for state in STATES:
            JOBS.labels(queue, state).set(counts.get((queue, state), 0))
    # Written by whichever worker pulled last: the database is the only place they all share.
    for account, network, lines, units in await fba_drift.totals(conn):
        FBA_DRIFT_SKUS.labels(account, network).set(lines)
        FBA_DRIFT_UNITS.labels(account, network).set(float(units))


def render_metrics(registry: CollectorRegistry = REGISTRY) -> bytes:
    return generate_latest(registry)
