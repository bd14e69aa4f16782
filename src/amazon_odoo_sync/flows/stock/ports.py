"""The two sides of the FBM stock push, as the flow sees them: Odoo's stock and Amazon's offers.

The production adapters (:mod:`.adapters`) wrap our Odoo and SP-API clients; tests give fakes or
the clients on the in-process emulator and simulator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from ...mapping.stock import QuantityUpdate

__all__ = ["OfferSink", "StockSource"]


class StockSource(Protocol):
    """Odoo's side: which products' stock changed, and their free quantities."""

    async def changed_products(self, since: datetime | None) -> tuple[set[int], datetime | None]:
        """Product ids whose stock changed after ``since`` (all when None), and the newest
        ``write_date`` seen (the next cursor; None when nothing was seen)."""

    async def free_quantities(self, product_ids: Sequence[int],
                              warehouse_ids: Sequence[int]) -> dict[int, Decimal]:
        """Free quantity (on hand − reserved) per product in those warehouses."""


class OfferSink(Protocol):
    """Amazon's side: patch one offer now, or submit a feed and read its report later."""

    #: The seller (merchant) id: the ``sellerId`` of feed headers.
    @property
    def seller_id(self) -> str: ...

    async def patch_quantity(self, marketplace_id: str, update: QuantityUpdate) -> Mapping[str, Any]:
        """patchListingsItem; the response body (``status``, ``issues``). Raises SyncError."""

    async def submit_feed(self, marketplace_id: str, content: bytes) -> str:
        """createFeedDocument → upload → createFeed; the feed id. Raises SyncError."""

    async def feed_result(self, feed_id: str) -> tuple[str, Mapping[str, Any] | None]:
        """(processingStatus, processing report when DONE/FATAL, else None)."""
