"""Every task the worker runs and every schedule, named in one place, and the worker's app.

The job layer (``jobs``) knows no flow: it runs what it is given. This module, above the flows,
names the modules that declare the worker's tasks and schedules and builds the app with the
flows' runtime as the jobs' resources (built once per worker process, on the app's pool).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from procrastinate import App

from .config import Settings
from .flows.runtime import FlowRuntime
from .jobs.app import build_app, import_task_modules
from .jobs.retry import SyncRetryStrategy

__all__ = ["TASK_MODULES", "build_worker_app", "declare_worker_tasks"]

#: The modules declaring the worker's tasks and schedules (besides the job layer's own).
TASK_MODULES = (
    "amazon_odoo_sync.flows.orders",
    "amazon_odoo_sync.flows.sqs_notifications",
    "amazon_odoo_sync.flows.stock",
    "amazon_odoo_sync.flows.fba_inventory",
    "amazon_odoo_sync.flows.shipments",
    "amazon_odoo_sync.flows.privacy",
)


def declare_worker_tasks(modules: Iterable[str] = TASK_MODULES) -> list[str]:
    """Import the modules declaring the worker's tasks (the web and CLI defer by these names)."""
    return import_task_modules(modules)


def build_worker_app(settings: Settings, *, url: str | None = None, runtime: FlowRuntime | None = None,
                     retry_strategy: SyncRetryStrategy | None = None, modules: Iterable[str] = TASK_MODULES,
                     pool_size: int | None = None) -> App:
    """The worker's app: every task bound, the flows' runtime built on the app's pool at the first
    job (or ``runtime``, which tests and the demo build with their transports and clock)."""
    def flows_runtime(pool: Any) -> FlowRuntime:
        return runtime if runtime is not None else FlowRuntime(settings, pool)

    return build_app(settings, url=url, task_modules=modules, retry_strategy=retry_strategy, pool_size=pool_size,
                     resources=flows_runtime)
