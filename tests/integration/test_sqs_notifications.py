"""ORDER_CHANGE notifications through the simulator's own SQS queue: the poller stores each once,
deletes it only after, quarantines what it cannot read, and survives a lost delete."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.amazon.sqs import AwsCredentials, SqsClient
from amazon_odoo_sync.flows import notifications
from amazon_odoo_sync.flows.orders import fetch_notified_orders, import_pending
from amazon_odoo_sync.flows.sqs_notifications import POISON_RECEIVES, PollResult, poll_sqs
from amazon_odoo_sync.sandbox.spapi.notifications import NotificationFaults, NotificationHub
from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings, attach, services
from amazon_odoo_sync.store import quarantine

from .orders_env import SIM_URL, OrdersEnv, orders_env

pytestmark = [pytest.mark.db, pytest.mark.slow]

ARN = "arn:aws:sqs:eu-west-1:123456789012:aos-orders"
QUEUE = "123456789012/aos-orders"
QUEUE_URL = f"{SIM_URL}/_sqs/{QUEUE}"
#: Any key: the simulator does not check signatures, but the client signs as it would for AWS.
CREDENTIALS = AwsCredentials(access_key_id="AKIDTEST", secret_access_key="test-secret")


async def subscribe(env: OrdersEnv, faults: NotificationFaults) -> NotificationHub:
    """ORDER_CHANGE of every account to a destination whose ARN is not routed: the simulator's queue."""
    attach(env.world, SellingSettings(notification_faults=faults, notification_autostart=False))
    destination_id = None
    for account in env.settings.accounts:
        spapi = await env.runtime.spapi(account.name)
        if destination_id is None:
            destination = await spapi.notifications.create_destination(
                name="aos-orders", resource_specification={"sqs": {"arn": ARN}})
            destination_id = destination["payload"]["destinationId"]
        await spapi.notifications.create_subscription("ORDER_CHANGE", destination_id=destination_id,
                                                      payload_version="1.0")
    return services(env.world).hub


@asynccontextmanager
async def sqs_for(env: OrdersEnv, transport: httpx.AsyncBaseTransport | None = None) -> AsyncIterator[SqsClient]:
    async with SqsClient(QUEUE_URL, credentials=CREDENTIALS,
                         transport=transport or httpx.ASGITransport(app=env.sim_app)) as client:
        yield client


async def poll(env: OrdersEnv, client: SqsClient, *, visibility_timeout: int = 120) -> PollResult:
    return await poll_sqs(env.runtime.store, client, max_messages=10, wait_seconds=0,
                          visibility_timeout=visibility_timeout, run_seconds=60)


async def stored_notifications(env: OrdersEnv) -> list[str]:
    """Notification ids in the inbox, whatever their state (a drain marks them processed)."""
    async with env.pool.connection() as conn:
        cur = await conn.execute("SELECT key FROM inbox WHERE source = 'notification' ORDER BY key")
        return [str(row[0]) for row in await cur.fetchall()]


async def test_a_day_of_orders_through_sqs_is_stored_once_deleted_and_imported(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        hub = await subscribe(env, NotificationFaults(duplicate_rate=0.4, reorder_rate=0.2, seed=7))
        total = PollResult()
        async with sqs_for(env) as client:
            start = env.scenario.start
            for hour in range(1, 25):  # a day of orders; the poller runs after each delivery
                env.advance_to(start + timedelta(hours=hour))
                await hub.deliver_due()
                total.merge(await poll(env, client))
            hub.flush_held()
            await hub.deliver_due()
            total.merge(await poll(env, client))

        delivered = [r.notification_id for r in hub.records if r.outcome == "delivered"]
        assert len(delivered) > len(set(delivered)) > 20, "the simulator was to deliver duplicates"
        stored = await stored_notifications(env)
        assert stored == sorted(set(delivered)), "each notification stored once"
        assert total.received == len(delivered)
        assert (total.stored, total.duplicates) == (len(set(delivered)), len(delivered) - len(set(delivered)))
        assert total.deleted == len(delivered) and total.quarantined == total.kept == total.delete_failed == 0
        assert hub.queues.depth(QUEUE) == 0, "every stored message is deleted from the queue"

        for account in env.settings.accounts:
            await fetch_notified_orders(env.runtime, account.name)
            await import_pending(env.runtime, account.name)
        result = await env.reconcile()
        assert result.differences == []
        assert sum(line.amazon_orders for line in result.lines) > 20
        async with env.pool.connection() as conn:
            assert await quarantine.open_items(conn, "notifications") == []


async def test_unreadable_messages_are_quarantined_and_deleted(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        hub = await subscribe(env, NotificationFaults())
        seller = env.settings.accounts[0].seller_id
        foreign = {"NotificationType": "ORDER_CHANGE", "NotificationMetadata": {"NotificationId": "n-1"},
                   "Payload": {"OrderChangeNotification": {"SellerId": "A-NOBODY", "AmazonOrderId": "1"}}}
        incomplete = {"NotificationType": "ORDER_CHANGE", "Payload": {"OrderChangeNotification": {"SellerId": seller}}}
        async with sqs_for(env) as client:
            for body in ("this is not JSON", "[1, 2, 3]", json.dumps(foreign), json.dumps(incomplete)):
                await client.send_message(body)
            result = await poll(env, client)
            # Nothing comes back: not even after the visibility timeout (no poison loop).
            env.advance_to(env.world.clock.now() + timedelta(minutes=10))
            again = await poll(env, client)
        assert (result.received, result.quarantined, result.deleted, result.stored) == (4, 4, 4, 0)
        assert again.received == 0 and hub.queues.depth(QUEUE) == 0
        async with env.pool.connection() as conn:
            items = await quarantine.open_items(conn, "notifications")
        reasons = sorted(i.reason for i in items)
        assert len(reasons) == 4
        assert any("not JSON" in r for r in reasons) and any("JSON object" in r for r in reasons)
        assert any("unknown seller A-NOBODY" in r for r in reasons)
        assert any("lacks NotificationId" in r for r in reasons)
        assert {i.details.get("source") for i in items} == {"sqs"}
        assert {"raw": "this is not JSON"} in [i.payload for i in items]
        assert await stored_notifications(env) == []


class FailFirstDelete(httpx.AsyncBaseTransport):
    """The simulator, except that the first delete call fails as if the worker died after storing."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.failed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "DeleteMessage" in request.headers.get("x-amz-target", "") and not self.failed:
            self.failed += 1
            return httpx.Response(500, json={"__type": "com.amazonaws.sqs#InternalError"})
        return await self.inner.handle_async_request(request)


async def test_a_lost_delete_means_redelivery_and_still_one_stored_notification(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        hub = await subscribe(env, NotificationFaults())
        env.advance_to(env.scenario.start + timedelta(hours=3))
        await hub.deliver_due()
        published = hub.queues.depth(QUEUE)
        assert published > 0
        transport = FailFirstDelete(httpx.ASGITransport(app=env.sim_app))
        async with sqs_for(env, transport) as client:
            first = await poll(env, client, visibility_timeout=30)
            stored_first = await stored_notifications(env)
            # Still invisible: nothing to receive until the visibility timeout has passed.
            hidden = await poll(env, client, visibility_timeout=30)
            env.advance_to(env.world.clock.now() + timedelta(seconds=31))
            second = await poll(env, client, visibility_timeout=30)
        assert transport.failed == 1
        assert first.stored == published and first.delete_failed > 0
        assert hidden.received == 0
        assert second.received == first.delete_failed, "the undeleted messages come again"
        assert second.duplicates == second.received and second.stored == 0
        assert second.deleted == second.received and hub.queues.depth(QUEUE) == 0
        stored = await stored_notifications(env)
        assert len(stored) == len(set(stored)) == published
        assert stored == stored_first


async def test_a_message_that_breaks_the_store_holds_back_only_itself_then_is_quarantined(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error (a bug) in a batch: the batch is stored message by message, the
    others are stored and deleted; the breaking one is kept until SQS has delivered it
    POISON_RECEIVES times, then quarantined and deleted."""
    original = notifications.INTAKES["ORDER_CHANGE"]

    async def stored(conn: Any, account: str, read: list[Any]) -> None:
        if any(r.notification_id == "n-bad" for r in read):
            raise KeyError("a bug")
        await original.stored(conn, account, read)

    monkeypatch.setitem(notifications.INTAKES, "ORDER_CHANGE", notifications.Intake(original.read, stored))
    async with orders_env(db_url, faults=False) as env:
        hub = await subscribe(env, NotificationFaults())
        seller = env.settings.accounts[0].seller_id

        def change(notification_id: str, order_id: str) -> str:
            return json.dumps({"NotificationType": "ORDER_CHANGE",
                               "NotificationMetadata": {"NotificationId": notification_id},
                               "Payload": {"OrderChangeNotification": {"SellerId": seller,
                                                                       "AmazonOrderId": order_id}}})

        results = []
        async with sqs_for(env) as client:
            for notification_id, order_id in (("n-1", "111-1"), ("n-bad", "111-2"), ("n-3", "111-3")):
                await client.send_message(change(notification_id, order_id))
            for _ in range(POISON_RECEIVES):
                results.append(await poll(env, client, visibility_timeout=60))
                env.advance_to(env.world.clock.now() + timedelta(minutes=2))
        assert (results[0].received, results[0].stored, results[0].kept, results[0].deleted) == (3, 2, 1, 2)
        assert all((r.received, r.kept) == (1, 1) for r in results[1:-1])
        assert (results[-1].received, results[-1].quarantined, results[-1].deleted) == (1, 1, 1)
        assert hub.queues.depth(QUEUE) == 0
        assert await stored_notifications(env) == ["n-1", "n-3"]
        async with env.pool.connection() as conn:
            items = await quarantine.open_items(conn, "notifications")
        assert [i.reason for i in items] == ["KeyError: 'a bug'"]
