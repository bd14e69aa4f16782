"""Every typed operation builds a request that Amazon's model accepts (path, query, body)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.amazon.client import SpApiClient
from amazon_odoo_sync.amazon.usage_plans import OPERATIONS, OperationSpec
from amazon_odoo_sync.clock import FakeClock

from .spapi_schema import Recorder, check_request, make_client

DE = "A1PA6795UKMFR9"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
T1 = datetime(2026, 1, 3, tzinfo=UTC)
Call = Callable[[SpApiClient], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "orders.searchOrders": lambda c: c.orders.search_orders(
        marketplace_ids=[DE], last_updated_after=T0, last_updated_before=T1, fulfillment_statuses=["UNSHIPPED"],
        fulfilled_by=["MERCHANT", "AMAZON"], max_results_per_page=100, included_data=["BUYER", "RECIPIENT"],
        pagination_token="tok"),
    "orders.getOrder": lambda c: c.orders.get_order("302-1234567-1234567", included_data=["PROCEEDS"]),
    "ordersV0.getOrders": lambda c: c.orders_v0.get_orders(
        marketplace_ids=[DE], created_after=T0, order_statuses=["Unshipped", "PartiallyShipped"],
        fulfillment_channels=["MFN"], max_results_per_page=50),
    "ordersV0.getOrder": lambda c: c.orders_v0.get_order("302-1234567-1234567"),
    "ordersV0.getOrderItems": lambda c: c.orders_v0.get_order_items("302-1234567-1234567", next_token="n"),
    "ordersV0.getOrderAddress": lambda c: c.orders_v0.get_order_address("302-1234567-1234567"),
    "ordersV0.getOrderBuyerInfo": lambda c: c.orders_v0.get_order_buyer_info("302-1234567-1234567"),
    "ordersV0.confirmShipment": lambda c: c.orders_v0.confirm_shipment(
        "302-1234567-1234567", marketplace_id=DE, package_detail={
            "packageReferenceId": "1", "carrierCode": "DHL", "trackingNumber": "00340434",
            "shipDate": "2026-01-02T10:00:00Z",
            "orderItems": [{"orderItemId": "12345678901234", "quantity": 1}]}),
    "ordersV0.updateShipmentStatus": lambda c: c.orders_v0.update_shipment_status(
        "302-1234567-1234567", marketplace_id=DE, shipment_status="ReadyForPickup"),
    "listings.getListingsItem": lambda c: c.listings.get_listings_item(
        "SKU/1 2", marketplace_ids=[DE], included_data=["summaries", "fulfillmentAvailability"]),
    "listings.patchListingsItem": lambda c: c.listings.patch_listings_item(
        "SKU-1", marketplace_ids=[DE], product_type="PRODUCT", patches=[{
            "op": "replace", "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 5}]}], mode="VALIDATION_PREVIEW"),
    "listings.searchListingsItems": lambda c: c.listings.search_listings_items(
        marketplace_ids=[DE], identifiers=["SKU-1", "SKU-2"], identifiers_type="SKU", page_size=20,
        page_token="p", last_updated_after=T0),
    "feeds.getFeeds": lambda c: c.feeds.get_feeds(feed_types=["JSON_LISTINGS_FEED"], marketplace_ids=[DE],
                                                  page_size=10, processing_statuses=["DONE"], created_since=T0),
    "feeds.createFeed": lambda c: c.feeds.create_feed(feed_type="JSON_LISTINGS_FEED", marketplace_ids=[DE],
                                                      input_feed_document_id="doc-1"),
    "feeds.cancelFeed": lambda c: c.feeds.cancel_feed("feed-1"),
    "feeds.getFeed": lambda c: c.feeds.get_feed("feed-1"),
    "feeds.createFeedDocument": lambda c: c.feeds.create_feed_document("application/json; charset=UTF-8"),
    "feeds.getFeedDocument": lambda c: c.feeds.get_feed_document("doc-1"),
    "reports.createReport": lambda c: c.reports.create_report(
        report_type="GET_FLAT_FILE_OPEN_LISTINGS_DATA", marketplace_ids=[DE], data_start_time=T0,
        data_end_time=T1),
    "reports.getReports": lambda c: c.reports.get_reports(report_types=["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE"],
                                                          processing_statuses=["DONE"], page_size=10),
    "reports.getReport": lambda c: c.reports.get_report("rep-1"),
    "reports.getReportDocument": lambda c: c.reports.get_report_document("amzn1.tortuga.3.abc"),
    "fbaInventory.getInventorySummaries": lambda c: c.fba_inventory.get_inventory_summaries(
        marketplace_id=DE, seller_skus=["SKU-1"], next_token="n"),
    "notifications.getDestinations": lambda c: c.notifications.get_destinations(),
    "notifications.createDestination": lambda c: c.notifications.create_destination(
        name="aos", resource_specification={"sqs": {"arn": "arn:aws:sqs:eu-west-1:123456789012:aos"}}),
    "notifications.getDestination": lambda c: c.notifications.get_destination("dest-1"),
    "notifications.deleteDestination": lambda c: c.notifications.delete_destination("dest-1"),
    "notifications.getSubscription": lambda c: c.notifications.get_subscription("ORDER_CHANGE",
                                                                                 payload_version="1.0"),
    "notifications.createSubscription": lambda c: c.notifications.create_subscription(
        "ORDER_CHANGE", destination_id="dest-1", payload_version="1.0"),
    "notifications.getSubscriptionById": lambda c: c.notifications.get_subscription_by_id("ORDER_CHANGE", "s1"),
    "notifications.deleteSubscriptionById": lambda c: c.notifications.delete_subscription_by_id(
        "ORDER_CHANGE", "s1"),
    "financesV0.listFinancialEventGroups": lambda c: c.finances.list_financial_event_groups(
        started_after=T0, max_results_per_page=100),
    "financesV0.listFinancialEventsByGroupId": lambda c: c.finances.list_financial_events_by_group_id(
        "grp-1", max_results_per_page=100, next_token="n"),
    "financesV0.listFinancialEventsByOrderId": lambda c: c.finances.list_financial_events_by_order_id(
        "302-1234567-1234567"),
    "financesV0.listFinancialEvents": lambda c: c.finances.list_financial_events(posted_after=T0,
                                                                                 posted_before=T1),
    "finances.listTransactions": lambda c: c.finances.list_transactions(posted_after=T0, marketplace_id=DE),
}


def test_every_operation_with_a_plan_has_a_typed_method() -> None:
    assert set(CALLS) == set(OPERATIONS)


@pytest.mark.parametrize("key", sorted(CALLS))
async def test_request_matches_amazons_model(key: str, spapi_models_dir: Path, fake_clock: FakeClock) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, json={}))
    async with make_client(recorder, fake_clock) as client:
        await CALLS[key](client)
    assert len(recorder.requests) == 1
    spec: OperationSpec = OPERATIONS[key]
    check_request(spapi_models_dir, spec, recorder.requests[0])


async def test_path_parameters_are_percent_encoded(fake_clock: FakeClock) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, json={}))
    async with make_client(recorder, fake_clock) as client:
        await CALLS["listings.getListingsItem"](client)
    assert recorder.requests[0].url.raw_path.startswith(b"/listings/2021-08-01/items/A2SELLER/SKU%2F1%202?")


async def test_grantless_operations_use_a_scoped_token(fake_clock: FakeClock) -> None:
    recorder = Recorder()
    async with make_client(recorder, fake_clock) as client:
        await client.notifications.get_destinations()
        await client.orders.get_order("1")
    grants = [r.content.decode() for r in recorder.token_requests]
    assert "grant_type=client_credentials" in grants[0] and "grant_type=refresh_token" in grants[1]


def test_the_checker_catches_a_bad_request(spapi_models_dir: Path) -> None:
    spec = OPERATIONS["orders.searchOrders"]
    bad = httpx.Request("GET", "https://x/orders/2026-01-01/orders", params={"MarketplaceIds": DE})
    with pytest.raises(AssertionError, match="not in Amazon's model"):
        check_request(spapi_models_dir, spec, bad)
    spec = OPERATIONS["feeds.createFeed"]
    bad = httpx.Request("POST", "https://x/feeds/2021-06-30/feeds", json={"feedType": "X"})
    with pytest.raises(Exception, match="required"):
        check_request(spapi_models_dir, spec, bad)
