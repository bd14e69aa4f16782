"""Malformed Amazon inputs never crash a run: each is read, or refused with a DataError that says
why (the caller quarantines it with that reason and goes on with the rest of its batch).

Hypothesis damages valid order documents, notifications, SQS bodies, FBA inventory rows and
feed processing reports (see ``fuzz_inputs``), and throws arbitrary JSON at the same readers;
everything the import plans from a document it accepted must not crash either. 10,000 inputs
in all (``FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.amazon.sqs import SqsMessage
from amazon_odoo_sync.exceptions import DataError, PermanentError
from amazon_odoo_sync.flows import notifications
from amazon_odoo_sync.flows.orders import open_units, waiting_units
from amazon_odoo_sync.flows.sqs_notifications import parse_message_body
from amazon_odoo_sync.mapping.amazon_order import AmazonOrder, parse_order_v2026
from amazon_odoo_sync.mapping.fba_inventory import FbaQuantities, from_notification, from_summary
from amazon_odoo_sync.mapping.order_status import decide
from amazon_odoo_sync.mapping.partner import plan_partners
from amazon_odoo_sync.mapping.sale_order import OdooTargets, TaxRef, plan_sale_order
from amazon_odoo_sync.mapping.stock import (
    FeedDocument,
    Outcome,
    QuantityUpdate,
    interpret_processing_report,
    report_summary,
)
from tests.factories import orders as factory

from .fuzz_inputs import damaged, json_values

pytestmark = pytest.mark.slow  # 10,000 inputs: about a minute; the crashes they found are in test_malformed_inputs

#: Examples per test; 10,000 over the file.
FUZZ_EXAMPLES = {"orders": 3000, "orders_any": 500, "notifications": 2500, "sqs": 500, "fba": 1500, "feeds": 2000}


def fuzz(name: str) -> settings:
    return settings(max_examples=FUZZ_EXAMPLES[name], deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


SELLER = "A1SELLER"
TARGETS = OdooTargets(company_id=1, warehouse_id=2, fba_warehouse_id=3, pricelist_id=None, team_id=None,
                      tax=TaxRef(id=7, rate=Decimal(19), price_include=True), shipping_product_id=101,
                      gift_wrap_product_id=102, discount_product_id=103, rounding_product_id=104)

ORDERS = [
    factory.order(),
    factory.order(order_id="028-1", marketplace="FR", status="SHIPPED", items=[
        factory.order_item(sku="SKU-2", quantity=2, unit_price="19.99", tax="6.66", shipping="4.99",
                           shipping_tax="0.83", discount="3.00", gift_message="Bon anniversaire", shipped=1),
        factory.order_item(sku="SKU-3", gift_wrap="2.50")],
        buyer={"buyerName": "Jean", "buyerEmail": "j@marketplace.amazon.fr", "buyerCompanyName": "J SARL"},
        address=factory.address(country="FR", zip="75001", city="Paris"), programs=["AMAZON_BUSINESS"],
        tax_registrations=[{"taxRegistrationNumber": "FR123", "legalName": "J SARL",
                            "taxRegistrationAddress": factory.address(country="FR")}]),
    factory.order(order_id="111-2", marketplace="US", fulfilled_by="AMAZON", status="SHIPPED",
                  items=[factory.order_item(sku="SKU-4", currency="USD", tax="1.20", facilitator=True, shipped=1)],
                  address=factory.address(country="US", state="WA", zip="98101", city="Seattle")),
    factory.order(order_id="028-3", status="CANCELLED", items=[factory.order_item(sku="SKU-5", quantity=3)]),
    factory.order(order_id="028-4", status="PENDING", items=[factory.order_item(sku="SKU-6")]),
]
ORDERS[1]["proceeds"] = {"grandTotal": factory.money("60.00", "EUR")}


def _check_order(doc: Any) -> None:
    """What the import does with a document, without I/O: parse, then plan."""
    try:
        order = parse_order_v2026(doc)
    except DataError as exc:
        assert exc.message.strip()
        return
    assert isinstance(order, AmazonOrder)
    decide(order, odoo_state=None)
    decide(order, odoo_state="confirmed", odoo_delivered=True)
    open_units(order)
    waiting_units(order)
    plan_partners(order, countries={"DE": 1, "FR": 2, "US": 3}, states={("US", "WA"): 4},
                  anonymous_name=None)
    try:
        plan_sale_order(order, TARGETS, {item.sku: 9 for item in order.items}, partner_id=1)
    except PermanentError as exc:
        assert exc.message.strip()


@fuzz("orders")
@given(damaged(ORDERS))
def test_damaged_order_documents_are_read_or_refused_with_a_reason(doc: Any) -> None:
    _check_order(doc)


@fuzz("orders_any")
@given(json_values)
def test_any_json_as_an_order_document_is_refused_with_a_reason(doc: Any) -> None:
    _check_order(doc)


def _notification(kind: str) -> dict[str, Any]:
    if kind == "ORDER_CHANGE":
        payload: dict[str, Any] = {"OrderChangeNotification": {
            "NotificationLevel": "OrderLevel", "SellerId": SELLER, "AmazonOrderId": "028-1",
            "OrderChangeType": "OrderStatusChange",
            "Summary": {"MarketplaceId": "A1PA6795UKMFR9", "OrderStatus": "Unshipped", "FulfillmentType": "MFN",
                        "PurchaseDate": "2026-07-08T10:00:00Z", "DestinationPostalCode": "10115",
                        "OrderItems": [{"SellerSKU": "SKU-1", "Quantity": 2, "QuantityShipped": 0},
                                       {"SellerSKU": "SKU-2", "Quantity": 1}]}}}
    else:
        payload = {"SellerId": SELLER, "SKU": "SKU-1", "FNSKU": "X001", "ASIN": "B0001",
                   "FulfillmentInventoryByMarketplace": [{"MarketplaceId": "A1PA6795UKMFR9", "FulfillmentInventory": {
                       "Fulfillable": 5, "Researching": 0, "Unfulfillable": 1,
                       "InboundQuantityBreakdown": {"Working": 1, "Shipped": 2, "Receiving": 0},
                       "ReservedQuantityBreakdown": {"PendingCustomerOrder": 1, "FcProcessing": 0}}}]}
    return {"NotificationVersion": "1.0", "NotificationType": kind, "PayloadVersion": "1.0",
            "EventTime": "2026-07-08T10:00:00Z", "Payload": payload,
            "NotificationMetadata": {"ApplicationId": "amzn1.sp.solution.x", "SubscriptionId": "s-1",
                                     "PublishTime": "2026-07-08T10:00:01Z", "NotificationId": "n-1"}}


NOTIFICATIONS = [_notification("ORDER_CHANGE"), _notification("FBA_INVENTORY_AVAILABILITY_CHANGES")]


@fuzz("notifications")
@given(damaged(NOTIFICATIONS) | json_values)
def test_damaged_notifications_are_read_or_refused_with_a_reason(notification: Any) -> None:
    """The intake's reading step (no I/O); what it accepts is what ``stored`` and the jobs use."""
    try:
        read = notifications.read_notification(notification, {SELLER: "acme"}.get)
    except DataError as exc:
        assert exc.message.strip()
        return
    assert read.account == "acme" and read.notification_id


@fuzz("sqs")
@given(st.text(max_size=40) | json_values.map(json.dumps)
       | damaged(NOTIFICATIONS).map(lambda n: json.dumps({"Type": "Notification", "Message": json.dumps(n)})))
def test_sqs_bodies_are_read_or_refused_with_a_reason(body: str) -> None:
    assert isinstance(SqsMessage(message_id="m", receipt_handle="r", body=body, md5_of_body="0" * 32).md5_ok, bool)
    try:
        notification = parse_message_body(body)
    except DataError as exc:
        assert exc.message.strip()
        return
    assert isinstance(notification, dict)


SUMMARY = {"asin": "B0001", "fnSku": "X001", "sellerSku": "SKU-1", "condition": "NewItem",
           "lastUpdatedTime": "2026-07-08T10:00:00Z", "productName": "Mug", "totalQuantity": 12,
           "inventoryDetails": {"fulfillableQuantity": 5, "inboundWorkingQuantity": 1, "inboundShippedQuantity": 2,
                                "inboundReceivingQuantity": 0,
                                "reservedQuantity": {"totalReservedQuantity": 2, "pendingCustomerOrderQuantity": 1},
                                "researchingQuantity": {"totalResearchingQuantity": 0},
                                "unfulfillableQuantity": {"totalUnfulfillableQuantity": 1,
                                                          "customerDamagedQuantity": 1}}}


@fuzz("fba")
@given(damaged([SUMMARY, NOTIFICATIONS[1]["Payload"]]) | json_values)
def test_damaged_fba_inventory_rows_are_read_or_refused_with_a_reason(row: Any) -> None:
    """An inventory summary of getInventorySummaries, or the payload of an FBA notification."""
    for read in (from_summary, lambda r: from_notification(r, "A1PA6795UKMFR9")):
        try:
            quantities = read(row)
        except DataError as exc:
            assert exc.message.strip()
            continue
        assert quantities is None or isinstance(quantities, FbaQuantities)
        if quantities is not None:
            assert all(isinstance(v, int) and v >= 0 for v in quantities.quantities.values())


FEED = FeedDocument(content=b"", messages={
    1: QuantityUpdate(sku="SKU-1", quantity=5, seq=1),
    2: QuantityUpdate(sku="SKU-2", quantity=0, seq=2, closing=True),
    3: QuantityUpdate(sku="SKU-3", quantity=7, seq=3),
})
REPORT = {"header": {"sellerId": SELLER, "version": "2.0", "feedId": "F1"},
          "issues": [{"messageId": 2, "code": "8560", "severity": "ERROR", "message": "FBA"},
                     {"messageId": 3, "code": "90220", "severity": "ERROR", "message": "bad value",
                      "attributeName": "fulfillment_availability"},
                     {"messageId": 1, "code": "18", "severity": "WARNING", "message": "note"}],
          "summary": {"errors": 2, "warnings": 1, "messagesProcessed": 3, "messagesAccepted": 1,
                      "messagesInvalid": 2}}


@fuzz("feeds")
@given(damaged([REPORT]) | json_values, st.sampled_from(["DONE", "FATAL", "CANCELLED", "done", ""]))
def test_damaged_feed_processing_reports_judge_every_message(report: Any, status: str) -> None:
    """Every message gets an outcome, and every outcome that is not an acceptance says why."""
    outcomes = interpret_processing_report(FEED, processing_status=status, report=report)
    assert sorted(o.update.seq for o in outcomes) == [1, 2, 3]
    for outcome in outcomes:
        if outcome.outcome is not Outcome.ACCEPTED:
            assert outcome.reason.strip()
    assert isinstance(report_summary(report), dict)
