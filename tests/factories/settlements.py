"""Settlements for tests: money events as hypothesis draws them, and settlement reports V2 written
in a marketplace's locale (amounts and dates formatted as Amazon does there)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from amazon_odoo_sync.mapping.money_events import MoneyEvent, SettlementHead

COLUMNS = ("settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
           "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
           "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date",
           "posted-date-time", "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku",
           "quantity-purchased", "promotion-id")


@dataclass(frozen=True)
class ReportLocale:
    name: str
    decimal_mark: str
    group_mark: str
    date: Callable[[datetime], str]
    datetime: Callable[[datetime], str]


LOCALES: dict[str, ReportLocale] = {
    "DE": ReportLocale("DE", ",", ".", lambda d: d.strftime("%d.%m.%Y"),
                       lambda d: d.strftime("%d.%m.%Y %H:%M:%S UTC")),
    "US": ReportLocale("US", ".", ",", lambda d: d.strftime("%m/%d/%Y"),
                       lambda d: d.strftime("%Y-%m-%d %H:%M:%S UTC")),
    "UK": ReportLocale("UK", ".", ",", lambda d: d.strftime("%d/%m/%Y"),
                       lambda d: d.strftime("%d/%m/%Y %H:%M:%S UTC")),
    "FR": ReportLocale("FR", ",", "\u00a0", lambda d: d.strftime("%d.%m.%Y"),
                       lambda d: d.strftime("%d.%m.%Y %H:%M:%S UTC")),
    "ISO": ReportLocale("ISO", ".", "", lambda d: d.strftime("%Y-%m-%d"),
                        lambda d: d.strftime("%Y-%m-%dT%H:%M:%S+00:00")),
    "JP": ReportLocale("JP", ".", ",", lambda d: d.strftime("%Y/%m/%d"),
                       lambda d: (d + timedelta(hours=9)).strftime("%Y/%m/%d %H:%M:%S JST")),
}


def format_amount(amount: Decimal, locale: ReportLocale) -> str:
    sign = "-" if amount < 0 else ""
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = locale.group_mark.join(groups)
    return f"{sign}{text}{locale.decimal_mark}{fraction}" if fraction else f"{sign}{text}"


def report_lines(head: SettlementHead, events: Iterable[MoneyEvent], locale: ReportLocale) -> Iterator[str]:
    """A settlement report V2 for ``head`` and ``events``: header, summary row, a row per event."""
    assert head.start is not None and head.end is not None
    yield "\t".join(COLUMNS) + "\n"
    summary = dict.fromkeys(COLUMNS, "")
    summary.update({"settlement-id": head.key, "settlement-start-date": locale.datetime(head.start),
                    "settlement-end-date": locale.datetime(head.end),
                    "deposit-date": locale.datetime(head.deposit_date) if head.deposit_date else "",
                    "total-amount": format_amount(head.total, locale), "currency": head.currency})
    yield "\t".join(summary[c] for c in COLUMNS) + "\n"
    for event in events:
        row = dict.fromkeys(COLUMNS, "")
        row.update({
            "settlement-id": head.key, "transaction-type": event.transaction_type,
            "order-id": event.order_id or "", "adjustment-id": event.adjustment_id or "",
            "shipment-id": event.shipment_id or "", "marketplace-name": event.marketplace or "",
            "amount-type": event.amount_type, "amount-description": event.amount_description,
            "amount": format_amount(event.amount, locale),
            "posted-date": locale.date(event.posted) if event.posted else "",
            "posted-date-time": locale.datetime(event.posted) if event.posted else "",
            "sku": event.sku or "", "quantity-purchased": "" if event.quantity is None else str(event.quantity)})
        yield "\t".join(row[c] for c in COLUMNS) + "\n"


START = datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)

#: (transaction type, amount type, description) of an order's customer money and fees.
ORDER_KINDS = (("Order", "ItemPrice", "Principal"), ("Order", "ItemPrice", "Shipping"),
               ("Order", "ItemPrice", "Tax"), ("Order", "Promotion", "Principal"),
               ("Order", "ItemFees", "Commission"), ("Order", "ItemFees", "FBAPerUnitFulfillmentFee"))
REFUND_KINDS = (("Refund", "ItemPrice", "Principal"), ("Refund", "ItemPrice", "Tax"),
                ("Refund", "ItemFees", "Commission"), ("Refund", "ItemFees", "RefundCommission"))
OTHER_KINDS = (("other-transaction", "other-transaction", "Storage Fee"),
               ("other-transaction", "other-transaction", "Subscription Fee"),
               ("ServiceFee", "Cost of Advertising", "TransactionTotalAmount"),
               ("other-transaction", "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE"),
               ("other-transaction", "other-transaction", "Current Reserve Amount"),
               ("other-transaction", "other-transaction", "Previous Reserve Amount Balance"),
               ("Mystery", "Unheard", "Of"))

cents = st.integers(min_value=-50_000, max_value=50_000).map(lambda n: Decimal(n) / 100)
order_ids = st.integers(min_value=1, max_value=40).map(lambda n: f"302-{n:07d}-0000001")


@st.composite
def settlement_events(draw: st.DrawFn, currency: str = "EUR") -> list[MoneyEvent]:
    """Events of one settlement: orders with customer money and fees, some with tax withheld as
    marketplace facilitator (netting to zero), refunds per adjustment, account-level kinds."""
    events: list[MoneyEvent] = []
    posted = START + timedelta(seconds=draw(st.integers(0, 86_400 * 13)))
    for order_id in draw(st.lists(order_ids, max_size=25, unique=True)):
        for tt, at, ad in draw(st.lists(st.sampled_from(ORDER_KINDS), min_size=1, max_size=6)):
            amount = draw(cents)
            events.append(MoneyEvent(tt, at, ad, amount, currency, posted, order_id, sku="SKU-1", quantity=1,
                                     marketplace="Amazon.de"))
            if ad == "Tax" and draw(st.booleans()):
                events.append(MoneyEvent("Order", "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal",
                                         -amount, currency, posted, order_id, marketplace="Amazon.de"))
        for adjustment in draw(st.lists(st.sampled_from(["A1", "A2", "A3"]), max_size=2, unique=True)):
            for tt, at, ad in draw(st.lists(st.sampled_from(REFUND_KINDS), min_size=1, max_size=4)):
                events.append(MoneyEvent(tt, at, ad, draw(cents), currency, posted, order_id, adjustment))
    for tt, at, ad in draw(st.lists(st.sampled_from(OTHER_KINDS), max_size=8)):
        events.append(MoneyEvent(tt, at, ad, draw(cents), currency, posted))
    return events


def head_for(events: Iterable[MoneyEvent], key: str = "12345678901", currency: str = "EUR",
             total: Decimal | None = None) -> SettlementHead:
    amount = sum((e.amount for e in events), Decimal(0)) if total is None else total
    return SettlementHead(key=key, source="report", currency=currency, total=amount, start=START,
                          end=START + timedelta(days=14), deposit_date=START + timedelta(days=15, hours=3),
                          payout_amount=amount, payout_currency=currency)
