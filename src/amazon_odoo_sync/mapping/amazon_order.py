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
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..exceptions import DataError
from ..marketplaces import Marketplace, by_id
from .money import ZERO, Money, parse_money

#: More units than any order line has: a number beyond is a damaged document.
MAX_UNITS = 1_000_000

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


# Amazon's documents are JSON from outside: every shape is checked where it is read, so a
# malformed one is refused with a DataError naming the field (quarantine), never an
# AttributeError or TypeError that would fail the whole batch it came with.

#: Characters no PostgreSQL (ours, Odoo's) can store: one in a partner name would fail the
#: whole batch it is created with.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _text(value: Any, where: str = "a text field") -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise DataError(f"{where}: expected text, got {type(value).__name__}")
    text = _UNSTORABLE.sub("\ufffd", str(value)).strip()
    return text or None


def _object(value: Any, where: str) -> dict[str, Any]:
    """A JSON object that may be absent (then empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    """A JSON array that may be absent (then empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise DataError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _count(value: Any, where: str) -> int:
    """A number of units: a non-negative integer (absent: 0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_UNITS:
        raise DataError(f"{where} must be a non-negative integer, got {value!r}")
    return value


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise DataError(f"{where}: expected an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DataError(f"{where}: {value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise DataError(f"{where}: {value!r} has no time zone")
    try:
        parsed.astimezone(UTC)  # Odoo gets UTC: 9999-12-31T23:00-05:00 is not a date there
    except OverflowError:
        raise DataError(f"{where}: {value!r} is out of range") from None
    return parsed


def _address(raw: Any) -> Address | None:
    if not isinstance(raw, dict):
        return None

    def text(key: str) -> str | None:
        return _text(raw.get(key), f"address {key}")

    address = Address(
        name=text("name"), company=text("companyName"), street=text("addressLine1"),
        street2=_text(" ".join(p for p in (text("addressLine2"), text("addressLine3")) if p)),
        city=text("city") or text("municipality"), state=text("stateOrRegion"),
        zip=text("postalCode"), country_code=text("countryCode"), phone=text("phone"),
    )
    return None if address.is_empty else address


def _breakdowns(item: dict[str, Any], currency: str, where: str) -> dict[str, Decimal]:
    """Flatten an item's proceeds breakdowns into named amounts."""
    amounts: dict[str, Decimal] = {}

    def add(name: str, money: Money | None) -> None:
        if money is not None:
            amounts[name] = amounts.get(name, ZERO) + money.amount

    proceeds = _object(item.get("proceeds"), f"{where}.proceeds")
    for index, raw_breakdown in enumerate(_list(proceeds.get("breakdowns"), f"{where}.proceeds.breakdowns")):
        here = f"{where}.proceeds.breakdowns[{index}]"
        breakdown = _object(raw_breakdown, here)
        kind = _text(breakdown.get("type"), f"{here}.type")
        subtotal = parse_money(breakdown.get("subtotal"), f"{here}.subtotal", currency)
        details = _list(breakdown.get("detailedBreakdowns"), f"{here}.detailedBreakdowns")
        if kind in ("TAX", "DISCOUNT") and details:
            for d_index, raw_detail in enumerate(details):
                there = f"{here}.detailedBreakdowns[{d_index}]"
                detail = _object(raw_detail, there)
                add(f"{kind}.{_text(detail.get('subtype'), f'{there}.subtype') or 'ITEM'}",
                    parse_money(detail.get("value"), there, currency))
        elif kind in ("TAX", "DISCOUNT"):
            add(f"{kind}.ITEM", subtotal)
        else:
            add(str(kind), subtotal)
    return amounts


def _item(raw: Any, index: int, currency: str, order_cancelled: bool) -> AmazonOrderItem:
    where = f"orderItems[{index}]"
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected an object")
    product = _object(raw.get("product"), f"{where}.product")
    sku = _text(product.get("sellerSku"), f"{where}.product.sellerSku")
    if not sku:
        raise DataError(f"{where}.product.sellerSku is missing")
    item_id = _text(raw.get("orderItemId"), f"{where}.orderItemId")
    if not item_id:
        raise DataError(f"{where}.orderItemId is missing")
    quantity = raw.get("quantityOrdered")
    if quantity is None:
        raise DataError(f"{where}.quantityOrdered must be a non-negative integer, got None")
    quantity = _count(quantity, f"{where}.quantityOrdered")
    price = parse_money(_object(product.get("price"), f"{where}.product.price").get("unitPrice"),
                        f"{where}.product.price.unitPrice", currency)
    amounts = _breakdowns(raw, currency, where)
    item_amount = amounts.get("ITEM")
    if item_amount is None:
        item_amount = price.amount * quantity if price is not None else ZERO
    fulfillment = _object(raw.get("fulfillment"), f"{where}.fulfillment")
    packing = _object(fulfillment.get("packing"), f"{where}.fulfillment.packing")
    gift = _object(packing.get("giftOption"), f"{where}.fulfillment.packing.giftOption")
    tax = _object(raw.get("tax"), f"{where}.tax")
    collections = _list(tax.get("taxCollections"), f"{where}.tax.taxCollections")
    promotions = _list(_object(raw.get("promotion"), f"{where}.promotion").get("breakdowns"),
                       f"{where}.promotion.breakdowns")
    cancellation = _object(raw.get("cancellation"), f"{where}.cancellation")
    return AmazonOrderItem(
        order_item_id=item_id,
        sku=sku,
        asin=_text(product.get("asin"), f"{where}.product.asin"),
        title=_text(product.get("title"), f"{where}.product.title"),
        quantity=quantity,
        quantity_shipped=_count(fulfillment.get("quantityFulfilled"), f"{where}.fulfillment.quantityFulfilled"),
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
        promotion_ids=tuple(str(p["promotionId"]) for p in promotions if isinstance(p, dict)
                            and _text(p.get("promotionId"), f"{where}.promotion.breakdowns.promotionId")),
        gift_message=_text(gift.get("giftMessage"), f"{where}.fulfillment.packing.giftOption.giftMessage"),
        gift_wrap_level=_text(gift.get("giftWrapLevel"), f"{where}.fulfillment.packing.giftOption.giftWrapLevel"),
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
    order_id = _text(raw.get("orderId"), "orderId")
    if not order_id:
        raise DataError("orderId is missing")
    try:
        return _parse_order(raw, order_id)
    except DataError as exc:
        if exc.message.startswith(f"order {order_id}"):
            raise
        raise DataError(f"order {order_id}: {exc.message}") from None


def _parse_order(raw: dict[str, Any], order_id: str) -> AmazonOrder:
    channel = _object(raw.get("salesChannel"), "salesChannel")
    marketplace_id = _text(channel.get("marketplaceId"), "salesChannel.marketplaceId")
    if not marketplace_id:
        raise DataError(f"order {order_id}: salesChannel.marketplaceId is missing")
    try:
        marketplace = by_id(marketplace_id)
    except KeyError as exc:
        raise DataError(f"order {order_id}: {exc.args[0]}") from None
    fulfillment = _object(raw.get("fulfillment"), "fulfillment")
    status = _text(fulfillment.get("fulfillmentStatus"), "fulfillment.fulfillmentStatus")
    if not status:
        raise DataError(f"order {order_id}: fulfillment.fulfillmentStatus is missing")
    proceeds = _object(raw.get("proceeds"), "proceeds")
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
    buyer_raw = _object(raw.get("buyer"), "buyer")
    registrations = []
    for reg in _list(_object(raw.get("tax"), "tax").get("taxRegistrations"), "tax.taxRegistrations"):
        number = _text(reg.get("taxRegistrationNumber"), "taxRegistrationNumber") if isinstance(reg, dict) else None
        if number:
            registrations.append(TaxRegistration(
                number=number, kind=_text(reg.get("taxRegistrationType"), "taxRegistrationType"),
                legal_name=_text(reg.get("legalName"), "legalName"),
                address=_address(reg.get("taxRegistrationAddress"))))
    return AmazonOrder(
        order_id=order_id,
        marketplace_id=marketplace_id,
        currency=currency,
        purchase_date=_time(raw.get("createdTime"), f"order {order_id}: createdTime"),
        last_updated=_time(raw.get("lastUpdatedTime"), f"order {order_id}: lastUpdatedTime"),
        status=status,
        fulfilled_by=_text(fulfillment.get("fulfilledBy"), "fulfillment.fulfilledBy") or "MERCHANT",
        items=items,
        buyer=Buyer(name=_text(buyer_raw.get("buyerName"), "buyer.buyerName"),
                    email=_text(buyer_raw.get("buyerEmail"), "buyer.buyerEmail"),
                    company=_text(buyer_raw.get("buyerCompanyName"), "buyer.buyerCompanyName"),
                    purchase_order_number=_text(buyer_raw.get("buyerPurchaseOrderNumber"),
                                                "buyer.buyerPurchaseOrderNumber")),
        shipping_address=_address(_object(raw.get("recipient"), "recipient").get("deliveryAddress")),
        tax_registrations=tuple(registrations),
        programs=tuple(str(p) for p in _list(raw.get("programs"), "programs")),
        grand_total=grand_total.amount if grand_total else None,
        service_level=_text(fulfillment.get("fulfillmentServiceLevel"), "fulfillment.fulfillmentServiceLevel"),
    )
