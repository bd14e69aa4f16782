"""Which Odoo product each Amazon SKU of an account is: ``product_map`` filled from the listings.

Sellers usually give their Odoo products the Amazon SKU as internal reference (``default_code``);
the order flow falls back to it, and the stock flow, which only offers mapped SKUs, needs the
same. :func:`map_listed_products` reads the account's listings per marketplace
(``searchListingsItems`` with summaries and fulfillment availability), finds the Odoo product
whose ``default_code`` equals each SKU, and records it with the listing's channel (``DEFAULT``:
FBM; ``AMAZON_*``: FBA). A SKU found on several Odoo products is ambiguous and left out (logged):
the seller maps it explicitly. Existing mappings keep their product; only the channel follows
Amazon, and SKUs that are new or changed channel are marked for the next stock cycle (a switch
from FBM to FBA then sends 0 for FBM).

Quota: searchListingsItems is 5 requests/s, 20 SKUs a page; it runs at the reports priority.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from ..amazon.client import SpApiClient
from ..logs import get_logger
from ..odoo.client import OdooClient
from ..store import product_map
from ..store.unit import Store
from .runtime import FlowRuntime

__all__ = ["CURSOR_FLOW", "CatalogResult", "map_listed_products", "map_products_for", "refresh_due"]

CURSOR_FLOW = "stock-catalog"
PAGE_SIZE = 20  # Amazon's maximum for searchListingsItems
ODOO_CHUNK = 1000
_log = get_logger(__name__)


@dataclass(kw_only=True)
class CatalogResult:
    listings: int = 0
    mapped: int = 0
    changed: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)


def _channel(item: dict[str, Any]) -> Literal["FBM", "FBA"]:
    codes = {str(f.get("fulfillmentChannelCode") or "") for f in item.get("fulfillmentAvailability") or []}
    # Amazon's FBA channels are AMAZON_NA / AMAZON_EU / AMAZON_<country>; DEFAULT is the seller.
    if any(code.startswith("AMAZON") for code in codes) and "DEFAULT" not in codes:
        return "FBA"
    return "FBM"


def _asin(item: dict[str, Any], marketplace_id: str) -> str | None:
    for summary in item.get("summaries") or []:
        if summary.get("marketplaceId") in (None, marketplace_id) and summary.get("asin"):
            return str(summary["asin"])
    return None


async def _odoo_products(odoo: OdooClient, skus: Sequence[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for start in range(0, len(skus), ODOO_CHUNK):
        chunk = list(skus[start:start + ODOO_CHUNK])
        for row in await odoo.search_read("product.product", [("default_code", "in", chunk)], ["default_code"]):
            found.setdefault(str(row["default_code"]), []).append(int(row["id"]))
    return found


async def map_listed_products(store: Store, *, account: str, marketplace_ids: Sequence[str],
                              spapi: SpApiClient, odoo: OdooClient, now: datetime | None = None,
                              fresh_since: datetime | None = None,
                              progress: Callable[[int], None] | None = None) -> CatalogResult:
    """Fill ``product_map`` of ``account`` from its listings (see the module docstring).
    Each marketplace commits on its own (with its own refresh time: marketplaces refreshed after
    ``fresh_since`` are skipped), the account's refresh time once all of them are done."""
    result = CatalogResult()
    for marketplace_id in marketplace_ids:
        if fresh_since is not None:
            async with store.session() as tx:
                done = await tx.cursors.get(account, CURSOR_FLOW, marketplace=marketplace_id)
            if done is not None and done.cursor is not None and done.cursor > fresh_since:
                continue  # read by an attempt that failed later, on another marketplace
        listed: dict[str, tuple[str | None, Literal["FBM", "FBA"]]] = {}
        async for page in spapi.listings.search_listings_items_pages(
                marketplace_ids=[marketplace_id], included_data=["summaries", "fulfillmentAvailability"],
                page_size=PAGE_SIZE):
            for item in page.get("items") or []:
                if item.get("sku"):
                    listed[str(item["sku"])] = (_asin(item, marketplace_id), _channel(item))
            if progress:
                progress(len(page.get("items") or []))
        result.listings += len(listed)
        products = await _odoo_products(odoo, sorted(listed))
        rows = []
        for sku, (asin, channel) in sorted(listed.items()):
            ids = products.get(sku, [])
            if not ids:
                result.unmatched.append(sku)
                continue
            if len(ids) > 1:
                result.ambiguous.append(sku)
                continue
            rows.append(product_map.ProductMapping(account=account, marketplace_id=marketplace_id, sku=sku,
                                                   asin=asin, fulfillment=channel, odoo_product_id=ids[0]))
        async with store.transaction() as tx:
            changed = await tx.product_map.fill_from_listings(rows)
            await tx.offers.mark_dirty(account, changed)
            if now is not None:
                await tx.cursors.reset(account, CURSOR_FLOW, now, marketplace=marketplace_id)
        result.mapped += len(rows)
        result.changed.extend(changed)
    if now is not None:
        # Only once every marketplace is read: a refresh that failed half-way (a 429, a 500)
        # stays due, and its retry reads only the marketplaces it did not reach.
        async with store.transaction() as tx:
            await tx.cursors.reset(account, CURSOR_FLOW, now)
    if result.ambiguous:
        _log.warning("stock.catalog.ambiguous_default_code", account=account, skus=result.ambiguous[:50],
                     count=len(result.ambiguous))
    _log.info("stock.catalog.mapped", account=account, listings=result.listings, mapped=result.mapped,
              changed=len(result.changed), unmatched=len(result.unmatched))
    return result


async def refresh_due(store: Store, account: str, now: datetime, every: timedelta) -> bool:
    """True when the account has no mapping at all, or its last refresh is older than ``every``."""
    async with store.session() as tx:
        if await tx.product_map.count(account) == 0:
            return True
        state = await tx.cursors.get(account, CURSOR_FLOW)
    return state is None or state.cursor is None or state.cursor <= now - every


async def map_products_for(rt: FlowRuntime, account: str, *, force: bool = False,
                           progress: Callable[[int], None] | None = None) -> CatalogResult | None:
    """Refill the account's map when forced or due (``stock.catalog_refresh_minutes``); None
    when not due."""
    minutes = rt.settings.stock.catalog_refresh_minutes
    now = rt.clock.now()
    if not force and (minutes <= 0 or not await refresh_due(rt.store, account, now, timedelta(minutes=minutes))):
        return None
    spapi = await rt.spapi(account, priority=rt.settings.priorities.reports)
    # A marketplace read within the refresh interval (by an attempt that failed on a later one)
    # is not read again.
    return await map_listed_products(rt.store, account=account,
                                     marketplace_ids=rt.settings.account(account).marketplaces, spapi=spapi,
                                     odoo=await rt.odoo(), now=now, progress=progress,
                                     fresh_since=None if force else now - timedelta(minutes=minutes))
