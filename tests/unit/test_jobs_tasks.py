"""Task declaration, lock keys, schedules: no database needed."""

from __future__ import annotations

import pytest

from amazon_odoo_sync.config import AccountConfig, Priorities, Schedules, Settings
from amazon_odoo_sync.jobs import builtin
from amazon_odoo_sync.jobs.queues import QUEUES, priority_for
from amazon_odoo_sync.jobs.schedule import Schedule, entries, register_schedule
from amazon_odoo_sync.jobs.tasks import current_job, registered_tasks, task


@task(queue="orders", name="tests.unit.order", lock_from="order:{account}:{order_id}",
      queueing_lock_from=lambda kw: f"{kw['account']}:{kw['order_id']}")
async def import_order(*, account: str, order_id: str) -> str:
    return f"{account}/{order_id}"


@task(queue="stock", name="tests.unit.stock", queueing_lock_from=True)
async def push_stock(*, sku: str, qty: int) -> None:
    return None


async def test_declared_task_is_registered_and_callable_inline() -> None:
    assert registered_tasks()["tests.unit.order"] is import_order
    assert await import_order(account="a", order_id="1") == "a/1"


def test_lock_keys_come_from_the_arguments() -> None:
    kwargs = {"account": "acme", "order_id": "111-2"}
    assert import_order.lock_for(kwargs) == "order:acme:111-2"
    assert import_order.queueing_lock_for(kwargs) == "tests.unit.order:acme:111-2"
    assert push_stock.lock_for({"sku": "A", "qty": 1}) is None
    # True: the whole argument set, order-independent
    assert push_stock.queueing_lock_for({"qty": 1, "sku": "A"}) == \
        push_stock.queueing_lock_for({"sku": "A", "qty": 1}) == 'tests.unit.stock:{"qty":1,"sku":"A"}'


def test_lock_template_missing_argument_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs argument 'order_id'"):
        import_order.lock_for({"account": "acme"})


def test_declaration_errors() -> None:
    with pytest.raises(ValueError, match="unknown queue"):
        task(queue="default")
    with pytest.raises(TypeError, match="async"):
        task(queue="orders", name="tests.unit.sync")(lambda: None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already declared"):
        task(queue="orders", name="tests.unit.order")(import_order.func)


def test_priorities_follow_queues() -> None:
    assert [priority_for(q, Priorities()) for q in QUEUES] == [100, 80, 60, 40, 20]
    custom = Priorities(stock=9, shipments=8, orders=7, reports=6, housekeeping=5)
    assert priority_for("orders", custom) == 7
    assert import_order.job_priority(3) == 3


def test_current_job_outside_a_job() -> None:
    with pytest.raises(RuntimeError, match="not inside a job"):
        current_job()


def test_schedule_entries_from_settings() -> None:
    settings = Settings(schedules=Schedules(orders_poll=45),
                        accounts=[AccountConfig(name="eu1", region="EU", marketplaces=["DE"]),
                                  AccountConfig(name="eu2", region="EU", marketplaces=["FR"])])
    schedules = {
        "orders.poll": Schedule(name="orders.poll", task=import_order, every="orders_poll",
                                per_account=True, kwargs={"order_id": "*"}),
        "probe": Schedule(name="probe", task=builtin.noop, every=lambda s: 7.5,
                          kwargs={"key": "k"}),
    }
    got = [(e.name, e.interval, dict(e.kwargs)) for e in entries(settings, schedules)]
    assert got == [("orders.poll:eu1", 45.0, {"order_id": "*", "account": "eu1"}),
                   ("orders.poll:eu2", 45.0, {"order_id": "*", "account": "eu2"}),
                   ("probe", 7.5, {"key": "k"})]


def test_schedule_registration_checks_the_setting_name() -> None:
    with pytest.raises(ValueError, match="no setting schedules.nope"):
        register_schedule("tests.bad", import_order, every="nope")
