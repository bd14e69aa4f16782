"""Prometheus exposition for ``/metrics``: every process's series plus the database's view.

Process series (SP-API calls and 429s, Odoo calls and latency, job runs, order latency...) come
from the multiprocess directory when ``PROMETHEUS_MULTIPROC_DIR`` is set, so the workers' calls
show here too (see :mod:`amazon_odoo_sync.metrics`); without it, from this process only.
What every process shares only through the database is read at scrape time: jobs by queue and
state, the age of the oldest ready job per queue (queue depth and lag), FBA drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from ..jobs.admin import STATES
from ..jobs.queues import QUEUES
from ..metrics import multiprocess_dir
from ..store.dashboard import DashboardReads

__all__ = ["CONTENT_TYPE_LATEST", "database_metrics", "render_metrics"]


async def database_metrics(reads: DashboardReads) -> list[Metric]:
    """``aos_jobs{queue,state}`` (known pairs without jobs read 0), ``aos_job_oldest_ready_seconds
    {queue}`` and the FBA drift of every pulled network, as read now."""
    depths = await reads.queue_depths()
    counts = {(d.queue, d.state): d.jobs for d in depths}
    jobs = GaugeMetricFamily("aos_jobs", "Jobs by queue and state", labels=["queue", "state"])
    oldest = GaugeMetricFamily("aos_job_oldest_ready_seconds",
                               "Age of the oldest job ready to run, per queue (0: none waiting)",
                               labels=["queue"])
    ready = {d.queue: d.oldest_ready_seconds or 0.0 for d in depths if d.state == "todo"}
    for queue in sorted(set(QUEUES) | {q for q, _ in counts}):
        for state in STATES:
            jobs.add_metric([queue, state], counts.get((queue, state), 0))
        oldest.add_metric([queue], float(ready.get(queue, 0.0)))
    # Written by whichever worker pulled last: the database is the only place they all share.
    skus = GaugeMetricFamily("aos_fba_drift_skus", "SKUs whose Amazon FBA total differs from Odoo's "
                             "expectation beyond stock.fba_drift_tolerance (last complete pull)",
                             labels=["account", "network"])
    units = GaugeMetricFamily("aos_fba_drift_units", "Sum of the absolute FBA drift of those SKUs",
                              labels=["account", "network"])
    for account, network, lines, total in await reads.fba_drift_totals():
        skus.add_metric([account, network], lines)
        units.add_metric([account, network], float(total))
    return [jobs, oldest, skus, units]


class _Collect:
    def __init__(self, source: Callable[[], Iterable[Metric]]) -> None:
        self._source = source

    def collect(self) -> Iterable[Metric]:
        return self._source()


def render_metrics(database: Sequence[Metric] = (), *, directory: Path | None = None,
                   registry: CollectorRegistry = REGISTRY) -> bytes:
    """The exposition text: process series (all processes' in multiprocess mode, else
    ``registry``'s) followed by ``database``'s families."""
    directory = directory or multiprocess_dir()
    combined = CollectorRegistry(auto_describe=False)
    if directory is not None and directory.is_dir():
        MultiProcessCollector(combined, path=str(directory))  # type: ignore[no-untyped-call]
    else:
        combined.register(_Collect(registry.collect))
    families = list(database)
    combined.register(_Collect(lambda: families))
    return generate_latest(combined)
