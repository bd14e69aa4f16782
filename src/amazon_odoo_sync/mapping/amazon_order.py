"""Amazon orders as one canonical, frozen model, parsed from the Orders API v2026-01-01.

Everything downstream (sale order plan, partner plan, status decisions, stock reservations) reads
this model, never raw JSON, so a second source (Orders v0, the order report) only needs a parser.

Amounts follow Amazon's proceeds breakdowns per item: ``ITEM``, ``SHIPPING``, ``GIFT_WRAP`` and
``DISCOUNT`` (detailed by subtype ``ITEM``/``SHIPPING``/``GIFT_WRAP``) are what the buyer was
charged, VAT included on tax-included marketplaces; ``TAX`` is the tax in those amounts there,
and is added on top of them on tax-excluded marketplaces (US, CA). Discounts are kept as positive
numbers that reduce the order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..amazon.marketplaces import Marketplace, by_id
from ..exceptions import DataError
from .money import ZERO, Money, parse_money

__all__ = [
    "Address",
    "AmazonOrder",
    "AmazonOrderItem",
    "Buyer",
    "TaxRegistration",
    "parse_order_v2026",
]


@dataclass(frozen=True, kw_only=True)
class Address:
    name: str | None = None
    company: str | None = None
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = None

    def fingerprint(self) -> str:
        """A stable hash of the normalised address: deduplicates delivery addresses."""
        parts = [self.name, self.company, self.street, self.street2, self.city, self.state, self.zip,
                 self.country_code]
        text = "|".join(" ".join((p or "").lower().split()) for p in parts)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.street or self.city or self.zip)


@dataclass(frozen=True, kw_only=True)
class TaxRegistration:
    number: str
    kind: str | None = None
    legal_name: str | None = None
    address: Address | None = None


@dataclass(frozen=True, kw_only=True)
class Buyer:
    name: str | None = None
    email: str | None = None
    company: str | None = None
    purchase_order_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class AmazonOrderItem:
    order_item_id: str
    sku: str
    asin: str | None
    title: str | None
    quantity: int
    quantity_shipped: int
    unit_price: Decimal | None
    item_amount: Decimal
    item_tax: Decimal = ZERO
    shipping_amount: Decimal = ZERO
    shipping_tax: Decimal = ZERO
    gift_wrap_amount: Decimal = ZERO
    gift_wrap_tax: Decimal = ZERO
    item_discount: Decimal = ZERO
    shipping_discount: Decimal = ZERO
    gift_wrap_discount: Decimal = ZERO
    discount_tax: Decimal = ZERO
    promotion_ids: tuple[str, ...] = ()
    gift_message: str | None = None
    gift_wrap_level: str | None = None
    marketplace_facilitator_tax: bool = False
    cancelled: bool = False

    @property
    def tax(self) -> Decimal:
        return self.item_tax + self.shipping_tax + self.gift_wrap_tax - self.discount_tax


@dataclass(frozen=True, kw_only=True)
class AmazonOrder:
    order_id: str
    marketplace_id: str
    currency: str
    purchase_date: datetime
    last_updated: datetime
    status: str  # FulfillmentStatus: PENDING, UNSHIPPED, PARTIALLY_SHIPPED, SHIPPED, CANCELLED, ...
    fulfilled_by: str  # MERCHANT or AMAZON
    items: tuple[AmazonOrderItem, ...]
    buyer: Buyer = field(default_factory=Buyer)
    shipping_address: Address | None = None
    tax_registrations: tuple[TaxRegistration, ...] = ()
    programs: tuple[str, ...] = ()
    grand_total: Decimal | None = None
    service_level: str | None = None

    @property
    def marketplace(self) -> Marketplace:
        return by_id(self.marketplace_id)

    @property
    def is_fba(self) -> bool:
        return self.fulfilled_by == "AMAZON"

    @property
    def is_business(self) -> bool:
        return "AMAZON_BUSINESS" in self.programs or bool(self.tax_registrations)

    @property
    def has_prices(self) -> bool:
        """Pending orders carry no prices yet."""
        return self.status not in ("PENDING", "PENDING_AVAILABILITY")

    def seller_tax(self) -> Decimal:
        """The tax in :meth:`seller_total`: what the seller owes of Amazon's tax (all of it on
        tax-included marketplaces, none of what Amazon collects as marketplace facilitator)."""
        include = self.marketplace.prices_include_tax
        return sum((item.tax for item in self.items if include or not item.marketplace_facilitator_tax), ZERO)

    def seller_total(self) -> Decimal:
        """What the order is worth to the seller, VAT included where the seller owes it.

        Goods + shipping + gift wrap − discounts, plus tax on tax-excluded marketplaces unless
        Amazon collects it as marketplace facilitator (then it is not the seller's revenue)."""
        total = ZERO
        include = self.marketplace.prices_include_tax
        for item in self.items:
            total += (item.item_amount + item.shipping_amount + item.gift_wrap_amount
                      - item.item_discount - item.shipping_discount - item.gift_wrap_discount)
            if not include and not item.marketplace_facilitator_tax:
                total += item.tax
        return total


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise DataError(f"{where}: expected an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DataError(f"{where}: {value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise DataError(f"{where}: {value!r} has no time zone")
    return parsed


def _address(raw: Any) -> Address | None:
    if not isinstance(raw, dict):
        return None
    address = Address(
        name=_text(raw.get("name")), company=_text(raw.get("companyName")),
        street=_text(raw.get("addressLine1")),
        street2=_text(" ".join(p for p in (raw.get("addressLine2"), raw.get("addressLine3")) if p)),
        city=_text(raw.get("city") or raw.get("municipality")), state=_text(raw.get("stateOrRegion")),
        zip=_text(raw.get("postalCode")), country_code=_text(raw.get("countryCode")),
        phone=_text(raw.get("phone")),
    )
    return None if address.is_empty else address


def _breakdowns(item: dict[str, Any], currency: str, where: str) -> dict[str, Decimal]:
    """Flatten an item's proceeds breakdowns into named amounts."""
    amounts: dict[str, Decimal] = {}

    def add(name: str, money: Money | None) -> None:
        if money is not None:
            amounts[name] = amounts.get(name, ZERO) + money.amount

    proceeds = item.get("proceeds") or {}
    for index, breakdown in enumerate(proceeds.get("breakdowns") or []):
        kind = breakdown.get("type")
        here = f"{where}.proceeds.breakdowns[{index}]"
        subtotal = parse_money(breakdown.get("subtotal"), f"{here}.subtotal", currency)
        details = breakdown.get("detailedBreakdowns") or []
        if kind in ("TAX", "DISCOUNT") and details:
            for d_index, detail in enumerate(details):
                add(f"{kind}.{detail.get('subtype', 'ITEM')}",
                    parse_money(detail.get("value"), f"{here}.detailedBreakdowns[{d_index}]", currency))
        elif kind in ("TAX", "DISCOUNT"):
            add(f"{kind}.ITEM", subtotal)
        else:
            add(str(kind), subtotal)
    return amounts


def _item(raw: Any, index: int, currency: str, order_cancelled: bool) -> AmazonOrderItem:
    where = f"orderItems[{index}]"
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected an object")
    product = raw.get("product") or {}
    sku = _text(product.get("sellerSku"))
    if not sku:
        raise DataError(f"{where}.product.sellerSku is missing")
    item_id = _text(raw.get("orderItemId"))
    if not item_id:
        raise DataError(f"{where}.orderItemId is missing")
    quantity = raw.get("quantityOrdered")
    if not isinstance(quantity, int) or quantity < 0:
        raise DataError(f"{where}.quantityOrdered must be a non-negative integer, got {quantity!r}")
    price = parse_money((product.get("price") or {}).get("unitPrice"), f"{where}.product.price.unitPrice",
                        currency)
    amounts = _breakdowns(raw, currency, where)
    item_amount = amounts.get("ITEM")
    if item_amount is None:
        item_amount = price.amount * quantity if price is not None else ZERO
    fulfillment = raw.get("fulfillment") or {}
    gift = ((fulfillment.get("packing") or {}).get("giftOption")) or {}
    collections = ((raw.get("tax") or {}).get("taxCollections")) or []
    promotions = ((raw.get("promotion") or {}).get("breakdowns")) or []
    cancellation = raw.get("cancellation") or {}
    return AmazonOrderItem(
        order_item_id=item_id,
        sku=sku,
        asin=_text(product.get("asin")),
        title=_text(product.get("title")),
        quantity=quantity,
        quantity_shipped=int(fulfillment.get("quantityFulfilled") or 0),
        unit_price=price.amount if price is not None else None,
        item_amount=item_amount,
        item_tax=amounts.get("TAX.ITEM", ZERO),
        shipping_amount=amounts.get("SHIPPING", ZERO),
        shipping_tax=amounts.get("TAX.SHIPPING", ZERO),
        gift_wrap_amount=amounts.get("GIFT_WRAP", ZERO),
        gift_wrap_tax=amounts.get("TAX.GIFT_WRAP", ZERO),
        item_discount=abs(amounts.get("DISCOUNT.ITEM", ZERO)),
        shipping_discount=abs(amounts.get("DISCOUNT.SHIPPING", ZERO)),
        gift_wrap_discount=abs(amounts.get("DISCOUNT.GIFT_WRAP", ZERO)),
        discount_tax=abs(amounts.get("TAX.DISCOUNT", ZERO)),
        promotion_ids=tuple(p["promotionId"] for p in promotions if isinstance(p, dict)
                            and p.get("promotionId")),
        gift_message=_text(gift.get("giftMessage")),
        gift_wrap_level=_text(gift.get("giftWrapLevel")),
        marketplace_facilitator_tax=any(c.get("model") == "MARKETPLACE_FACILITATOR"
                                        for c in collections if isinstance(c, dict)),
        cancelled=order_cancelled or bool(cancellation.get("cancellationExecution")),
    )


def parse_order_v2026(raw: Any) -> AmazonOrder:
    """An ``Order`` of Orders API v2026-01-01 → :class:`AmazonOrder`.

    Raises DataError naming the field when the document cannot be understood; the caller puts the
    order in quarantine with that reason."""
    if not isinstance(raw, dict):
        raise DataError("order: expected an object")
    order_id = _text(raw.get("orderId"))
    if not order_id:
        raise DataError("orderId is missing")
    channel = raw.get("salesChannel") or {}
    marketplace_id = _text(channel.get("marketplaceId"))
    if not marketplace_id:
        raise DataError(f"order {order_id}: salesChannel.marketplaceId is missing")
    try:
        marketplace = by_id(marketplace_id)
    except KeyError as exc:
        raise DataError(f"order {order_id}: {exc.args[0]}") from None
    fulfillment = raw.get("fulfillment") or {}
    status = _text(fulfillment.get("fulfillmentStatus"))
    if not status:
        raise DataError(f"order {order_id}: fulfillment.fulfillmentStatus is missing")
    proceeds = raw.get("proceeds") or {}
    grand_total = parse_money(proceeds.get("grandTotal"), "proceeds.grandTotal")
    currency = grand_total.currency if grand_total else marketplace.currency
    items_raw = raw.get("orderItems")
    if not isinstance(items_raw, list):
        raise DataError(f"order {order_id}: orderItems is missing")
    cancelled = status == "CANCELLED"
    try:
        items = tuple(_item(item, i, currency, cancelled) for i, item in enumerate(items_raw))
    except DataError as exc:
        raise DataError(f"order {order_id}: {exc.message}") from None
    buyer_raw = raw.get("buyer") or {}
    registrations = []
    for reg in ((raw.get("tax") or {}).get("taxRegistrations")) or []:
        number = _text(reg.get("taxRegistrationNumber")) if isinstance(reg, dict) else None
        if number:
            registrations.append(TaxRegistration(
                number=number, kind=_text(reg.get("taxRegistrationType")),
                legal_name=_text(reg.get("legalName")), address=_address(reg.get("taxRegistrationAddress"))))
    return AmazonOrder(
        order_id=order_id,
        marketplace_id=marketplace_id,
        currency=currency,
        purchase_date=_time(raw.get("createdTime"), f"order {order_id}: createdTime"),
        last_updated=_time(raw.get("lastUpdatedTime"), f"order {order_id}: lastUpdatedTime"),
        status=status,
        fulfilled_by=_text(fulfillment.get("fulfilledBy")) or "MERCHANT",
        items=items,
        buyer=Buyer(name=_text(buyer_raw.get("buyerName")), email=_text(buyer_raw.get("buyerEmail")),
                    company=_text(buyer_raw.get("buyerCompanyName")),
                    purchase_order_number=_text(buyer_raw.get("buyerPurchaseOrderNumber"))),
        shipping_address=_address((raw.get("recipient") or {}).get("deliveryAddress")),
        tax_registrations=tuple(registrations),
        programs=tuple(str(p) for p in raw.get("programs") or ()),
        grand_total=grand_total.amount if grand_total else None,
        service_level=_text(fulfillment.get("fulfillmentServiceLevel")),
    )
