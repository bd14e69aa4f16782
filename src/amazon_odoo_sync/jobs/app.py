"""The procrastinate ``App``, built from the settings with every declared task bound to it.

The modules declaring tasks are named by the caller (``amazon_odoo_sync.tasks`` names the
worker's: the job layer knows no flow); ``amazon_odoo_sync.jobs.builtin`` always. A module that
fails to import stops the worker: running without its tasks would fail its jobs one by one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from procrastinate import App, PsycopgConnector

from ..config import Settings
from ..exceptions import ConfigurationError
from .queues import configure_priorities
from .retry import SyncRetryStrategy
from .tasks import Resources, RetryLog, registered_tasks

__all__ = ["DEFAULT_TASK_MODULES", "build_app", "import_task_modules"]

#: Always imported.
DEFAULT_TASK_MODULES = ("amazon_odoo_sync.jobs.builtin",)


def import_task_modules(modules: Iterable[str] = ()) -> list[str]:
    """Import the modules declaring tasks: the builtin ones and ``modules``."""
    names = list(DEFAULT_TASK_MODULES)
    names += [name for name in modules if name not in names]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise ConfigurationError(f"cannot import task module {name}: {exc}") from exc
    return names


def build_app(settings: Settings, *, url: str | None = None,
              task_modules: Iterable[str] = (),
              retry_strategy: SyncRetryStrategy | None = None,
              pool_size: int | None = None,
              resources: Callable[[Any], object] | None = None) -> App:
    """A procrastinate App on ``url`` (default: the settings' database), not yet opened.

    Use ``async with app.open_async():`` around deferring; :func:`jobs.worker.run_worker` opens it
    itself. ``resources(pool)`` builds, at the first job, what the tasks run with (the worker's
    flow runtime; ``current_job().resources``). Tests pass ``url=db_url`` and no task modules
    (builtin tasks only); ``amazon_odoo_sync.tasks.build_worker_app`` passes the worker's.
    """
    if url is None:
        from ..store.database import database_url

        url = database_url(settings)
    import_task_modules(task_modules)
    configure_priorities(settings.priorities)
    strategy = retry_strategy or SyncRetryStrategy.from_config(settings.jobs)
    # A running job may hold one connection for its transaction and briefly need a second
    # (outbox, store look-ups): two per job, plus the worker's listener and heartbeat.
    size = pool_size or max(settings.database.pool_size, settings.jobs.concurrency * 2 + 3)
    pool_args: dict[str, Any] = {"conninfo": url, "min_size": 1, "max_size": size,
                                 "name": "aos-jobs"}
    app = App(connector=PsycopgConnector(**pool_args))
    logged = RetryLog(strategy)
    shared = Resources(resources) if resources is not None else None
    for declared in registered_tasks().values():
        app.task(name=declared.name, queue=declared.queue, priority=declared.job_priority(),
                 lock=None, queueing_lock=None, retry=logged, pass_context=True,
                 )(declared.runner(settings, strategy, shared))
    return app
