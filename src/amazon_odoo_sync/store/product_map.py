"""SKU → Odoo product, per account and marketplace ('' = every marketplace of the account).

The order flow reads it first and falls back to the product's ``default_code``; the stock flow
reads it to know which SKUs to offer. Unique on (account, marketplace_id, sku).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from ._sql import cursor

__all__ = ["ProductMapping", "count", "fill_from_listings", "lookup", "upsert"]

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
