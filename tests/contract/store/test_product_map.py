"""SKU → Odoo product: look-ups with the account-wide fallback, the listings fill (the seller's
mapping wins, the channel follows Amazon), and the reads of the stock and FBA flows."""

from __future__ import annotations

from amazon_odoo_sync.store.product_map import ProductMapping
from amazon_odoo_sync.store.unit import Store

DE, FR = "A1PA6795UKMFR9", "A13V1IB3VIYZZH"


def _m(sku: str, product: int, marketplace: str = "", fulfillment: str = "FBM", asin: str | None = None,
       account: str = "acme") -> ProductMapping:
    return ProductMapping(account=account, marketplace_id=marketplace, sku=sku, asin=asin, fulfillment=fulfillment,
                          odoo_product_id=product)


async def test_lookup_prefers_the_marketplace_row(store: Store) -> None:
    async with store.session() as tx:
        await tx.product_map.upsert(_m("A", 1))
        await tx.product_map.upsert(_m("A", 2, DE))
        await tx.product_map.upsert(_m("B", 3))
        await tx.product_map.upsert(_m("B", 4))  # an upsert replaces
        await tx.product_map.upsert(_m("C", 5, FR))
        await tx.product_map.upsert(_m("A", 9, account="other"))
        assert await tx.product_map.lookup("acme", DE, ["A", "B", "C", "D"]) == {"A": 2, "B": 4}
        assert await tx.product_map.lookup("acme", FR, ["A", "C"]) == {"A": 1, "C": 5}
        assert await tx.product_map.count("acme") == 4
        assert await tx.product_map.count("nobody") == 0


async def test_fill_keeps_the_product_and_follows_the_channel(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.product_map.upsert(_m("OWN", 1))  # the seller's account-wide row
        changed = await tx.product_map.fill_from_listings([_m("OWN", 2, DE), _m("A", 3, DE, asin="B01")])
        assert changed == ["A"]
        # Same again: nothing changed. Another product: kept. Another channel: changed.
        assert await tx.product_map.fill_from_listings([_m("A", 3, DE), _m("A", 4, FR)]) == ["A"]
        assert await tx.product_map.fill_from_listings([_m("A", 7, DE, asin="B01")]) == []
        assert await tx.product_map.fill_from_listings([_m("A", 7, DE, "FBA")]) == ["A"]
        assert await tx.product_map.lookup("acme", DE, ["A", "OWN"]) == {"A": 3, "OWN": 1}
        rows = await tx.product_map.of_products("acme", skus=["A"])
        assert [(r.marketplace_id, r.sku, r.fulfillment, r.asin) for r in rows] == [
            (FR, "A", "FBM", None), (DE, "A", "FBA", "B01")]  # by marketplace id: A13... before A1P...


async def test_of_products_brings_every_sku_of_a_product(store: Store) -> None:
    async with store.session() as tx:
        for mapping in (_m("A", 1), _m("A2", 1, DE), _m("B", 2), _m("C", 3), _m("X", 1, account="other")):
            await tx.product_map.upsert(mapping)
        keys = [(r.marketplace_id, r.sku) for r in await tx.product_map.of_products("acme", skus=["A2"])]
        assert keys == [("", "A"), (DE, "A2")]
        by_product = await tx.product_map.of_products("acme", product_ids=[2], skus=["C"])
        assert [r.sku for r in by_product] == ["B", "C"]
        assert [r.sku for r in await tx.product_map.of_products("acme", every=True)] == ["A", "B", "C", "A2"]
        assert await tx.product_map.of_products("acme") == []
        assert (await tx.product_map.of_products("acme", product_ids=[3]))[0] == _m("C", 3)


async def test_skus_of_products_names_the_fba_sku_first(store: Store) -> None:
    async with store.session() as tx:
        for mapping in (_m("X", 1), _m("X-FBA", 1, DE, "FBA"), _m("Y", 2), _m("Y-DE", 2, DE), _m("Z", 3, FR)):
            await tx.product_map.upsert(mapping)
        assert await tx.product_map.skus_of_products("acme", DE, [1, 2, 3, 4]) == {1: "X-FBA", 2: "Y-DE"}
        assert await tx.product_map.skus_of_products("acme", FR, [1, 2, 3]) == {1: "X", 2: "Y", 3: "Z"}
        assert await tx.product_map.skus_of_products("acme", DE, []) == {}
