"""SKU → Odoo product, per account and marketplace ('' = every marketplace of the account).

The order flow reads it first and falls back to the product's ``default_code``; the stock flow
reads it to know which SKUs to offer, the FBA inventory flow to name the products Amazon no
longer reports. Unique on (account, marketplace_id, sku).

Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg import AsyncConnection

from ._sql import cursor

__all__ = ["PgProductMap", "ProductMapRepository", "ProductMapping", "count", "fill_from_listings", "lookup",
           "of_products", "skus_of_products", "upsert"]

_COLUMNS = "account, marketplace_id, sku, asin, fulfillment, odoo_product_id"

UPSERT = """
INSERT INTO product_map (account, marketplace_id, sku, asin, fulfillment, odoo_product_id)
VALUES (%(account)s, %(marketplace_id)s, %(sku)s, %(asin)s, %(fulfillment)s, %(odoo_product_id)s)
ON CONFLICT (account, marketplace_id, sku) DO UPDATE
SET asin = EXCLUDED.asin, fulfillment = EXCLUDED.fulfillment,
    odoo_product_id = EXCLUDED.odoo_product_id, updated_at = now()
"""
LOOKUP = """
SELECT account, marketplace_id, sku, asin, fulfillment, odoo_product_id FROM product_map
WHERE account = %(account)s AND marketplace_id IN (%(marketplace_id)s, '') AND sku = ANY(%(skus)s)
ORDER BY marketplace_id  -- '' first, so a marketplace-specific row wins below
"""
# Rows learned from Amazon's listings: the product is kept once mapped (a seller's correction
# wins), the channel follows Amazon; an account-wide ('') row is the seller's own and is left
# alone. RETURNING: the SKUs inserted or whose channel changed (the stock flow recomputes them).
FILL = """
INSERT INTO product_map (account, marketplace_id, sku, asin, fulfillment, odoo_product_id)
SELECT %(account)s, %(marketplace_id)s, %(sku)s, %(asin)s, %(fulfillment)s, %(odoo_product_id)s
WHERE NOT EXISTS (SELECT 1 FROM product_map
                  WHERE account = %(account)s AND marketplace_id = '' AND sku = %(sku)s)
ON CONFLICT (account, marketplace_id, sku) DO UPDATE
SET fulfillment = EXCLUDED.fulfillment, asin = COALESCE(EXCLUDED.asin, product_map.asin), updated_at = now()
WHERE product_map.fulfillment IS DISTINCT FROM EXCLUDED.fulfillment
   OR product_map.asin IS DISTINCT FROM COALESCE(EXCLUDED.asin, product_map.asin)
RETURNING sku
"""
COUNT = "SELECT count(*) AS n FROM product_map WHERE account = %(account)s"
# A SKU brings every SKU of its product: they share its units (and reservations).
OF_PRODUCTS = f"""
SELECT {_COLUMNS} FROM product_map
WHERE account = %(account)s
  AND (%(all)s OR odoo_product_id = ANY(%(products)s::int[])
       OR odoo_product_id IN (SELECT odoo_product_id FROM product_map
                              WHERE account = %(account)s AND sku = ANY(%(skus)s::text[])))
ORDER BY marketplace_id, sku
"""
# A product mapped from several SKUs (an FBM "X" and an FBA "X-FBA") is named by its FBA SKU;
# a marketplace-specific row wins over the account-wide one.
SKUS_OF_PRODUCTS = """
SELECT DISTINCT ON (odoo_product_id) odoo_product_id, sku FROM product_map
WHERE account = %(account)s AND marketplace_id IN (%(marketplace_id)s, '') AND odoo_product_id = ANY(%(ids)s)
ORDER BY odoo_product_id, (fulfillment = 'FBA') DESC, marketplace_id DESC, sku
"""


@dataclass(frozen=True, kw_only=True)
class ProductMapping:
    account: str
    marketplace_id: str
    sku: str
    asin: str | None
    fulfillment: str
    odoo_product_id: int


async def upsert(conn: AsyncConnection[Any], mapping: ProductMapping) -> None:
    async with cursor(conn) as cur:
        await cur.execute(UPSERT, mapping.__dict__)


async def lookup(conn: AsyncConnection[Any], account: str, marketplace_id: str,
                 skus: Iterable[str]) -> dict[str, int]:
    """Odoo product id per SKU for those SKUs that are mapped."""
    async with cursor(conn) as cur:
        await cur.execute(LOOKUP, {"account": account, "marketplace_id": marketplace_id,
                                   "skus": list(skus)})
        rows = await cur.fetchall()
    return {row["sku"]: int(row["odoo_product_id"]) for row in rows}


async def fill_from_listings(conn: AsyncConnection[Any], mappings: Iterable[ProductMapping]) -> list[str]:
    """Insert mappings found from Amazon's listings (see ``FILL``); the SKUs that are new or
    changed channel."""
    changed: list[str] = []
    async with cursor(conn) as cur:
        for mapping in mappings:
            await cur.execute(FILL, mapping.__dict__)
            changed.extend(row["sku"] for row in await cur.fetchall())
    return changed


async def count(conn: AsyncConnection[Any], account: str) -> int:
    async with cursor(conn) as cur:
        await cur.execute(COUNT, {"account": account})
        row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def of_products(conn: AsyncConnection[Any], account: str, *, every: bool = False,
                      product_ids: Iterable[int] = (), skus: Iterable[str] = ()) -> list[ProductMapping]:
    """The rows (every marketplace) of ``account`` mapping to those products or to the products
    of those SKUs; every row of the account with ``every``. By marketplace, then SKU."""
    async with cursor(conn) as cur:
        await cur.execute(OF_PRODUCTS, {"account": account, "all": every, "products": sorted(set(product_ids)),
                                        "skus": sorted(set(skus))})
        rows = await cur.fetchall()
    return [ProductMapping(**row) for row in rows]


async def skus_of_products(conn: AsyncConnection[Any], account: str, marketplace_id: str,
                           product_ids: Iterable[int]) -> dict[int, str]:
    """The SKU each of these Odoo products is mapped from in ``marketplace_id`` (FBA SKU first;
    products without a mapping are left out)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    async with cursor(conn) as cur:
        await cur.execute(SKUS_OF_PRODUCTS, {"account": account, "marketplace_id": marketplace_id, "ids": ids})
        rows = await cur.fetchall()
    return {int(row["odoo_product_id"]): row["sku"] for row in rows}


class ProductMapRepository(Protocol):
    async def upsert(self, mapping: ProductMapping) -> None: ...

    async def lookup(self, account: str, marketplace_id: str, skus: Iterable[str]) -> dict[str, int]: ...

    async def fill_from_listings(self, mappings: Iterable[ProductMapping]) -> list[str]: ...

    async def count(self, account: str) -> int: ...

    async def of_products(self, account: str, *, every: bool = False, product_ids: Iterable[int] = (),
                          skus: Iterable[str] = ()) -> list[ProductMapping]: ...

    async def skus_of_products(self, account: str, marketplace_id: str,
                               product_ids: Iterable[int]) -> dict[int, str]: ...


class PgProductMap:
    """:class:`ProductMapRepository` on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def upsert(self, mapping: ProductMapping) -> None:
        await upsert(self._conn, mapping)

    async def lookup(self, account: str, marketplace_id: str, skus: Iterable[str]) -> dict[str, int]:
        return await lookup(self._conn, account, marketplace_id, skus)

    async def fill_from_listings(self, mappings: Iterable[ProductMapping]) -> list[str]:
        return await fill_from_listings(self._conn, mappings)

    async def count(self, account: str) -> int:
        return await count(self._conn, account)

    async def of_products(self, account: str, *, every: bool = False, product_ids: Iterable[int] = (),
                          skus: Iterable[str] = ()) -> list[ProductMapping]:
        return await of_products(self._conn, account, every=every, product_ids=product_ids, skus=skus)

    async def skus_of_products(self, account: str, marketplace_id: str,
                               product_ids: Iterable[int]) -> dict[int, str]:
        return await skus_of_products(self._conn, account, marketplace_id, product_ids)
