from __future__ import annotations

import csv
from pathlib import Path

import pytest

from amazon_odoo_sync.amazon.usage_plans import API_MODELS, OPERATIONS, operation

REQUIRED = {
    "orders.searchOrders", "orders.getOrder", "ordersV0.getOrders", "ordersV0.getOrder",
    "ordersV0.getOrderItems", "ordersV0.getOrderAddress", "ordersV0.getOrderBuyerInfo",
    "ordersV0.confirmShipment", "ordersV0.updateShipmentStatus", "listings.getListingsItem",
    "listings.patchListingsItem", "listings.searchListingsItems", "feeds.getFeeds", "feeds.createFeed",
    "feeds.cancelFeed", "feeds.getFeed", "feeds.createFeedDocument", "feeds.getFeedDocument",
    "reports.createReport", "reports.getReports", "reports.getReport", "reports.getReportDocument",
    "fbaInventory.getInventorySummaries", "notifications.getDestinations", "notifications.createSubscription",
    "financesV0.listFinancialEventGroups", "financesV0.listFinancialEventsByGroupId",
}


def test_every_operation_the_project_uses_has_a_plan() -> None:
    assert REQUIRED <= set(OPERATIONS)
    for spec in OPERATIONS.values():
        assert spec.rate > 0 and spec.burst >= 1, spec.key


def test_unknown_operation_is_named() -> None:
    with pytest.raises(KeyError, match="orders.nope"):
        operation("orders.nope")


def test_encoded_plans_equal_amazons_usage_plan_file(spapi_models_dir: Path) -> None:
    tsv = spapi_models_dir / "usage-plans.tsv"
    if not tsv.is_file():
        pytest.skip(f"{tsv} missing: usage plan comparison skipped")
    with tsv.open() as handle:
        rows = {(row["model"], row["operationId"]): row for row in csv.DictReader(handle, delimiter="\t")}
    for spec in OPERATIONS.values():
        row = rows.get((API_MODELS[spec.api], spec.operation_id))
        assert row is not None, f"{spec.key} not in {tsv.name}"
        assert row["method"] == spec.method, spec.key
        assert row["path"] == spec.path, spec.key
        assert float(row["rate_per_s"]) == spec.rate, spec.key
        assert float(row["burst"]) == spec.burst, spec.key
