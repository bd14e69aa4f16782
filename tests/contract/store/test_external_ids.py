"""External ids: the claims every create in Odoo stands behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from amazon_odoo_sync.store.unit import Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Boom(Exception):
    pass


async def test_a_claim_is_new_once_and_never_overwrites(store: Store) -> None:
    async with store.session() as tx:
        first = await tx.external_ids.claim("acme", "sale.order", "111-1", payload_hash="h1", amazon_updated_at=T0)
        assert first.is_new and first.state == "claimed" and first.odoo_model == "sale.order"
        assert first.odoo_id is None
        again = await tx.external_ids.claim("acme", "sale.order", "111-1", payload_hash="h2",
                                            amazon_updated_at=T0 + timedelta(hours=1), lock=False)
        assert not again.is_new and again.id == first.id
        assert (again.payload_hash, again.amazon_updated_at) == ("h1", T0)
        other = await tx.external_ids.claim("other", "sale.order", "111-1", odoo_model="x.model")
        assert other.is_new and other.id != first.id and other.odoo_model == "x.model"


async def test_record_then_state_keep_what_is_not_given(store: Store) -> None:
    async with store.session() as tx:
        await tx.external_ids.claim("acme", "sale.order", "111-1", payload_hash="h1", amazon_updated_at=T0)
        created = await tx.external_ids.record_odoo_id("acme", "sale.order", "111-1", 42)
        assert (created.odoo_id, created.state, created.payload_hash, created.amazon_updated_at) == (
            42, "created", "h1", T0)
        confirmed = await tx.external_ids.set_state("acme", "sale.order", "111-1", "confirmed", payload_hash="h2",
                                                    amazon_updated_at=T0 + timedelta(hours=1))
        assert (confirmed.state, confirmed.payload_hash, confirmed.odoo_id) == ("confirmed", "h2", 42)
        assert confirmed.amazon_updated_at == T0 + timedelta(hours=1)
        kept = await tx.external_ids.set_state("acme", "sale.order", "111-1", "delivered")
        assert (kept.payload_hash, kept.amazon_updated_at) == ("h2", T0 + timedelta(hours=1))
        moved = await tx.external_ids.record_odoo_id("acme", "sale.order", "111-1", 43, state="confirmed",
                                                     odoo_model="sale.order.x")
        assert (moved.odoo_id, moved.odoo_model) == (43, "sale.order.x")
        assert await tx.external_ids.get("acme", "sale.order", "111-1") == moved
        assert await tx.external_ids.get("other", "sale.order", "111-1") is None
        assert [e.amazon_key for e in await tx.external_ids.by_odoo_id("sale.order.x", 43)] == ["111-1"]
        assert await tx.external_ids.by_odoo_id("sale.order", 43) == []
        with pytest.raises(LookupError, match="never claimed"):
            await tx.external_ids.set_state("acme", "sale.order", "nope", "failed")
        with pytest.raises(LookupError, match="never claimed"):
            await tx.external_ids.record_odoo_id("acme", "sale.order", "nope", 1)


async def test_by_odoo_id_lists_every_key_of_a_record_oldest_first(store: Store) -> None:
    async with store.session() as tx:
        for key in ("b", "a"):
            await tx.external_ids.claim("acme", "res.partner", key)
            await tx.external_ids.record_odoo_id("acme", "res.partner", key, 7)
        assert [e.amazon_key for e in await tx.external_ids.by_odoo_id("res.partner", 7)] == ["b", "a"]


async def test_get_many_returns_known_keys_of_the_kind_only(store: Store) -> None:
    async with store.session() as tx:
        for key in ("a", "b"):
            await tx.external_ids.claim("acme", "product.product", key)
        await tx.external_ids.claim("acme", "sale.order", "c")
        found = await tx.external_ids.get_many("acme", "product.product", ["a", "b", "c", "zz"])
        assert sorted(found) == ["a", "b"] and found["a"].kind == "product.product"
        assert await tx.external_ids.get_many("acme", "product.product", []) == {}


async def test_claim_many_says_which_rows_it_created_and_record_many_counts_known_keys(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.external_ids.claim_many("acme", "sale.order", []) == {}
        await tx.external_ids.claim("acme", "sale.order", "b", payload_hash="old")
        rows = await tx.external_ids.claim_many("acme", "sale.order",
                                                [("c", "hc", T0), ("b", "hb", T0), ("a", None, None)])
        assert sorted(rows) == ["a", "b", "c"]
        assert {k: r.is_new for k, r in rows.items()} == {"a": True, "b": False, "c": True}
        assert rows["b"].payload_hash == "old" and rows["c"].amazon_updated_at == T0
        assert await tx.external_ids.record_many("acme", "sale.order", []) == 0
        assert await tx.external_ids.record_many(
            "acme", "sale.order", [("a", 11, None), ("c", 12, T0 + timedelta(days=1)), ("zz", 13, None)],
            state="confirmed") == 2
    async with store.session() as tx:
        rows = await tx.external_ids.get_many("acme", "sale.order", ["a", "b", "c"])
        assert (rows["a"].odoo_id, rows["a"].state, rows["a"].amazon_updated_at) == (11, "confirmed", None)
        assert (rows["c"].odoo_id, rows["c"].amazon_updated_at) == (12, T0 + timedelta(days=1))
        assert (rows["b"].odoo_id, rows["b"].state) == (None, "claimed")
        assert not any(r.is_new for r in rows.values())


async def test_claims_of_a_transaction_that_raised_are_gone(store: Store) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.external_ids.claim_many("acme", "sale.order", [("a", None, T0)])
            raise Boom
    async with store.session() as tx:
        assert await tx.external_ids.get("acme", "sale.order", "a") is None
        assert (await tx.external_ids.claim("acme", "sale.order", "a")).is_new
