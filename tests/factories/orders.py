"""Factory for Amazon Orders API v2026-01-01 ``Order`` documents (as Amazon returns them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from amazon_odoo_sync.marketplaces import by_code


def money(amount: Decimal | str | int, currency: str) -> dict[str, str]:
    return {"amount": str(Decimal(str(amount)).quantize(Decimal("0.01"))), "currencyCode": currency}


def order_item(
    *,
    sku: str = "SKU-1",
    quantity: int = 1,
    unit_price: Decimal | str = "10.00",
    currency: str = "EUR",
    tax: Decimal | str = "0",
    shipping: Decimal | str = "0",
    shipping_tax: Decimal | str = "0",
    gift_wrap: Decimal | str = "0",
    gift_wrap_tax: Decimal | str = "0",
    discount: Decimal | str = "0",
    shipping_discount: Decimal | str = "0",
    discount_tax: Decimal | str = "0",
    gift_message: str | None = None,
    facilitator: bool = False,
    item_id: str | None = None,
    shipped: int = 0,
) -> dict[str, Any]:
    unit = Decimal(str(unit_price))
    breakdowns: list[dict[str, Any]] = [{"type": "ITEM", "subtotal": money(unit * quantity, currency)}]
    if Decimal(str(shipping)):
        breakdowns.append({"type": "SHIPPING", "subtotal": money(shipping, currency)})
    if Decimal(str(gift_wrap)):
        breakdowns.append({"type": "GIFT_WRAP", "subtotal": money(gift_wrap, currency)})
    # Amazon reports the tax of discounts as a negative DISCOUNT subtype of TAX.
    taxes = [("ITEM", tax), ("SHIPPING", shipping_tax), ("GIFT_WRAP", gift_wrap_tax),
             ("DISCOUNT", -Decimal(str(discount_tax)))]
    tax_details = [{"subtype": s, "value": money(v, currency)} for s, v in taxes if Decimal(str(v))]
    if tax_details:
        total_tax = sum(Decimal(str(v)) for _, v in taxes)
        breakdowns.append({"type": "TAX", "subtotal": money(total_tax, currency),
                           "detailedBreakdowns": tax_details})
    discounts = [("ITEM", discount), ("SHIPPING", shipping_discount)]
    discount_details = [{"subtype": s, "value": money(-Decimal(str(v)), currency)}
                        for s, v in discounts if Decimal(str(v))]
    if discount_details:
        total_discount = -sum(Decimal(str(v)) for _, v in discounts)
        breakdowns.append({"type": "DISCOUNT", "subtotal": money(total_discount, currency),
                           "detailedBreakdowns": discount_details})
    item: dict[str, Any] = {
        "orderItemId": item_id or f"{sku}-item",
        "quantityOrdered": quantity,
        "product": {"asin": "B000" + sku[-6:].rjust(6, "0"), "title": f"Product {sku}", "sellerSku": sku,
                    "price": {"unitPrice": money(unit, currency)}},
        "proceeds": {"proceedsTotal": money(sum(Decimal(b["subtotal"]["amount"]) for b in breakdowns),
                                            currency),
                     "breakdowns": breakdowns},
        "fulfillment": {"quantityFulfilled": shipped, "quantityUnfulfilled": quantity - shipped},
    }
    if Decimal(str(discount)):
        item["promotion"] = {"breakdowns": [{"promotionId": "PROMO-1"}]}
    if gift_message:
        item["fulfillment"]["packing"] = {"giftOption": {"giftMessage": gift_message,
                                                         "giftWrapLevel": "STANDARD"}}
    if facilitator:
        item["tax"] = {"taxCollections": [{"model": "MARKETPLACE_FACILITATOR",
                                           "responsibleParty": "Amazon Services, Inc."}]}
    return item


def order(
    *,
    order_id: str = "028-1234567-1234567",
    marketplace: str = "DE",
    status: str = "UNSHIPPED",
    fulfilled_by: str = "MERCHANT",
    items: list[dict[str, Any]] | None = None,
    buyer: dict[str, Any] | None = None,
    address: dict[str, Any] | None = None,
    created: str = "2026-07-08T10:00:00Z",
    updated: str = "2026-07-08T10:05:00Z",
    programs: list[str] | None = None,
    tax_registrations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    market = by_code(marketplace)
    doc: dict[str, Any] = {
        "orderId": order_id,
        "createdTime": created,
        "lastUpdatedTime": updated,
        "programs": programs or [],
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": market.id, "marketplaceName": market.name},
        "fulfillment": {"fulfillmentStatus": status, "fulfilledBy": fulfilled_by,
                        "fulfillmentServiceLevel": "STANDARD"},
        "orderItems": items if items is not None else [order_item(currency=market.currency)],
    }
    if buyer is not None:
        doc["buyer"] = buyer
    if address is not None:
        doc["recipient"] = {"deliveryAddress": address}
    if tax_registrations:
        doc["tax"] = {"taxRegistrations": tax_registrations}
    return doc


def address(name: str = "Erika Mustermann", street: str = "Hauptstr. 1", city: str = "Berlin",
            zip: str = "10115", country: str = "DE", state: str | None = None) -> dict[str, Any]:
    value = {"name": name, "addressLine1": street, "city": city, "postalCode": zip, "countryCode": country}
    if state:
        value["stateOrRegion"] = state
    return value
