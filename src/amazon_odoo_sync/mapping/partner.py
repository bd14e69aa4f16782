"""Amazon buyer and addresses → Odoo partners (pure; no I/O).

A customer is deduplicated by a key: Amazon's buyer email alias when there is one, else the hash
of name and delivery address. Delivery (and, for business orders, invoice) addresses are child
partners of ``type`` delivery/invoice — never ``contact``, which Odoo would overwrite with the
parent's address. Without personal data (North-America FBA orders since 2024-02-19, or before
Amazon releases it) the order goes to one anonymous customer per marketplace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .amazon_order import Address, AmazonOrder

__all__ = ["PartnerPlan", "PartnerSpec", "plan_partners"]


@dataclass(frozen=True, kw_only=True)
class PartnerSpec:
    #: Unique key in our external-id map (kind ``res.partner``).
    key: str
    values: dict[str, Any]
    #: Fingerprint of the address ``values`` carry: a delivery address equal to the one its customer was
    #: created with is that customer (one partner per buyer and address, as Odoo does for its own orders).
    address: str | None = None


@dataclass(frozen=True, kw_only=True)
class PartnerPlan:
    customer: PartnerSpec
    delivery: PartnerSpec | None = None
    invoice: PartnerSpec | None = None
    anonymous: bool = False


def _address_values(address: Address, countries: Mapping[str, int],
                    states: Mapping[tuple[str, str], int]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "street": address.street or False,
        "street2": address.street2 or False,
        "city": address.city or False,
        "zip": address.zip or False,
        "phone": address.phone or False,
    }
    country = (address.country_code or "").upper()
    if country in countries:
        values["country_id"] = countries[country]
        if address.state and (country, address.state.upper()) in states:
            values["state_id"] = states[(country, address.state.upper())]
    return values


def plan_partners(
    order: AmazonOrder,
    *,
    countries: Mapping[str, int],
    states: Mapping[tuple[str, str], int],
    anonymous_name: str | None = None,
    company_id: int | None = None,
) -> PartnerPlan:
    market = order.marketplace
    address = order.shipping_address
    buyer = order.buyer
    if address is None and not buyer.email and not buyer.name:
        name = anonymous_name or f"Amazon {market.code} customer"
        return PartnerPlan(anonymous=True, customer=PartnerSpec(
            key=f"anonymous:{market.code}",
            values={"name": name, "is_company": False, "customer_rank": 1,
                    "country_id": countries.get(market.country_code, False),
                    "comment": "Amazon gives no personal data for these orders"}))

    business = order.is_business and bool(buyer.company or (address and address.company))
    vat = next((r.number for r in order.tax_registrations), None)
    display = (buyer.company if business else None) or buyer.name or (address.name if address else None)
    display = display or f"Amazon customer {order.order_id}"
    if buyer.email:
        key = f"email:{buyer.email.lower()}"
    else:
        key = f"address:{address.fingerprint() if address else order.order_id}"
    customer: dict[str, Any] = {"name": display, "email": buyer.email or False, "is_company": business,
                                "customer_rank": 1, "lang": False}
    if company_id is not None:
        customer["company_id"] = False  # shared across companies: one buyer, many marketplaces
    if business and vat:
        customer["vat"] = vat
    if address is not None:
        customer.update(_address_values(address, countries, states))
    plan_delivery = None
    if address is not None:
        plan_delivery = PartnerSpec(
            key=f"{key}|delivery:{address.fingerprint()}", address=address.fingerprint(),
            values={"type": "delivery", "name": address.name or display,
                    **_address_values(address, countries, states)})
    plan_invoice = None
    if business:
        registration = next(iter(order.tax_registrations), None)
        invoice_address = (registration.address if registration and registration.address else address)
        if invoice_address is not None:
            plan_invoice = PartnerSpec(
                key=f"{key}|invoice:{invoice_address.fingerprint()}",
                values={"type": "invoice",
                        "name": (registration.legal_name if registration else None) or display,
                        **_address_values(invoice_address, countries, states)})
    customer_spec = PartnerSpec(key=key, values=customer, address=address.fingerprint() if address else None)
    return PartnerPlan(customer=customer_spec, delivery=plan_delivery,
                       invoice=plan_invoice)
