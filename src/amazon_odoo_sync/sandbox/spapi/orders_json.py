"""Amazon's JSON shapes of an order: Orders API v0 and v2026-01-01, with Amazon's data rules.

Rules applied here, in one place:

* Pending orders have no prices (v0 ``OrderTotal``/item amounts, v2026 ``proceeds`` and
  ``unitPrice``) and no shipping address; prices stay once payment was authorised.
* Restricted data (buyer name, e-mail, PO number, tax registration, full address, phone,
  gift message) only for callers with the restricted role (``pii``); others get the
  non-restricted address fields (city, state, postal code, country).
* North-America FBA orders never carry buyer name or street address, even with the role.
* Money is ``{"CurrencyCode", "Amount": "12.34"}`` in v0 and ``{"amount": "12.34",
  "currencyCode"}`` in v2026: amounts are strings with the currency's minor unit.
* v2026 ``proceeds``: ``ITEM``/``SHIPPING``/``GIFT_WRAP`` subtotals are what v0 calls
  ItemPrice/ShippingPrice/GiftWrapPrice, ``DISCOUNT`` is negative (promotion and shipping
  discounts), ``TAX`` the tax with ``detailedBreakdowns`` per subtype; ``grandTotal`` is v0's
  ``OrderTotal``. Where prices include tax (EU, UK, JP...) TAX is contained in the others.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...marketplaces import by_id
from .clock import iso
from .world import Address, Order, OrderItem

__all__ = [
    "V2026_DATASETS",
    "restricted_hidden",
    "v0_address",
    "v0_buyer_info",
    "v0_order",
    "v0_order_item",
    "v2026_order",
]

V2026_DATASETS = ("BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION",
                  "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS")

_V2026_STATUS = {"Pending": "PENDING", "Unshipped": "UNSHIPPED",
                 "PartiallyShipped": "PARTIALLY_SHIPPED", "Shipped": "SHIPPED",
                 "Canceled": "CANCELLED"}
_LEVEL = {"Standard": "STANDARD", "Expedited": "EXPEDITED", "NextDay": "NEXT_DAY",
          "SecondDay": "SECOND_DAY", "Priority": "PRIORITY", "SameDay": "SAME_DAY",
          "FreeEconomy": "FREE_ECONOMY", "Scheduled": "SCHEDULED"}
_ZERO = Decimal(0)


def restricted_hidden(order: Order, pii: bool) -> bool:
    """True when buyer name and street address must be withheld for this caller."""
    return not pii or (order.fulfillment_channel == "AFN" and order.marketplace.region == "NA")


def _m0(amount: Decimal, currency: str) -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": str(amount)}


def _m(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency}


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# ------------------------------------------------------------------------------------- v0


def v0_address(order: Order, pii: bool) -> dict[str, Any] | None:
    """``ShippingAddress`` (None while Pending: Amazon has none to give yet)."""
    if order.status == "Pending" or (order.status == "Canceled" and not order.priced):
        return None
    a: Address = order.shipping_address
    out: dict[str, Any] = {"City": a.city, "StateOrRegion": a.state, "PostalCode": a.postal_code,
                           "CountryCode": a.country_code}
    if not restricted_hidden(order, pii):
        out.update({"Name": a.name, "AddressLine1": a.line1, "AddressLine2": a.line2,
                    "CompanyName": a.company, "Phone": a.phone, "AddressType": a.address_type})
    return _drop_none(out)


def v0_buyer_info(order: Order, pii: bool) -> dict[str, Any]:
    """``BuyerInfo`` fields (empty without the restricted role)."""
    if not pii:
        return {}
    b = order.buyer
    out: dict[str, Any] = {}
    if order.fulfillment_channel == "MFN":
        out["BuyerEmail"] = b.email
    if not restricted_hidden(order, pii):
        out["BuyerName"] = b.name
    if b.purchase_order_number:
        out["PurchaseOrderNumber"] = b.purchase_order_number
    if order.is_business and b.company:
        tax: dict[str, Any] = {"CompanyLegalName": b.company}
        if b.vat_number:
            tax["TaxingRegion"] = b.tax_country
            tax["TaxClassifications"] = [{"Name": "VATNumber", "Value": b.vat_number}]
        out["BuyerTaxInfo"] = tax
    return out


def v0_order(order: Order, pii: bool) -> dict[str, Any]:
    mp = order.marketplace
    open_units = order.units - order.units_shipped if order.status != "Canceled" else 0
    out: dict[str, Any] = {
        "AmazonOrderId": order.amazon_order_id,
        "SellerOrderId": order.seller_order_id or order.amazon_order_id,
        "PurchaseDate": iso(order.purchase_date),
        "LastUpdateDate": iso(order.last_update_date),
        "OrderStatus": order.status,
        "FulfillmentChannel": order.fulfillment_channel,
        "SalesChannel": mp.name,
        "ShipServiceLevel": order.ship_service_level,
        "NumberOfItemsShipped": order.units_shipped,
        "NumberOfItemsUnshipped": open_units,
        "PaymentMethod": order.payment_method,
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": order.marketplace_id,
        "ShipmentServiceLevelCategory": order.shipment_service_level_category,
        "OrderType": "StandardOrder",
        "EarliestShipDate": iso(order.earliest_ship_date) if order.earliest_ship_date else None,
        "LatestShipDate": iso(order.latest_ship_date) if order.latest_ship_date else None,
        "EarliestDeliveryDate": (iso(order.earliest_delivery_date)
                                 if order.earliest_delivery_date and order.fulfillment_channel == "MFN"
                                 else None),
        "LatestDeliveryDate": (iso(order.latest_delivery_date)
                               if order.latest_delivery_date and order.fulfillment_channel == "MFN"
                               else None),
        "IsBusinessOrder": order.is_business,
        "IsPrime": order.is_prime,
        "IsPremiumOrder": order.is_premium,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "HasRegulatedItems": False,
    }
    if order.priced:
        out["OrderTotal"] = _m0(order.total, order.currency)
    address = v0_address(order, pii)
    if address is not None:
        out["ShippingAddress"] = address
    buyer = v0_buyer_info(order, pii)
    if buyer:
        out["BuyerInfo"] = buyer
    return _drop_none(out)


def v0_order_item(order: Order, item: OrderItem, pii: bool) -> dict[str, Any]:
    cur = order.currency
    out: dict[str, Any] = {
        "ASIN": item.asin,
        "SellerSKU": item.sku,
        "OrderItemId": item.order_item_id,
        "Title": item.title,
        "QuantityOrdered": item.quantity_ordered,
        "QuantityShipped": item.quantity_shipped,
        "ProductInfo": {"NumberOfItems": "1"},
        "IsGift": "true" if item.is_gift else "false",
        "ConditionId": item.condition,
        "ConditionSubtypeId": item.condition_subtype,
        "IsTransparency": False,
        "SerialNumberRequired": False,
    }
    if order.priced:
        out.update({
            "ItemPrice": _m0(item.item_price, cur), "ItemTax": _m0(item.item_tax, cur),
            "ShippingPrice": _m0(item.shipping_price, cur),
            "ShippingTax": _m0(item.shipping_tax, cur),
            "ShippingDiscount": _m0(item.shipping_discount, cur),
            "ShippingDiscountTax": _m0(item.shipping_discount_tax, cur),
            "PromotionDiscount": _m0(item.promotion_discount, cur),
            "PromotionDiscountTax": _m0(item.promotion_discount_tax, cur),
        })
        if item.promotion_ids:
            out["PromotionIds"] = list(item.promotion_ids)
        if item.is_gift:
            gift: dict[str, Any] = {"GiftWrapPrice": _m0(item.gift_wrap_price, cur),
                                    "GiftWrapTax": _m0(item.gift_wrap_tax, cur)}
            if item.gift_wrap_level:
                gift["GiftWrapLevel"] = item.gift_wrap_level
            if pii and item.gift_message:
                gift["GiftMessageText"] = item.gift_message
            out["BuyerInfo"] = gift
    if item.price_designation:
        out["PriceDesignation"] = item.price_designation
    if item.marketplace_facilitator:
        out["TaxCollection"] = {"Model": "MarketplaceFacilitator",
                                "ResponsibleParty": "Amazon Services, Inc."}
    if order.status == "Canceled" and order.buyer_requested_cancel:
        out["BuyerRequestedCancel"] = {"IsBuyerRequestedCancel": "true",
                                       "BuyerCancelReason": order.cancel_reason or ""}
    return out


# ----------------------------------------------------------------------------------- v2026


def _proceeds(items: list[OrderItem], currency: str, *, detailed: bool) -> list[dict[str, Any]]:
    """Proceeds breakdowns; ``detailedBreakdowns`` exist on items only (Amazon's model)."""
    def total(attr: str) -> Decimal:
        return sum((getattr(i, attr) for i in items), _ZERO)

    out: list[dict[str, Any]] = [{"type": "ITEM", "subtotal": _m(total("item_price"), currency)}]
    shipping, wrap = total("shipping_price"), total("gift_wrap_price")
    promo, ship_disc = total("promotion_discount"), total("shipping_discount")
    if shipping:
        out.append({"type": "SHIPPING", "subtotal": _m(shipping, currency)})
    if wrap:
        out.append({"type": "GIFT_WRAP", "subtotal": _m(wrap, currency)})
    if promo or ship_disc:
        parts = []
        if promo:
            parts.append({"subtype": "ITEM", "value": _m(-promo, currency)})
        if ship_disc:
            parts.append({"subtype": "SHIPPING", "value": _m(-ship_disc, currency)})
        discount: dict[str, Any] = {"type": "DISCOUNT",
                                    "subtotal": _m(-(promo + ship_disc), currency)}
        if detailed:
            discount["detailedBreakdowns"] = parts
        out.append(discount)
    item_tax, ship_tax, wrap_tax = total("item_tax"), total("shipping_tax"), total("gift_wrap_tax")
    disc_tax = total("promotion_discount_tax") + total("shipping_discount_tax")
    tax_detail = [{"subtype": "ITEM", "value": _m(item_tax, currency)}]
    if ship_tax:
        tax_detail.append({"subtype": "SHIPPING", "value": _m(ship_tax, currency)})
    if wrap_tax:
        tax_detail.append({"subtype": "GIFT_WRAP", "value": _m(wrap_tax, currency)})
    if disc_tax:
        tax_detail.append({"subtype": "DISCOUNT", "value": _m(-disc_tax, currency)})
    tax: dict[str, Any] = {"type": "TAX",
                           "subtotal": _m(item_tax + ship_tax + wrap_tax - disc_tax, currency)}
    if detailed:
        tax["detailedBreakdowns"] = tax_detail
    out.append(tax)
    return out


def v2026_order(order: Order, included: frozenset[str], pii: bool) -> dict[str, Any]:
    """The v2026-01-01 ``Order``; ``included`` are the requested ``includedData`` datasets."""
    mp = by_id(order.marketplace_id)
    cur = order.currency
    programs = []
    if order.is_prime:
        programs.append("PRIME")
    if order.is_business:
        programs.append("AMAZON_BUSINESS")
    out: dict[str, Any] = {
        "orderId": order.amazon_order_id,
        "createdTime": iso(order.purchase_date),
        "lastUpdatedTime": iso(order.last_update_date),
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": mp.id,
                         "marketplaceName": mp.name},
    }
    if order.seller_order_id:
        out["orderAliases"] = [{"aliasId": order.seller_order_id, "aliasType": "SELLER_ORDER_ID"}]
    if programs:
        out["programs"] = programs
    hidden = restricted_hidden(order, pii)
    if "BUYER" in included and pii:
        b = order.buyer
        buyer = _drop_none({
            "buyerName": None if hidden else b.name,
            "buyerEmail": b.email if order.fulfillment_channel == "MFN" else None,
            "buyerCompanyName": b.company if order.is_business else None,
            "buyerPurchaseOrderNumber": b.purchase_order_number})
        if buyer:
            out["buyer"] = buyer
    if "RECIPIENT" in included and order.status != "Pending" and (
            order.status != "Canceled" or order.priced):
        a = order.shipping_address
        address: dict[str, Any] = {"city": a.city, "stateOrRegion": a.state,
                                   "postalCode": a.postal_code, "countryCode": a.country_code}
        if not hidden:
            address.update({"name": a.name, "companyName": a.company, "addressLine1": a.line1,
                            "addressLine2": a.line2, "phone": a.phone,
                            "addressType": a.address_type.upper()})
        out["recipient"] = {"deliveryAddress": _drop_none(address)}
    if "PROCEEDS" in included and order.priced:
        out["proceeds"] = {"grandTotal": _m(order.total, cur),
                           "breakdowns": _proceeds(order.items, cur, detailed=False)}
    if "FULFILLMENT" in included:
        fulfillment: dict[str, Any] = {
            "fulfillmentStatus": _V2026_STATUS[order.status],
            "fulfilledBy": "AMAZON" if order.fulfillment_channel == "AFN" else "MERCHANT",
            "fulfillmentServiceLevel": _LEVEL.get(order.shipment_service_level_category,
                                                  "STANDARD"),
        }
        if order.earliest_ship_date and order.latest_ship_date:
            fulfillment["shipByWindow"] = {"earliestDateTime": iso(order.earliest_ship_date),
                                           "latestDateTime": iso(order.latest_ship_date)}
        if order.earliest_delivery_date and order.latest_delivery_date:
            fulfillment["deliverByWindow"] = {
                "earliestDateTime": iso(order.earliest_delivery_date),
                "latestDateTime": iso(order.latest_delivery_date)}
        out["fulfillment"] = fulfillment
    if "TAX" in included and pii and order.is_business and order.buyer.vat_number:
        out["tax"] = {"taxRegistrations": [{
            "entityType": "BUYER", "legalName": order.buyer.company,
            "taxRegistrationType": "VAT", "taxRegistrationNumber": order.buyer.vat_number}]}
    if "PACKAGES" in included and order.packages:
        out["packages"] = [_drop_none({
            "packageReferenceId": p.package_reference_id, "createdTime": iso(p.created),
            "packageStatus": {"status": "SHIPPED"}, "carrier": p.carrier_name or p.carrier_code,
            "shipTime": iso(p.ship_date), "shippingService": p.shipping_method,
            "trackingNumber": p.tracking_number,
            "packageItems": [{"orderItemId": i, "quantity": q} for i, q in p.items]})
            for p in order.packages]
    out["orderItems"] = [_v2026_item(order, item, included, pii) for item in order.items]
    return out


def _v2026_item(order: Order, item: OrderItem, included: frozenset[str], pii: bool
                ) -> dict[str, Any]:
    cur = order.currency
    product: dict[str, Any] = {"asin": item.asin, "title": item.title, "sellerSku": item.sku,
                               "condition": {"conditionType": item.condition.upper(),
                                             "conditionSubtype": item.condition_subtype.upper()}}
    if order.priced:
        price: dict[str, Any] = {"unitPrice": _m(item.unit_price, cur)}
        if item.price_designation:
            price["priceDesignation"] = "BUSINESS_PRICE"
        product["price"] = price
    out: dict[str, Any] = {"orderItemId": item.order_item_id,
                           "quantityOrdered": item.quantity_ordered, "product": product}
    if "PROCEEDS" in included and order.priced:
        line_total = item.charged + (item.tax if not order.prices_include_tax else _ZERO)
        out["proceeds"] = {"proceedsTotal": _m(line_total, cur),
                           "breakdowns": _proceeds([item], cur, detailed=True)}
    if "PROMOTION" in included and item.promotion_ids:
        out["promotion"] = {"breakdowns": [{"promotionId": p} for p in item.promotion_ids]}
    if "CANCELLATION" in included and order.status == "Canceled":
        cancel: dict[str, Any] = {"cancellationExecution": {
            "cancelledBy": "AMAZON" if order.buyer_requested_cancel else "MERCHANT",
            "cancelReason": order.cancel_reason or "NoInventory"}}
        if order.buyer_requested_cancel:
            cancel["cancellationRequest"] = {"requester": "BUYER",
                                             "cancelReason": order.cancel_reason or ""}
        out["cancellation"] = cancel
    if "FULFILLMENT" in included:
        fulfilled = item.quantity_shipped
        unfulfilled = 0 if order.status == "Canceled" else item.quantity_ordered - fulfilled
        ful: dict[str, Any] = {"quantityFulfilled": fulfilled, "quantityUnfulfilled": unfulfilled}
        if item.is_gift:
            gift = _drop_none({"giftMessage": item.gift_message if pii else None,
                               "giftWrapLevel": item.gift_wrap_level})
            if gift:
                ful["packing"] = {"giftOption": gift}
        out["fulfillment"] = ful
    if "TAX" in included and item.marketplace_facilitator:
        out["tax"] = {"taxCollections": [{"model": "MARKETPLACE_FACILITATOR",
                                          "responsibleParty": "Amazon Services, Inc."}]}
    return out
