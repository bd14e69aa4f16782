"""Declaring tasks: ``@task(queue="orders", lock_from=..., queueing_lock_from=...)``.

A task is declared once, at import time, independent of any database: the declaration goes in
a registry, and :func:`~amazon_odoo_sync.jobs.app.build_app` binds every declared task to the
procrastinate ``App`` it builds (so tests can build apps on many databases).

``lock_from``: jobs with the same lock never run at the same time (procrastinate ``lock``).
``queueing_lock_from``: at most one job with this key waits in the queue; deferring a duplicate
is a no-op that returns ``None`` (procrastinate ``queueing_lock``, ``AlreadyEnqueued`` caught).
Both take a ``str.format`` template over the job's keyword arguments (``"order:{account}:{order_id}"``)
or a callable ``kwargs -> str | None``; ``queueing_lock_from=True`` keys on all the arguments.
Queueing locks are prefixed with the task name, locks are not (tasks may share a lock on purpose).

While a job runs, :func:`current_job` gives its :class:`JobRuntime` (app, settings, database pool,
job id), and structlog lines carry ``job_id``, ``task``, ``queue`` and ``account``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from procrastinate import App, BaseRetryStrategy, JobContext, PsycopgConnector, RetryDecision
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.job_context import AbortReason
from procrastinate.jobs import Job

from ..clock import utcnow
from ..config import Settings
from ..exceptions import SyncError, WorkerStopping
from ..logs import bind, get_logger
from ..metrics import JOB_DURATION, JOB_RUNS
from ..store import job_failures
from ..store.database import translate_driver_error
from ..store.unit import UnitOfWork
from .outbox import job_options
from .queues import check_queue, priority_for
from .retry import HOLDING_ERRORS, SyncRetryStrategy, is_budgeted, is_hold
from .shutdown import WorkerStop, current_worker_stop, give_back

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

__all__ = [
    "JobRuntime",
    "JobTask",
    "LockFrom",
    "Resources",
    "RetryLog",
    "TaskSpec",
    "app_pool",
    "current_job",
    "failure_context",
    "registered_tasks",
    "task",
]

log = get_logger(__name__)

LockFrom = str | Callable[[Mapping[str, Any]], str | None] | None
TaskFunc = Callable[..., Awaitable[Any]]

_REGISTRY: dict[str, JobTask] = {}
_current: ContextVar[JobRuntime | None] = ContextVar("aos_current_job", default=None)

@dataclass(frozen=True, kw_only=True)
class JobRuntime:
    """What a running job may use: its app (to defer follow-ups), settings and database pool."""

    app: App
    settings: Settings
    job_id: int
    task_name: str
    queue: str
    attempts: int
    #: What the app's tasks run with, built once per app (the flows' runtime): see :class:`Resources`.
    resources: object = None

    @property
    def pool(self) -> AsyncConnectionPool[Any]:
        """The worker's psycopg pool: ``async with current_job().pool.connection() as conn``."""
        return app_pool(self.app)


class Resources:
    """What the tasks of one app run with (for the flows: their runtime), built by ``factory`` on
    the app's pool when the first job runs and kept for the app's life. Passed to ``build_app``
    by whoever builds the worker; a job reads it as ``current_job().resources``. Held by the app,
    not in a process-wide table: two apps in one process (tests, the demo) never share one."""

    def __init__(self, factory: Callable[[AsyncConnectionPool[Any]], object]) -> None:
        self._factory = factory
        self._built: object = None

    def get(self, app: App) -> object:
        if self._built is None:
            self._built = self._factory(app_pool(app))
        return self._built


def app_pool(app: App) -> AsyncConnectionPool[Any]:
    """The psycopg pool of an opened app (ours are always built on ``PsycopgConnector``)."""
    connector = app.connector
    if not isinstance(connector, PsycopgConnector):
        raise TypeError("jobs apps are built on procrastinate's PsycopgConnector")
    pool: AsyncConnectionPool[Any] = connector.pool
    return pool


def current_job() -> JobRuntime:
    """The job running in this context. Raises RuntimeError outside a job."""
    runtime = _current.get()
    if runtime is None:
        raise RuntimeError("not inside a job: current_job() is only available while a job runs")
    return runtime


def _render(template: LockFrom | Literal[True], kwargs: Mapping[str, Any]) -> str | None:
    if template is None:
        return None
    if template is True:
        return json.dumps(dict(kwargs), sort_keys=True, separators=(",", ":"), default=str)
    if isinstance(template, str):
        try:
            return template.format(**kwargs)
        except KeyError as exc:
            raise ValueError(f"lock template {template!r} needs argument {exc.args[0]!r}") from None
    return template(kwargs)


def failure_context(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, SyncError):
        return exc.context()
    return {"error": type(exc).__name__, "message": str(exc), "retryable": False}


@dataclass(frozen=True, kw_only=True, eq=False)
class TaskSpec:
    """What a task's jobs are in the job table: name, queue, locks, priority. A flow that queues a
    follow-up job holds its spec (``spec.defer_in(tx, ...)``), so queueing needs no declared
    function in the process; ``amazon_odoo_sync.tasks`` binds a function to it (``task(spec=...)``)."""

    name: str
    queue: str
    lock_from: LockFrom = None
    queueing_lock_from: LockFrom | Literal[True] = None
    #: None: the queue's priority from the settings.
    priority: int | None = None

    def __post_init__(self) -> None:
        check_queue(self.queue)

    def lock_for(self, kwargs: Mapping[str, Any]) -> str | None:
        return _render(self.lock_from, kwargs)

    def queueing_lock_for(self, kwargs: Mapping[str, Any]) -> str | None:
        key = _render(self.queueing_lock_from, kwargs)
        return None if key is None else f"{self.name}:{key}"

    def job_priority(self, priority: int | None = None) -> int:
        if priority is not None:
            return priority
        return self.priority if self.priority is not None else priority_for(self.queue)

    async def defer(self, app: App, *, priority: int | None = None,
                    schedule_at: datetime | None = None, schedule_in: float | None = None,
                    queueing_lock: str | None = None, **kwargs: Any) -> int | None:
        """Queue a job through ``app``'s pool. Returns its id, or None if an identical one waits."""
        options: dict[str, Any] = {
            "queue": self.queue, "priority": self.job_priority(priority),
            "lock": self.lock_for(kwargs),
            "queueing_lock": queueing_lock or self.queueing_lock_for(kwargs),
        }
        if schedule_at is not None:
            options["schedule_at"] = schedule_at
        elif schedule_in is not None:
            options["schedule_in"] = {"seconds": schedule_in}
        try:
            job_id: int = await app.configure_task(self.name, **options).defer_async(**kwargs)
        except AlreadyEnqueued:
            log.debug("job already waiting", task=self.name, queueing_lock=options["queueing_lock"])
            return None
        return job_id

    async def defer_in(self, tx: UnitOfWork, *, priority: int | None = None,
                       schedule_at: datetime | None = None, schedule_in: float | None = None,
                       queueing_lock: str | None = None, **kwargs: Any) -> int | None:
        """Queue a job in the unit of work ``tx``: it commits or rolls back with the work."""
        resolved, due = job_options(self.queue, priority=self.job_priority(priority), schedule_at=schedule_at,
                                    schedule_in=schedule_in)
        return await tx.jobs.defer(self.name, queue=self.queue, args=kwargs, priority=resolved,
                                   lock=self.lock_for(kwargs),
                                   queueing_lock=queueing_lock or self.queueing_lock_for(kwargs), schedule_at=due)



@dataclass(frozen=True, kw_only=True, eq=False)
class JobTask(TaskSpec):
    """A declared task: its spec and the function its jobs run. Call ``defer`` (through an app) or
    ``defer_in`` (in a unit of work); awaiting it runs it inline."""

    func: TaskFunc

    async def __call__(self, **kwargs: Any) -> Any:
        return await self.func(**kwargs)

    def runner(self, settings: Settings, strategy: SyncRetryStrategy,
               resources: Resources | None = None) -> Callable[..., Awaitable[Any]]:
        """The function procrastinate runs: context, logging, metrics, failure record around ours."""

        async def run(context: JobContext, **kwargs: Any) -> Any:
            job = context.job
            assert job.id is not None
            runtime = JobRuntime(app=context.app, settings=settings, job_id=job.id,
                                 task_name=self.name, queue=job.queue, attempts=job.attempts,
                                 resources=resources.get(context.app) if resources else None)
            fields: dict[str, Any] = {"job_id": job.id, "task": self.name, "queue": job.queue}
            if isinstance(kwargs.get("account"), str):
                fields["account"] = kwargs["account"]
            token = _current.set(runtime)
            started = time.monotonic()
            stop = current_worker_stop()
            try:
                with bind(**fields), (stop.track(job.id) if stop else contextlib.nullcontext()):
                    try:
                        result = await self.func(**kwargs)
                    except asyncio.CancelledError:
                        if not _stopping(stop, context):
                            raise
                        JOB_RUNS.labels(self.name, job.queue, "given_back").inc()
                        if not await give_back(context.app, job.id):
                            log.info("job given way to its waiting twin")
                            raise
                        task = asyncio.current_task()
                        if task is not None:
                            task.uncancel()  # the cancellation became the WorkerStopping below
                        raise WorkerStopping("the worker is stopping: the job goes back to the "
                                             "queue", retry_after=0.0) from None
                    except Exception as exc:
                        # A driver error a flow let through is judged as ours (PostgreSQL away: retried).
                        failure = translate_driver_error(exc) or exc
                        await _settle_failure(context.app, strategy, self.name, job, failure)
                        if failure is exc:
                            raise
                        raise failure from exc
                    JOB_RUNS.labels(self.name, job.queue, "succeeded").inc()
                    return result
            finally:
                JOB_DURATION.labels(self.name, job.queue).observe(time.monotonic() - started)
                _current.reset(token)

        run.__name__ = run.__qualname__ = self.name
        return run


def _stopping(stop: WorkerStop | None, context: JobContext) -> bool:
    """A cancellation because the worker stops (ours, or procrastinate's after the grace period)."""
    return (stop is not None and stop.stopping) or context.abort_reason() == AbortReason.SHUTDOWN


class RetryLog(BaseRetryStrategy):
    """Procrastinate asks its retry strategy, after a run raised, whether and when the job runs
    again. This one passes the question to ``strategy`` and logs the answer: "job retried" with
    the attempt and the seconds until the next run, or "job failed" when there is none."""

    def __init__(self, strategy: BaseRetryStrategy) -> None:
        self.strategy = strategy

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, WorkerStopping):  # back as it was, due now: not a failure
            log.info("job given back", outcome="given_back", job_id=job.id, task=job.task_name,
                     queue=job.queue)
            return RetryDecision(retry_at=None)
        decision = self.strategy.get_retry_decision(exception=exception, job=job)
        fields: dict[str, Any] = {"job_id": job.id, "task": job.task_name, "queue": job.queue,
                                  "attempt": job.attempts + 1}
        if isinstance(job.task_kwargs.get("account"), str):
            fields["account"] = job.task_kwargs["account"]
        fields |= failure_context(exception)
        if decision is None:
            log.warning("job failed", outcome="failed", **fields)
            return None
        # The next run is due on real time (the database's), whatever clock measures budgets.
        wait = round(max(0.0, (decision.retry_at - utcnow()).total_seconds()), 1) if decision.retry_at else 0.0
        if is_hold(exception):  # an outage being waited out, not the job failing: no warning
            log.info("job held: circuit open", outcome="held", next_in_seconds=wait, **fields)
        else:
            log.warning("job retried", outcome="retry", next_in_seconds=wait, **fields)
        return decision


async def _settle_failure(app: App, strategy: SyncRetryStrategy, task_name: str, job: Job,
                          exc: BaseException) -> None:
    """Decide the failed run's fate (retry when, or fail), record it and count it.

    The decision needs when the job started failing (its retry budget): read from
    ``job_failures`` for a budgeted error; a hold (open circuit) or a permanent error needs no
    history. The decision is left with ``strategy`` for procrastinate, which asks next (through
    :class:`RetryLog`, which logs it with the time of the next run).
    """
    assert job.id is not None
    job_id, attempts = job.id, job.attempts
    now = strategy.clock.now()
    pool = app_pool(app)
    since: datetime | None = None
    if is_budgeted(exc):
        try:
            async with pool.connection() as conn:
                since = await job_failures.failing_since(conn, job_id, holds=HOLDING_ERRORS)
        except Exception as read_exc:  # judged as a first failure: it is retried, not lost
            log.error("could not read the job's failures", job_id=job_id, error=repr(read_exc))
    delay = strategy.delay(exc, attempts, failing_since=since, now=now)
    strategy.remember(job_id, delay)
    final = delay is None
    outcome = "failed" if final else "held" if is_hold(exc) else "retry"
    JOB_RUNS.labels(task_name, job.queue, outcome).inc()
    context = failure_context(exc)
    try:
        async with pool.connection() as conn:
            await job_failures.record(
                conn, job_id=job_id, attempt=attempts + 1, final=final, error_type=type(exc).__name__,
                message=str(context.get("message") or exc), context=context,
                traceback="".join(traceback.format_exception(exc)), at=now)
    except Exception as record_exc:  # never hide the job's own error behind ours
        log.error("could not record job failure", job_id=job_id, error=repr(record_exc))


def task(*, queue: str | None = None, name: str | None = None, lock_from: LockFrom = None,
         queueing_lock_from: LockFrom | Literal[True] = None,
         priority: int | None = None, spec: TaskSpec | None = None) -> Callable[[TaskFunc], JobTask]:
    """Declare an ``async def`` taking keyword arguments (JSON values) as a task: with its queue and
    locks, or with the ``spec`` a flow queues it by."""
    if spec is not None and (queue or name or lock_from or queueing_lock_from or priority is not None):
        raise ValueError("give a spec or the task's queue, name and locks, not both")
    if spec is None and queue is None:
        raise ValueError("a task needs a queue (or a spec)")
    if queue is not None:
        check_queue(queue)

    def decorate(func: TaskFunc) -> JobTask:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"task {func.__qualname__} must be an async function")
        if spec is not None:
            declared = JobTask(name=spec.name, queue=spec.queue, func=func, lock_from=spec.lock_from,
                               queueing_lock_from=spec.queueing_lock_from, priority=spec.priority)
        else:
            assert queue is not None
            declared = JobTask(name=name or f"{func.__module__}.{func.__qualname__}", queue=queue, func=func,
                               lock_from=lock_from, queueing_lock_from=queueing_lock_from, priority=priority)
        if declared.name in _REGISTRY:
            raise ValueError(f"a task named {declared.name!r} is already declared")
        _REGISTRY[declared.name] = declared
        return declared

    return decorate


def registered_tasks() -> Mapping[str, JobTask]:
    """Every declared task by name (modules must be imported first: see ``jobs.app``)."""
    return dict(_REGISTRY)
