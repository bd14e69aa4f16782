"""Finances v0 event groups and events → money events in the report's vocabulary, planned like a report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from amazon_odoo_sync.exceptions import DataError
from amazon_odoo_sync.mapping.finances import EVENT_LISTS, money_events, parse_event_group
from amazon_odoo_sync.mapping.settlement_accounts import SettlementMapping
from amazon_odoo_sync.mapping.settlement_posting import SettlementPlan, plan_settlement
from amazon_odoo_sync.settlement_config import AccountRole
from tests.contract.spapi.schema import MODELS_DIR

D = Decimal
R = AccountRole


def cur(amount: str, code: str = "EUR") -> dict[str, Any]:
    return {"CurrencyCode": code, "CurrencyAmount": float(amount) if "." in amount else int(amount)}


def charge(kind: str, amount: str) -> dict[str, Any]:
    return {"ChargeType": kind, "ChargeAmount": cur(amount)}


def fee(kind: str, amount: str) -> dict[str, Any]:
    return {"FeeType": kind, "FeeAmount": cur(amount)}


POSTED = "2026-09-03T10:11:12Z"
PAGE: dict[str, Any] = {
    "ShipmentEventList": [{
        "AmazonOrderId": "302-1", "MarketplaceName": "Amazon.de", "PostedDate": POSTED,
        "ShipmentItemList": [{
            "SellerSKU": "SKU-1", "QuantityShipped": 2,
            "ItemChargeList": [charge("Principal", "100.00"), charge("Tax", "19.00"),
                               charge("ShippingCharge", "4.99"), charge("GiftWrap", "0.0")],
            "ItemFeeList": [fee("Commission", "-15.00"), fee("FBAPerUnitFulfillmentFee", "-3.10")],
            "PromotionList": [{"PromotionType": "Principal", "PromotionId": "P1", "PromotionAmount": cur("-5.00")}],
        }],
    }, {
        "AmazonOrderId": "113-2", "MarketplaceName": "Amazon.com", "PostedDate": "2026-09-04T00:00:00+02:00",
        "ShipmentItemList": [{
            "SellerSKU": "SKU-2", "QuantityShipped": 1,
            "ItemChargeList": [charge("Principal", "50.00"), charge("Tax", "4.13")],
            "ItemTaxWithheldList": [{"TaxCollectionModel": "MarketplaceFacilitator",
                                     "TaxesWithheld": [charge("MarketplaceFacilitatorTax-Principal", "-4.13")]}],
        }],
    }],
    "RefundEventList": [{
        "AmazonOrderId": "302-1", "MarketplaceName": "Amazon.de", "PostedDate": "2026-09-05T08:00:00Z",
        "ShipmentItemAdjustmentList": [{
            "SellerSKU": "SKU-1", "OrderAdjustmentItemId": "A1",
            "ItemChargeAdjustmentList": [charge("Principal", "-30.00")],
            "ItemFeeAdjustmentList": [fee("Commission", "4.50"), fee("RefundCommission", "-0.90")],
        }],
    }],
    "GuaranteeClaimEventList": [{"AmazonOrderId": "302-3", "PostedDate": POSTED,
                                 "ShipmentItemAdjustmentList": [{"ItemChargeAdjustmentList": [
                                     charge("Principal", "-12.00")]}]}],
    "ChargebackEventList": [{"AmazonOrderId": "302-4", "PostedDate": POSTED,
                             "ShipmentItemAdjustmentList": [{"ItemChargeAdjustmentList": [
                                 charge("Principal", "-7.00")]}]}],
    "ServiceFeeEventList": [{"FeeReason": "", "FeeDescription": "Subscription",
                             "FeeList": [fee("Subscription", "-39.00")]}],
    "ProductAdsPaymentEventList": [{"postedDate": POSTED, "transactionType": "Charge", "invoiceId": "INV",
                                    "baseValue": cur("-16.81"), "taxValue": cur("-3.19"),
                                    "transactionValue": cur("-20.00")}],
    "AdjustmentEventList": [
        {"AdjustmentType": "FBAInventoryReimbursement", "PostedDate": POSTED, "AdjustmentAmount": cur("8.00"),
         "AdjustmentItemList": [{"SellerSKU": "SKU-1", "Quantity": "1", "TotalAmount": cur("8.00")}]},
        {"AdjustmentType": "ReserveEvent", "PostedDate": POSTED, "AdjustmentAmount": cur("-25.00")},
    ],
    "RetrochargeEventList": [{"RetrochargeEventType": "Retrocharge", "AmazonOrderId": "113-9", "PostedDate": POSTED,
                              "BaseTax": cur("-1.00"), "ShippingTax": cur("-0.20")}],
    "CouponPaymentEventList": [{"PostedDate": POSTED, "CouponId": "C1",
                                "FeeComponent": fee("CouponClipFee", "-0.60"),
                                "ChargeComponent": charge("CouponRedemption", "-4.00"),
                                "TotalAmount": cur("-4.60")}],
    "SellerDealPaymentEventList": [{"postedDate": POSTED, "dealId": "D1", "feeType": "RunLightningDealFee",
                                    "feeAmount": cur("-70.00"), "taxAmount": cur("0"),
                                    "totalAmount": cur("-99.00")}],  # parts don't add up: the total is booked
    "RemovalShipmentEventList": [{"PostedDate": POSTED, "OrderId": "R-1", "RemovalShipmentItemList": [{
        "FulfillmentNetworkSKU": "X001", "Quantity": 3, "Revenue": cur("10.00"), "FeeAmount": cur("-1.50"),
        "TaxAmount": cur("0.80"), "TaxWithheld": cur("0.80")}]}],
    "FBALiquidationEventList": [{"PostedDate": POSTED, "OriginalRemovalOrderId": "R-2",
                                 "LiquidationProceedsAmount": cur("30.00"), "LiquidationFeeAmount": cur("-4.50")}],
    "DebtRecoveryEventList": [{"DebtRecoveryType": "DebtPayment", "RecoveryAmount": cur("100.00"),
                               "OverPaymentCredit": cur("0")}],
    "TaxWithholdingEventList": [{"PostedDate": POSTED, "BaseAmount": cur("1000.00"),
                                 "WithheldAmount": cur("-10.00")}],
    "ChargeRefundEventList": [],
}


def _events() -> list[Any]:
    return list(money_events(json.loads(json.dumps(PAGE))))


def test_every_money_list_of_the_model_is_read() -> None:
    if not MODELS_DIR.is_dir():
        pytest.skip(f"Amazon's SP-API models are not at {MODELS_DIR}")
    model = json.loads((MODELS_DIR / "financesV0.json").read_text())
    assert set(EVENT_LISTS) == set(model["definitions"]["FinancialEvents"]["properties"])


def test_shipment_components_in_the_reports_vocabulary() -> None:
    events = [e for e in _events() if e.order_id == "302-1" and e.transaction_type == "Order"]
    assert [(e.amount_type, e.amount_description, e.amount, e.sku, e.quantity) for e in events] == [
        ("ItemPrice", "Principal", D("100.0"), "SKU-1", 2), ("ItemPrice", "Tax", D("19.0"), "SKU-1", 2),
        ("ItemPrice", "Shipping", D("4.99"), "SKU-1", 2),  # GiftWrap 0 left out
        ("ItemFees", "Commission", D("-15.0"), "SKU-1", 2),
        ("ItemFees", "FBAPerUnitFulfillmentFee", D("-3.1"), "SKU-1", 2),
        ("Promotion", "Principal", D("-5.0"), "SKU-1", 2)]
    assert {(e.currency, e.posted, e.marketplace) for e in events} == \
        {("EUR", datetime(2026, 9, 3, 10, 11, 12, tzinfo=UTC), "Amazon.de")}
    withheld = [e for e in _events() if e.order_id == "113-2"]
    assert withheld[-1].amount_type == "ItemWithheldTax" and withheld[0].posted == datetime(2026, 9, 3, 22, tzinfo=UTC)


def test_other_lists() -> None:
    got = {(e.transaction_type, e.amount_type, e.amount_description): e.amount for e in _events()
           if e.transaction_type not in ("Order",)}
    assert got == {
        ("Refund", "ItemPrice", "Principal"): D("-30.0"),
        ("Refund", "ItemFees", "Commission"): D("4.5"),
        ("Refund", "ItemFees", "RefundCommission"): D("-0.9"),
        ("A-to-z Guarantee Claim", "ItemPrice", "Principal"): D("-12.0"),
        ("Chargeback Refund", "ItemPrice", "Principal"): D("-7.0"),
        ("ServiceFee", "ServiceFee", "Subscription"): D("-39.0"),
        ("ProductAdsPayment", "Cost of Advertising", "baseValue"): D("-16.81"),
        ("ProductAdsPayment", "Cost of Advertising", "taxValue"): D("-3.19"),
        ("Adjustment", "FBAInventoryReimbursement", "FBAInventoryReimbursement"): D("8.0"),
        ("Adjustment", "ReserveEvent", "ReserveEvent"): D("-25.0"),
        ("Retrocharge", "Retrocharge", "BaseTax"): D("-1.0"),
        ("Retrocharge", "Retrocharge", "ShippingTax"): D("-0.2"),
        ("CouponPayment", "Coupon", "CouponClipFee"): D("-0.6"),
        ("CouponPayment", "Coupon", "CouponRedemption"): D("-4.0"),
        ("SellerDealPayment", "Deal", "totalAmount"): D("-99.0"),
        ("RemovalShipment", "RemovalShipment", "Revenue"): D("10.0"),
        ("RemovalShipment", "RemovalShipment", "FeeAmount"): D("-1.5"),
        ("RemovalShipment", "RemovalShipment", "TaxAmount"): D("0.8"),
        ("RemovalShipment", "RemovalShipment", "TaxWithheld"): D("-0.8"),  # kept by Amazon: negated
        ("Liquidations", "Liquidations", "LiquidationProceedsAmount"): D("30.0"),
        ("Liquidations", "Liquidations", "LiquidationFeeAmount"): D("-4.5"),
        ("DebtRecovery", "DebtPayment", "RecoveryAmount"): D("100"),
        ("TaxWithholding", "TaxWithholding", "WithheldAmount"): D("-10.0"),
    }
    reimbursement = next(e for e in _events() if e.amount_type == "FBAInventoryReimbursement")
    assert (reimbursement.sku, reimbursement.quantity) == ("SKU-1", 1)
    assert all(e.order_id is None for e in _events() if e.transaction_type == "RemovalShipment")


def test_a_closed_group_plans_like_a_report() -> None:
    events = _events()
    total = sum((e.amount for e in events), D(0))
    group = parse_event_group({
        "FinancialEventGroupId": "GRP-1", "ProcessingStatus": "Closed", "FundTransferStatus": "Succeeded",
        "OriginalTotal": cur(str(total)), "ConvertedTotal": cur("160.11", "GBP"),
        "FundTransferDate": "2026-09-17T03:00:00Z", "FinancialEventGroupStart": "2026-09-01T00:00:00Z",
        "FinancialEventGroupEnd": "2026-09-15T00:00:00Z", "TraceId": "T", "AccountTail": "123"})
    assert group.closed and group.currency == "EUR" and group.converted_currency == "GBP"
    result = plan_settlement(group.head(), events, SettlementMapping(), {"302-1": "p:1"})
    assert isinstance(result, SettlementPlan), result
    assert result.unmapped == () and result.payout is not None
    assert (result.payout.amount, result.payout.currency, result.payout.settlement_amount) == \
        (D("160.11"), "GBP", total)
    roles = {line.role for chunk in result.chunks for line in chunk.lines}
    assert roles >= {R.RECEIVABLE, R.REFUND, R.FEES, R.ADS, R.REIMBURSEMENT, R.RESERVE, R.INCOME, R.TRANSFERS,
                     R.TAX_WITHHELD, R.CLEARING}
    refunds = sorted(line.marker or "" for chunk in result.chunks for line in chunk.lines if line.role is R.REFUND)
    assert refunds == ["AMZ-302-1-R20260905080000", "AMZ-302-3-R20260903101112", "AMZ-302-4-R20260903101112"]


def test_an_open_group_has_no_payout_yet() -> None:
    group = parse_event_group({"FinancialEventGroupId": "GRP-2", "ProcessingStatus": "Open",
                               "OriginalTotal": cur("12.00"), "FinancialEventGroupStart": "2026-09-15T00:00:00Z"})
    head = group.head()
    assert not group.closed and head.deposit_date is None and head.end is None
    assert (head.payout_amount, head.payout_currency) == (D("12.0"), "EUR")


def test_a_list_this_version_does_not_know_is_refused() -> None:
    with pytest.raises(DataError, match="NewMoneyEventList") as caught:
        list(money_events({"NewMoneyEventList": [{"Amount": cur("1.00")}], "ShipmentEventList": []}))
    assert caught.value.details == {"lists": ["NewMoneyEventList"]}
    assert list(money_events({"NewMoneyEventList": []})) == []


@pytest.mark.parametrize("bad", [
    {"ShipmentEventList": [{"PostedDate": "yesterday"}]},
    {"ShipmentEventList": [{"ShipmentItemList": [{"ItemChargeList": [charge("Principal", "1.00") | {
        "ChargeAmount": {"CurrencyCode": "EUR", "CurrencyAmount": "x"}}]}]}]},
    {"ShipmentEventList": [{"ShipmentItemList": [{"ItemChargeList": [{"ChargeType": "Principal",
                                                                     "ChargeAmount": {"CurrencyAmount": 1}}]}]}]},
    {"ShipmentEventList": {"not": "a list"}},
    {"AdjustmentEventList": [{"AdjustmentAmount": 5}]},
])
def test_malformed_events(bad: dict[str, Any]) -> None:
    with pytest.raises(DataError):
        list(money_events(bad))


@pytest.mark.parametrize("bad", [{}, {"FinancialEventGroupId": "G"},
                                 {"FinancialEventGroupId": "G", "OriginalTotal": cur("1.00"),
                                  "FundTransferDate": "soon"}])
def test_malformed_groups(bad: dict[str, Any]) -> None:
    with pytest.raises(DataError):
        parse_event_group(bad)
