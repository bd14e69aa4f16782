"""Money as ``Decimal`` with an explicit currency, and Odoo's rounding rules for order totals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..exceptions import DataError

__all__ = ["CENT", "ZERO", "Money", "line_amounts", "parse_money", "round_money"]

ZERO = Decimal("0")
CENT = Decimal("0.01")


def round_money(value: Decimal, precision: Decimal = CENT) -> Decimal:
    """Round like Odoo's ``float_round`` with HALF-UP (Odoo's default rounding method)."""
    return value.quantize(precision, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True)
class Money:
    amount: Decimal
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise DataError(f"cannot add {other.currency} to {self.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)


def parse_money(value: Any, where: str, currency: str | None = None) -> Money | None:
    """Amazon's Money object (``{"amount": "1.23", "currencyCode": "EUR"}``, v0 uses ``Amount``
    and ``CurrencyCode``) → Money. None stays None. A malformed value raises DataError naming
    ``where``; a currency other than ``currency`` (when given) too."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DataError(f"{where}: expected a Money object, got {type(value).__name__}")
    raw_amount = value.get("amount", value.get("Amount"))
    code = value.get("currencyCode", value.get("CurrencyCode"))
    if raw_amount is None or not code:
        raise DataError(f"{where}: Money needs an amount and a currency code")
    try:
        amount = Decimal(str(raw_amount))
    except InvalidOperation:
        raise DataError(f"{where}: amount {raw_amount!r} is not a number") from None
    if not amount.is_finite():
        raise DataError(f"{where}: amount {raw_amount!r} is not a finite number")
    if currency is not None and code != currency:
        raise DataError(f"{where}: currency {code} differs from the order's {currency}")
    return Money(amount=amount, currency=str(code))


def line_amounts(price_unit: Decimal, quantity: Decimal, tax_rate: Decimal,
                 price_include: bool) -> tuple[Decimal, Decimal]:
    """(subtotal, tax) of one sale order line as Odoo 18 computes them with one percent tax,
    currency rounding 0.01 and the default "round per line" method. Odoo's order total is the
    sum of both over all lines."""
    base = price_unit * quantity
    if price_include:
        total = round_money(base)
        tax = round_money(total - total / (1 + tax_rate / 100)) if tax_rate else ZERO
        return total - tax, tax
    subtotal = round_money(base)
    return subtotal, round_money(subtotal * tax_rate / 100)
