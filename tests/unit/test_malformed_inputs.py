"""The malformed inputs the fuzzing (test_fuzz_inputs) found crashing a reader, each refused now
with a DataError that says why, or read without harm. Fast: runs with every ``make test-fast``."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest

from amazon_odoo_sync.amazon.sqs import SqsMessage
from amazon_odoo_sync.exceptions import DataError
from amazon_odoo_sync.flows import notifications
from amazon_odoo_sync.mapping.amazon_order import parse_order_v2026
from amazon_odoo_sync.mapping.fba_inventory import from_notification, from_summary
from amazon_odoo_sync.mapping.sale_order import plan_sale_order
from amazon_odoo_sync.mapping.stock import interpret_processing_report, report_summary
from amazon_odoo_sync.store._sql import dumps
from tests.factories import orders as factory

from .test_fuzz_inputs import FEED, NOTIFICATIONS, ORDERS, SELLER, SUMMARY, TARGETS


def _order(change: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(ORDERS[1]))
    change(doc)
    return doc


@pytest.mark.parametrize(("change", "reason"), [
    (lambda d: d.update(fulfillment=[]), "fulfillment: expected an object"),
    (lambda d: d["orderItems"][0].update(product="SKU-2"), "orderItems[0].product: expected an object"),
    (lambda d: d["orderItems"][0]["fulfillment"].update(quantityFulfilled="1"), "quantityFulfilled must be"),
    (lambda d: d["orderItems"][0]["fulfillment"].update(quantityFulfilled=math.inf), "quantityFulfilled must be"),
    (lambda d: d["orderItems"][0].update(quantityOrdered=True), "quantityOrdered must be"),
    (lambda d: d["orderItems"][0]["proceeds"]["breakdowns"].append(5), "breakdowns[4]: expected an object"),
    (lambda d: d["orderItems"][0]["proceeds"]["breakdowns"][0]["subtotal"].update(amount="1e999999"),
     "out of range"),
    (lambda d: d["orderItems"][0]["proceeds"]["breakdowns"][0]["subtotal"].update(currencyCode=["EUR"]),
     "currency code"),
    (lambda d: d["orderItems"][0]["product"].update(sellerSku={"a": 1}), "sellerSku: expected text"),
    (lambda d: d.update(createdTime="9999-12-31T23:00:00-05:00"), "createdTime: '9999-12-31T23:00:00-05:00' is"),
    (lambda d: d.update(programs=5), "programs: expected a list"),
    (lambda d: d.update(buyer="Jean"), "buyer: expected an object"),
    (lambda d: d["recipient"]["deliveryAddress"].update(addressLine2=["2nd floor"]), "addressLine2: expected text"),
])
def test_damaged_order_documents_are_refused_with_the_field_named(change: Any, reason: str) -> None:
    with pytest.raises(DataError, match=reason.replace("[", r"\[").replace("(", r"\(")) as caught:
        parse_order_v2026(_order(change))
    assert caught.value.message.startswith("order 028-1: ")


def test_odd_but_harmless_values_still_read() -> None:
    doc = _order(lambda d: d["orderItems"][0].update(promotion={"breakdowns": [{"promotionId": 77}]}))
    order = parse_order_v2026(doc)
    assert order.items[0].promotion_ids == ("77",)
    plan_sale_order(order, TARGETS, {"SKU-2": 1, "SKU-3": 2}, partner_id=1)  # joins the ids: they are text


def test_text_no_database_can_hold_never_reaches_odoo() -> None:
    doc = _order(lambda d: d["buyer"].update(buyerName="Je\x00an \ud800"))
    order = parse_order_v2026(doc)
    assert order.buyer.name == "Je\ufffdan \ufffd"


def _notification(index: int, change: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(NOTIFICATIONS[index]))
    change(doc)
    return doc


@pytest.mark.parametrize(("index", "change", "reason"), [
    (0, lambda n: n.update(NotificationMetadata=[]), "NotificationMetadata must be an object"),
    (0, lambda n: n.update(Payload="x"), "Payload must be an object"),
    (0, lambda n: n["Payload"]["OrderChangeNotification"].update(AmazonOrderId={"id": 1}), "must be text"),
    (0, lambda n: n["Payload"]["OrderChangeNotification"].update(Summary=[]), "Summary must be an object"),
    (0, lambda n: n["Payload"]["OrderChangeNotification"]["Summary"]["OrderItems"][0].update(Quantity="2"),
     "Quantity '2' is not a number of units"),
    (0, lambda n: n["Payload"]["OrderChangeNotification"]["Summary"].update(OrderItems=[3]),
     "OrderItems must be a list of objects"),
    (0, lambda n: n.update(EventTime="not a date"), "EventTime 'not a date' is not an ISO 8601 timestamp"),
    (1, lambda n: n.update(Payload=[1]), "NotificationMetadata and Payload must be objects"),
    (1, lambda n: n["Payload"].update(FulfillmentInventoryByMarketplace=5),
     "without FulfillmentInventoryByMarketplace"),
    (1, lambda n: n["Payload"].update(SKU=["SKU-1"]), "must be text"),
])
def test_damaged_notifications_are_refused_with_the_reason(index: int, change: Any, reason: str) -> None:
    with pytest.raises(DataError, match=reason):
        notifications.read_notification(_notification(index, change), {SELLER: "acme"}.get)


def test_a_notification_is_read_as_the_inbox_will_keep_it() -> None:
    notification = _notification(0, lambda n: n["NotificationMetadata"].update(NotificationId="n-\x00\ud800"))
    read = notifications.read_notification(notification, {SELLER: "acme"}.get)
    assert read.notification_id == "n-\ufffd\ufffd"  # what PostgreSQL can hold, and the inbox returns


def test_fba_rows_that_are_not_objects_or_huge_numbers_are_refused_at_once() -> None:
    with pytest.raises(DataError, match="expected an object"):
        from_summary(None)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="Payload must be an object"):
        from_notification([], "A1PA6795UKMFR9")  # type: ignore[arg-type]
    huge = json.loads(json.dumps(SUMMARY))
    huge["inventoryDetails"]["fulfillableQuantity"] = "1e999999"
    started = time.process_time()
    with pytest.raises(DataError, match="out of range"):
        from_summary(huge)
    assert time.process_time() - started < 0.5  # int(Decimal("1e999999")) took seconds
    for not_a_number in ("NAN", "sNaN", "Infinity", "-inf"):
        row = json.loads(json.dumps(SUMMARY))
        row["inventoryDetails"]["fulfillableQuantity"] = not_a_number
        with pytest.raises(DataError, match="not a number"):
            from_summary(row)


@pytest.mark.parametrize("report", [
    {"issues": [{}]},
    {"issues": [{"messageId": math.inf, "severity": "ERROR"}]},
    {"issues": [{"messageId": True, "severity": "ERROR"}]},
])
def test_feed_reports_with_odd_issues_judge_every_message(report: dict[str, Any]) -> None:
    outcomes = interpret_processing_report(FEED, processing_status="DONE", report=report)
    assert sorted(o.update.seq for o in outcomes) == [1, 2, 3]


def test_a_report_summary_that_is_not_an_object_is_empty() -> None:
    assert report_summary({"summary": [1, 2]}) == {} and report_summary(None) == {}
    assert report_summary({"summary": {"errors": 1}}) == {"errors": 1}


def test_sqs_md5_of_a_body_with_a_lone_surrogate_mismatches_instead_of_failing() -> None:
    assert SqsMessage(message_id="m", receipt_handle="r", body="\ud800", md5_of_body="0" * 32).md5_ok is False


def test_what_postgresql_cannot_hold_is_stored_as_replacement_characters() -> None:
    stored = json.loads(dumps({"a\x00": ["\ud800", "ok 😀"], "n": math.nan, "i": -math.inf, "x": 1.5}))
    assert stored == {"a\ufffd": ["\ufffd", "ok 😀"], "n": "nan", "i": "-inf", "x": 1.5}
    assert dumps({"plain": "text"}) == '{"plain":"text"}'
    doc = factory.order()
    assert json.loads(dumps(doc)) == doc
