"""Amazon's money, simulated: financial event groups, their events, payouts and settlement reports.

Per seller and marketplace, one financial event group is open at a time. It collects every money
event posted while it is open and closes every ``period_days`` simulated days (counted from the
engine's anchor, midnight of the day it was attached) with a transfer: ``FundTransferDate`` = the
close, ``OriginalTotal`` = the sum of its events in the marketplace currency, ``ConvertedTotal`` =
the same in the payout currency (a fixed rate when they differ). The next group opens at once.

Money events (seller perspective: positive = Amazon owes the seller):

- an order shipped (AFN when Amazon ships it, MFN per confirmed package, pro rata for partial
  shipments): principal, shipping, gift wrap, promotions, tax where prices exclude it (with the
  marketplace-facilitator withholding that nets it to zero in US-style marketplaces), commission
  and FBA fulfilment fees;
- a refund of one unit (sometimes with its shipping) of a share of the shipped orders, days later
  (often in a later group): the amounts reversed, the commission given back less a refund
  administration fee;
- per group: a subscription fee, sponsored-products (ads) invoices every few days, a storage fee
  where the seller has FBA offers, sometimes an FBA inventory reimbursement;
- at each close: the previous group's reserve released and a new reserve held (a share of the
  group's sales); the second group of the seller's last marketplace is made negative by a large
  advertising invoice (so a negative settlement — Amazon charging the seller — always occurs).

Everything random derives from the world's seed and the event's identity (order id, group
number), so a scenario and a seed give the same money whatever the call pattern.

Each closed group renders a ``GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2`` document (published
through ``publish_report``), one row per amount component after a summary row, with amounts and
dates formatted in the marketplace's locale (:data:`LOCALES`). The v0 JSON shapes
(``FinancialEventGroup``, ``FinancialEvents``) are rendered by :func:`group_json` and
:func:`events_json`. :meth:`FinanceEngine.truth` is the ground truth tests compare with.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import itertools
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from amazon_odoo_sync.marketplaces import Marketplace, by_id
from amazon_odoo_sync.sandbox.spapi.clock import iso
from amazon_odoo_sync.sandbox.spapi.errors import EngineError
from amazon_odoo_sync.sandbox.spapi.world import Order, OrderItem, World, WorldEvent, money

__all__ = [
    "FX_RATES",
    "LOCALES",
    "SETTLEMENT_COLUMNS",
    "SETTLEMENT_REPORT_TYPE",
    "Amount",
    "FinanceEngine",
    "FinanceError",
    "FinanceSettings",
    "Group",
    "GroupTruth",
    "ItemMoney",
    "Locale",
    "MoneyEvent",
    "events_json",
    "group_json",
    "settlement_rows",
]

SETTLEMENT_REPORT_TYPE = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
#: Amazon's documented 23 columns, plus ``promotion-id`` as real files carry it.
SETTLEMENT_COLUMNS = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
    "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
    "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id",
    "posted-date", "posted-date-time", "order-item-code", "merchant-order-item-id",
    "merchant-adjustment-item-id", "sku", "quantity-purchased", "promotion-id",
)

#: Fixed conversion rates (one unit of the first currency in the second) for payouts in another
#: currency than the marketplace's.
FX_RATES: dict[tuple[str, str], Decimal] = {
    ("GBP", "EUR"): Decimal("1.1650"), ("EUR", "GBP"): Decimal("0.8580"),
    ("USD", "EUR"): Decimal("0.9210"), ("EUR", "USD"): Decimal("1.0860"),
    ("GBP", "USD"): Decimal("1.2650"), ("USD", "GBP"): Decimal("0.7900"),
}

_ZERO = Decimal(0)
EventType = Literal["Shipment", "Refund", "ServiceFee", "ProductAds", "Adjustment"]
V0Part = Literal["charge", "fee", "promotion", "withheld"]


class FinanceError(EngineError):
    """A Finances API request refused (``status``, ``code`` as Amazon answers)."""


# --------------------------------------------------------------------------- locales


@dataclass(frozen=True, kw_only=True)
class Locale:
    """How a marketplace's settlement report writes amounts and dates."""

    decimal: str
    thousands: str
    date: str  # strftime of a date
    date_time: str  # strftime of a date-time (always UTC, written as such)

    def amount(self, value: Decimal) -> str:
        text = f"{abs(value):,.2f}"
        text = text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousands)
        return f"-{text}" if value < 0 else text

    def day(self, value: datetime) -> str:
        return value.strftime(self.date)

    def moment(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime(self.date_time)


_EU = Locale(decimal=",", thousands=".", date="%d.%m.%Y", date_time="%d.%m.%Y %H:%M:%S UTC")
_US = Locale(decimal=".", thousands="", date="%Y-%m-%d", date_time="%Y-%m-%d %H:%M:%S UTC")
# Amazon's European Seller Central writes UK dates like the continent's but amounts with a point.
_UK = Locale(decimal=".", thousands="", date="%d.%m.%Y", date_time="%d.%m.%Y %H:%M:%S UTC")

#: Marketplace code → its settlement report locale (others: the US one).
LOCALES: dict[str, Locale] = {"DE": _EU, "FR": _EU, "IT": _EU, "ES": _EU, "NL": _EU, "BE": _EU,
                              "PL": _EU, "SE": _EU, "UK": _UK, "US": _US, "CA": _US, "MX": _US}


def locale_of(marketplace: Marketplace) -> Locale:
    return LOCALES.get(marketplace.code, _US)


# --------------------------------------------------------------------------- money events


@dataclass(frozen=True, kw_only=True)
class Amount:
    """One amount component: its place in v0 (``part`` + ``type``), in the settlement report
    (``amount_type`` + ``description``) and in the ground truth (``kind``)."""

    part: V0Part
    type: str
    amount_type: str
    description: str
    amount: Decimal
    kind: str
    promotion_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ItemMoney:
    sku: str
    order_item_id: str
    quantity: int
    amounts: tuple[Amount, ...]
    adjustment_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class MoneyEvent:
    event_id: str
    event_type: EventType
    transaction_type: str  # the settlement report's transaction-type
    posted: datetime
    seller_id: str
    marketplace_id: str
    currency: str
    order_id: str | None = None
    seller_order_id: str | None = None
    fulfillment: str | None = None  # AFN / MFN
    shipment_id: str | None = None
    adjustment_id: str | None = None
    items: tuple[ItemMoney, ...] = ()
    amounts: tuple[Amount, ...] = ()  # event-level: fees, ads, adjustments
    description: str | None = None  # FeeDescription / AdjustmentType / ads invoice id
    sku: str | None = None
    quantity: int | None = None

    def components(self) -> Iterable[Amount]:
        for item in self.items:
            yield from item.amounts
        yield from self.amounts

    @property
    def total(self) -> Decimal:
        return sum((a.amount for a in self.components()), _ZERO)


@dataclass(kw_only=True)
class Group:
    """A financial event group: one settlement period of one seller in one marketplace."""

    group_id: str
    settlement_id: str
    number: int
    seller_id: str
    marketplace_id: str
    currency: str
    payout_currency: str
    start: datetime
    end: datetime  # planned close; the group's end once closed
    status: Literal["Open", "Closed"] = "Open"
    events: list[MoneyEvent] = field(default_factory=list)
    transfer_date: datetime | None = None
    converted_total: Decimal | None = None
    report_id: str | None = None
    report_ids: list[str] = field(default_factory=list)
    #: line (1 = the header) of the amount spoiled in the first report, when it was
    malformed_line: int | None = None
    reserve_held: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        return money(sum((e.total for e in self.events), _ZERO), self.currency)

    @property
    def marketplace(self) -> Marketplace:
        return by_id(self.marketplace_id)


@dataclass(frozen=True, kw_only=True)
class GroupTruth:
    """What a group holds, for tests: totals by kind and by order, and its identifiers."""

    group_id: str
    settlement_id: str
    seller_id: str
    marketplace_id: str
    currency: str
    status: str
    start: datetime
    end: datetime
    transfer_date: datetime | None
    total: Decimal
    payout_currency: str
    converted_total: Decimal | None
    events: int
    rows: int  # settlement report rows (without the summary row)
    by_kind: Mapping[str, Decimal]
    by_order: Mapping[str, Mapping[str, Decimal]]  # order id → kind → amount
    report_ids: tuple[str, ...] = ()
    malformed_line: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "groupId": self.group_id, "settlementId": self.settlement_id,
            "sellerId": self.seller_id, "marketplaceId": self.marketplace_id,
            "currency": self.currency, "status": self.status, "start": iso(self.start),
            "end": iso(self.end),
            "transferDate": iso(self.transfer_date) if self.transfer_date else None,
            "total": str(self.total), "payoutCurrency": self.payout_currency,
            "convertedTotal": None if self.converted_total is None else str(self.converted_total),
            "events": self.events, "rows": self.rows, "reportIds": list(self.report_ids),
            "malformedLine": self.malformed_line,
            "byKind": {k: str(v) for k, v in sorted(self.by_kind.items())},
            "byOrder": {o: {k: str(v) for k, v in sorted(kinds.items())}
                        for o, kinds in sorted(self.by_order.items())},
        }


@dataclass(frozen=True, kw_only=True)
class FinanceSettings:
    period_days: int = 14
    refund_rate: float = 0.08
    refund_after_days: tuple[int, int] = (2, 12)
    commission_rate: Decimal = Decimal("0.15")
    fba_fee_per_unit: Decimal = Decimal("3.25")
    refund_admin_share: Decimal = Decimal("0.20")
    refund_admin_cap: Decimal = Decimal("5.00")
    subscription_fee: Decimal = Decimal("39.00")
    ads_every_days: int = 3
    ads_range: tuple[Decimal, Decimal] = (Decimal("5.00"), Decimal("60.00"))
    storage_range: tuple[Decimal, Decimal] = (Decimal("4.00"), Decimal("35.00"))
    reimbursement_chance: float = 0.6
    reserve_share: Decimal = Decimal("0.07")
    #: make one group negative (see the module docstring)
    negative_settlement: bool = True
    #: marketplace code → payout currency, where it differs from the marketplace's
    payout_currencies: Mapping[str, str] = field(default_factory=dict)
    #: marketplace codes without money (their orders still exist)
    excluded_marketplaces: frozenset[str] = frozenset()
    #: group numbers (1 = the first group of each seller and marketplace) whose settlement report
    #: is first published with one malformed amount; :meth:`FinanceEngine.republish` fixes it
    malformed_reports: frozenset[int] = frozenset()


# --------------------------------------------------------------------------- amount helpers


def _charge(type_: str, amount: Decimal, kind: str) -> Amount:
    return Amount(part="charge", type=type_, amount_type="ItemPrice", description=type_,
                  amount=amount, kind=kind)


def _fee(type_: str, amount: Decimal, kind: str) -> Amount:
    return Amount(part="fee", type=type_, amount_type="ItemFees", description=type_, amount=amount,
                  kind=kind)


def _promotion(description: str, amount: Decimal, kind: str, promotion_id: str) -> Amount:
    return Amount(part="promotion", type="PromotionMetaDataDefinitionValue",
                  amount_type="Promotion", description=description, amount=amount, kind=kind,
                  promotion_id=promotion_id)


def _withheld(type_: str, amount: Decimal, kind: str) -> Amount:
    return Amount(part="withheld", type=type_, amount_type="ItemWithheldTax", description=type_,
                  amount=amount, kind=kind)


def _nonzero(amounts: Iterable[Amount]) -> tuple[Amount, ...]:
    return tuple(a for a in amounts if a.amount != 0)


def _share(value: Decimal, part: int, whole: int, currency: str) -> Decimal:
    return money(value * part / whole, currency) if whole else _ZERO


def _rng(*key: object) -> random.Random:
    return random.Random(":".join(str(k) for k in key))


def _between(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    cents = rng.randint(int(low * 100), int(high * 100))
    return Decimal(cents) / 100


# --------------------------------------------------------------------------- the engine


class FinanceEngine:
    """The money of one world. Listens to the world's events (shipments) and keeps its own
    schedule (fees, ads, refunds, closes) in simulated time; call :meth:`catch_up` before reading."""

    def __init__(self, world: World, settings: FinanceSettings | None = None, *,
                 publish_report: Callable[[Group, bytes], str | None] | None = None) -> None:
        self.world = world
        self.settings = settings or FinanceSettings()
        self.publish_report = publish_report
        self.groups: dict[str, Group] = {}
        self._open: dict[tuple[str, str], Group] = {}
        self._numbers: dict[tuple[str, str], itertools.count[int]] = {}
        self._schedule: list[tuple[float, int, str, tuple[str, ...]]] = []
        self._seq = itertools.count()
        self._shipped: dict[str, dict[str, int]] = {}  # order id → item id → quantity posted
        self._posted_packages: set[tuple[str, str]] = set()
        self._refunds: dict[str, int] = {}
        self._run_to = datetime.min.replace(tzinfo=UTC)
        self.anchor = self._anchor()
        for seller in world.sellers.values():
            for mid in seller.marketplace_ids:
                if by_id(mid).code not in self.settings.excluded_marketplaces:
                    self._open_group(seller.seller_id, mid, self.anchor)
        self._backfill()
        world.listeners.append(self.on_event)

    # -- time -----------------------------------------------------------------------------------

    def _anchor(self) -> datetime:
        first = self.world.clock.now()
        for order in self.world.orders():
            first = min(first, order.purchase_date)
        return first.replace(hour=0, minute=0, second=0, microsecond=0)

    def _at(self, when: datetime, action: str, *args: str) -> None:
        heapq.heappush(self._schedule, (when.timestamp(), next(self._seq), action, args))

    def catch_up(self, until: datetime | None = None) -> None:
        """Run every scheduled action due by ``until`` (default: the world's now), in time order."""
        until = until or self.world.clock.now()
        limit = until.timestamp()
        while self._schedule and self._schedule[0][0] <= limit:
            ts, _, action, args = heapq.heappop(self._schedule)
            at = datetime.fromtimestamp(ts, UTC)
            self._run_to = max(self._run_to, at)
            getattr(self, f"_do_{action}")(at, *args)
        self._run_to = max(self._run_to, until)

    def _backfill(self) -> None:
        """Orders already shipped when the engine was attached (a world built ahead of time)."""
        pending = sorted(((pkg.created, order.amazon_order_id) for order in self.world.orders()
                          for pkg in order.packages), key=lambda p: (p[0], p[1]))
        for created, oid in pending:
            self.catch_up(created)
            order = self.world.order(oid)
            if order is not None:
                self._post_packages(order, created)

    def on_event(self, event: WorldEvent) -> None:
        """World listener: shipments become money (after the schedule caught up to then)."""
        if event.amazon_order_id is None or event.new_status not in ("Shipped", "PartiallyShipped"):
            return
        self.catch_up(event.at)
        order = self.world.order(event.amazon_order_id)
        if order is not None:
            self._post_packages(order, event.at)

    # -- groups ---------------------------------------------------------------------------------

    def _open_group(self, seller_id: str, marketplace_id: str, start: datetime) -> Group:
        key = (seller_id, marketplace_id)
        number = next(self._numbers.setdefault(key, itertools.count(1)))
        seed = self.world.seed
        digest = hashlib.sha256(f"{seed}:group:{seller_id}:{marketplace_id}:{number}".encode())
        group_id = base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")[:43]
        settlement_id = str(_rng(seed, "settlement", seller_id, marketplace_id, number)
                            .randrange(10**10, 10**11))
        mp = by_id(marketplace_id)
        payout = self.settings.payout_currencies.get(mp.code, mp.currency)
        group = Group(group_id=group_id, settlement_id=settlement_id, number=number,
                      seller_id=seller_id, marketplace_id=marketplace_id, currency=mp.currency,
                      payout_currency=payout, start=start,
                      end=start + timedelta(days=self.settings.period_days))
        previous = self._open.get(key)
        if previous is not None:
            group.reserve_held = previous.reserve_held  # carried until released below
        self.groups[group_id] = group
        self._open[key] = group
        self._plan_group(group)
        return group

    def _plan_group(self, group: Group) -> None:
        s, g = self.settings, group
        rng = _rng(self.world.seed, "plan", g.seller_id, g.marketplace_id, g.number)
        self._at(g.start + timedelta(days=1, hours=rng.randint(0, 20)), "subscription", g.group_id)
        day = s.ads_every_days
        while day < s.period_days:
            self._at(g.start + timedelta(days=day, hours=rng.randint(0, 23),
                                         minutes=rng.randint(0, 59)), "ads", g.group_id)
            day += s.ads_every_days
        if self._has_fba(g.seller_id, g.marketplace_id):
            self._at(g.start + timedelta(days=7, hours=rng.randint(1, 12)), "storage", g.group_id)
            if rng.random() < s.reimbursement_chance:
                self._at(g.start + timedelta(days=rng.randint(1, s.period_days - 1),
                                             hours=rng.randint(0, 23)), "reimbursement", g.group_id)
        self._at(g.end - timedelta(seconds=1), "reserve", g.group_id)
        self._at(g.end, "close", g.group_id)

    def _has_fba(self, seller_id: str, marketplace_id: str) -> bool:
        return any(True for _ in self.world.offers(seller_id, marketplace_id, "AFN"))

    def _post(self, event: MoneyEvent) -> None:
        group = self._open.get((event.seller_id, event.marketplace_id))
        if group is None or not any(True for _ in event.components()):
            return
        group.events.append(event)

    def _event_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._seq):08d}"

    # -- shipments and refunds --------------------------------------------------------------------

    def _post_packages(self, order: Order, at: datetime) -> None:
        if by_id(order.marketplace_id).code in self.settings.excluded_marketplaces:
            return
        posted = self._shipped.setdefault(order.amazon_order_id, {})
        for pkg in order.packages:
            key = (order.amazon_order_id, pkg.package_reference_id)
            if key in self._posted_packages:
                continue
            self._posted_packages.add(key)
            items: list[ItemMoney] = []
            for item_id, qty in pkg.items:
                item = order.item(item_id)
                if item is None:
                    continue
                before = posted.get(item_id, 0)
                posted[item_id] = before + qty
                items.append(self._shipment_item(order, item, before, qty))
            if not items:
                continue
            self._post_shipment(order, key, max(at, pkg.created), items)
        # updateShipmentStatus(PickedUp) ships what is left without a package
        rest = [(item, item.quantity_shipped - posted.get(item.order_item_id, 0))
                for item in order.items]
        if any(qty > 0 for _, qty in rest):
            items = []
            for item, qty in rest:
                if qty > 0:
                    before = posted.get(item.order_item_id, 0)
                    posted[item.order_item_id] = before + qty
                    items.append(self._shipment_item(order, item, before, qty))
            self._post_shipment(order, (order.amazon_order_id, f"PICKUP-{at.isoformat()}"), at,
                                items)
        if order.status == "Shipped":
            self._maybe_refund(order, at)

    def _post_shipment(self, order: Order, key: tuple[str, str], at: datetime,
                       items: list[ItemMoney]) -> None:
        self._post(MoneyEvent(
            event_id=self._event_id("SHP"), event_type="Shipment", transaction_type="Order",
            posted=at, seller_id=order.seller_id, marketplace_id=order.marketplace_id,
            currency=order.currency, order_id=order.amazon_order_id,
            seller_order_id=order.seller_order_id, fulfillment=order.fulfillment_channel,
            shipment_id=_digits(self.world.seed, "shipment", key, 11), items=tuple(items)))

    def _shipment_item(self, order: Order, item: OrderItem, before: int, qty: int) -> ItemMoney:
        """The money of ``qty`` units after ``before`` were posted: pro rata, the last shipment
        of an item takes what rounding left (so the item's amounts add up exactly)."""
        cur, whole = order.currency, item.quantity_ordered

        def part(value: Decimal) -> Decimal:
            return _share(value, before + qty, whole, cur) - _share(value, before, whole, cur)

        promo_id = item.promotion_ids[0] if item.promotion_ids else f"SIM-{order.amazon_order_id}"
        amounts = [
            _charge("Principal", part(item.item_price), "sales.principal"),
            _charge("Shipping", part(item.shipping_price), "sales.shipping"),
            _charge("GiftWrap", part(item.gift_wrap_price), "sales.giftwrap"),
        ]
        if not order.prices_include_tax:
            amounts += [_charge("Tax", part(item.item_tax), "sales.tax"),
                        _charge("ShippingTax", part(item.shipping_tax), "sales.tax"),
                        _charge("GiftWrapTax", part(item.gift_wrap_tax), "sales.tax")]
        amounts += [
            _promotion("Principal", -part(item.promotion_discount), "sales.promotion", promo_id),
            _promotion("Shipping", -part(item.shipping_discount), "sales.promotion", promo_id),
        ]
        if not order.prices_include_tax:
            amounts.append(_promotion(
                "TaxDiscount", -part(item.promotion_discount_tax + item.shipping_discount_tax),
                "sales.tax", promo_id))
        if item.marketplace_facilitator:
            amounts += [
                _withheld("MarketplaceFacilitatorTax-Principal",
                          -part(item.item_tax - item.promotion_discount_tax), "sales.tax_withheld"),
                _withheld("MarketplaceFacilitatorTax-Shipping",
                          -part(item.shipping_tax - item.shipping_discount_tax), "sales.tax_withheld"),
                _withheld("MarketplaceFacilitatorTax-Other", -part(item.gift_wrap_tax),
                          "sales.tax_withheld"),
            ]
        amounts.append(_fee("Commission", -money(part(item.charged) * self.settings.commission_rate,
                                                  cur), "fees.commission"))
        if order.fulfillment_channel == "AFN":
            amounts.append(_fee("FBAPerUnitFulfillmentFee",
                                -money(self.settings.fba_fee_per_unit * qty, cur), "fees.fba"))
        return ItemMoney(sku=item.sku, order_item_id=item.order_item_id, quantity=qty,
                         amounts=_nonzero(amounts))

    def _maybe_refund(self, order: Order, shipped_at: datetime) -> None:
        oid = order.amazon_order_id
        if oid in self._refunds:
            return
        rng = _rng(self.world.seed, "refund", oid)
        if rng.random() >= self.settings.refund_rate:
            self._refunds[oid] = 0
            return
        self._refunds[oid] = 1
        low, high = self.settings.refund_after_days
        when = shipped_at + timedelta(days=rng.randint(low, high), hours=rng.randint(0, 23),
                                      minutes=rng.randint(0, 59))
        self._at(when, "refund", oid, "1" if rng.random() < 0.5 else "0")

    def _do_refund(self, at: datetime, oid: str, with_shipping: str) -> None:
        order = self.world.order(oid)
        if order is None or not order.items:
            return
        item = order.items[0]
        cur, q = order.currency, item.quantity_ordered
        shipping = with_shipping == "1" and q == 1
        amounts = [_charge("Principal", -_share(item.item_price, 1, q, cur), "refunds.principal")]
        if shipping:
            amounts.append(_charge("Shipping", -item.shipping_price, "refunds.shipping"))
        if not order.prices_include_tax:
            amounts.append(_charge("Tax", -_share(item.item_tax, 1, q, cur), "refunds.tax"))
            if shipping:
                amounts.append(_charge("ShippingTax", -item.shipping_tax, "refunds.tax"))
        promo_id = item.promotion_ids[0] if item.promotion_ids else f"SIM-{oid}"
        amounts.append(_promotion("Principal", _share(item.promotion_discount, 1, q, cur),
                                  "refunds.promotion", promo_id))
        if item.marketplace_facilitator:
            amounts.append(_withheld("MarketplaceFacilitatorTax-Principal",
                                     _share(item.item_tax, 1, q, cur), "refunds.tax_withheld"))
            if shipping:
                amounts.append(_withheld("MarketplaceFacilitatorTax-Shipping", item.shipping_tax,
                                         "refunds.tax_withheld"))
        refunded = _share(item.item_price - item.promotion_discount, 1, q, cur) + (
            item.shipping_price if shipping else _ZERO)
        commission = money(refunded * self.settings.commission_rate, cur)
        admin = min(money(commission * self.settings.refund_admin_share, cur),
                    self.settings.refund_admin_cap)
        amounts += [_fee("Commission", commission, "refunds.commission"),
                    _fee("RefundCommission", -admin, "fees.refund_commission")]
        adjustment = _digits(self.world.seed, "adjustment", oid, 14)
        self._post(MoneyEvent(
            event_id=self._event_id("RFD"), event_type="Refund", transaction_type="Refund",
            posted=at, seller_id=order.seller_id, marketplace_id=order.marketplace_id,
            currency=cur, order_id=oid, seller_order_id=order.seller_order_id,
            fulfillment=order.fulfillment_channel, adjustment_id=adjustment,
            items=(ItemMoney(sku=item.sku, order_item_id=item.order_item_id, quantity=1,
                             adjustment_id=adjustment, amounts=_nonzero(amounts)),)))

    # -- per-group money ----------------------------------------------------------------------------

    def _group_rng(self, group: Group, what: str, at: datetime) -> random.Random:
        return _rng(self.world.seed, what, group.group_id, int(at.timestamp()))

    def _event(self, group: Group, at: datetime, event_type: EventType, transaction_type: str,
               amounts: Sequence[Amount], **extra: Any) -> None:
        self._post(MoneyEvent(event_id=self._event_id(event_type[:3].upper()), event_type=event_type,
                              transaction_type=transaction_type, posted=at,
                              seller_id=group.seller_id, marketplace_id=group.marketplace_id,
                              currency=group.currency, amounts=tuple(amounts), **extra))

    def _do_subscription(self, at: datetime, group_id: str) -> None:
        group = self.groups[group_id]
        self._event(group, at, "ServiceFee", "other-transaction", [Amount(
            part="fee", type="Subscription", amount_type="other-transaction",
            description="Subscription Fee", amount=-self.settings.subscription_fee,
            kind="fees.subscription")], description="Subscription Fee")

    def _do_ads(self, at: datetime, group_id: str, amount: str = "") -> None:
        group = self.groups[group_id]
        value = Decimal(amount) if amount else _between(self._group_rng(group, "ads", at),
                                                        *self.settings.ads_range)
        invoice = "TR" + _digits(self.world.seed, "ads", (group_id, at.timestamp()), 10)
        self._event(group, at, "ProductAds", "ServiceFee", [Amount(
            part="fee", type="TransactionTotalAmount", amount_type="Cost of Advertising",
            description="TransactionTotalAmount", amount=-money(value, group.currency),
            kind="ads")], description=invoice)

    def _do_storage(self, at: datetime, group_id: str) -> None:
        group = self.groups[group_id]
        value = _between(self._group_rng(group, "storage", at), *self.settings.storage_range)
        self._event(group, at, "ServiceFee", "other-transaction", [Amount(
            part="fee", type="FBAStorageFee", amount_type="other-transaction",
            description="Storage Fee", amount=-money(value, group.currency),
            kind="fees.storage")], description="Storage Fee")

    def _do_reimbursement(self, at: datetime, group_id: str) -> None:
        group = self.groups[group_id]
        rng = self._group_rng(group, "reimbursement", at)
        offers = list(self.world.offers(group.seller_id, group.marketplace_id, "AFN"))
        if not offers:
            return
        offer = offers[rng.randrange(len(offers))]
        qty = rng.randint(1, 3)
        unit = money(offer.price * Decimal("0.6"), group.currency)
        reason = rng.choice(("WAREHOUSE_DAMAGE", "WAREHOUSE_LOST_MANUAL"))
        self._event(group, at, "Adjustment", "other-transaction", [Amount(
            part="charge", type="FBAInventoryReimbursement",
            amount_type="FBA Inventory Reimbursement", description=reason,
            amount=money(unit * qty, group.currency), kind="reimbursements")],
            description="FBAInventoryReimbursement", sku=offer.sku, quantity=qty)

    def _do_reserve(self, at: datetime, group_id: str) -> None:
        group = self.groups[group_id]
        previous = group.reserve_held
        if previous:
            self._event(group, at, "Adjustment", "other-transaction", [Amount(
                part="charge", type="ReserveEvent", amount_type="other-transaction",
                description="Previous Reserve Amount Balance", amount=previous,
                kind="reserve.released")], description="ReserveEvent")
        sales = sum((a.amount for e in group.events for a in e.components()
                     if a.kind.startswith("sales.")), _ZERO)
        held = money(max(sales, _ZERO) * self.settings.reserve_share, group.currency)
        group.reserve_held = held
        if held:
            self._event(group, at, "Adjustment", "other-transaction", [Amount(
                part="charge", type="ReserveEvent", amount_type="other-transaction",
                description="Current Reserve Amount", amount=-held, kind="reserve.held")],
                description="ReserveEvent")
        if self._negative_here(group) and group.total >= 0:
            self._do_ads(at, group_id, str(group.total + Decimal("250.00")))

    def _negative_here(self, group: Group) -> bool:
        if not self.settings.negative_settlement or group.number != 2:
            return False
        seller = self.world.sellers[group.seller_id]
        kept = [m for m in seller.marketplace_ids
                if by_id(m).code not in self.settings.excluded_marketplaces]
        return bool(kept) and kept[-1] == group.marketplace_id

    def _do_close(self, at: datetime, group_id: str) -> None:
        group = self.groups[group_id]
        group.events.sort(key=lambda e: e.posted)
        group.status, group.end, group.transfer_date = "Closed", at, at
        rate = FX_RATES.get((group.currency, group.payout_currency), Decimal(1)) \
            if group.payout_currency != group.currency else Decimal(1)
        group.converted_total = money(group.total * rate, group.payout_currency)
        self._open_group(group.seller_id, group.marketplace_id, at)
        content = settlement_report(group)
        if group.number in self.settings.malformed_reports:
            content, group.malformed_line = _spoil(content, _rng(self.world.seed, "spoil", group.group_id))
        self._publish(group, content)

    def _publish(self, group: Group, content: bytes) -> None:
        if self.publish_report is not None:
            report_id = self.publish_report(group, content)
            if report_id is not None:
                group.report_id = report_id
                group.report_ids.append(report_id)

    def republish(self, settlement_id: str) -> Group:
        """Publish a closed group's settlement report again, correct (as after a support case
        about a broken file): a new report of the same settlement."""
        self.catch_up()
        for group in self.groups.values():
            if group.settlement_id == settlement_id and group.status == "Closed":
                self._publish(group, settlement_report(group))
                return group
        raise FinanceError(404, "NotFound", f"No closed settlement {settlement_id}")

    # -- reading ------------------------------------------------------------------------------------

    def list_groups(self, seller_id: str, *, started_after: datetime | None,
                    started_before: datetime | None, page_size: int,
                    next_token: str | None) -> tuple[list[Group], str | None]:
        """listFinancialEventGroups: groups of the seller by start (newest first), paged."""
        self.catch_up()
        now = self.world.clock.now()
        if next_token:
            state = _decode_token(next_token)
            try:
                offset, page_size = int(state["offset"]), int(state["size"])
                started_after = datetime.fromisoformat(str(state["after"]))
                started_before = datetime.fromisoformat(str(state["before"]))
            except (KeyError, ValueError, TypeError) as exc:
                raise FinanceError(400, "InvalidInput", "Invalid NextToken") from exc
        else:
            offset = 0
            if not 1 <= page_size <= 100:
                raise FinanceError(400, "InvalidInput", "MaxResultsPerPage must be between 1 and 100")
            started_before = started_before or now
            started_after = started_after or started_before - timedelta(days=180)
            if started_after > now:
                raise FinanceError(400, "InvalidInput",
                                   "FinancialEventGroupStartedAfter must be in the past")
            if started_after > started_before:
                raise FinanceError(400, "InvalidInput", "FinancialEventGroupStartedAfter must be "
                                   "before FinancialEventGroupStartedBefore")
            if started_before - started_after > timedelta(days=180):
                raise FinanceError(400, "InvalidInput", "The date range between "
                                   "FinancialEventGroupStartedAfter and FinancialEventGroupStartedBefore "
                                   "must not be more than 180 days")
        found = sorted((g for g in self.groups.values() if g.seller_id == seller_id
                        and started_after <= g.start <= started_before and g.start <= now),
                       key=lambda g: (g.start, g.group_id), reverse=True)
        token = None
        if offset + page_size < len(found):
            token = _encode_token({"offset": offset + page_size, "size": page_size,
                                   "after": started_after.isoformat(),
                                   "before": started_before.isoformat()})
        return found[offset:offset + page_size], token

    def list_events(self, seller_id: str, group_id: str, *, posted_after: datetime | None,
                    posted_before: datetime | None, page_size: int,
                    next_token: str | None) -> tuple[list[MoneyEvent], str | None]:
        """listFinancialEventsByGroupId: the group's events by posted date, paged by event."""
        self.catch_up()
        if next_token:
            state = _decode_token(next_token)
            try:
                offset, page_size = int(state["offset"]), int(state["size"])
                group_id = str(state["group"])
                posted_after = _opt_time(state.get("after"))
                posted_before = _opt_time(state.get("before"))
            except (KeyError, ValueError, TypeError) as exc:
                raise FinanceError(400, "InvalidInput", "Invalid NextToken") from exc
        else:
            offset = 0
            if not 1 <= page_size <= 100:
                raise FinanceError(400, "InvalidInput", "MaxResultsPerPage must be between 1 and 100")
            if posted_after and posted_before and posted_after >= posted_before:
                raise FinanceError(400, "InvalidInput", "PostedAfter must be before PostedBefore")
        group = self.groups.get(group_id)
        if group is None or group.seller_id != seller_id:
            raise FinanceError(404, "NotFound", f"Financial event group {group_id} not found")
        events = sorted(group.events, key=lambda e: e.posted)
        events = [e for e in events if (posted_after is None or e.posted >= posted_after)
                  and (posted_before is None or e.posted < posted_before)]
        token = None
        if offset + page_size < len(events):
            token = _encode_token({
                "offset": offset + page_size, "size": page_size, "group": group_id,
                "after": posted_after.isoformat() if posted_after else None,
                "before": posted_before.isoformat() if posted_before else None})
        return events[offset:offset + page_size], token

    def truth(self, seller_id: str | None = None) -> list[GroupTruth]:
        """Per group (closed and open): totals by kind and per order, as posted."""
        self.catch_up()
        out: list[GroupTruth] = []
        for group in sorted(self.groups.values(), key=lambda g: (g.seller_id, g.marketplace_id,
                                                                 g.start)):
            if seller_id and group.seller_id != seller_id:
                continue
            by_kind: dict[str, Decimal] = {}
            by_order: dict[str, dict[str, Decimal]] = {}
            rows = 0
            for event in group.events:
                for a in event.components():
                    rows += 1
                    by_kind[a.kind] = by_kind.get(a.kind, _ZERO) + a.amount
                    if event.order_id:
                        kinds = by_order.setdefault(event.order_id, {})
                        kinds[a.kind] = kinds.get(a.kind, _ZERO) + a.amount
            out.append(GroupTruth(
                group_id=group.group_id, settlement_id=group.settlement_id,
                seller_id=group.seller_id, marketplace_id=group.marketplace_id,
                currency=group.currency, status=group.status, start=group.start, end=group.end,
                transfer_date=group.transfer_date, total=group.total,
                payout_currency=group.payout_currency, converted_total=group.converted_total,
                events=len(group.events), rows=rows, by_kind=by_kind, by_order=by_order,
                report_ids=tuple(group.report_ids), malformed_line=group.malformed_line))
        return out


def _digits(seed: int, what: str, key: object, n: int) -> str:
    return str(_rng(seed, what, key).randrange(10 ** (n - 1), 10**n))


def _encode_token(state: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode_token(token: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError as exc:
        raise FinanceError(400, "InvalidInput", "Invalid NextToken") from exc
    if not isinstance(state, dict):
        raise FinanceError(400, "InvalidInput", "Invalid NextToken")
    return state


def _opt_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --------------------------------------------------------------------------- rendering


def _currency(amount: Decimal, code: str) -> dict[str, Any]:
    return {"CurrencyCode": code, "CurrencyAmount": float(amount)}


def group_json(group: Group) -> dict[str, Any]:
    """A ``FinancialEventGroup``: open groups show their current balance and no end/transfer."""
    body: dict[str, Any] = {
        "FinancialEventGroupId": group.group_id,
        "ProcessingStatus": group.status,
        "OriginalTotal": _currency(group.total, group.currency),
        "BeginningBalance": _currency(_ZERO, group.currency),
        "FinancialEventGroupStart": iso(group.start),
    }
    if group.status == "Closed":
        assert group.transfer_date is not None and group.converted_total is not None
        body.update({
            "FundTransferStatus": "Succeeded",
            "ConvertedTotal": _currency(group.converted_total, group.payout_currency),
            "FundTransferDate": iso(group.transfer_date),
            "TraceId": f"{group.settlement_id[-8:]}SIM{group.number:04d}",
            "AccountTail": group.settlement_id[-3:],
            "FinancialEventGroupEnd": iso(group.end),
        })
    return body


def _charge_list(amounts: Iterable[Amount], currency: str, part: V0Part,
                 key: tuple[str, str]) -> list[dict[str, Any]]:
    return [{key[0]: a.type, key[1]: _currency(a.amount, currency)} for a in amounts
            if a.part == part]


def _item_json(item: ItemMoney, currency: str, refund: bool) -> dict[str, Any]:
    suffix = "AdjustmentList" if refund else "List"
    body: dict[str, Any] = {"SellerSKU": item.sku, "OrderItemId": item.order_item_id,
                            "QuantityShipped": item.quantity}
    if item.adjustment_id:
        body["OrderAdjustmentItemId"] = item.adjustment_id
    charges = _charge_list(item.amounts, currency, "charge", ("ChargeType", "ChargeAmount"))
    fees = _charge_list(item.amounts, currency, "fee", ("FeeType", "FeeAmount"))
    promotions = [{"PromotionType": a.type, "PromotionId": a.promotion_id or "",
                   "PromotionAmount": _currency(a.amount, currency)}
                  for a in item.amounts if a.part == "promotion"]
    withheld = _charge_list(item.amounts, currency, "withheld", ("ChargeType", "ChargeAmount"))
    if charges:
        body[f"ItemCharge{suffix}"] = charges
    if fees:
        body[f"ItemFee{suffix}"] = fees
    if promotions:
        body[f"Promotion{suffix}"] = promotions
    if withheld:
        body["ItemTaxWithheldList"] = [{"TaxCollectionModel": "MarketplaceFacilitator",
                                        "TaxesWithheld": withheld}]
    return body


def _event_json(event: MoneyEvent) -> tuple[str, dict[str, Any]]:
    cur, mp = event.currency, by_id(event.marketplace_id)
    if event.event_type in ("Shipment", "Refund"):
        refund = event.event_type == "Refund"
        body: dict[str, Any] = {"AmazonOrderId": event.order_id, "MarketplaceName": mp.name,
                                "PostedDate": iso(event.posted)}
        if event.seller_order_id:
            body["SellerOrderId"] = event.seller_order_id
        items = [_item_json(i, cur, refund) for i in event.items]
        body["ShipmentItemAdjustmentList" if refund else "ShipmentItemList"] = items
        return ("RefundEventList" if refund else "ShipmentEventList"), body
    if event.event_type == "ServiceFee":
        return "ServiceFeeEventList", {
            "FeeDescription": event.description or "",
            "FeeList": _charge_list(event.amounts, cur, "fee", ("FeeType", "FeeAmount"))}
    if event.event_type == "ProductAds":
        total = event.total
        return "ProductAdsPaymentEventList", {
            "postedDate": iso(event.posted), "transactionType": "Charge",
            "invoiceId": event.description or "", "baseValue": _currency(total, cur),
            "taxValue": _currency(_ZERO, cur), "transactionValue": _currency(total, cur)}
    amount = event.total
    body = {"AdjustmentType": event.description or "", "PostedDate": iso(event.posted),
            "AdjustmentAmount": _currency(amount, cur)}
    if event.sku:
        qty = event.quantity or 1
        body["AdjustmentItemList"] = [{
            "Quantity": str(qty), "PerUnitAmount": _currency(money(amount / qty, cur), cur),
            "TotalAmount": _currency(amount, cur), "SellerSKU": event.sku}]
    return "AdjustmentEventList", body


def events_json(events: Sequence[MoneyEvent]) -> dict[str, Any]:
    """``FinancialEvents``: the events sorted into Amazon's lists (empty lists present, as
    Amazon sends them)."""
    lists: dict[str, list[dict[str, Any]]] = {
        key: [] for key in ("ShipmentEventList", "RefundEventList", "GuaranteeClaimEventList",
                            "ChargebackEventList", "ServiceFeeEventList",
                            "ProductAdsPaymentEventList", "AdjustmentEventList",
                            "RetrochargeEventList", "CouponPaymentEventList",
                            "SellerDealPaymentEventList", "DebtRecoveryEventList",
                            "FBALiquidationEventList", "RemovalShipmentEventList",
                            "TaxWithholdingEventList")}
    for event in events:
        key, body = _event_json(event)
        lists[key].append(body)
    return lists


def settlement_rows(group: Group) -> Iterable[dict[str, str]]:
    """The settlement report V2 rows of a closed group: the summary row, then one per amount."""
    loc = locale_of(group.marketplace)
    assert group.transfer_date is not None
    yield {"settlement-id": group.settlement_id,
           "settlement-start-date": loc.moment(group.start),
           "settlement-end-date": loc.moment(group.end),
           "deposit-date": loc.moment(group.transfer_date),
           "total-amount": loc.amount(group.total), "currency": group.currency}
    for event in sorted(group.events, key=lambda e: e.posted):
        base = {"settlement-id": group.settlement_id, "transaction-type": event.transaction_type,
                "order-id": event.order_id or "", "merchant-order-id": event.seller_order_id or "",
                "adjustment-id": event.adjustment_id or "", "shipment-id": event.shipment_id or "",
                "marketplace-name": group.marketplace.name if event.order_id else "",
                "fulfillment-id": event.fulfillment or "", "posted-date": loc.day(event.posted),
                "posted-date-time": loc.moment(event.posted)}
        for item in event.items:
            for a in item.amounts:
                yield {**base, "amount-type": a.amount_type, "amount-description": a.description,
                       "amount": loc.amount(a.amount), "order-item-code": item.order_item_id,
                       "merchant-adjustment-item-id": item.adjustment_id or "", "sku": item.sku,
                       "quantity-purchased": str(item.quantity),
                       "promotion-id": a.promotion_id or ""}
        for a in event.amounts:
            yield {**base, "amount-type": a.amount_type, "amount-description": a.description,
                   "amount": loc.amount(a.amount), "sku": event.sku or "",
                   "quantity-purchased": str(event.quantity) if event.quantity else ""}


def _spoil(content: bytes, rng: random.Random) -> tuple[bytes, int | None]:
    """One amount of the report made unreadable (a letter O for a zero, as OCRed or hand-edited
    files have): the content and the line (1 = header) spoiled; the summary line is kept."""
    lines = content.decode("utf-8").split("\n")
    column = SETTLEMENT_COLUMNS.index("amount")
    candidates = [n for n in range(2, len(lines)) if lines[n] and lines[n].split("\t")[column]]
    if not candidates:
        return content, None
    n = rng.choice(candidates)
    cells = lines[n].split("\t")
    cells[column] = cells[column][:-1] + "O"
    lines[n] = "\t".join(cells)
    return "\n".join(lines).encode("utf-8"), n + 1


def settlement_report(group: Group) -> bytes:
    """The flat file (tab-separated, header line, UTF-8) of a closed group."""
    lines = ["\t".join(SETTLEMENT_COLUMNS)]
    lines.extend("\t".join(row.get(col, "") for col in SETTLEMENT_COLUMNS)
                 for row in settlement_rows(group))
    return ("\n".join(lines) + "\n").encode("utf-8")
