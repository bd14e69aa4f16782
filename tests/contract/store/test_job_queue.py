"""Jobs queued in a unit of work: they commit or roll back with it; a queueing lock dedupes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from amazon_odoo_sync.store.unit import Store


class Boom(Exception):
    pass


async def test_a_job_queued_in_a_rolled_back_transaction_is_gone(store: Store) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            assert await tx.jobs.defer("orders.import", queue="orders", args={"account": "A"},
                                       queueing_lock="orders.import:A") is not None
            raise Boom
    async with store.transaction() as tx:  # the lock is free again: the first job never existed
        assert await tx.jobs.defer("orders.import", queue="orders", args={"account": "A"},
                                   queueing_lock="orders.import:A") is not None


async def test_a_queueing_lock_refuses_a_second_waiting_job(store: Store) -> None:
    async with store.transaction() as tx:
        first = await tx.jobs.defer("orders.import", queue="orders", queueing_lock="orders.import:A")
        assert first is not None
        assert await tx.jobs.defer("orders.import", queue="orders", queueing_lock="orders.import:A") is None
        other = await tx.jobs.defer("orders.import", queue="orders", queueing_lock="orders.import:B")
        unlocked = await tx.jobs.defer("jobs.noop", queue="housekeeping", args={"n": 1})
        assert other is not None and unlocked is not None and len({first, other, unlocked}) == 3


async def test_schedule_at_must_be_aware(store: Store) -> None:
    async with store.session() as tx:
        with pytest.raises(ValueError, match="timezone-aware"):
            await tx.jobs.defer("jobs.noop", queue="housekeeping", schedule_at=datetime(2026, 1, 1))
        assert await tx.jobs.defer("jobs.noop", queue="housekeeping",
                                   schedule_at=datetime.now(UTC) + timedelta(minutes=5)) is not None
