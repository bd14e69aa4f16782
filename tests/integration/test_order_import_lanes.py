"""One account's backlog spread over as many import jobs as Odoo takes calls at once (#18)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from amazon_odoo_sync.flows.orders import import_pending, order_source, poll_orders, spread_import
from amazon_odoo_sync.store import inbox

from .orders_env import orders_env

pytestmark = [pytest.mark.db, pytest.mark.slow]

LANES = ("SELECT (args->>'lane')::int FROM procrastinate_jobs WHERE task_name = 'orders.import' "
         "AND args->>'account' = %s AND args ? 'lane' ORDER BY 1")


async def test_a_backlog_is_spread_over_lanes_up_to_odoos_capacity_and_imported_once(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        env.advance_to(env.scenario.start + timedelta(days=1))
        for acct in env.settings.accounts:
            await poll_orders(env.runtime, acct.name, acct.marketplaces)
        account = env.settings.accounts[0].name
        async with env.pool.connection() as conn:
            waiting = await inbox.count_pending(conn, source=order_source(account), up_to=100_000)
        assert waiting > 20
        capacity = await env.runtime.odoo_capacity()
        assert capacity > 2

        lanes = await spread_import(env.runtime, account, batch=5)
        assert lanes == min(capacity, -(-waiting // 5)) > 1
        async with env.pool.connection() as conn:
            deferred = [lane for (lane,) in await (await conn.execute(LANES, (account,))).fetchall()]
        assert deferred == list(range(1, lanes))  # lane 0 is the job that spread them
        assert await spread_import(env.runtime, account, batch=5) == lanes  # deduplicated
        async with env.pool.connection() as conn:
            assert len(await (await conn.execute(LANES, (account,))).fetchall()) == lanes - 1

        # The lanes drain the same inbox at once; every order is imported once.
        await asyncio.gather(*(import_pending(env.runtime, account, batch=5) for _ in range(lanes)))
        for acct in env.settings.accounts[1:]:
            await import_pending(env.runtime, acct.name)
        result = await env.reconcile()
        assert result.differences == []
        assert all(line.matches for line in result.lines)
