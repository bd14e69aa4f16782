"""Finances API v0 → :class:`~.money_events.MoneyEvent` records, the settlement report's shape.

``listFinancialEventGroups`` gives the settlements (:func:`parse_event_group`: a group is one
payout, posted once Closed, with its transfer date); ``listFinancialEventsByGroupId`` pages give
their events (:func:`money_events`, one page's ``FinancialEvents`` at a time): every list that
carries money, each charge, fee, tax or promotion component one record.

Names follow the report where it has one, so one mapping serves both sources: a shipment's item
charges are ``Order`` / ``ItemPrice`` / ChargeType (``ShippingCharge`` is the report's
``Shipping``), its item fees ``ItemFees`` / FeeType, withheld taxes ``ItemWithheldTax`` /
ChargeType, promotions ``Promotion``; refunds, guarantee claims and chargebacks the same under
``Refund``, ``A-to-z Guarantee Claim`` and ``Chargeback Refund``. Other lists keep the list's
name without ``EventList`` as transaction type (``ServiceFee``, ``Adjustment`` with the
AdjustmentType as amount type, ``CouponPayment``, ``DebtRecovery``...), the component's field or
type as description.

Signs: as Amazon gives them, the seller's (fees negative), except where the model says a field is
a positive amount taken from the seller: a removal item's ``TaxWithheld`` ("= TaxAmount") is
negated so that collected and withheld net to zero. The group total check of the plan is what
proves a settlement's signs right. Zero components are left out (v0 lists many).

A list this module does not know, when not empty, raises DataError: its money would be missing
from the settlement, which then could not add up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..exceptions import DataError
from .money_events import MoneyEvent, SettlementHead

__all__ = ["EVENT_LISTS", "FinancialEventGroup", "money_events", "parse_event_group"]

ZERO = Decimal(0)
#: v0 charge types whose report name differs.
_REPORT_CHARGE_NAMES = {"ShippingCharge": "Shipping", "GiftWrapCharge": "GiftWrap"}


def _money(value: Any, where: str) -> tuple[Decimal, str] | None:
    """v0's Currency object → (amount, currency); None when absent."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise DataError(f"{where}: expected a Currency object, got {type(value).__name__}")
    raw, code = value.get("CurrencyAmount"), value.get("CurrencyCode")
    if raw is None and not code:
        return None
    if raw is None or not isinstance(code, str) or not code or isinstance(raw, bool | Mapping | list):
        raise DataError(f"{where}: a Currency needs CurrencyAmount and CurrencyCode, got {value!r}")
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise DataError(f"{where}: CurrencyAmount {raw!r} is not a number") from None
    if not amount.is_finite() or (amount and not -9 <= amount.adjusted() <= 15):
        raise DataError(f"{where}: CurrencyAmount {raw!r} is out of range")
    return amount, code


def _date(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise DataError(f"{where}: expected a date-time, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise DataError(f"{where}: {value!r} is not an ISO 8601 date-time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _list(value: Any, where: str) -> Sequence[Mapping[str, Any]]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise DataError(f"{where}: expected a list of objects")
    return value


@dataclass(frozen=True, kw_only=True)
class FinancialEventGroup:
    group_id: str
    #: "Open" (still collecting events) or "Closed".
    processing_status: str
    fund_transfer_status: str | None
    #: Marketplace currency. Closed: what was disbursed or charged; Open: the balance so far.
    original_total: Decimal
    currency: str
    #: In the disbursement currency (None while not transferred).
    converted_total: Decimal | None
    converted_currency: str | None
    fund_transfer_date: datetime | None
    start: datetime | None
    end: datetime | None

    @property
    def closed(self) -> bool:
        return self.processing_status.casefold() == "closed"

    def head(self) -> SettlementHead:
        """The settlement to plan: Amazon's total, the payout in the bank's currency on the
        transfer date (None until transferred: then there is no payout yet)."""
        converted = self.converted_total is not None and self.converted_currency is not None
        return SettlementHead(
            key=self.group_id, source="events", currency=self.currency, total=self.original_total,
            start=self.start, end=self.end or self.fund_transfer_date, deposit_date=self.fund_transfer_date,
            payout_amount=self.converted_total if converted and self.converted_total is not None
            else self.original_total,
            payout_currency=self.converted_currency if converted and self.converted_currency else self.currency)


def parse_event_group(raw: Mapping[str, Any]) -> FinancialEventGroup:
    """One ``FinancialEventGroupList`` entry → :class:`FinancialEventGroup`."""
    group_id = raw.get("FinancialEventGroupId")
    where = f"FinancialEventGroup {group_id}"
    if not isinstance(group_id, str) or not group_id:
        raise DataError("FinancialEventGroup without FinancialEventGroupId")
    original = _money(raw.get("OriginalTotal"), f"{where} OriginalTotal")
    if original is None:
        raise DataError(f"{where}: no OriginalTotal")
    converted = _money(raw.get("ConvertedTotal"), f"{where} ConvertedTotal")
    return FinancialEventGroup(
        group_id=group_id, processing_status=str(raw.get("ProcessingStatus") or ""),
        fund_transfer_status=_text(raw.get("FundTransferStatus")),
        original_total=original[0], currency=original[1],
        converted_total=converted[0] if converted else None, converted_currency=converted[1] if converted else None,
        fund_transfer_date=_date(raw.get("FundTransferDate"), f"{where} FundTransferDate"),
        start=_date(raw.get("FinancialEventGroupStart"), f"{where} FinancialEventGroupStart"),
        end=_date(raw.get("FinancialEventGroupEnd"), f"{where} FinancialEventGroupEnd"))


@dataclass(frozen=True, kw_only=True)
class _Context:
    transaction_type: str
    posted: datetime | None
    source: str
    order_id: str | None = None
    sku: str | None = None
    quantity: int | None = None
    marketplace: str | None = None


def _event(ctx: _Context, amount_type: str, description: str, money: tuple[Decimal, str] | None) -> MoneyEvent | None:
    if money is None or not money[0]:
        return None
    return MoneyEvent(ctx.transaction_type, amount_type, description, money[0], money[1], ctx.posted, ctx.order_id,
                      None, None, ctx.sku, ctx.quantity, ctx.marketplace, ctx.source)


def _components(ctx: _Context, items: Any, amount_type: str, type_key: str, amount_key: str,
                rename: Mapping[str, str] | None = None) -> Iterator[MoneyEvent]:
    for i, component in enumerate(_list(items, ctx.source)):
        kind = str(component.get(type_key) or amount_type)
        if rename:
            kind = rename.get(kind, kind)
        event = _event(ctx, amount_type, kind, _money(component.get(amount_key), f"{ctx.source} {kind}[{i}]"))
        if event is not None:
            yield event


def _withheld(ctx: _Context, items: Any, amount_type: str = "ItemWithheldTax") -> Iterator[MoneyEvent]:
    for group in _list(items, ctx.source):
        yield from _components(ctx, group.get("TaxesWithheld"), amount_type, "ChargeType", "ChargeAmount")


def _total_or_parts(ctx: _Context, amount_type: str, parts: Sequence[tuple[str, Any]],
                    total: tuple[str, Any]) -> Iterator[MoneyEvent]:
    """The parts when they add up to the total (each component its record), else the total."""
    found = [(name, _money(value, f"{ctx.source} {name}")) for name, value in parts]
    known = [(name, money) for name, money in found if money is not None]
    whole = _money(total[1], f"{ctx.source} {total[0]}")
    if known and (whole is None or sum((m[0] for _, m in known), ZERO) == whole[0]):
        for name, money in known:
            event = _event(ctx, amount_type, name, money)
            if event is not None:
                yield event
    elif whole is not None:
        event = _event(ctx, amount_type, total[0], whole)
        if event is not None:
            yield event


def _shipment_like(transaction_type: str) -> Callable[[Mapping[str, Any], str], Iterator[MoneyEvent]]:
    def events(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
        ctx = _Context(transaction_type=transaction_type, posted=_date(raw.get("PostedDate"), source),
                       source=source, order_id=_text(raw.get("AmazonOrderId")),
                       marketplace=_text(raw.get("MarketplaceName")))
        for name, amount_type in (("OrderChargeList", "ItemPrice"), ("OrderChargeAdjustmentList", "ItemPrice")):
            yield from _components(ctx, raw.get(name), amount_type, "ChargeType", "ChargeAmount", _REPORT_CHARGE_NAMES)
        for name, amount_type in (("ShipmentFeeList", "ShipmentFees"), ("ShipmentFeeAdjustmentList", "ShipmentFees"),
                                  ("OrderFeeList", "OrderFees"), ("OrderFeeAdjustmentList", "OrderFees")):
            yield from _components(ctx, raw.get(name), amount_type, "FeeType", "FeeAmount")
        yield from _components(ctx, raw.get("DirectPaymentList"), "DirectPayment", "DirectPaymentType",
                               "DirectPaymentAmount")
        items = [*_list(raw.get("ShipmentItemList"), source), *_list(raw.get("ShipmentItemAdjustmentList"), source)]
        for i, item in enumerate(items):
            quantity = item.get("QuantityShipped")
            item_ctx = _Context(transaction_type=transaction_type, posted=ctx.posted, source=f"{source} item {i}",
                                order_id=ctx.order_id, marketplace=ctx.marketplace, sku=_text(item.get("SellerSKU")),
                                quantity=quantity if isinstance(quantity, int) and not isinstance(quantity, bool)
                                else None)
            for name in ("ItemChargeList", "ItemChargeAdjustmentList"):
                yield from _components(item_ctx, item.get(name), "ItemPrice", "ChargeType", "ChargeAmount",
                                       _REPORT_CHARGE_NAMES)
            for name in ("ItemFeeList", "ItemFeeAdjustmentList"):
                yield from _components(item_ctx, item.get(name), "ItemFees", "FeeType", "FeeAmount")
            yield from _withheld(item_ctx, item.get("ItemTaxWithheldList"))
            for name in ("PromotionList", "PromotionAdjustmentList"):
                yield from _components(item_ctx, item.get(name), "Promotion", "PromotionType", "PromotionAmount")
            for name in ("CostOfPointsGranted", "CostOfPointsReturned"):
                event = _event(item_ctx, name, name, _money(item.get(name), f"{item_ctx.source} {name}"))
                if event is not None:
                    yield event
    return events


def _simple(transaction_type: str, amount_type: str, amount_keys: Sequence[str], *, date_key: str = "PostedDate",
            order_key: str | None = None, sku_key: str | None = None, marketplace_key: str | None = None,
            description_key: str | None = None, negate: frozenset[str] = frozenset(),
            ) -> Callable[[Mapping[str, Any], str], Iterator[MoneyEvent]]:
    """Events whose money is one or more Currency fields of the event itself."""
    def events(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
        ctx = _Context(transaction_type=transaction_type, posted=_date(raw.get(date_key), source), source=source,
                       order_id=_text(raw.get(order_key)) if order_key else None,
                       sku=_text(raw.get(sku_key)) if sku_key else None,
                       marketplace=_text(raw.get(marketplace_key)) if marketplace_key else None)
        for key in amount_keys:
            money = _money(raw.get(key), f"{source} {key}")
            if money is not None and key in negate:
                money = (-money[0], money[1])
            description = (_text(raw.get(description_key)) if description_key else None) or key
            event = _event(ctx, amount_type, description, money)
            if event is not None:
                yield event
    return events


def _service_fee(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type="ServiceFee", posted=None, source=source,
                   order_id=_text(raw.get("AmazonOrderId")), sku=_text(raw.get("SellerSKU")))
    yield from _components(ctx, raw.get("FeeList"), "ServiceFee", "FeeType", "FeeAmount")


def _fee_list(transaction_type: str, order_key: str | None = None, sku_key: str | None = None,
              ) -> Callable[[Mapping[str, Any], str], Iterator[MoneyEvent]]:
    def events(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
        ctx = _Context(transaction_type=transaction_type, posted=_date(raw.get("PostedDate"), source), source=source,
                       order_id=_text(raw.get(order_key)) if order_key else None,
                       sku=_text(raw.get(sku_key)) if sku_key else None)
        yield from _components(ctx, raw.get("FeeList"), "ItemFees", "FeeType", "FeeAmount")
    return events


def _ads(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type="ProductAdsPayment", posted=_date(raw.get("postedDate"), source), source=source)
    yield from _total_or_parts(ctx, "Cost of Advertising",
                               [("baseValue", raw.get("baseValue")), ("taxValue", raw.get("taxValue"))],
                               ("transactionValue", raw.get("transactionValue")))


def _adjustment(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    kind = str(raw.get("AdjustmentType") or "Adjustment")
    items = _list(raw.get("AdjustmentItemList"), source)
    skus = {item.get("SellerSKU") for item in items}
    sku = next(iter(skus)) if len(skus) == 1 else None
    quantity = items[0].get("Quantity") if len(items) == 1 else None
    ctx = _Context(transaction_type="Adjustment", posted=_date(raw.get("PostedDate"), source), source=source,
                   sku=_text(sku), quantity=int(quantity) if isinstance(quantity, str) and quantity.isdigit() else None)
    event = _event(ctx, kind, kind, _money(raw.get("AdjustmentAmount"), f"{source} AdjustmentAmount"))
    if event is not None:
        yield event


def _retrocharge(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type=str(raw.get("RetrochargeEventType") or "Retrocharge"),
                   posted=_date(raw.get("PostedDate"), source), source=source,
                   order_id=_text(raw.get("AmazonOrderId")), marketplace=_text(raw.get("MarketplaceName")))
    for key in ("BaseTax", "ShippingTax"):
        event = _event(ctx, "Retrocharge", key, _money(raw.get(key), f"{source} {key}"))
        if event is not None:
            yield event
    yield from _withheld(ctx, raw.get("RetrochargeTaxWithheldList"))


def _removal(adjustment: bool) -> Callable[[Mapping[str, Any], str], Iterator[MoneyEvent]]:
    name = "RemovalShipmentAdjustment" if adjustment else "RemovalShipment"
    list_key = "RemovalShipmentItemAdjustmentList" if adjustment else "RemovalShipmentItemList"
    keys = (("RevenueAdjustment", "TaxAmountAdjustment", "TaxWithheldAdjustment") if adjustment
            else ("Revenue", "FeeAmount", "TaxAmount", "TaxWithheld"))
    withheld = keys[-1]

    def events(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
        posted = _date(raw.get("PostedDate"), source)
        # The removal order is not a customer order: no order id (it would open a receivable).
        for i, item in enumerate(_list(raw.get(list_key), source)):
            quantity = item.get("AdjustedQuantity" if adjustment else "Quantity")
            ctx = _Context(transaction_type=name, posted=posted, source=f"{source} item {i}",
                           sku=_text(item.get("FulfillmentNetworkSKU")),
                           quantity=quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else None)
            for key in keys:
                money = _money(item.get(key), f"{ctx.source} {key}")
                if money is not None and key == withheld:
                    # Stated equal to the tax collected (a positive amount) and kept by Amazon.
                    money = (-money[0], money[1])
                event = _event(ctx, name, key, money)
                if event is not None:
                    yield event
    return events


def _with_components(transaction_type: str, amount_type: str, date_key: str = "PostedDate",
                     ) -> Callable[[Mapping[str, Any], str], Iterator[MoneyEvent]]:
    """Coupons, review enrollment: a fee and a charge component adding up to TotalAmount."""
    def events(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
        ctx = _Context(transaction_type=transaction_type, posted=_date(raw.get(date_key), source), source=source)
        fee = raw.get("FeeComponent") or {}
        charge = raw.get("ChargeComponent") or {}
        parts = [(str(fee.get("FeeType") or "FeeComponent"), fee.get("FeeAmount")),
                 (str(charge.get("ChargeType") or "ChargeComponent"), charge.get("ChargeAmount"))]
        yield from _total_or_parts(ctx, amount_type, parts, ("TotalAmount", raw.get("TotalAmount")))
    return events


def _deal(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type="SellerDealPayment", posted=_date(raw.get("postedDate"), source), source=source)
    yield from _total_or_parts(ctx, "Deal", [(str(raw.get("feeType") or "feeAmount"), raw.get("feeAmount")),
                                             ("taxAmount", raw.get("taxAmount"))],
                               ("totalAmount", raw.get("totalAmount")))


def _debt_recovery(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type="DebtRecovery", posted=None, source=source)
    kind = str(raw.get("DebtRecoveryType") or "DebtRecovery")
    for key in ("RecoveryAmount", "OverPaymentCredit"):
        event = _event(ctx, kind, key, _money(raw.get(key), f"{source} {key}"))
        if event is not None:
            yield event


def _charge_refund(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type="ChargeRefund", posted=_date(raw.get("PostedDate"), source), source=source)
    yield from _components(ctx, raw.get("ChargeRefundTransactions"), str(raw.get("ReasonCode") or "ChargeRefund"),
                           "ChargeType", "ChargeAmount")


def _rental(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type="RentalTransaction", posted=_date(raw.get("PostedDate"), source), source=source,
                   order_id=_text(raw.get("AmazonOrderId")), marketplace=_text(raw.get("MarketplaceName")))
    yield from _components(ctx, raw.get("RentalChargeList"), "ItemPrice", "ChargeType", "ChargeAmount",
                           _REPORT_CHARGE_NAMES)
    yield from _components(ctx, raw.get("RentalFeeList"), "ItemFees", "FeeType", "FeeAmount")
    yield from _withheld(ctx, raw.get("RentalTaxWithheldList"))
    event = _event(ctx, "RentalReimbursement", "RentalReimbursement",
                   _money(raw.get("RentalReimbursement"), f"{source} RentalReimbursement"))
    if event is not None:
        yield event


def _pay_with_amazon(raw: Mapping[str, Any], source: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type="PayWithAmazon", posted=_date(raw.get("TransactionPostedDate"), source),
                   source=source)
    charge = raw.get("Charge") or {}
    event = _event(ctx, "PayWithAmazonCharge", str(charge.get("ChargeType") or "Charge"),
                   _money(charge.get("ChargeAmount"), f"{source} Charge"))
    if event is not None:
        yield event
    yield from _components(ctx, raw.get("FeeList"), "ItemFees", "FeeType", "FeeAmount")


_Handler = Callable[[Mapping[str, Any], str], Iterator[MoneyEvent]]

#: Every list of the v0 model (financesV0.json ``FinancialEvents``) and how to read its money.
_HANDLERS: dict[str, _Handler] = {
    "ShipmentEventList": _shipment_like("Order"),
    "ShipmentSettleEventList": _shipment_like("ShipmentSettle"),
    "RefundEventList": _shipment_like("Refund"),
    "GuaranteeClaimEventList": _shipment_like("A-to-z Guarantee Claim"),
    "ChargebackEventList": _shipment_like("Chargeback Refund"),
    "EBTRefundReimbursementOnlyEventList": _simple("EBTRefundReimbursementOnly", "EBTRefundReimbursementOnly",
                                                   ("Amount",)),
    "PayWithAmazonEventList": _pay_with_amazon,
    "ServiceProviderCreditEventList": _simple("ServiceProviderCredit", "ServiceProviderCredit",
                                              ("TransactionAmount",), date_key="TransactionCreationDate",
                                              marketplace_key="MarketplaceId",
                                              description_key="ProviderTransactionType"),
    "RetrochargeEventList": _retrocharge,
    "RentalTransactionEventList": _rental,
    "ProductAdsPaymentEventList": _ads,
    "ServiceFeeEventList": _service_fee,
    "SellerDealPaymentEventList": _deal,
    "DebtRecoveryEventList": _debt_recovery,
    "LoanServicingEventList": _simple("LoanServicing", "LoanServicing", ("LoanAmount",),
                                      description_key="SourceBusinessEventType"),
    "AdjustmentEventList": _adjustment,
    "SAFETReimbursementEventList": _simple("SAFETReimbursement", "SAFETReimbursement", ("ReimbursedAmount",),
                                           description_key="ReasonCode"),
    "SellerReviewEnrollmentPaymentEventList": _with_components("SellerReviewEnrollmentPayment",
                                                               "SellerReviewEnrollment"),
    "FBALiquidationEventList": _simple("Liquidations", "Liquidations",
                                       ("LiquidationProceedsAmount", "LiquidationFeeAmount")),
    "CouponPaymentEventList": _with_components("CouponPayment", "Coupon"),
    "ImagingServicesFeeEventList": _fee_list("ImagingServicesFee"),
    "NetworkComminglingTransactionEventList": _simple("NetworkComminglingTransaction",
                                                      "NetworkComminglingTransaction",
                                                      ("TaxExclusiveAmount", "TaxAmount"),
                                                      marketplace_key="MarketplaceId"),
    "AffordabilityExpenseEventList": lambda raw, source: _affordability(raw, source, "AffordabilityExpense"),
    "AffordabilityExpenseReversalEventList": lambda raw, source: _affordability(raw, source,
                                                                                "AffordabilityExpenseReversal"),
    "RemovalShipmentEventList": _removal(adjustment=False),
    "RemovalShipmentAdjustmentEventList": _removal(adjustment=True),
    "TrialShipmentEventList": _fee_list("TrialShipment", order_key="AmazonOrderId", sku_key="SKU"),
    "TDSReimbursementEventList": _simple("TDSReimbursement", "TDSReimbursement", ("ReimbursedAmount",)),
    "AdhocDisbursementEventList": _simple("AdhocDisbursement", "AdhocDisbursement", ("TransactionAmount",),
                                          description_key="TransactionType"),
    "TaxWithholdingEventList": _simple("TaxWithholding", "TaxWithholding", ("WithheldAmount",)),
    "ChargeRefundEventList": _charge_refund,
    "FailedAdhocDisbursementEventList": _simple("FailedAdhocDisbursement", "FailedAdhocDisbursement",
                                                ("TransferAmount",), description_key="FundsTransfersType"),
    "ValueAddedServiceChargeEventList": _simple("ValueAddedServiceCharge", "ValueAddedServiceCharge",
                                                ("TransactionAmount",), description_key="TransactionType"),
    "CapacityReservationBillingEventList": _simple("CapacityReservationBilling", "CapacityReservationBilling",
                                                   ("TransactionAmount",), description_key="TransactionType"),
}


def _affordability(raw: Mapping[str, Any], source: str, transaction_type: str) -> Iterator[MoneyEvent]:
    ctx = _Context(transaction_type=transaction_type, posted=_date(raw.get("PostedDate"), source), source=source,
                   order_id=None, marketplace=_text(raw.get("MarketplaceId")))
    yield from _total_or_parts(ctx, transaction_type,
                               [(key, raw.get(key)) for key in ("BaseExpense", "TaxTypeCGST", "TaxTypeSGST",
                                                                 "TaxTypeIGST")],
                               ("TotalExpense", raw.get("TotalExpense")))


#: The lists this module reads (all of financesV0.json's).
EVENT_LISTS: tuple[str, ...] = tuple(_HANDLERS)


def money_events(financial_events: Mapping[str, Any]) -> Iterator[MoneyEvent]:
    """One ``listFinancialEventsByGroupId`` page's ``FinancialEvents`` → its money, list by list
    in the model's order, events in the page's order."""
    if not isinstance(financial_events, Mapping):
        raise DataError("FinancialEvents: expected an object")
    unknown = sorted(name for name, value in financial_events.items() if name not in _HANDLERS and value)
    if unknown:
        raise DataError(f"FinancialEvents: lists not read by this version: {', '.join(unknown)}",
                        details={"lists": unknown})
    for name, handler in _HANDLERS.items():
        for i, raw in enumerate(_list(financial_events.get(name), name)):
            yield from handler(raw, f"{name}[{i}]")
