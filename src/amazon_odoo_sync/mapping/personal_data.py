"""Buyer personal data in Amazon documents, and what is left of a document without it (pure).

Amazon's Data Protection Policy lets a seller's software keep buyer personal data (PII) no
longer than 30 days after the order's delivery. The connector keeps Amazon's documents (inbox,
quarantine) to replay and explain its work; once the retention is over they lose the fields
below, wherever they are nested (the quarantine wraps documents, Orders v0 and v2026-01-01
spell them differently):

* the fields Amazon returns only to applications with the restricted role for PII: buyer name,
  e-mail, company and purchase order number, the recipient's name, company, street lines,
  phone and address extensions, tax registration numbers, legal names and their attributes,
  gift messages and customisations, delivery instructions;
* nothing else: order and item ids, SKUs, ASINs, quantities, amounts, currency, statuses,
  dates, marketplace, and the address fields Amazon gives *without* the restricted role (city,
  county, state or region, postal code, country), which decide the tax jurisdiction and are not
  personal on their own. The books need those; Odoo keeps its own copy of the invoice.

A field is removed rather than blanked: a redacted order reads like one fetched without the
restricted role (an import of it makes the marketplace's anonymous partner, not a partner named
"***"). Error details lose the remote system's own words too (:data:`QUOTING_FIELDS`).
:func:`redact` is the specification; the store applies the same removal in SQL
(``aos_strip_keys`` with :data:`PERSONAL_KEYS`), and a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["PERSONAL_KEYS", "QUOTING_FIELDS", "RESTRICTED_FIELDS", "personal_values", "redact"]

#: JSON keys whose value is buyer personal data, at any depth (Orders v2026-01-01 and v0).
RESTRICTED_FIELDS: frozenset[str] = frozenset({
    # Orders v2026-01-01: Buyer, CustomerAddress, OrderTaxRegistration, GiftOption, ItemProduct,
    # DeliveryPreference.
    "buyerName", "buyerEmail", "buyerCompanyName", "buyerPurchaseOrderNumber",
    "name", "companyName", "addressLine1", "addressLine2", "addressLine3", "phone", "extendedFields",
    "legalName", "taxRegistrationNumber", "taxRegistrationAttributes",
    "giftMessage", "customization", "addressInstruction", "dropOffLocation",
    # Orders v0: BuyerInfo, Address, order item BuyerInfo.
    "BuyerName", "BuyerEmail", "BuyerTaxInfo", "PurchaseOrderNumber",
    "Name", "CompanyName", "AddressLine1", "AddressLine2", "AddressLine3", "Phone",
    "GiftMessageText", "BuyerCustomizedInfo", "BuyerTaxRegistrationId",
})


#: Free text of a remote system, kept with an error (quarantine details): Odoo's refusal of a
#: partner may quote the name, e-mail or address we sent it.
QUOTING_FIELDS: frozenset[str] = frozenset({"remote_message"})
#: Every key a purge removes.
PERSONAL_KEYS: frozenset[str] = RESTRICTED_FIELDS | QUOTING_FIELDS


def redact(value: Any) -> Any:
    """A copy of ``value`` (parsed JSON) without any :data:`PERSONAL_KEYS` key, at any depth."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def personal_values(value: Any) -> Iterator[Any]:
    """The values :func:`redact` would remove (for tests and dry runs: what would go)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in PERSONAL_KEYS:
                yield v
            else:
                yield from personal_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from personal_values(v)
