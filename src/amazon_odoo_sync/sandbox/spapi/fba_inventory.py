"""FBA Inventory API of the simulator: ``getInventorySummaries``.

Pages hold ``page_size`` summaries (Amazon: 50). A ``nextToken`` expires ``token_ttl_seconds``
after it was issued, measured on ``monotonic`` — real time by default, as Amazon's 30 seconds are
(the connector must fetch pages back to back); tests inject a fake monotonic clock, or set the
TTL, to see the 400 without waiting. The token carries the query, so a follow-up request needs
only granularity, marketplace and ``nextToken``; the rows of later pages are read when the page is
asked for, as Amazon's are.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from amazon_odoo_sync.sandbox.spapi.errors import EngineError
from amazon_odoo_sync.sandbox.spapi.world import FbaInventory

__all__ = ["FbaInventoryError", "FbaInventoryRow", "InventorySummaries", "summary_json"]


class FbaInventoryError(EngineError):
    """Refused request; body shape is the FBA Inventory model's (``errors`` is a list)."""


@dataclass(frozen=True, kw_only=True)
class FbaInventoryRow:
    """One SKU's FBA inventory as seen from one marketplace: the world's buckets plus the title."""

    inventory: FbaInventory
    product_name: str

    @property
    def seller_sku(self) -> str:
        return self.inventory.sku

    @property
    def last_updated(self) -> datetime:
        return self.inventory.updated or datetime.min.replace(tzinfo=UTC)


def summary_json(row: FbaInventoryRow, *, details: bool, iso: Callable[[datetime], str]) -> dict[str, Any]:
    inv = row.inventory
    body: dict[str, Any] = {
        "asin": inv.asin,
        "fnSku": inv.fnsku,
        "sellerSku": inv.sku,
        "condition": inv.condition,
        "lastUpdatedTime": iso(row.last_updated),
        "productName": row.product_name,
        "totalQuantity": inv.total,
    }
    if details:
        body["inventoryDetails"] = {
            "fulfillableQuantity": inv.fulfillable,
            "inboundWorkingQuantity": inv.inbound_working,
            "inboundShippedQuantity": inv.inbound_shipped,
            "inboundReceivingQuantity": inv.inbound_receiving,
            "reservedQuantity": {
                "totalReservedQuantity": inv.reserved,
                "pendingCustomerOrderQuantity": inv.reserved_pending_customer_order,
                "pendingTransshipmentQuantity": inv.reserved_pending_transshipment,
                "fcProcessingQuantity": inv.reserved_fc_processing,
            },
            "researchingQuantity": {
                "totalResearchingQuantity": inv.researching,
                "researchingQuantityBreakdown": [
                    {"name": "researchingQuantityInShortTerm", "quantity": inv.researching},
                    {"name": "researchingQuantityInMidTerm", "quantity": 0},
                    {"name": "researchingQuantityInLongTerm", "quantity": 0},
                ],
            },
            "unfulfillableQuantity": {
                "totalUnfulfillableQuantity": inv.unfulfillable,
                "customerDamagedQuantity": inv.unfulfillable_customer_damaged,
                "warehouseDamagedQuantity": inv.unfulfillable_warehouse_damaged,
                "distributorDamagedQuantity": inv.unfulfillable_distributor_damaged,
                "carrierDamagedQuantity": inv.unfulfillable_carrier_damaged,
                "defectiveQuantity": inv.unfulfillable_defective,
                "expiredQuantity": inv.unfulfillable_expired,
            },
        }
    return body


@dataclass(frozen=True, kw_only=True)
class _Query:
    seller_id: str
    marketplace_id: str
    details: bool
    start: datetime | None
    skus: tuple[str, ...]
    offset: int


class InventorySummaries:
    """The query logic of getInventorySummaries, over rows supplied by ``rows_for``."""

    def __init__(
        self,
        *,
        rows_for: Callable[[str, str], Iterable[FbaInventoryRow]],
        page_size: int = 50,
        token_ttl_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rows_for = rows_for
        self.page_size = page_size
        self.token_ttl_seconds = token_ttl_seconds
        self.monotonic = monotonic
        self._tokens: dict[str, tuple[float, _Query]] = {}
        self._counter = itertools.count(1)

    def query(
        self,
        seller_id: str,
        *,
        granularity_type: str | None,
        granularity_id: str | None,
        marketplace_ids: Sequence[str],
        details: bool = False,
        start: datetime | None = None,
        seller_skus: Sequence[str] = (),
        seller_sku: str | None = None,
        next_token: str | None = None,
    ) -> tuple[list[FbaInventoryRow], bool, str | None]:
        """(rows of this page, details flag, next token)."""
        if granularity_type != "Marketplace":
            raise FbaInventoryError(400, "InvalidInput", "granularityType must be Marketplace")
        if not granularity_id:
            raise FbaInventoryError(400, "InvalidInput", "granularityId is required")
        if len(marketplace_ids) != 1:
            raise FbaInventoryError(400, "InvalidInput", "marketplaceIds must name exactly one "
                                    "marketplace")
        if granularity_id != marketplace_ids[0]:
            raise FbaInventoryError(400, "InvalidInput",
                                    "granularityId must be the marketplace id in marketplaceIds")
        if len(seller_skus) > 50:
            raise FbaInventoryError(400, "InvalidInput", "sellerSkus may list at most 50 SKUs")
        if next_token is not None:
            q = self._resume(next_token, seller_id, granularity_id)
        else:
            # Amazon's precedence: startDateTime, then sellerSkus, then sellerSku.
            skus: tuple[str, ...] = ()
            if start is None:
                skus = tuple(seller_skus) or ((seller_sku,) if seller_sku else ())
            q = _Query(seller_id=seller_id, marketplace_id=granularity_id, details=details,
                       start=start, skus=skus, offset=0)
        rows = sorted(
            (r for r in self.rows_for(seller_id, q.marketplace_id)
             if (q.start is None or r.last_updated >= q.start)
             and (not q.skus or r.seller_sku in q.skus)),
            key=lambda r: r.seller_sku)
        page = rows[q.offset:q.offset + self.page_size]
        token = None
        if q.offset + self.page_size < len(rows):
            token = f"sim-fba-{next(self._counter):06d}"
            self._tokens[token] = (self.monotonic(), _Query(
                seller_id=q.seller_id, marketplace_id=q.marketplace_id, details=q.details,
                start=q.start, skus=q.skus, offset=q.offset + self.page_size))
        return page, q.details, token

    def _resume(self, token: str, seller_id: str, marketplace_id: str) -> _Query:
        entry = self._tokens.get(token)
        if entry is None or entry[1].seller_id != seller_id or entry[1].marketplace_id != marketplace_id:
            raise FbaInventoryError(400, "InvalidInput", "Invalid nextToken")
        issued, q = entry
        if self.monotonic() - issued > self.token_ttl_seconds:
            del self._tokens[token]
            raise FbaInventoryError(400, "InvalidInput",
                                    f"The nextToken has expired: a nextToken is valid for "
                                    f"{self.token_ttl_seconds:g} seconds after it was issued")
        return q
