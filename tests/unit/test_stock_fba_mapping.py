"""Pure FBA inventory mapping: summaries and notifications → figures → adjustments, drift."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amazon_odoo_sync.exceptions import DataError
from amazon_odoo_sync.mapping.fba_inventory import (
    KINDS,
    adjustments,
    drift,
    from_notification,
    from_summary,
    zero_missing,
)

SUMMARY = {
    "asin": "B0", "fnSku": "X0", "sellerSku": "FBA-1", "totalQuantity": 31,
    "inventoryDetails": {
        "fulfillableQuantity": 10, "inboundWorkingQuantity": 1, "inboundShippedQuantity": 2,
        "inboundReceivingQuantity": 3,
        "reservedQuantity": {"totalReservedQuantity": 4, "pendingCustomerOrderQuantity": 4},
        "researchingQuantity": {"totalResearchingQuantity": 5},
        "unfulfillableQuantity": {"totalUnfulfillableQuantity": 6, "defectiveQuantity": 6},
    },
}


def test_summary_to_quantities_per_kind() -> None:
    q = from_summary(SUMMARY)
    assert dict(q.quantities) == {"fulfillable": 10, "inbound_working": 1, "inbound_shipped": 2,
                                  "inbound_receiving": 3, "reserved": 4, "researching": 5,
                                  "unfulfillable": 6}
    assert q.total == 31 == SUMMARY["totalQuantity"]


def test_bad_summaries_are_data_errors() -> None:
    with pytest.raises(DataError):
        from_summary({"sellerSku": "A"})
    with pytest.raises(DataError):
        from_summary({**SUMMARY, "inventoryDetails": {"fulfillableQuantity": -1}})


def test_notification_for_one_marketplace() -> None:
    payload = {"SKU": "FBA-1", "ASIN": "B0", "FNSKU": "X0", "FulfillmentInventoryByMarketplace": [
        {"MarketplaceId": "OTHER", "FulfillmentInventory": {"Fulfillable": 99}},
        {"MarketplaceId": "A1PA6795UKMFR9", "FulfillmentInventory": {
            "InboundQuantityBreakdown": {"Working": 1, "Shipped": 2, "Receiving": 3}, "Fulfillable": 50,
            "Unfulfillable": 4, "Researching": 0,
            "ReservedQuantityBreakdown": {"WarehouseProcessing": 5, "WarehouseTransfer": 15,
                                          "PendingCustomerOrder": 10}}}]}
    q = from_notification(payload, "A1PA6795UKMFR9")
    assert q is not None
    assert q.quantities["fulfillable"] == 50 and q.quantities["reserved"] == 30
    assert q.quantities["inbound_receiving"] == 3
    assert from_notification(payload, "NOPE") is None


def test_adjustments_are_the_differences_only() -> None:
    q = from_summary(SUMMARY)
    odoo = {("FBA-1", "fulfillable"): Decimal(10), ("FBA-1", "reserved"): Decimal(7)}
    adj = {(a.sku, a.kind): a.delta for a in adjustments([q], odoo)}
    assert ("FBA-1", "fulfillable") not in adj
    assert adj[("FBA-1", "reserved")] == Decimal(-3)
    assert adj[("FBA-1", "inbound_shipped")] == Decimal(2)
    assert len(adj) == len(KINDS) - 1
    # Applying them makes Odoo equal Amazon: nothing left to do.
    after = {**odoo, **{k: odoo.get(k, Decimal(0)) + d for k, d in adj.items()}}
    assert adjustments([q], after) == []


def test_zero_missing_and_drift() -> None:
    odoo = {("GONE", "fulfillable"): Decimal(3), ("FBA-1", "fulfillable"): Decimal(10)}
    [z] = zero_missing(["FBA-1"], odoo)
    assert z.sku == "GONE" and z.delta == Decimal(-3)
    lines = drift({"FBA-1": Decimal(31), "LOST": Decimal(2)}, [from_summary(SUMMARY)])
    assert [(line.sku, line.difference) for line in lines] == [("LOST", Decimal(-2))]
