"""The listings → product_map refresh: a refresh that fails half-way stays due."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.exceptions import ThrottledError
from amazon_odoo_sync.flows.stock_catalog import map_listed_products, refresh_due
from amazon_odoo_sync.store import product_map
from amazon_odoo_sync.store.unit import PgStore

pytestmark = pytest.mark.db

DE, UK = "A1PA6795UKMFR9", "A1F83G8C2ARO7P"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


class Listings:
    def __init__(self, fail_once: set[str]) -> None:
        self.fail_once = set(fail_once)

    async def search_listings_items_pages(self, *, marketplace_ids: list[str], **_: Any
                                          ) -> AsyncIterator[dict[str, Any]]:
        [marketplace_id] = marketplace_ids
        if marketplace_id in self.fail_once:
            self.fail_once.discard(marketplace_id)
            raise ThrottledError("throttled", system="amazon", operation="listings.searchListingsItems")
        yield {"items": [{"sku": f"SKU-{marketplace_id[:4]}", "fulfillmentAvailability": [
            {"fulfillmentChannelCode": "AMAZON_EU"}]}]}


class SpApi:
    def __init__(self, fail_once: set[str]) -> None:
        self.listings = Listings(fail_once)


class Odoo:
    async def search_read(self, model: str, domain: list[Any], fields: list[str]) -> list[dict[str, Any]]:
        return [{"id": 100 + i, "default_code": sku} for i, sku in enumerate(domain[0][2])]


async def test_a_refresh_that_fails_half_way_is_due_again_and_completes(
        db_url: str, pool: AsyncConnectionPool[Any]) -> None:
    store = PgStore(pool)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        spapi = SpApi(fail_once={UK})
        with pytest.raises(ThrottledError):
            await map_listed_products(store, account="acme", marketplace_ids=[DE, UK], spapi=spapi, odoo=Odoo(),
                                      now=NOW)
        assert await product_map.count(conn, "acme") == 1  # DE is kept
        assert await refresh_due(store, "acme", NOW + timedelta(minutes=1), timedelta(hours=6))
        # The retry reads only what the failed attempt did not reach (fresh since the last full refresh).
        result = await map_listed_products(store, account="acme", marketplace_ids=[DE, UK], spapi=spapi,
                                           odoo=Odoo(), now=NOW + timedelta(minutes=1),
                                           fresh_since=NOW - timedelta(hours=6))
        assert result.mapped == 1 and result.listings == 1
        assert set(await product_map.lookup(conn, "acme", UK, [f"SKU-{UK[:4]}"])) == {f"SKU-{UK[:4]}"}
        assert not await refresh_due(store, "acme", NOW + timedelta(minutes=2), timedelta(hours=6))
