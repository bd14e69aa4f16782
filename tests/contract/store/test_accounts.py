"""Accounts as flows read them: declared ones stored idempotently, listed by name, sellers mapped."""

from __future__ import annotations

from amazon_odoo_sync.config import AccountConfig
from amazon_odoo_sync.store.unit import Store


def declared(name: str, seller_id: str = "", marketplaces: tuple[str, ...] = ("DE",)) -> AccountConfig:
    return AccountConfig(name=name, region="EU", seller_id=seller_id, marketplaces=list(marketplaces))


async def test_declared_accounts_are_stored_once_and_updated_when_they_change(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.accounts.import_declared([declared("shop-b", "A2B"), declared("shop-a")]) == {
            "shop-b": "added", "shop-a": "added"}
        assert await tx.accounts.import_declared([declared("shop-b", "A2B")]) == {"shop-b": "unchanged"}
        # An empty seller id keeps the stored one (as `accounts add` without one does).
        assert await tx.accounts.import_declared([declared("shop-b", "", ("DE", "FR"))]) == {"shop-b": "updated"}
    async with store.session() as tx:
        accounts = await tx.accounts.list_accounts()
        assert [a.name for a in accounts] == ["shop-a", "shop-b"]
        b = await tx.accounts.get("shop-b")
        assert b is not None and b.seller_id == "A2B" and b.region == "EU" and b.active
        assert b.marketplaces == ("A13V1IB3VIYZZH", "A1PA6795UKMFR9")
        assert not b.has_credentials
        assert await tx.accounts.get("nobody") is None
        assert await tx.accounts.sellers() == {"A2B": "shop-b"}
        assert [a.name for a in await tx.accounts.list_accounts(active_only=True)] == ["shop-a", "shop-b"]
