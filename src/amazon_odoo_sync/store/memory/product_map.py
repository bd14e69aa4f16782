"""SKU → Odoo product in memory (see ``store.product_map``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..product_map import ProductMapping

if TYPE_CHECKING:
    from . import MemoryState

__all__ = ["MemoryProductMap"]

_Key = tuple[str, str, str]  # (account, marketplace_id, sku)


class MemoryProductMap:
    def __init__(self, state: MemoryState) -> None:
        self._rows: dict[_Key, ProductMapping] = state.section("product_map", dict)

    def _of(self, account: str) -> list[ProductMapping]:
        return [row for (a, _, _), row in self._rows.items() if a == account]

    async def upsert(self, mapping: ProductMapping) -> None:
        self._rows[(mapping.account, mapping.marketplace_id, mapping.sku)] = mapping

    async def lookup(self, account: str, marketplace_id: str, skus: Iterable[str]) -> dict[str, int]:
        wanted = set(skus)
        rows = [r for r in self._of(account) if r.marketplace_id in (marketplace_id, "") and r.sku in wanted]
        # '' first: a marketplace-specific row wins.
        return {r.sku: r.odoo_product_id for r in sorted(rows, key=lambda r: r.marketplace_id)}

    async def fill_from_listings(self, mappings: Iterable[ProductMapping]) -> list[str]:
        changed: list[str] = []
        for m in mappings:
            if (m.account, "", m.sku) in self._rows:
                continue  # the seller's own account-wide row
            key = (m.account, m.marketplace_id, m.sku)
            old = self._rows.get(key)
            if old is None:
                self._rows[key] = m
                changed.append(m.sku)
                continue
            asin = m.asin if m.asin is not None else old.asin
            if old.fulfillment != m.fulfillment or old.asin != asin:
                # The product stays as mapped (a seller's correction wins); the channel follows Amazon.
                self._rows[key] = dataclasses.replace(old, fulfillment=m.fulfillment, asin=asin)
                changed.append(m.sku)
        return changed

    async def count(self, account: str) -> int:
        return len(self._of(account))

    async def of_products(self, account: str, *, every: bool = False, product_ids: Iterable[int] = (),
                          skus: Iterable[str] = ()) -> list[ProductMapping]:
        rows = self._of(account)
        wanted_skus = set(skus)
        products = set(product_ids) | {r.odoo_product_id for r in rows if r.sku in wanted_skus}
        return sorted((r for r in rows if every or r.odoo_product_id in products),
                      key=lambda r: (r.marketplace_id, r.sku))

    async def skus_of_products(self, account: str, marketplace_id: str,
                               product_ids: Iterable[int]) -> dict[int, str]:
        ids = set(product_ids)
        rows = [r for r in self._of(account) if r.marketplace_id in (marketplace_id, "") and r.odoo_product_id in ids]
        # FBA SKU first, then a marketplace-specific row, then the smallest SKU.
        named: dict[int, str] = {}
        for r in sorted(rows, key=lambda r: (r.fulfillment != "FBA", r.marketplace_id == "", r.sku)):
            named.setdefault(r.odoo_product_id, r.sku)
        return named
