"""Odoo's amounts for planned sale order values, computed by the Odoo emulator's tax engine
(floats and formulas of Odoo 18, checked against a real Odoo by the contract suite): an
independent check of the plan's own model of Odoo's rounding."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from amazon_odoo_sync.mapping.sale_order import TaxRef
from amazon_odoo_sync.sandbox.odoo import DEMO_API_KEY, DEMO_DATABASE, OdooEmulator
from amazon_odoo_sync.sandbox.odoo.accounting import document_amounts
from amazon_odoo_sync.sandbox.odoo.orm import Env

CENT = Decimal("0.01")

_EMULATOR = OdooEmulator()
_EMULATOR_TAX: dict[tuple[Decimal, bool], int] = {}


def _emulator_tax(tax: TaxRef) -> int:
    key = (tax.rate, tax.price_include)
    if key not in _EMULATOR_TAX:
        [tax_id] = asyncio.run(_EMULATOR.execute_kw(DEMO_DATABASE, 2, DEMO_API_KEY, "account.tax", "create", [[{
            "name": f"VAT {tax.rate} {tax.price_include}", "amount": float(tax.rate), "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_included" if tax.price_include else "tax_excluded"}]], {}))
        _EMULATOR_TAX[key] = tax_id
    return _EMULATOR_TAX[key]


def odoo_amounts(values: dict[str, Any], taxes: dict[int, TaxRef], method: str) -> tuple[Decimal, Decimal]:
    """(amount_untaxed, amount_tax) the Odoo emulator computes for the create values."""
    env = Env(_EMULATOR.db, _EMULATOR.registry, 2, None, _EMULATOR.now)
    lines = [([_emulator_tax(taxes[t]) for t in line["tax_id"][0][2]], line["price_unit"], line["product_uom_qty"],
              0.0) for _, _, line in values["order_line"]]
    untaxed, tax = document_amounts(env, lines, method)
    return Decimal(str(untaxed)).quantize(CENT), Decimal(str(tax)).quantize(CENT)
