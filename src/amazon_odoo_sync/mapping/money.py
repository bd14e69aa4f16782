"""Money as ``Decimal`` with an explicit currency, and Odoo 18's rounding of a sale order's
untaxed amount and tax in either of its rounding methods (:func:`odoo_order_amounts`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

from ..exceptions import DataError

__all__ = ["CENT", "ROUNDING_METHODS", "ZERO", "Money", "OdooLine", "RoundingMethod", "odoo_order_amounts",
           "parse_money", "round_money"]

ZERO = Decimal("0")
CENT = Decimal("0.01")
#: Amounts beyond 10^15 or below 10^-9 are not money (damaged input): refused when read.
MAX_DIGITS = 15
MAX_DECIMALS = 9

#: Odoo's company setting ``tax_calculation_rounding_method``.
RoundingMethod = Literal["round_per_line", "round_globally"]
ROUNDING_METHODS: tuple[RoundingMethod, ...] = ("round_per_line", "round_globally")


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
    if isinstance(raw_amount, bool | dict | list):
        raise DataError(f"{where}: amount {raw_amount!r} is not a number")
    try:
        amount = Decimal(str(raw_amount))
    except InvalidOperation:
        raise DataError(f"{where}: amount {raw_amount!r} is not a number") from None
    if not amount.is_finite():
        raise DataError(f"{where}: amount {raw_amount!r} is not a finite number")
    # Within what rounding to the cent can hold (28 digits): 1E+999999 is a damaged document.
    if amount and not -MAX_DECIMALS <= amount.adjusted() <= MAX_DIGITS:
        raise DataError(f"{where}: amount {raw_amount!r} is out of range")
    if isinstance(code, dict | list):
        raise DataError(f"{where}: currency code {code!r} is not a code")
    if currency is not None and code != currency:
        raise DataError(f"{where}: currency {code} differs from the order's {currency}")
    return Money(amount=amount, currency=str(code))


@dataclass(frozen=True, kw_only=True)
class OdooLine:
    """One sale order line as Odoo's tax engine sees it: one percent tax or none."""

    price_unit: Decimal
    quantity: Decimal = Decimal(1)
    tax_rate: Decimal | None = None  # percent; None: no tax on the line
    price_include: bool = False


def _round_exact(value: Fraction) -> Decimal:
    """Half-up (away from zero) to the cent of an exact value."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return Decimal(cents if value >= 0 else -cents) * CENT


def _raw_line(line: OdooLine, method: RoundingMethod) -> tuple[Fraction, Fraction]:
    """(untaxed, tax) of one line before the document's rounding: rounded to the cent with
    ``round_per_line``, exact with ``round_globally`` (Odoo 18's ``_get_tax_details``)."""
    def rnd(value: Fraction) -> Fraction:
        return Fraction(_round_exact(value)) if method == "round_per_line" else value

    base = rnd(Fraction(line.price_unit) * Fraction(line.quantity))
    if line.tax_rate is None:
        return base, Fraction(0)
    rate = Fraction(line.tax_rate)
    tax = rnd(base * rate / (100 + rate) if line.price_include else base * rate / 100)
    return (base - tax if line.price_include else base), tax


def odoo_order_amounts(lines: Iterable[OdooLine], method: RoundingMethod) -> tuple[Decimal, Decimal]:
    """(amount_untaxed, amount_tax) Odoo 18 computes for a sale order with these lines.

    Odoo 18 (``_round_base_lines_tax_details``) sums the raw amounts of the document and rounds
    the sums: the untaxed amount once for the document, the tax once per tax. With
    ``round_per_line`` the raw amounts are already rounded per line, so both are plain sums of
    line amounts; with ``round_globally`` they are exact, and the order's tax is
    round(Σ exact taxes), which is not the sum of the lines' rounded taxes.

    Exact fractions, not Decimals: a sum of repeating decimals can be an exact half cent
    (4.77 − 0.14 + 0.01 + 0.01 at 20 % included: 3.875), which Odoo rounds up; 50 digits of
    Decimal make it 3.87499… and round it down."""
    untaxed = Fraction(0)
    taxes: dict[tuple[Decimal, bool], Fraction] = {}
    for line in lines:
        line_untaxed, line_tax = _raw_line(line, method)
        untaxed += line_untaxed
        if line.tax_rate is not None:
            key = (line.tax_rate, line.price_include)
            taxes[key] = taxes.get(key, Fraction(0)) + line_tax
    return _round_exact(untaxed), sum((_round_exact(t) for t in taxes.values()), ZERO)
