"""Listings Items API 2021-08-01: read, patch (price/quantity) and search a seller's listings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from ._base import Api, dig

__all__ = ["ListingsApi"]


class ListingsApi(Api):
    def _seller(self, seller_id: str | None) -> str:
        seller = seller_id or self._client.seller_id
        if not seller:
            raise ValueError(f"account {self._client.account}: the Listings API needs the seller id "
                             "(set seller_id in the account's configuration)")
        return seller

    async def get_listings_item(self, sku: str, *, marketplace_ids: Sequence[str],
                                included_data: Sequence[str] | None = None, issue_locale: str | None = None,
                                seller_id: str | None = None) -> dict[str, Any]:
        return await self._client.call(
            "listings.getListingsItem", path_params={"sellerId": self._seller(seller_id), "sku": sku},
            params={"marketplaceIds": marketplace_ids, "includedData": included_data,
                    "issueLocale": issue_locale})

    async def patch_listings_item(self, sku: str, *, marketplace_ids: Sequence[str], product_type: str,
                                  patches: Sequence[dict[str, Any]], included_data: Sequence[str] | None = None,
                                  mode: str | None = None, issue_locale: str | None = None,
                                  seller_id: str | None = None) -> dict[str, Any]:
        """JSON-patch a listing, e.g. ``[{"op": "replace", "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 5}]}]``; ``mode="VALIDATION_PREVIEW"``
        validates without applying."""
        return await self._client.call(
            "listings.patchListingsItem", path_params={"sellerId": self._seller(seller_id), "sku": sku},
            params={"marketplaceIds": marketplace_ids, "includedData": included_data, "mode": mode,
                    "issueLocale": issue_locale},
            json={"productType": product_type, "patches": list(patches)})

    @staticmethod
    def _search_params(marketplace_ids: Sequence[str], identifiers: Sequence[str] | None,
                       identifiers_type: str | None, included_data: Sequence[str] | None,
                       with_status: Sequence[str] | None, last_updated_after: datetime | None,
                       page_size: int | None) -> dict[str, Any]:
        return {"marketplaceIds": marketplace_ids, "identifiers": identifiers,
                "identifiersType": identifiers_type, "includedData": included_data, "withStatus": with_status,
                "lastUpdatedAfter": last_updated_after, "pageSize": page_size}

    async def search_listings_items(self, *, marketplace_ids: Sequence[str],
                                    identifiers: Sequence[str] | None = None, identifiers_type: str | None = None,
                                    included_data: Sequence[str] | None = None,
                                    with_status: Sequence[str] | None = None,
                                    last_updated_after: datetime | None = None, page_size: int | None = None,
                                    page_token: str | None = None, seller_id: str | None = None
                                    ) -> dict[str, Any]:
        params = self._search_params(marketplace_ids, identifiers, identifiers_type, included_data, with_status,
                                     last_updated_after, page_size)
        params["pageToken"] = page_token
        return await self._client.call("listings.searchListingsItems",
                                       path_params={"sellerId": self._seller(seller_id)}, params=params)

    def search_listings_items_pages(self, *, marketplace_ids: Sequence[str],
                                    identifiers: Sequence[str] | None = None, identifiers_type: str | None = None,
                                    included_data: Sequence[str] | None = None,
                                    with_status: Sequence[str] | None = None,
                                    last_updated_after: datetime | None = None, page_size: int | None = None,
                                    seller_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        params = self._search_params(marketplace_ids, identifiers, identifiers_type, included_data, with_status,
                                     last_updated_after, page_size)
        return self._client.pages("listings.searchListingsItems", token_param="pageToken",
                                  next_token=lambda page: dig(page, "pagination", "nextToken"),
                                  path_params={"sellerId": self._seller(seller_id)}, params=params)
