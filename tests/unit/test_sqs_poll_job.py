"""The SQS poll job: declared on the orders queue with a queueing lock, scheduled every few
seconds while a queue URL is configured (and only idling hourly without one)."""

from __future__ import annotations

import pytest

from amazon_odoo_sync import tasks
from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.exceptions import ConfigurationError
from amazon_odoo_sync.flows import sqs_notifications
from amazon_odoo_sync.jobs.schedule import entries, registered_schedules
from amazon_odoo_sync.jobs.tasks import registered_tasks


def test_the_task_runs_on_the_orders_queue_one_at_a_time() -> None:
    declared = registered_tasks()["notifications.sqs_poll"]
    assert declared is tasks.poll_sqs
    assert declared.queue == "orders"
    assert declared.queueing_lock_for({}) == "notifications.sqs_poll:sqs"
    assert declared.lock_for({}) == "notifications.sqs_poll"


@pytest.mark.parametrize(("url", "interval"), [
    ("https://sqs.eu-west-1.amazonaws.com/123456789012/aos", 7.0),
    (None, sqs_notifications.IDLE_INTERVAL),
])
def test_schedule_follows_the_configuration(url: str | None, interval: float) -> None:
    settings = Settings(notifications={"sqs_queue_url": url, "poll_seconds": 7})
    schedule = {"notifications.sqs_poll": registered_schedules()["notifications.sqs_poll"]}
    (entry,) = entries(settings, schedule)
    assert entry.name == "notifications.sqs_poll" and entry.interval == interval and entry.kwargs == {}


def test_limits_are_sqs_limits() -> None:
    with pytest.raises(ValueError, match="max_messages"):
        Settings(notifications={"max_messages": 11})
    with pytest.raises(ValueError, match="wait_seconds"):
        Settings(notifications={"wait_seconds": 21})


def test_client_needs_a_queue_url() -> None:
    with pytest.raises(ConfigurationError, match="no SQS queue"):
        sqs_notifications.sqs_client(Settings().notifications)
