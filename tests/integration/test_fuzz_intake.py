"""Malformed inputs among good ones, through the real intake: each bad one is quarantined with its
reason, the good ones of the same batch go on to Odoo, and the run never stops."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from amazon_odoo_sync.amazon.sqs import DeleteResult, SqsMessage
from amazon_odoo_sync.flows.orders import fetch_notified_orders, import_pending, store_orders
from amazon_odoo_sync.flows.sqs_notifications import PollResult, receive_batch
from amazon_odoo_sync.sandbox.spapi.orders_json import V2026_DATASETS, v2026_order
from amazon_odoo_sync.store import inbox, quarantine
from tests.unit.fuzz_inputs import damage

from .orders_env import OrdersEnv, orders_env

pytestmark = [pytest.mark.db, pytest.mark.slow]


class ListQueue:
    """An SQS queue holding given bodies, ten a receive; records deletes."""

    def __init__(self, bodies: Sequence[str]) -> None:
        self.messages = [SqsMessage(message_id=f"m-{i}", receipt_handle=f"r-{i}", body=body)
                         for i, body in enumerate(bodies)]
        self.deleted: list[str] = []

    async def receive_messages(self, *, max_messages: int = 10, wait_seconds: int = 20,
                               visibility_timeout: int | None = None) -> list[SqsMessage]:
        batch, self.messages = self.messages[:max_messages], self.messages[max_messages:]
        return batch

    async def delete_messages(self, receipt_handles: Sequence[str]) -> DeleteResult:
        self.deleted.extend(receipt_handles)
        return DeleteResult(deleted=len(receipt_handles))


def _change(seller_id: str, order_id: str, notification_id: str, marketplace_id: str,
            at: datetime) -> dict[str, Any]:
    return {"NotificationVersion": "1.0", "NotificationType": "ORDER_CHANGE", "PayloadVersion": "1.0",
            "EventTime": at.isoformat(),
            "NotificationMetadata": {"NotificationId": notification_id, "PublishTime": "2026-07-08T10:00:01Z"},
            "Payload": {"OrderChangeNotification": {
                "NotificationLevel": "OrderLevel", "SellerId": seller_id, "AmazonOrderId": order_id,
                "Summary": {"MarketplaceId": marketplace_id, "OrderStatus": "Unshipped", "FulfillmentType": "MFN",
                            "OrderItems": [{"SellerSKU": "SKU-X", "Quantity": 1, "QuantityShipped": 0}]}}}}


async def _open_reasons(env: OrdersEnv, flow: str) -> list[str]:
    async with env.pool.connection() as conn:
        return [item.reason for item in await quarantine.open_items(conn, flow, limit=10_000)]


async def test_sqs_batches_mixing_good_and_malformed_notifications(db_url: str) -> None:
    rng = random.Random(16)
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        env.advance_to(env.scenario.start + timedelta(days=1))
        orders = [o for o in env.world.orders(account.seller_id) if o.status not in ("Pending", "Canceled")][:30]
        assert len(orders) == 30
        good = [_change(account.seller_id, o.amazon_order_id, f"good-{i}", o.marketplace_id, o.purchase_date)
                for i, o in enumerate(orders)]
        bad: list[str] = []
        for i in range(70):
            broken = damage(_change(account.seller_id, f"999-{i}", f"bad-{i}", "A1PA6795UKMFR9",
                                    orders[0].purchase_date), rng)
            bad.append(json.dumps(broken) if i % 10 else "{not json" + str(i))
        bodies = [json.dumps(n) for n in good] + bad
        rng.shuffle(bodies)
        queue = ListQueue(bodies)
        total = PollResult()
        while queue.messages:
            batch = await receive_batch(env.runtime.store, queue, max_messages=10, wait_seconds=0)  # type: ignore[arg-type]
            assert batch.kept == 0 and batch.received == batch.deleted == 10
            total.merge(batch)
        assert total.received == 100 and len(queue.deleted) == 100
        assert total.stored + total.duplicates + total.quarantined == 100
        reasons = await _open_reasons(env, "notifications")
        assert len(reasons) == total.quarantined >= 40 and all(r.strip() for r in reasons)
        async with env.pool.connection() as conn:
            stored = {i.key for i in await inbox.pending(conn, 1000, source="notification")}
        assert {f"good-{i}" for i in range(30)} <= stored

        # The run goes on: the announced orders are fetched and reach Odoo (the malformed ones
        # that were still readable announce orders Amazon does not have: logged, skipped).
        await fetch_notified_orders(env.runtime, account.name, limit=1000)
        await import_pending(env.runtime, account.name)
        odoo = await env.runtime.odoo()
        found = await odoo.search_read("sale.order", [("client_order_ref", "in", [o.amazon_order_id for o in orders])],
                                       ["client_order_ref"])
        assert {r["client_order_ref"] for r in found} == {o.amazon_order_id for o in orders}


async def test_an_import_batch_mixing_good_and_malformed_order_documents(db_url: str) -> None:
    rng = random.Random(17)
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        env.advance_to(env.scenario.start + timedelta(days=1))
        orders = [o for o in env.world.orders(account.seller_id) if o.status not in ("Pending", "Canceled")][:40]
        docs = [v2026_order(o, frozenset(V2026_DATASETS), pii=True) for o in orders]
        good, templates = docs[:20], docs[20:]
        broken = []
        for i in range(80):
            doc = damage(templates[i % len(templates)], rng)
            if isinstance(doc, dict) and isinstance(doc.get("orderId"), str):
                doc["orderId"] = f"999-{i:07d}"  # its own order: not a newer version of a good one
            broken.append(doc)
        mixed = good + broken
        rng.shuffle(mixed)
        async with env.runtime.store.transaction() as tx:
            stored = await store_orders(tx, account.name, mixed)
        assert stored.stored + stored.duplicates == len(mixed)

        result = await import_pending(env.runtime, account.name, batch=25)
        assert result.quarantined >= 40
        reasons = await _open_reasons(env, "orders")
        assert len(reasons) >= result.quarantined and all(r.strip() for r in reasons)
        async with env.pool.connection() as conn:
            assert not await inbox.any_pending(conn, source=f"orders/{account.name}")
        odoo = await env.runtime.odoo()
        found = await odoo.search_read("sale.order", [("client_order_ref", "in", [d["orderId"] for d in good])],
                                       ["client_order_ref"])
        assert {r["client_order_ref"] for r in found} == {d["orderId"] for d in good}
