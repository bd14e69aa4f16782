"""Reconciliation compares each order's untaxed amount and tax, not only its total (issue #14)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from amazon_odoo_sync.demo.reconcile import reconcile
from amazon_odoo_sync.marketplaces import by_code


def amazon(order_id: str, total: str, tax: str, marketplace: str = "DE") -> dict[str, Any]:
    return {"amazonOrderId": order_id, "marketplaceId": by_code(marketplace).id, "status": "Unshipped",
            "fulfillmentChannel": "MFN", "total": total, "tax": tax}


def odoo(order_id: str, untaxed: float, tax: float) -> dict[str, Any]:
    return {"client_order_ref": order_id, "amount_untaxed": untaxed, "amount_tax": tax,
            "amount_total": round(untaxed + tax, 2), "state": "sale"}


def test_a_cent_of_vat_in_the_untaxed_amount_is_a_difference() -> None:
    """The DE order of the issue: same total, 1.27 of VAT in Odoo where Amazon charged 1.28."""
    result = reconcile([amazon("A", "7.98", "1.28"), amazon("B", "10.00", "1.60")],
                       [odoo("A", 6.71, 1.27), odoo("B", 8.40, 1.60)])
    assert not result.ok
    [diff] = result.differences
    assert (diff.amazon_order_id, diff.problem) == ("A", "tax differs")
    assert (diff.amazon_amount, diff.odoo_amount) == (Decimal("7.98"), Decimal("7.98"))
    assert (diff.amazon_tax, diff.odoo_tax) == (Decimal("1.28"), Decimal("1.27"))
    [line] = result.lines
    assert line.amazon_amount == line.odoo_amount == Decimal("17.98")
    assert (line.amazon_tax, line.odoo_tax) == (Decimal("2.88"), Decimal("2.87"))
    assert (line.amazon_untaxed, line.odoo_untaxed) == (Decimal("15.10"), Decimal("15.11"))
    assert not line.matches


def test_cents_that_cancel_out_across_orders_still_show() -> None:
    """Sums per marketplace can agree while two orders are a cent off each way."""
    result = reconcile([amazon("A", "7.98", "1.28"), amazon("B", "7.98", "1.27")],
                       [odoo("A", 6.71, 1.27), odoo("B", 6.70, 1.28)])
    [line] = result.lines
    assert line.amazon_tax == line.odoo_tax and line.amazon_amount == line.odoo_amount
    assert not line.matches and line.tax_differences == 2
    assert [d.problem for d in result.differences] == ["tax differs", "tax differs"]


def test_matching_orders_and_facilitator_tax() -> None:
    """US: the tax Amazon collects as marketplace facilitator is neither the seller's amount nor
    its tax; Odoo has the order without tax."""
    result = reconcile([amazon("A", "7.98", "1.28"), amazon("U", "54.13", "4.13", marketplace="US")],
                       [odoo("A", 6.70, 1.28), odoo("U", 50.00, 0.0)])
    assert result.ok and result.differences == []
    assert {line.marketplace: line.odoo_tax for line in result.lines} == {"DE": Decimal("1.28"),
                                                                           "US": Decimal(0)}


def test_a_different_total_is_reported_as_such() -> None:
    result = reconcile([amazon("A", "7.98", "1.28")], [odoo("A", 6.71, 1.28)])
    [diff] = result.differences
    assert diff.problem == "amount differs" and diff.odoo_amount == Decimal("7.99")
