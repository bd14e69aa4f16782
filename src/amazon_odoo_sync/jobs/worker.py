"""Running a worker: procrastinate's worker plus our two side loops.

* At start, and then through the scheduled ``jobs.housekeeping`` task, the jobs of dead workers
  are requeued (``jobs.stalled``).
* The scheduler loop defers due interval schedules (``jobs.schedule``) every
  ``[jobs] scheduler_tick_seconds``. Several workers may run it: each due run is claimed once.

With ``wait=False`` the worker stops once no job is ready (demo, tests); it then runs no
scheduler, only the start-up recovery.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from procrastinate import App

from ..config import JobsConfig, Settings
from ..logs import get_logger
from ..store.job_admin import PgJobAdmin
from ..store.unit import PgStore
from .queues import check_queue
from .schedule import ScheduleEntry, run_due_schedules, sync_schedules
from .shutdown import WorkerStop, stopping_worker
from .stalled import recover_stalled_jobs
from .tasks import app_pool

__all__ = ["run_worker"]

log = get_logger(__name__)


async def _every(seconds: float, name: str, step: Callable[[], Awaitable[Any]]) -> None:
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a database hiccup must not stop the worker; try next tick
            log.error("worker side loop failed", loop=name, error=repr(exc))
        await asyncio.sleep(seconds)


async def _run_procrastinate(app: App, stop: WorkerStop, options: dict[str, Any], *,
                             concurrency: int, wait: bool, name: str, config: JobsConfig) -> None:
    """procrastinate's worker, stopped by cancelling it: procrastinate then stops fetching, waits
    ``shutdown_grace_seconds`` for running jobs and cancels the rest (they are given back)."""
    run = asyncio.create_task(app.run_worker_async(
        **options, concurrency=concurrency, wait=wait, name=name,
        install_signal_handlers=False,
        shutdown_graceful_timeout=config.shutdown_grace_seconds,
        update_heartbeat_interval=config.heartbeat_seconds,
        stalled_worker_timeout=config.stalled_after_seconds,
        # NOTIFY wakes workers for new jobs, not for a delayed one coming due (an order import
        # waits orders_import_delay for its batch): poll for those.
        fetch_job_polling_interval=min(2.0, config.scheduler_tick_seconds * 2)))
    stop.cancel_on_stop(run)
    try:
        await run
    except asyncio.CancelledError:
        if not stop.stopping or not run.cancelled():
            raise
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # our caller cancelled us as well


@contextlib.contextmanager
def _on_stop_signal(stop: WorkerStop, install: bool) -> Iterator[None]:
    """SIGTERM/SIGINT begin the stop (jobs that wait give way at once)."""
    if not install:
        yield
        return
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for number in signals:
        loop.add_signal_handler(number, stop.begin)
    try:
        yield
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


async def run_worker(app: App, settings: Settings, *, queues: Iterable[str] | None = None,
                     concurrency: int | None = None, wait: bool = True, name: str | None = None,
                     install_signal_handlers: bool = True) -> None:
    """Open ``app`` and process jobs until stopped (SIGINT/SIGTERM) or, if not ``wait``, idle."""
    config = settings.jobs
    queue_list = [check_queue(q) for q in queues] if queues else None
    async with app.open_async():
        pool = app_pool(app)
        admin, store = PgJobAdmin(pool), PgStore(pool)
        await recover_stalled_jobs(admin, config.stalled_after_seconds)

        side: list[asyncio.Task[None]] = []
        if wait:
            current: list[ScheduleEntry] = await sync_schedules(store, settings)

            async def tick() -> None:
                await run_due_schedules(store, current)

            side.append(asyncio.create_task(_every(config.scheduler_tick_seconds, "scheduler", tick)))
        try:
            options: dict[str, Any] = {"queues": queue_list} if queue_list else {}
            with stopping_worker() as stop, _on_stop_signal(stop, install_signal_handlers):
                while not stop.stopping:
                    await _run_procrastinate(app, stop, options, concurrency=concurrency or config.concurrency,
                                             wait=wait, name=name or "worker",
                                             config=config)
                    # procrastinate's wait=False stops when a fetch finds nothing, even while a
                    # running job is about to be retried: go on until nothing is ready at all.
                    if wait or not await admin.ready_jobs(queue_list):
                        break
        finally:
            for loop_task in side:
                loop_task.cancel()
            await asyncio.gather(*side, return_exceptions=True)
