"""Prices per SKU and marketplace, pure: what to send to Amazon, what to refuse, and how to send it.

Input: for each SKU and marketplace, the price of the marketplace's Odoo pricelist (in that
pricelist's currency), an optional sale price with its start and end, an optional business (B2B)
price, and the product's cost. Output: a :class:`PricePlan`: the updates to send, the prices
refused (each with a message for the quarantine, never sent), and the delivery (``patch`` for a
few, ``feed`` for many).

Guards, per price (regular, sale and business alike):

* currency: the price's currency must be the marketplace's (Amazon.de sells in EUR, Amazon.co.uk
  in GBP): a pricelist in another currency is refused, never converted here; the cost must be in
  the same currency as the price (the flow converts it first, with a dated rate).
* floor: ``cost × (1 + margin %) + margin amount`` from :class:`PriceRules`; a price below it is
  refused. When a floor is configured and the cost is unknown, the price is refused too: a guard
  that cannot be checked does not pass.
* jump: a regular price more than ``max_change_percent`` away from the last price Amazon accepted
  is refused, unless the operator approved exactly that price (``approved``) after reading the
  quarantine item.
* sanity: positive, at most the currency's decimals (rounded half-up to them), a sale price below
  the regular price with its start before its end; a sale that has ended is not sent.

Amounts are Decimal throughout; they become JSON numbers only in :func:`price_patches`, where each
one is checked to survive the trip to a float and back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Literal

from ..marketplaces import by_id

__all__ = [
    "MAX_FEED_MESSAGES",
    "Delivery",
    "PriceInput",
    "PricePlan",
    "PriceRules",
    "PriceUpdate",
    "RefusedPrice",
    "RefusalRule",
    "SalePrice",
    "SentPrice",
    "build_price_feeds",
    "currency_decimals",
    "plan_prices",
    "price_patches",
]

MAX_FEED_MESSAGES = 25_000
Delivery = Literal["none", "patch", "feed"]
#: Currencies Amazon prices without minor units.
_NO_DECIMALS = frozenset({"JPY"})
_HUNDRED = Decimal(100)


def currency_decimals(currency: str) -> int:
    return 0 if currency in _NO_DECIMALS else 2


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.{currency_decimals(currency)}f} {currency}"


def _percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP).normalize():f} %"


@dataclass(frozen=True, kw_only=True)
class PriceRules:
    """Guards of one marketplace (or of all, as a default)."""

    #: floor = cost × (1 + margin_percent / 100) + margin_amount; None: no floor.
    margin_percent: Decimal | None = Decimal(0)
    margin_amount: Decimal = Decimal(0)
    #: A regular price further than this from the last one accepted is refused; None: no limit.
    max_change_percent: Decimal | None = Decimal(30)
    #: Fewer updates than this go out as patchListingsItem calls; more as one feed.
    feed_min_messages: int = 100

    def __post_init__(self) -> None:
        if self.margin_percent is not None and self.margin_percent < 0:
            raise ValueError("margin_percent must not be negative")
        if self.max_change_percent is not None and self.max_change_percent <= 0:
            raise ValueError("max_change_percent must be positive")
        if self.feed_min_messages < 1:
            raise ValueError("feed_min_messages must be at least 1")

    def floor(self, cost: Decimal) -> Decimal:
        assert self.margin_percent is not None
        return cost * (1 + self.margin_percent / _HUNDRED) + self.margin_amount


@dataclass(frozen=True, kw_only=True)
class SalePrice:
    amount: Decimal
    start: datetime
    end: datetime


@dataclass(frozen=True, kw_only=True)
class PriceInput:
    """One SKU in one marketplace, as Odoo prices it."""

    sku: str
    marketplace_id: str
    currency: str
    price: Decimal
    sale: SalePrice | None = None
    business_price: Decimal | None = None
    cost: Decimal | None = None
    cost_currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class SentPrice:
    """What Amazon last accepted for a SKU in a marketplace."""

    currency: str
    price: Decimal
    sale: SalePrice | None = None
    business_price: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class PriceUpdate:
    """A price to send: every amount in ``currency``, the marketplace's."""

    sku: str
    marketplace_id: str
    currency: str
    price: Decimal
    sale: SalePrice | None = None
    business_price: Decimal | None = None
    #: The business price Amazon has and this update removes.
    remove_business_price: bool = False

    def as_sent(self) -> SentPrice:
        return SentPrice(currency=self.currency, price=self.price, sale=self.sale,
                         business_price=self.business_price)


class RefusalRule(StrEnum):
    CURRENCY = "currency"
    FLOOR = "floor"
    JUMP = "jump"
    INVALID = "invalid"
    NO_COST = "no_cost"


@dataclass(frozen=True, kw_only=True)
class RefusedPrice:
    """A price that must not reach Amazon; ``message`` says why, for the quarantine."""

    sku: str
    marketplace_id: str
    currency: str
    price: Decimal
    rule: RefusalRule
    message: str


@dataclass(frozen=True, kw_only=True)
class PricePlan:
    updates: tuple[PriceUpdate, ...] = ()
    refused: tuple[RefusedPrice, ...] = ()
    unchanged: tuple[tuple[str, str], ...] = ()
    delivery: Delivery = "none"
    #: Updates with a sale that ended already: sent without it.
    expired_sales: tuple[tuple[str, str], ...] = field(default=())


def _quantize(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_decimals(currency)), rounding=rounding)


def _rules_for(rules: PriceRules | Mapping[str, PriceRules], marketplace_id: str) -> PriceRules:
    if isinstance(rules, PriceRules):
        return rules
    return rules.get(marketplace_id) or rules.get("*") or PriceRules()


class _Refusal(Exception):
    def __init__(self, rule: RefusalRule, message: str) -> None:
        super().__init__(message)
        self.rule, self.message = rule, message


def _check(item: PriceInput, rules: PriceRules, last: SentPrice | None,
           approved: Decimal | None, now: datetime) -> tuple[PriceUpdate, bool]:
    """The update for one input, or :class:`_Refusal`; the bool says a sale has expired."""
    where = f"{item.sku} on {by_id(item.marketplace_id).name}"
    currency = by_id(item.marketplace_id).currency
    if item.currency != currency:
        raise _Refusal(RefusalRule.CURRENCY, f"{where}: the price is in {item.currency}, the "
                       f"marketplace sells in {currency}; use a pricelist in {currency}")
    amounts = [item.price] + ([item.sale.amount] if item.sale else []) + (
        [item.business_price] if item.business_price is not None else [])
    for amount in amounts:
        # Checked once rounded to the currency: 0.001 EUR would be sent as 0.00.
        if not amount.is_finite() or _quantize(amount, currency) <= 0:
            raise _Refusal(RefusalRule.INVALID, f"{where}: {amount} {currency} is not a price "
                           "(it must be a positive amount)")
    price = _quantize(item.price, currency)
    business = None if item.business_price is None else _quantize(item.business_price, currency)
    sale, expired = item.sale, False
    if sale is not None:
        if sale.start.tzinfo is None or sale.end.tzinfo is None:
            raise _Refusal(RefusalRule.INVALID, f"{where}: the sale's dates need a time zone")
        if sale.end <= sale.start:
            raise _Refusal(RefusalRule.INVALID, f"{where}: the sale ends ({sale.end:%Y-%m-%d %H:%M}) "
                           f"before it starts ({sale.start:%Y-%m-%d %H:%M})")
        if sale.end <= now:
            sale, expired = None, True
        else:
            sale = SalePrice(amount=_quantize(sale.amount, currency), start=sale.start, end=sale.end)
            if sale.amount >= price:
                raise _Refusal(RefusalRule.INVALID, f"{where}: the sale price "
                               f"{_money(sale.amount, currency)} is not below the price "
                               f"{_money(price, currency)}")
    if rules.margin_percent is not None:
        if item.cost is None:
            raise _Refusal(RefusalRule.NO_COST, f"{where}: no cost is known, so the floor (cost + "
                           "margin) cannot be checked; set the product's cost in Odoo")
        if (item.cost_currency or item.currency) != currency:
            raise _Refusal(RefusalRule.CURRENCY, f"{where}: the cost is in {item.cost_currency}, the "
                           f"price in {currency}; the cost must be converted first")
        # Rounded up: a price one cent under the exact floor is under the floor.
        floor = _quantize(rules.floor(item.cost), currency, ROUND_CEILING)
        why = (f"cost {_money(item.cost, currency)} + {_percent(rules.margin_percent)}"
               + (f" + {_money(rules.margin_amount, currency)}" if rules.margin_amount else ""))
        checked: list[tuple[str, Decimal | None]] = [
            ("price", price), ("sale price", sale.amount if sale else None), ("business price", business)]
        for label, value in checked:
            if value is not None and value < floor:
                raise _Refusal(RefusalRule.FLOOR, f"{where}: the {label} {_money(value, currency)} "
                               f"is below the floor {_money(floor, currency)} ({why})")
    if (rules.max_change_percent is not None and last is not None and last.currency == currency
            and last.price > 0 and price != last.price and price != approved):
        change = (price - last.price) / last.price * _HUNDRED
        if abs(change) > rules.max_change_percent:
            direction = "above" if change > 0 else "below"
            raise _Refusal(RefusalRule.JUMP, f"{where}: the price {_money(price, currency)} is "
                           f"{_percent(abs(change))} {direction} the last price sent "
                           f"{_money(last.price, currency)} (at most "
                           f"{_percent(rules.max_change_percent)} allowed); approve it to send it")
    remove_business = business is None and last is not None and last.business_price is not None
    return PriceUpdate(sku=item.sku, marketplace_id=item.marketplace_id, currency=currency,
                       price=price, sale=sale, business_price=business,
                       remove_business_price=remove_business), expired


def plan_prices(inputs: Iterable[PriceInput], last_sent: Mapping[tuple[str, str], SentPrice], *,
                rules: PriceRules | Mapping[str, PriceRules], now: datetime,
                approved: Mapping[tuple[str, str], Decimal] | None = None) -> PricePlan:
    """Decide, for each SKU and marketplace, to send, refuse or leave its price.

    ``last_sent`` and ``approved`` are keyed ``(sku, marketplace_id)``; ``rules`` is one
    :class:`PriceRules` or one per marketplace id (``"*"``: the default)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    approved = approved or {}
    updates: list[PriceUpdate] = []
    refused: list[RefusedPrice] = []
    unchanged: list[tuple[str, str]] = []
    expired: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    feed_min = None
    for item in inputs:
        key = (item.sku, item.marketplace_id)
        if key in seen:
            raise ValueError(f"{item.sku} in {item.marketplace_id} is priced twice")
        seen.add(key)
        rules_here = _rules_for(rules, item.marketplace_id)
        feed_min = rules_here.feed_min_messages if feed_min is None else min(feed_min,
                                                                             rules_here.feed_min_messages)
        last = last_sent.get(key)
        try:
            update, sale_expired = _check(item, rules_here, last, approved.get(key), now)
        except _Refusal as refusal:
            refused.append(RefusedPrice(sku=item.sku, marketplace_id=item.marketplace_id,
                                        currency=item.currency, price=item.price,
                                        rule=refusal.rule, message=refusal.message))
            continue
        if sale_expired:
            expired.append(key)
        if last is not None and update.as_sent() == last:
            unchanged.append(key)
            continue
        updates.append(update)
    delivery: Delivery = "none"
    if updates:
        delivery = "feed" if len(updates) >= (feed_min or 1) else "patch"
    return PricePlan(updates=tuple(updates), refused=tuple(refused), unchanged=tuple(unchanged),
                     delivery=delivery, expired_sales=tuple(expired))


# -- what Amazon receives -----------------------------------------------------------------


def _number(amount: Decimal) -> float:
    value = float(amount)
    if Decimal(repr(value)) != amount:  # numeric comparison: 12.5 == 12.50
        raise ValueError(f"{amount} does not survive JSON as a number")
    return value


def _schedule(amount: Decimal, sale: SalePrice | None = None) -> list[dict[str, Any]]:
    entry: dict[str, Any] = {"value_with_tax": _number(amount)}
    if sale is not None:
        entry["start_at"] = sale.start.isoformat().replace("+00:00", "Z")
        entry["end_at"] = sale.end.isoformat().replace("+00:00", "Z")
    return [{"schedule": [entry]}]


def price_patches(update: PriceUpdate) -> list[dict[str, Any]]:
    """The JSON patches of ``purchasable_offer`` (patchListingsItem and feed PATCH messages):
    one offer per audience, each in the marketplace's currency."""
    consumer: dict[str, Any] = {"marketplace_id": update.marketplace_id, "currency": update.currency,
                                "audience": "ALL", "our_price": _schedule(update.price)}
    if update.sale is not None:
        consumer["discounted_price"] = _schedule(update.sale.amount, update.sale)
    offers = [consumer]
    if update.business_price is not None:
        offers.append({"marketplace_id": update.marketplace_id, "currency": update.currency,
                       "audience": "B2B", "our_price": _schedule(update.business_price)})
    patches: list[dict[str, Any]] = [{"op": "replace", "path": "/attributes/purchasable_offer",
                                      "value": offers}]
    if update.remove_business_price:
        patches.append({"op": "delete", "path": "/attributes/purchasable_offer", "value": [
            {"marketplace_id": update.marketplace_id, "currency": update.currency,
             "audience": "B2B"}]})
    return patches


@dataclass(frozen=True, kw_only=True)
class PriceFeed:
    """One JSON_LISTINGS_FEED document and the update each ``messageId`` carries."""

    content: bytes
    messages: Mapping[int, PriceUpdate]


def build_price_feeds(seller_id: str, updates: Sequence[PriceUpdate], *, product_types: Mapping[str, str],
                      max_messages: int = MAX_FEED_MESSAGES) -> list[PriceFeed]:
    """Feeds of PATCH messages, one per SKU; a feed is for one marketplace (Amazon applies a
    feed to the marketplaces it was created for), so updates of several are refused."""
    if not 1 <= max_messages <= MAX_FEED_MESSAGES:
        raise ValueError(f"max_messages must be 1..{MAX_FEED_MESSAGES}")
    if len({u.marketplace_id for u in updates}) > 1:
        raise ValueError("one price feed per marketplace")
    feeds = []
    ordered = sorted(updates, key=lambda u: u.sku)
    for start in range(0, len(ordered), max_messages):
        chunk = {n: u for n, u in enumerate(ordered[start:start + max_messages], start=1)}
        body = {"header": {"sellerId": seller_id, "version": "2.0"},
                "messages": [{"messageId": n, "sku": u.sku, "operationType": "PATCH",
                              "productType": product_types.get(u.sku, "PRODUCT"),
                              "patches": price_patches(u)} for n, u in chunk.items()]}
        feeds.append(PriceFeed(content=json.dumps(body, separators=(",", ":")).encode(),
                               messages=chunk))
    return feeds
