"""The stock push's ports on our clients: :class:`OdooStockSource` on the Odoo client,
:class:`SpApiOfferSink` on the SP-API client."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ...amazon.client import SpApiClient
from ...mapping.stock import QuantityUpdate, quantity_patches
from ...odoo.client import OdooClient
from ...odoo.values import from_odoo_datetime, to_odoo_datetime

__all__ = ["OdooStockSource", "SpApiOfferSink"]


class OdooStockSource:
    """:class:`~.ports.StockSource` over the Odoo external API."""

    def __init__(self, odoo: OdooClient, *, overlap_seconds: float = 10.0, chunk_size: int = 2000) -> None:
        self.odoo = odoo
        self.overlap = timedelta(seconds=overlap_seconds)
        self.chunk_size = chunk_size

    async def changed_products(self, since: datetime | None) -> tuple[set[int], datetime | None]:
        domain: list[Any] = []
        if since is not None:
            domain = [("write_date", ">", to_odoo_datetime(since - self.overlap))]
        products: set[int] = set()
        newest: datetime | None = None
        for model in ("stock.quant", "stock.move"):
            rows = await self.odoo.search_read(model, domain, ["product_id", "write_date"],
                                               chunk_size=self.chunk_size)
            for row in rows:
                product = row.get("product_id")
                if isinstance(product, list | tuple) and product:
                    products.add(int(product[0]))
                elif isinstance(product, int) and product:
                    products.add(product)
                stamp = from_odoo_datetime(row.get("write_date"))
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
        return products, newest

    async def free_quantities(self, product_ids: Sequence[int],
                              warehouse_ids: Sequence[int]) -> dict[int, Decimal]:
        context: dict[str, Any] = {"warehouse_id": list(warehouse_ids)} if warehouse_ids else {}
        rows = await self.odoo.read("product.product", product_ids, ["free_qty"],
                                    chunk_size=self.chunk_size, context=context)
        return {int(r["id"]): Decimal(str(r.get("free_qty") or 0)) for r in rows}


class SpApiOfferSink:
    """:class:`~.ports.OfferSink` on our SP-API client; urgent patches at ``urgent_priority``."""

    def __init__(self, client: SpApiClient, *, product_type: str = "PRODUCT", priority: int = 100,
                 urgent_priority: int = 101) -> None:
        self.client = client.with_options(priority=priority)
        self.urgent = client.with_options(priority=urgent_priority)
        self.product_type = product_type
        self.seller_id = str(client.seller_id)

    async def patch_quantity(self, marketplace_id: str, update: QuantityUpdate) -> Mapping[str, Any]:
        api = self.urgent if update.urgent else self.client
        return await api.listings.patch_listings_item(
            update.sku, marketplace_ids=[marketplace_id], product_type=self.product_type,
            patches=quantity_patches(update.quantity))

    async def submit_feed(self, marketplace_id: str, content: bytes) -> str:
        answer = await self.client.feeds.submit_feed(feed_type="JSON_LISTINGS_FEED",
                                                     marketplace_ids=[marketplace_id], content=content)
        return str(answer["feedId"])

    async def feed_result(self, feed_id: str) -> tuple[str, Mapping[str, Any] | None]:
        feed = await self.client.feeds.get_feed(feed_id)
        status = str(feed.get("processingStatus", ""))
        if status not in ("DONE", "FATAL", "CANCELLED"):
            return status, None
        document = feed.get("resultFeedDocumentId")
        if not document:
            return status, None
        raw = await self.client.feeds.download_feed_document(document)
        try:
            report = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return status, None
        return status, report if isinstance(report, dict) else None
