"""Orders: the 2026-01-01 API (searchOrders, getOrder) and the v0 API still used for items,
addresses, buyer info and shipment confirmation. Methods return Amazon's JSON bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from ._base import Api, dig

__all__ = ["OrdersApi", "OrdersV0Api"]


class OrdersApi(Api):
    """Orders API v2026-01-01 (``/orders/2026-01-01``)."""

    @staticmethod
    def _search_params(*, marketplace_ids: Sequence[str] | None, created_after: datetime | None,
                       created_before: datetime | None, last_updated_after: datetime | None,
                       last_updated_before: datetime | None, fulfillment_statuses: Sequence[str] | None,
                       fulfilled_by: Sequence[str] | None, max_results_per_page: int | None,
                       included_data: Sequence[str] | None) -> dict[str, Any]:
        return {"marketplaceIds": marketplace_ids, "createdAfter": created_after,
                "createdBefore": created_before, "lastUpdatedAfter": last_updated_after,
                "lastUpdatedBefore": last_updated_before, "fulfillmentStatuses": fulfillment_statuses,
                "fulfilledBy": fulfilled_by, "maxResultsPerPage": max_results_per_page,
                "includedData": included_data}

    async def search_orders(self, *, marketplace_ids: Sequence[str] | None = None,
                            created_after: datetime | None = None, created_before: datetime | None = None,
                            last_updated_after: datetime | None = None,
                            last_updated_before: datetime | None = None,
                            fulfillment_statuses: Sequence[str] | None = None,
                            fulfilled_by: Sequence[str] | None = None, max_results_per_page: int | None = None,
                            included_data: Sequence[str] | None = None,
                            pagination_token: str | None = None) -> dict[str, Any]:
        """One page of ``searchOrders``: ``{"orders": [...], "pagination": {"nextToken": ...}}``."""
        params = self._search_params(
            marketplace_ids=marketplace_ids, created_after=created_after, created_before=created_before,
            last_updated_after=last_updated_after, last_updated_before=last_updated_before,
            fulfillment_statuses=fulfillment_statuses, fulfilled_by=fulfilled_by,
            max_results_per_page=max_results_per_page, included_data=included_data)
        params["paginationToken"] = pagination_token
        return await self._client.call("orders.searchOrders", params=params)

    def search_orders_pages(self, *, marketplace_ids: Sequence[str] | None = None,
                            created_after: datetime | None = None, created_before: datetime | None = None,
                            last_updated_after: datetime | None = None,
                            last_updated_before: datetime | None = None,
                            fulfillment_statuses: Sequence[str] | None = None,
                            fulfilled_by: Sequence[str] | None = None, max_results_per_page: int | None = None,
                            included_data: Sequence[str] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every page of ``searchOrders`` (follows ``pagination.nextToken``)."""
        params = self._search_params(
            marketplace_ids=marketplace_ids, created_after=created_after, created_before=created_before,
            last_updated_after=last_updated_after, last_updated_before=last_updated_before,
            fulfillment_statuses=fulfillment_statuses, fulfilled_by=fulfilled_by,
            max_results_per_page=max_results_per_page, included_data=included_data)
        return self._client.pages("orders.searchOrders", token_param="paginationToken",
                                  next_token=lambda page: dig(page, "pagination", "nextToken"), params=params)

    async def get_order(self, order_id: str, *, included_data: Sequence[str] | None = None) -> dict[str, Any]:
        """``getOrder``: ``{"order": {...}}``."""
        return await self._client.call("orders.getOrder", path_params={"orderId": order_id},
                                       params={"includedData": included_data})


class OrdersV0Api(Api):
    """Orders API v0 (``/orders/v0``); bodies carry ``payload``."""

    async def get_orders(self, *, marketplace_ids: Sequence[str], created_after: datetime | None = None,
                         created_before: datetime | None = None, last_updated_after: datetime | None = None,
                         last_updated_before: datetime | None = None,
                         order_statuses: Sequence[str] | None = None,
                         fulfillment_channels: Sequence[str] | None = None,
                         amazon_order_ids: Sequence[str] | None = None,
                         max_results_per_page: int | None = None, next_token: str | None = None
                         ) -> dict[str, Any]:
        params = {"MarketplaceIds": marketplace_ids, "CreatedAfter": created_after,
                  "CreatedBefore": created_before, "LastUpdatedAfter": last_updated_after,
                  "LastUpdatedBefore": last_updated_before, "OrderStatuses": order_statuses,
                  "FulfillmentChannels": fulfillment_channels, "AmazonOrderIds": amazon_order_ids,
                  "MaxResultsPerPage": max_results_per_page, "NextToken": next_token}
        return await self._client.call("ordersV0.getOrders", params=params)

    def get_orders_pages(self, *, marketplace_ids: Sequence[str], created_after: datetime | None = None,
                         last_updated_after: datetime | None = None,
                         order_statuses: Sequence[str] | None = None,
                         max_results_per_page: int | None = None) -> AsyncIterator[dict[str, Any]]:
        params = {"MarketplaceIds": marketplace_ids, "CreatedAfter": created_after,
                  "LastUpdatedAfter": last_updated_after, "OrderStatuses": order_statuses,
                  "MaxResultsPerPage": max_results_per_page}
        return self._client.pages("ordersV0.getOrders", token_param="NextToken",
                                  next_token=lambda page: dig(page, "payload", "NextToken"), params=params)

    async def get_order(self, order_id: str) -> dict[str, Any]:
        return await self._client.call("ordersV0.getOrder", path_params={"orderId": order_id})

    async def get_order_items(self, order_id: str, *, next_token: str | None = None) -> dict[str, Any]:
        return await self._client.call("ordersV0.getOrderItems", path_params={"orderId": order_id},
                                       params={"NextToken": next_token})

    def get_order_items_pages(self, order_id: str) -> AsyncIterator[dict[str, Any]]:
        return self._client.pages("ordersV0.getOrderItems", token_param="NextToken",
                                  next_token=lambda page: dig(page, "payload", "NextToken"),
                                  path_params={"orderId": order_id})

    async def get_order_address(self, order_id: str) -> dict[str, Any]:
        return await self._client.call("ordersV0.getOrderAddress", path_params={"orderId": order_id})

    async def get_order_buyer_info(self, order_id: str) -> dict[str, Any]:
        return await self._client.call("ordersV0.getOrderBuyerInfo", path_params={"orderId": order_id})

    async def confirm_shipment(self, order_id: str, *, marketplace_id: str, package_detail: dict[str, Any],
                               cod_collection_method: str | None = None) -> dict[str, Any]:
        """``confirmShipment`` (MFN): ``package_detail`` is Amazon's PackageDetail
        (packageReferenceId, carrierCode, trackingNumber, shipDate, orderItems...). 204 → {}."""
        body: dict[str, Any] = {"marketplaceId": marketplace_id, "packageDetail": package_detail}
        if cod_collection_method is not None:
            body["codCollectionMethod"] = cod_collection_method
        return await self._client.call("ordersV0.confirmShipment", path_params={"orderId": order_id},
                                       json=body)

    async def update_shipment_status(self, order_id: str, *, marketplace_id: str, shipment_status: str,
                                     order_items: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
        """``updateShipmentStatus`` (ReadyForPickup / PickedUp / RefusedPickup)."""
        body: dict[str, Any] = {"marketplaceId": marketplace_id, "shipmentStatus": shipment_status}
        if order_items is not None:
            body["orderItems"] = list(order_items)
        return await self._client.call("ordersV0.updateShipmentStatus", path_params={"orderId": order_id},
                                       json=body)
