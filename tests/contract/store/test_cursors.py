"""Sync cursors: never backwards, except by an operator's reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from amazon_odoo_sync.store.unit import Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DE = "A1PA6795UKMFR9"


async def test_a_cursor_never_moves_backwards(store: Store) -> None:
    async with store.session() as tx:
        assert await tx.cursors.get("acme", "orders") is None
        first = await tx.cursors.advance("acme", "orders", T0, marketplace=DE)
        assert (first.cursor, first.token, first.marketplace, first.flow) == (T0, None, DE, "orders")
        later = await tx.cursors.advance("acme", "orders", T0 + timedelta(minutes=5), marketplace=DE, token="n1")
        assert (later.cursor, later.token) == (T0 + timedelta(minutes=5), "n1")
        stale = await tx.cursors.advance("acme", "orders", T0, marketplace=DE, token="old")
        assert (stale.cursor, stale.token) == (T0 + timedelta(minutes=5), "n1")
        same = await tx.cursors.advance("acme", "orders", T0 + timedelta(minutes=5), marketplace=DE)
        assert same.token is None
        assert await tx.cursors.get("acme", "orders", marketplace=DE) == same
        # Another marketplace, the '' marketplace, another flow or account: other cursors.
        assert await tx.cursors.get("acme", "orders") is None
        assert await tx.cursors.get("acme", "shipments", marketplace=DE) is None
        assert await tx.cursors.get("other", "orders", marketplace=DE) is None
        with pytest.raises(ValueError, match="timezone"):
            await tx.cursors.advance("acme", "orders", datetime(2026, 1, 1))


async def test_reset_moves_a_cursor_anywhere_and_drops_its_token(store: Store) -> None:
    async with store.session() as tx:
        await tx.cursors.advance("acme", "orders", T0, marketplace=DE, token="n1")
        back = await tx.cursors.reset("acme", "orders", T0 - timedelta(days=1), marketplace=DE)
        assert (back.cursor, back.token) == (T0 - timedelta(days=1), None)
        cleared = await tx.cursors.reset("acme", "orders", None, marketplace=DE)
        assert cleared.cursor is None
        anew = await tx.cursors.advance("acme", "orders", T0 - timedelta(days=9), marketplace=DE)
        assert anew.cursor == T0 - timedelta(days=9)  # a cursor without a time takes any
        fresh = await tx.cursors.reset("acme", "fba", T0)
        assert (fresh.cursor, fresh.marketplace) == (T0, "")
