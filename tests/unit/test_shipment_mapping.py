"""Done Odoo delivery → confirmShipment body (pure mapping)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.exceptions import DataError
from amazon_odoo_sync.mapping.amazon_order import parse_order_v2026
from amazon_odoo_sync.mapping.shipment import (
    OTHER,
    CarrierRule,
    DonePicking,
    MissingTrackingError,
    ShippedMove,
    choose_carrier,
    items_of,
    plan_shipment,
)
from tests.factories.orders import order_item

DE = "A1PA6795UKMFR9"
DONE = datetime(2026, 3, 4, 15, 30, 7, tzinfo=UTC)


def amazon_order(items: list[dict[str, Any]], *, fulfilled_by: str = "MERCHANT", status: str = "UNSHIPPED"):
    doc = {
        "orderId": "302-1234567-7654321",
        "createdTime": "2026-03-01T10:00:00Z",
        "lastUpdatedTime": "2026-03-01T10:05:00Z",
        "salesChannel": {"marketplaceId": DE, "channelName": "Amazon.de"},
        "fulfillment": {"fulfillmentStatus": status, "fulfilledBy": fulfilled_by},
        "orderItems": items,
    }
    return parse_order_v2026(doc)


def picking(moves: list[tuple[int, float]], *, tracking: str | None = "TRK1", carrier: str | None = "UPS",
            picking_id: int = 41) -> DonePicking:
    return DonePicking(id=picking_id, name=f"WH/OUT/{picking_id:05d}", carrier_name=carrier, tracking_ref=tracking,
                       date_done=DONE, moves=tuple(ShippedMove(product_id=p, quantity=q) for p, q in moves))


PRODUCTS = {"SKU-A": 7, "SKU-B": 8}


def two_items():
    return amazon_order([order_item(sku="SKU-A", quantity=3, item_id="IA"),
                         order_item(sku="SKU-B", quantity=1, item_id="IB")])


def test_full_delivery_becomes_one_package_with_every_item() -> None:
    plan = plan_shipment(picking([(7, 3), (8, 1)]), two_items(), PRODUCTS, CarrierRule(code="UPS"))
    package = plan.body["packageDetail"]
    assert plan.body["marketplaceId"] == DE
    assert package == {"packageReferenceId": "41", "carrierCode": "UPS", "trackingNumber": "TRK1",
                       "shipDate": "2026-03-04T15:30:07Z",
                       "orderItems": [{"orderItemId": "IA", "quantity": 3}, {"orderItemId": "IB", "quantity": 1}]}
    assert plan.items == (("IA", 3), ("IB", 1))
    assert items_of(plan.body) == [("IA", 3), ("IB", 1)]


def test_partial_delivery_sends_only_what_left_and_the_backorder_the_rest() -> None:
    order = two_items()
    first = plan_shipment(picking([(7, 2)]), order, PRODUCTS, CarrierRule(code="UPS"))
    assert first.items == (("IA", 2),)
    second = plan_shipment(picking([(7, 1), (8, 1)], picking_id=42, tracking="TRK2"), order, PRODUCTS,
                           CarrierRule(code="UPS"), committed=dict(first.items))
    assert second.items == (("IA", 1), ("IB", 1))
    assert second.body["packageDetail"]["packageReferenceId"] == "42"


def test_more_units_than_left_on_amazon_is_a_data_error() -> None:
    with pytest.raises(DataError, match="left to ship"):
        plan_shipment(picking([(7, 2)]), two_items(), PRODUCTS, CarrierRule(code="UPS"), committed={"IA": 2})


def test_same_product_on_two_items_is_spread_over_them() -> None:
    order = amazon_order([order_item(sku="SKU-A", quantity=1, item_id="I1"),
                          order_item(sku="SKU-A", quantity=2, item_id="I2")])
    plan = plan_shipment(picking([(7, 2)]), order, PRODUCTS, CarrierRule(code="UPS"), committed={"I1": 1})
    assert plan.items == (("I2", 2),)


def test_missing_tracking_waits_and_fractional_or_empty_deliveries_are_refused() -> None:
    with pytest.raises(MissingTrackingError):
        plan_shipment(picking([(7, 1)], tracking="  "), two_items(), PRODUCTS, CarrierRule(code="UPS"))
    with pytest.raises(DataError, match="whole number"):
        plan_shipment(picking([(7, 1.5)]), two_items(), PRODUCTS, CarrierRule(code="UPS"))
    with pytest.raises(DataError, match="no item"):
        plan_shipment(picking([(99, 1)]), two_items(), PRODUCTS, CarrierRule(code="UPS"))


def test_products_outside_the_amazon_order_are_ignored_not_sent() -> None:
    plan = plan_shipment(picking([(7, 1), (99, 1)]), two_items(), PRODUCTS, CarrierRule(code="UPS"))
    assert plan.items == (("IA", 1),) and plan.ignored_products == (99,)


def test_fba_orders_are_never_confirmed() -> None:
    order = amazon_order([order_item(sku="SKU-A", quantity=1, item_id="IA")], fulfilled_by="AMAZON")
    with pytest.raises(DataError, match="fulfilled by Amazon"):
        plan_shipment(picking([(7, 1)]), order, PRODUCTS, CarrierRule(code="UPS"))


def test_carrier_mapping_code_known_name_free_text_and_default() -> None:
    rules = {"DHL Paket": CarrierRule(code="DHL", shipping_method="Paket")}
    assert choose_carrier("DHL Paket", rules) == CarrierRule(code="DHL", shipping_method="Paket")
    assert choose_carrier("dhl paket", rules).code == "DHL"
    # An Odoo carrier spelled like an Amazon code is that code.
    assert choose_carrier("Deutsche Post", {}) == CarrierRule(code="Deutsche Post", shipping_method="Deutsche Post")
    assert choose_carrier("royal-mail", {}).code == "Royal Mail"
    # Otherwise "Other" with the Odoo name as carrierName (Amazon requires it with Other).
    assert choose_carrier("Kurier Müller", {}) == CarrierRule(code=OTHER, name="Kurier Müller",
                                                               shipping_method="Kurier Müller")
    assert choose_carrier(None, {}, CarrierRule(code="GLS")).code == "GLS"
    with pytest.raises(DataError, match="no carrier"):
        choose_carrier(None, {})


def test_other_carrier_name_goes_into_the_body() -> None:
    plan = plan_shipment(picking([(7, 1)], carrier="Kurier"), two_items(), PRODUCTS,
                         choose_carrier("Kurier", {}))
    package = plan.body["packageDetail"]
    assert (package["carrierCode"], package["carrierName"], package["shippingMethod"]) == (OTHER, "Kurier", "Kurier")


def test_config_accepts_short_and_long_carrier_forms() -> None:
    settings = Settings(shipments={"carriers": {"DHL Paket": "DHL",
                                                "Spedition X": {"code": "Other", "name": "Spedition X GmbH"}},
                                   "default_carrier": "GLS", "tracking_grace_minutes": 5})
    assert settings.shipments.carriers["DHL Paket"].code == "DHL"
    assert settings.shipments.carriers["Spedition X"].name == "Spedition X GmbH"
    assert settings.shipments.default_carrier is not None and settings.shipments.default_carrier.code == "GLS"
