"""Interval schedules' rows: a new one is due at once, a due run is claimed once, a shorter
interval takes effect now."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amazon_odoo_sync.store.unit import Store


class Boom(Exception):
    pass


async def test_a_new_schedule_is_due_at_once_and_claimed_once(store: Store) -> None:
    async with store.session() as tx:
        await tx.schedules.upsert(name="orders.poll:acme", task_name="orders.poll", interval_seconds=3600)
        row = await tx.schedules.get("orders.poll:acme")
        assert row is not None and row.last_run_at is None and row.last_job_id is None
        assert (row.task_name, row.interval_seconds) == ("orders.poll", 3600.0)
        assert await tx.schedules.claim_due(["orders.poll:acme", "not.registered"]) == ["orders.poll:acme"]
        claimed = await tx.schedules.get("orders.poll:acme")
        assert claimed is not None and claimed.last_run_at is not None
        assert claimed.next_run_at - claimed.last_run_at == timedelta(hours=1)
        assert await tx.schedules.claim_due(["orders.poll:acme"]) == []  # not due for an hour
        assert await tx.schedules.claim_due([]) == []
        assert await tx.schedules.get("not.registered") is None


async def test_only_the_named_due_schedules_are_claimed(store: Store) -> None:
    async with store.session() as tx:
        for name in ("b", "a", "c"):
            await tx.schedules.upsert(name=name, task_name="jobs.noop", interval_seconds=60)
        assert await tx.schedules.claim_due(["c", "a"]) == ["a", "c"]
        assert await tx.schedules.claim_due(["a", "b", "c"]) == ["b"]


async def test_an_unchanged_schedule_keeps_its_due_time_a_shorter_interval_comes_sooner(store: Store) -> None:
    async with store.session() as tx:
        await tx.schedules.upsert(name="s", task_name="jobs.noop", interval_seconds=3600)
        await tx.schedules.claim_due(["s"])
        before = await tx.schedules.get("s")
        await tx.schedules.upsert(name="s", task_name="jobs.noop", interval_seconds=3600)
        assert await tx.schedules.get("s") == before
        assert before is not None and before.last_run_at is not None
        await tx.schedules.upsert(name="s", task_name="jobs.noop", interval_seconds=7200)  # longer: no later
        longer = await tx.schedules.get("s")
        assert longer is not None and (longer.interval_seconds, longer.next_run_at) == (7200.0, before.next_run_at)
        await tx.schedules.upsert(name="s", task_name="jobs.noop", interval_seconds=60)
        shorter = await tx.schedules.get("s")
        assert shorter is not None and shorter.interval_seconds == 60.0
        assert shorter.next_run_at <= before.last_run_at + timedelta(seconds=120) < before.next_run_at
        await tx.schedules.upsert(name="s", task_name="jobs.other", interval_seconds=60)
        renamed = await tx.schedules.get("s")
        assert renamed is not None and renamed.task_name == "jobs.other"
        assert renamed.next_run_at == shorter.next_run_at
        with pytest.raises(ValueError, match="positive"):
            await tx.schedules.upsert(name="s", task_name="jobs.noop", interval_seconds=0)


async def test_the_last_job_is_kept_and_a_claim_rolls_back_with_its_transaction(store: Store) -> None:
    async with store.session() as tx:
        await tx.schedules.upsert(name="s", task_name="jobs.noop", interval_seconds=60)
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            assert await tx.schedules.claim_due(["s"]) == ["s"]
            await tx.schedules.set_last_job("s", 41)
            raise Boom
    async with store.transaction() as tx:
        assert await tx.schedules.claim_due(["s"]) == ["s"]  # the first claim never happened
        await tx.schedules.set_last_job("s", 42)
        await tx.schedules.set_last_job("unknown", 43)
    async with store.session() as tx:
        row = await tx.schedules.get("s")
        assert row is not None and row.last_job_id == 42
        assert await tx.schedules.get("unknown") is None
