from __future__ import annotations

import pytest

from amazon_odoo_sync.mapping.amazon_order import parse_order_v2026
from amazon_odoo_sync.mapping.order_status import OrderAction, decide
from amazon_odoo_sync.mapping.partner import plan_partners
from tests.factories.orders import address, order

COUNTRIES = {"DE": 57, "US": 233, "FR": 75}
STATES = {("US", "WA"): 12}


def partners(**kwargs: object):  # type: ignore[no-untyped-def]
    return plan_partners(parse_order_v2026(order(**kwargs)), countries=COUNTRIES, states=STATES)


def test_no_personal_data_gives_the_anonymous_customer_of_the_marketplace() -> None:
    plan = partners(marketplace="US", status="SHIPPED", fulfilled_by="AMAZON")
    assert plan.anonymous and plan.customer.key == "anonymous:US"
    assert plan.delivery is None
    assert plan.customer.values["country_id"] == 233


def test_same_buyer_alias_same_customer_new_address_new_delivery_child() -> None:
    buyer = {"buyerName": "Erika", "buyerEmail": "abc123@marketplace.amazon.de"}
    first = partners(buyer=buyer, address=address())
    second = partners(buyer=buyer, address=address(street="Nebenstr. 5"))
    assert first.customer.key == second.customer.key == "email:abc123@marketplace.amazon.de"
    assert first.delivery is not None and second.delivery is not None
    assert first.delivery.key != second.delivery.key
    assert first.delivery.values["type"] == "delivery"
    assert first.delivery.values["country_id"] == 57


def test_without_email_the_address_hash_deduplicates() -> None:
    one = partners(address=address(name="A  B", city="berlin"))
    two = partners(address=address(name="a b", city="Berlin "))
    assert one.customer.key == two.customer.key


def test_business_order_gets_company_vat_and_invoice_address() -> None:
    plan = partners(
        buyer={"buyerName": "Max", "buyerCompanyName": "Muster GmbH", "buyerEmail": "x@marketplace.amazon.de"},
        address=address(), programs=["AMAZON_BUSINESS"],
        tax_registrations=[{"taxRegistrationType": "VAT", "taxRegistrationNumber": "DE123456789",
                            "legalName": "Muster GmbH", "taxRegistrationAddress": address(street="Rechnungsweg 1")}])
    assert plan.customer.values["is_company"] is True
    assert plan.customer.values["name"] == "Muster GmbH"
    assert plan.customer.values["vat"] == "DE123456789"
    assert plan.invoice is not None and plan.invoice.values["type"] == "invoice"
    assert plan.invoice.values["street"] == "Rechnungsweg 1"


def test_us_state_is_mapped() -> None:
    plan = partners(marketplace="US", buyer={"buyerEmail": "q@marketplace.amazon.com"},
                    address=address(country="US", state="wa", city="Seattle", zip="98101"))
    assert plan.delivery is not None and plan.delivery.values["state_id"] == 12


@pytest.mark.parametrize(("status", "fba", "state", "delivered", "action"), [
    ("PENDING", False, None, False, OrderAction.RESERVE),
    ("UNSHIPPED", False, None, False, OrderAction.CREATE),
    ("UNSHIPPED", True, None, False, OrderAction.RESERVE),
    ("SHIPPED", True, None, False, OrderAction.CREATE),
    ("SHIPPED", False, "confirmed", False, OrderAction.NOTHING),
    ("CANCELLED", False, None, False, OrderAction.RECORD_CANCELLED),
    ("CANCELLED", False, "confirmed", False, OrderAction.CANCEL),
    ("CANCELLED", False, "confirmed", True, OrderAction.REVIEW),
    ("CANCELLED", False, "cancelled", False, OrderAction.NOTHING),
    ("UNSHIPPED", False, "cancelled", False, OrderAction.NOTHING),
])
def test_decisions(status: str, fba: bool, state: str | None, delivered: bool, action: OrderAction) -> None:
    doc = parse_order_v2026(order(status=status, fulfilled_by="AMAZON" if fba else "MERCHANT"))
    assert decide(doc, odoo_state=state, odoo_delivered=delivered) is action
