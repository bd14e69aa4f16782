"""Pure FBA inventory mapping: summaries and notifications → figures → adjustments, drift."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amazon_odoo_sync.exceptions import DataError
from amazon_odoo_sync.mapping.fba_inventory import (
    KINDS,
    FbaQuantities,
    adjustments,
    drift,
    expected_totals,
    from_notification,
    from_summary,
    location_barcode,
    location_name,
    with_unimported_shipments,
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


def test_locations_are_per_account_and_network() -> None:
    barcodes = {location_barcode(account, network, kind) for account in ("acme", "acme-eu", "other")
                for network in ("EU", "UK") for kind in KINDS}
    assert len(barcodes) == 3 * 2 * len(KINDS)  # no two (account, network, kind) share one
    assert location_barcode("acme-eu", "UK", "inbound_shipped") == "AOS-FBA/UK/acme-eu/INBOUND-SHIPPED"
    # An account name cannot end in a kind and collide: "/" separates and never occurs in names.
    assert location_barcode("a-inbound", "EU", "reserved") != location_barcode("a", "EU", "inbound_working")
    assert location_name("acme-eu", "fulfillable") == "acme-eu Fulfillable"


def _q(sku: str, **quantities: int) -> FbaQuantities:
    return FbaQuantities(sku=sku, asin=None, fnsku=None, quantities=quantities)  # type: ignore[arg-type]


def test_shipped_orders_not_in_odoo_stay_in_fulfillable() -> None:
    amazon = [_q("A", fulfillable=8, reserved=1), _q("B", fulfillable=5)]
    targets = with_unimported_shipments(amazon, {"A": 2, "OTHER": 9})
    assert targets[0].quantities == {"fulfillable": 10, "reserved": 1}
    assert targets[1] is amazon[1]  # nothing shipped: untouched
    # Odoo had 10 before the 2 units shipped: nothing to adjust, and the import then takes it
    # to 8 = Amazon's figure (without the compensation Odoo would be set to 8, then go to 6).
    odoo = {("A", "fulfillable"): Decimal(10), ("A", "reserved"): Decimal(1)}
    assert adjustments(targets[:1], odoo) == []
    [fix] = adjustments(amazon[:1], odoo)
    assert fix.kind == "fulfillable" and fix.amazon_quantity == 8


def test_expected_totals_and_drift_beyond_tolerance() -> None:
    odoo = {("A", "fulfillable"): Decimal(10), ("A", "inbound_shipped"): Decimal(5), ("B", "fulfillable"): Decimal(3),
            ("C", "fulfillable"): Decimal(4)}
    expected = expected_totals(odoo, {"A": 2}, ["D"])
    assert expected == {"A": Decimal(13), "B": Decimal(3), "C": Decimal(4), "D": Decimal(0)}
    reported = [_q("A", fulfillable=8, inbound_receiving=5), _q("B", fulfillable=2), _q("C", fulfillable=4),
                _q("D", fulfillable=1)]
    assert drift(expected, reported) == drift(expected, reported, tolerance=0)
    assert [(x.sku, x.difference) for x in drift(expected, reported)] == [("B", Decimal(-1)), ("D", Decimal(1))]
    assert drift(expected, reported, tolerance=1) == []
    assert [x.sku for x in drift({**expected, "A": Decimal(16)}, reported, tolerance=1)] == ["A"]
