"""FBA Inventory API v1: inventory summaries per marketplace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from ._base import Api, dig

__all__ = ["FbaInventoryApi"]


class FbaInventoryApi(Api):
    @staticmethod
    def _params(marketplace_id: str, details: bool, seller_skus: Sequence[str] | None,
                start_date_time: datetime | None) -> dict[str, Any]:
        return {"granularityType": "Marketplace", "granularityId": marketplace_id,
                "marketplaceIds": [marketplace_id], "details": details, "sellerSkus": seller_skus,
                "startDateTime": start_date_time}

    async def get_inventory_summaries(self, *, marketplace_id: str, details: bool = True,
                                      seller_skus: Sequence[str] | None = None,
                                      start_date_time: datetime | None = None,
                                      next_token: str | None = None) -> dict[str, Any]:
        """``{"payload": {"inventorySummaries": [...]}, "pagination": {"nextToken"?}}``."""
        params = self._params(marketplace_id, details, seller_skus, start_date_time)
        params["nextToken"] = next_token
        return await self._client.call("fbaInventory.getInventorySummaries", params=params)

    def get_inventory_summaries_pages(self, *, marketplace_id: str, details: bool = True,
                                      seller_skus: Sequence[str] | None = None,
                                      start_date_time: datetime | None = None) -> AsyncIterator[dict[str, Any]]:
        return self._client.pages("fbaInventory.getInventorySummaries", token_param="nextToken",
                                  next_token=lambda page: dig(page, "pagination", "nextToken"),
                                  params=self._params(marketplace_id, details, seller_skus, start_date_time))
