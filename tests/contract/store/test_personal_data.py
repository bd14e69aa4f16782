"""The personal data purge: which rows are due, what is removed of them, that a purged row is
not taken again. Rows are written now; a cutoff a day ahead makes them old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from amazon_odoo_sync.store.personal_data import TABLE_NAMES
from amazon_odoo_sync.store.unit import Store

KEYS = {"buyerName", "name", "remote_message"}
SOON = datetime.now(UTC) + timedelta(days=1)


def _doc(order_id: str, *, delivery: str | None = None) -> dict[str, object]:
    doc: dict[str, object] = {"orderId": order_id, "buyer": {"buyerName": "Erika"}, "total": "12.30",
                              "items": [{"sku": "S", "name": "Erika"}]}
    if delivery is not None:
        doc["fulfillment"] = {"deliverByWindow": {"latestDateTime": delivery}}
    return doc


async def test_due_rows_lose_the_keys_everywhere_once(store: Store) -> None:
    far = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    async with store.session() as tx:
        kept = await tx.inbox.put(source="orders/acme", key="late@1", account="acme",
                                  payload=_doc("late", delivery=far))
        item = await tx.inbox.put(source="orders/acme", key="old@1", account="acme",
                                  payload=_doc("old", delivery="next Tuesday"))  # unreadable: not a delivery
        await tx.inbox.mark_processed(item.id)
        await tx.quarantine.put(flow="orders", key="acme:q", account="acme", reason="r", payload=_doc("q"),
                                details={"remote_message": "Erika refused", "field": "x"})
        await tx.audit.record(actor="t", action="a", details={"name": "Erika", "count": 1})
        assert TABLE_NAMES == ("inbox", "quarantine", "audit_log")
        assert [await tx.personal_data.count_due(t, SOON) for t in TABLE_NAMES] == [1, 1, 1]
        assert [await tx.personal_data.count_due(t, datetime.now(UTC) - timedelta(days=1)) for t in TABLE_NAMES] \
            == [0, 0, 0]
    async with store.transaction() as tx:
        assert await tx.personal_data.purge_batch("inbox", SOON, KEYS, limit=10) == 1
        assert await tx.personal_data.purge_batch("quarantine", SOON, KEYS, limit=10) == 1
        assert await tx.personal_data.purge_batch("audit_log", SOON, KEYS, limit=10) == 1
    async with store.session() as tx:
        assert [await tx.personal_data.count_due(t, SOON) for t in TABLE_NAMES] == [0, 0, 0]
        assert await tx.personal_data.purge_batch("inbox", SOON, KEYS, limit=10) == 0
        purged = await tx.inbox.get(item.id)
        assert purged is not None and purged.payload == {"orderId": "old", "buyer": {}, "total": "12.30",
                                                         "items": [{"sku": "S"}],
                                                         "fulfillment": {"deliverByWindow": {
                                                             "latestDateTime": "next Tuesday"}}}
        untouched = await tx.inbox.get(kept.id)
        assert untouched is not None and untouched.payload["buyer"] == {"buyerName": "Erika"}
        [q] = await tx.quarantine.open_items("orders")
        assert q.payload["buyer"] == {} and q.details == {"field": "x"} and q.reason == "r"
        [entry] = await tx.audit.recent()
        assert entry.details == {"count": 1}


async def test_a_purge_goes_in_batches_in_id_order(store: Store) -> None:
    async with store.session() as tx:
        for n in range(5):
            await tx.audit.record(actor="t", action=f"a{n}", details={"name": f"E{n}"})
        assert await tx.personal_data.purge_batch("audit_log", SOON, KEYS, limit=2) == 2
        assert [e.details for e in await tx.audit.recent()] == [{"name": "E4"}, {"name": "E3"}, {"name": "E2"},
                                                                 {}, {}]
        assert await tx.personal_data.count_due("audit_log", SOON) == 3
        with pytest.raises(ValueError, match="no Amazon documents"):
            await tx.personal_data.count_due("users", SOON)
