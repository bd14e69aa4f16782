from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from amazon_odoo_sync.store import audit, cursors, external_ids, inbox, quarantine, reservations

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[object]]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


# --- inbox -------------------------------------------------------------------------------------

async def test_inbox_put_is_idempotent_on_source_and_key(conn: psycopg.AsyncConnection[object]) -> None:
    first = await inbox.put(conn, source="notification", key="n-1", account="acme",
                            payload={"amount": Decimal("12.30"), "at": T0})
    again = await inbox.put(conn, source="notification", key="n-1", account="acme",
                            payload={"different": True})
    other_source = await inbox.put(conn, source="report", key="n-1", account="acme", payload={})
    assert first.is_new and not again.is_new and other_source.is_new
    assert again.id == first.id
    assert again.payload == {"amount": "12.30", "at": T0.isoformat()}  # the first payload stays
    assert first.state == "pending" and first.attempts == 0


async def test_inbox_lifecycle_and_pending(conn: psycopg.AsyncConnection[object]) -> None:
    a = await inbox.put(conn, source="orders_page", key="p1", account="acme", payload=[1])
    b = await inbox.put(conn, source="orders_page", key="p2", account="acme", payload=[2])
    c = await inbox.put(conn, source="notification", key="x", account=None, payload={})
    assert [i.id for i in await inbox.pending(conn)] == [a.id, b.id, c.id]
    assert [i.id for i in await inbox.pending(conn, source="notification")] == [c.id]

    done = await inbox.mark_processed(conn, a.id)
    assert done.state == "processed" and done.processed_at is not None and done.attempts == 1
    failed = await inbox.mark_failed(conn, b.id, "Odoo said no")
    assert failed.state == "failed" and failed.last_error == "Odoo said no" and failed.attempts == 1
    assert [i.id for i in await inbox.pending(conn)] == [b.id, c.id]
    assert [i.id for i in await inbox.pending(conn, include_failed=False)] == [c.id]
    await inbox.mark_quarantined(conn, c.id, "unknown SKU")
    assert [i.id for i in await inbox.pending(conn)] == [b.id]
    assert (await inbox.requeue(conn, c.id)).state == "pending"
    assert await inbox.pending(conn, limit=1) == [await inbox.get(conn, b.id)]
    with pytest.raises(LookupError):
        await inbox.mark_processed(conn, 999_999)


async def test_inbox_mark_processed_many_marks_exactly_the_given_items(conn: psycopg.AsyncConnection[object]) -> None:
    items = [await inbox.put(conn, source="orders/acme", key=f"o{i}", account="acme", payload={"i": i})
             for i in range(4)]
    assert await inbox.mark_processed_many(conn, [items[0].id, items[2].id, items[2].id]) == 2
    assert await inbox.mark_processed_many(conn, []) == 0
    assert [i.key for i in await inbox.pending(conn, source="orders/acme")] == ["o1", "o3"]
    assert await inbox.any_pending(conn, source="orders/acme", account="acme")
    assert not await inbox.any_pending(conn, source="orders/acme", account="other")
    await inbox.mark_processed_many(conn, [items[1].id, items[3].id])
    assert not await inbox.any_pending(conn, source="orders/acme")
    await inbox.mark_failed(conn, items[3].id, "Odoo said no")
    assert await inbox.any_pending(conn, source="orders/acme")  # failed ones wait for a retry
    await inbox.mark_processed_many(conn, [items[3].id])
    done = await inbox.get(conn, items[2].id)
    assert done is not None and done.state == "processed" and done.attempts == 1 and done.processed_at


async def test_inbox_pending_lock_skips_items_locked_by_another_worker(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as setup:
        for key in ("a", "b"):
            await inbox.put(setup, source="s", key=key, account=None, payload={})
    async with await psycopg.AsyncConnection.connect(db_url) as one, \
            await psycopg.AsyncConnection.connect(db_url) as two:
        taken = await inbox.pending(one, limit=1, lock=True)
        other = await inbox.pending(two, limit=5, lock=True)
        assert [i.key for i in taken] == ["a"] and [i.key for i in other] == ["b"]
        await one.rollback()
        await two.rollback()


async def test_concurrent_inbox_puts_store_one_row(db_url: str) -> None:
    async def put_once() -> inbox.InboxItem:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            return await inbox.put(c, source="notification", key="race", account=None, payload={})

    results = await asyncio.gather(*(put_once() for _ in range(6)))
    assert sum(r.is_new for r in results) == 1
    assert len({r.id for r in results}) == 1


async def test_put_many_stores_new_keys_once_even_from_concurrent_pages(db_url: str) -> None:
    async def put_page(keys: list[str]) -> set[str]:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            return await inbox.put_many(c, source="orders/acme", account="acme",
                                        items={k: {"orderId": k, "total": Decimal("1.10")} for k in keys})

    pages = [[f"o{i}" for i in range(start, start + 30)] for start in (0, 10, 20, 0)]
    results = await asyncio.gather(*(put_page(p) for p in pages))
    stored = [k for r in results for k in r]
    assert sorted(stored) == sorted(f"o{i}" for i in range(50))  # each key new exactly once
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
        assert await put_page([]) == set()
        items = await inbox.pending(c, 100, source="orders/acme", account="acme")
        assert len(items) == 50 and items[0].payload["total"] == "1.10"
        assert await inbox.pending(c, 100, source="orders/acme", account="other") == []


async def test_reserve_many_upserts_and_keeps_the_last_of_a_repeated_order(
        conn: psycopg.AsyncConnection[object]) -> None:
    R = reservations.Reservation
    await reservations.reserve_many(conn, "acme", [
        R(order_id="A", marketplace_id="M1", status="Pending", units={"S1": 2, "S2": 1}),
        R(order_id="B", marketplace_id="M2", status="Unshipped", units={"S1": 3}),
    ])
    assert await reservations.reserved_units(conn, "acme") == {"S1": 5, "S2": 1}
    await reservations.reserve_many(conn, "acme", [
        R(order_id="A", marketplace_id="M1", status="Unshipped", units={"S1": 1}),
        R(order_id="A", marketplace_id="M1", status="Unshipped", units={"S1": 4}),  # the later one wins
    ])
    assert await reservations.reserved_units(conn, "acme") == {"S1": 7, "S2": 1}
    assert await reservations.reserved_units(conn, "acme", "M2") == {"S1": 3}
    await reservations.release(conn, "acme", ["A"])
    assert await reservations.reserved_units(conn, "acme") == {"S1": 3}


# --- external ids ------------------------------------------------------------------------------

async def test_claim_then_record_then_state(conn: psycopg.AsyncConnection[object]) -> None:
    claimed = await external_ids.claim(conn, "acme", "sale.order", "111-1", payload_hash="h1",
                                       amazon_updated_at=T0)
    assert claimed.is_new and claimed.state == "claimed" and claimed.odoo_model == "sale.order"
    again = await external_ids.claim(conn, "acme", "sale.order", "111-1", payload_hash="h2")
    assert not again.is_new and again.id == claimed.id and again.payload_hash == "h1"

    created = await external_ids.record_odoo_id(conn, "acme", "sale.order", "111-1", 42)
    assert created.odoo_id == 42 and created.state == "created"
    confirmed = await external_ids.set_state(conn, "acme", "sale.order", "111-1", "confirmed",
                                             payload_hash="h2",
                                             amazon_updated_at=T0 + timedelta(hours=1))
    assert (confirmed.state, confirmed.payload_hash) == ("confirmed", "h2")
    assert confirmed.amazon_updated_at == T0 + timedelta(hours=1)
    assert await external_ids.get(conn, "acme", "sale.order", "111-1") == confirmed
    assert await external_ids.get(conn, "other", "sale.order", "111-1") is None
    assert [e.amazon_key for e in await external_ids.by_odoo_id(conn, "sale.order", 42)] == ["111-1"]
    with pytest.raises(LookupError, match="never claimed"):
        await external_ids.set_state(conn, "acme", "sale.order", "nope", "failed")


async def test_get_many_returns_known_keys_only(conn: psycopg.AsyncConnection[object]) -> None:
    for key in ("a", "b"):
        await external_ids.claim(conn, "acme", "product.product", key)
    await external_ids.claim(conn, "acme", "sale.order", "c")
    found = await external_ids.get_many(conn, "acme", "product.product", ["a", "b", "c", "zz"])
    assert sorted(found) == ["a", "b"]
    assert found["a"].kind == "product.product"


async def test_two_concurrent_claims_of_one_key_make_one_row(db_url: str) -> None:
    """The first claimer holds its transaction open: the second waits, then sees the row."""
    async with await psycopg.AsyncConnection.connect(db_url) as one, \
            await psycopg.AsyncConnection.connect(db_url) as two:
        first = await external_ids.claim(one, "acme", "sale.order", "race-1")
        second_task = asyncio.create_task(external_ids.claim(two, "acme", "sale.order", "race-1"))
        await asyncio.sleep(0.2)
        assert not second_task.done()  # blocked on the unique index until `one` commits
        await one.commit()
        second = await asyncio.wait_for(second_task, 5)
        await two.commit()
    assert first.is_new and not second.is_new and first.id == second.id
    async with await psycopg.AsyncConnection.connect(db_url) as check:
        rows = await (await check.execute(
            "SELECT count(*) FROM external_ids WHERE amazon_key = 'race-1'")).fetchone()
    assert rows == (1,)


async def test_many_concurrent_claims_have_one_winner(db_url: str) -> None:
    async def claim_once() -> external_ids.ExternalId:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            return await external_ids.claim(c, "acme", "sale.order", "race-2")

    results = await asyncio.gather(*(claim_once() for _ in range(8)))
    assert sum(r.is_new for r in results) == 1 and len({r.id for r in results}) == 1


# --- quarantine --------------------------------------------------------------------------------

async def test_quarantine_upsert_counts_attempts(conn: psycopg.AsyncConnection[object]) -> None:
    first = await quarantine.put(conn, flow="orders", key="111-1", account="acme",
                                 reason="unknown SKU X", details={"sku": "X"}, payload={"o": 1})
    second = await quarantine.put(conn, flow="orders", key="111-1", account="acme",
                                  reason="unknown SKU Y", details={"sku": "Y"})
    assert second.id == first.id and (first.attempts, second.attempts) == (1, 2)
    assert second.reason == "unknown SKU Y" and second.payload == {"o": 1}
    assert second.last_seen >= first.last_seen and second.first_seen == first.first_seen
    await quarantine.put(conn, flow="stock", key="SKU-1", account="other", reason="r")
    assert [i.key for i in await quarantine.open_items(conn)] == ["111-1", "SKU-1"]
    assert [i.key for i in await quarantine.open_items(conn, "stock")] == ["SKU-1"]
    assert [i.key for i in await quarantine.open_items(conn, account="acme")] == ["111-1"]


async def test_quarantine_resolve_then_reopen(conn: psycopg.AsyncConnection[object]) -> None:
    opened = await quarantine.put(conn, flow="orders", key="k", account=None, reason="bad")
    resolved = await quarantine.resolve(conn, "orders", "k", "SKU mapped; replayed")
    assert resolved is not None and resolved.id == opened.id and resolved.resolved_at is not None
    assert await quarantine.resolve(conn, "orders", "k", "again") is None
    assert await quarantine.is_open(conn, "orders", "k") is None
    reopened = await quarantine.put(conn, flow="orders", key="k", account=None, reason="bad again")
    assert reopened.id != opened.id and reopened.attempts == 1
    assert await quarantine.is_open(conn, "orders", "k") == reopened
    old = await quarantine.get(conn, opened.id)
    assert old is not None and old.resolution == "SKU mapped; replayed"


# --- cursors -----------------------------------------------------------------------------------

async def test_cursor_never_moves_backwards(conn: psycopg.AsyncConnection[object]) -> None:
    assert await cursors.get(conn, "acme", "orders") is None
    first = await cursors.advance(conn, "acme", "orders", T0, marketplace="A1PA6795UKMFR9")
    assert first.cursor == T0
    later = await cursors.advance(conn, "acme", "orders", T0 + timedelta(minutes=5),
                                  marketplace="A1PA6795UKMFR9", token="next-1")
    assert later.cursor == T0 + timedelta(minutes=5) and later.token == "next-1"
    stale = await cursors.advance(conn, "acme", "orders", T0, marketplace="A1PA6795UKMFR9",
                                  token="old")
    assert stale.cursor == T0 + timedelta(minutes=5) and stale.token == "next-1"
    same = await cursors.advance(conn, "acme", "orders", T0 + timedelta(minutes=5),
                                 marketplace="A1PA6795UKMFR9", token=None)
    assert same.token is None
    # Other marketplace / the '' marketplace are separate cursors.
    assert await cursors.get(conn, "acme", "orders") is None
    reset = await cursors.reset(conn, "acme", "orders", T0 - timedelta(days=1),
                                marketplace="A1PA6795UKMFR9")
    assert reset.cursor == T0 - timedelta(days=1)
    with pytest.raises(ValueError, match="timezone"):
        await cursors.advance(conn, "acme", "orders", datetime(2026, 1, 1))


# --- audit -------------------------------------------------------------------------------------

async def test_audit_records_and_masks_secret_looking_details(
        conn: psycopg.AsyncConnection[object]) -> None:
    await audit.record(conn, actor="cli:test", action="accounts.add", object_type="account",
                       object_key="acme", details={"region": "EU", "refresh_token": "Atzr|x"})
    entry = await audit.record(conn, actor="web:admin", action="quarantine.replay")
    recent = await audit.recent(conn)
    assert [e.action for e in recent] == ["quarantine.replay", "accounts.add"]
    assert recent[0] == entry
    assert recent[1].details == {"region": "EU", "refresh_token": "***"}
    assert [e.action for e in await audit.recent(conn, object_type="account")] == ["accounts.add"]


def _reservation(order_id: str, sku: str = "SKU-1", qty: int = 1) -> reservations.Reservation:
    return reservations.Reservation(order_id=order_id, marketplace_id="ATVPDKIKX0DER", status="Unshipped",
                                    units={sku: qty})


async def test_reservations_apply_writes_and_releases_a_batch(conn: psycopg.AsyncConnection[object]) -> None:
    await reservations.reserve_many(conn, "acme", [_reservation("a", qty=2), _reservation("c")])
    await reservations.apply(conn, "acme", reserve=[_reservation("b", "SKU-2", 3), _reservation("c", qty=5)],
                             release=["a", "c", "nobody"])  # c both ways: the reservation wins
    assert await reservations.reserved_units(conn, "acme") == {"SKU-1": 5, "SKU-2": 3}
    await reservations.apply(conn, "acme")  # nothing to do: no statement, no error


async def test_reservations_apply_locks_in_key_order_so_an_intake_never_deadlocks_with_it(db_url: str) -> None:
    """An import releasing order a and reserving b, while an intake reserves a then b: the
    import waits for a before it touches b, so the intake's b goes through (taking b first and a
    later, as an import once did, was a deadlock)."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as setup:
        await reservations.reserve_many(setup, "acme", [_reservation("a"), _reservation("b")])
    async with await psycopg.AsyncConnection.connect(db_url) as intake, \
            await psycopg.AsyncConnection.connect(db_url) as importer:
        await intake.execute("SET lock_timeout = '5s'")
        await reservations.reserve_many(intake, "acme", [_reservation("a", qty=4)])  # holds a
        applying = asyncio.create_task(reservations.apply(importer, "acme", reserve=[_reservation("b", qty=7)],
                                                          release=["a"]))
        await asyncio.sleep(0.3)
        assert not applying.done(), "the import waits for the intake's row a"
        await reservations.reserve_many(intake, "acme", [_reservation("b", qty=4)])  # must not wait
        await intake.commit()
        await asyncio.wait_for(applying, 5)
        await importer.commit()
        assert await reservations.reserved_units(importer, "acme") == {"SKU-1": 7}
