"""What the order flow's sources write when documents and notifications arrive: inbox rows,
reservations, dirty marks and the jobs that follow, on the in-memory store."""

from __future__ import annotations

from typing import Any

from amazon_odoo_sync.flows.orders import notifications_stored, read_notification, store_orders
from amazon_odoo_sync.store.job_queue import DeferredJob
from amazon_odoo_sync.store.memory import MemoryStore
from tests.factories.orders import order, order_item


def _jobs(store: MemoryStore) -> list[tuple[str, dict[str, Any], str | None]]:
    jobs: list[DeferredJob] = store.state.section("jobs", list)
    return [(j.task_name, j.args, j.queueing_lock) for j in jobs]


def _dirty(store: MemoryStore) -> list[str]:
    return sorted({sku for _, _, sku in store.state.section("stock_dirty", list)})


async def test_stored_documents_reserve_what_waits_and_queue_one_import() -> None:
    store = MemoryStore()
    docs = [order(order_id="A", items=[order_item(sku="S1", quantity=2)]),
            order(order_id="B", status="PENDING", items=[order_item(sku="S2")]),
            order(order_id="C", status="SHIPPED", fulfilled_by="AMAZON", items=[order_item(sku="S3", shipped=1)]),
            order(order_id="D", status="CANCELLED", items=[order_item(sku="S4")]),
            {"orderId": "broken"}]
    async with store.transaction() as tx:
        stored = await store_orders(tx, "acme", docs, import_delay=5)
    assert (stored.stored, stored.duplicates) == (5, 0)
    async with store.session() as tx:
        assert await tx.reservations.reserved_units("acme") == {"S1": 2, "S2": 1, "S3": 1}
        assert len(await tx.inbox.pending(10, source="orders/acme")) == 5
    assert _dirty(store) == ["S1", "S2"]  # FBA units are the FBA inventory flow's
    [(task, args, lock)] = _jobs(store)
    assert (task, args, lock) == ("orders.import", {"account": "acme"}, "orders.import:orders.import:acme")
    assert store.state.section("jobs", list)[0].scheduled_at is not None

    async with store.transaction() as tx:
        again = await store_orders(tx, "acme", docs[:2])
    assert (again.stored, again.duplicates) == (0, 2) and len(_jobs(store)) == 1


async def test_notifications_reserve_open_fbm_units_unless_the_order_is_in_odoo() -> None:
    store = MemoryStore()

    def change(order_id: str, status: str, channel: str = "MFN") -> dict[str, Any]:
        return {"NotificationType": "ORDER_CHANGE", "NotificationMetadata": {"NotificationId": f"n-{order_id}"},
                "Payload": {"OrderChangeNotification": {"SellerId": "A1", "AmazonOrderId": order_id, "Summary": {
                    "MarketplaceId": "A1PA6795UKMFR9", "OrderStatus": status, "FulfillmentType": channel,
                    "OrderItems": [{"SellerSKU": "S1", "Quantity": 3, "QuantityShipped": 1}]}}}}

    read = [read_notification(change(o, s, c), {"A1": "acme"}.get)
            for o, s, c in (("open", "Unshipped", "MFN"), ("fba", "Unshipped", "AFN"), ("done", "Shipped", "MFN"),
                            ("imported", "Pending", "MFN"))]
    async with store.transaction() as tx:
        await tx.external_ids.claim("acme", "sale.order", "imported")
        await tx.external_ids.record_odoo_id("acme", "sale.order", "imported", 7, state="confirmed")
        await notifications_stored(tx, "acme", read)
    async with store.session() as tx:
        assert await tx.reservations.reserved_units("acme") == {"S1": 2}
    assert _dirty(store) == ["S1"]
    assert [(t, a) for t, a, _ in _jobs(store)] == [("orders.fetch_notified", {"account": "acme"})]
