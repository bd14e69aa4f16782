"""Job pipeline on procrastinate: queues and priorities, retries, tasks, outbox, schedules.

What flows use::

    from amazon_odoo_sync.jobs import task, current_job, register_schedule, defer_in_transaction

    @task(queue="orders", lock_from="order:{account}:{amazon_order_id}",
          queueing_lock_from="{account}:{amazon_order_id}")
    async def import_order(*, account: str, amazon_order_id: str) -> None:
        job = current_job()            # app, settings, pool, job id
        ...

    await import_order.defer_in(tx, account="acme", amazon_order_id="123-...")  # tx: a unit of work
    register_schedule("orders.poll", poll_orders, every="orders_poll", per_account=True)
"""

from .app import build_app
from .outbox import defer_in_transaction
from .queues import QUEUES, priority_for
from .retry import SyncRetryStrategy
from .schedule import register_schedule
from .tasks import JobRuntime, JobTask, current_job, task

__all__ = [
    "QUEUES",
    "JobRuntime",
    "JobTask",
    "SyncRetryStrategy",
    "build_app",
    "current_job",
    "defer_in_transaction",
    "priority_for",
    "register_schedule",
    "task",
]
