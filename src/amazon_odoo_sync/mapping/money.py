"""Money as ``Decimal`` with an explicit currency, and Odoo 18's rounding of a sale order's
untaxed amount and tax in either of its rounding methods (:func:`odoo_order_amounts`)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

from ..exceptions import DataError

__all__ = ["CENT", "ROUNDING_METHODS", "ZERO", "Money", "OdooLine", "OdooTotals", "RoundingMethod",
           "odoo_order_amounts",
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
    numerator, denominator = abs(value.numerator), value.denominator
    cents = (numerator * 200 + denominator) // (2 * denominator)  # floor(|v| × 100 + ½)
    return Decimal(cents if value >= 0 else -cents) * CENT


def _line_per_line(line: OdooLine) -> tuple[Decimal, Decimal]:
    """(untaxed, tax) of one line rounded to the cent, as ``round_per_line`` does. Decimal is
    exact enough here: one quotient base × rate / (100 + rate) is a half cent only when it
    terminates, and then Decimal holds it exactly."""
    base = round_money(line.price_unit * line.quantity)
    if line.tax_rate is None:
        return base, ZERO
    rate = line.tax_rate
    tax = round_money(base * rate / (100 + rate) if line.price_include else base * rate / 100)
    return (base - tax if line.price_include else base), tax


@functools.lru_cache(maxsize=64)
def _tax_factor(rate: Decimal, price_include: bool) -> Fraction:
    """The share of a line's base that is tax: r / (100 + r) included, r / 100 excluded."""
    exact = Fraction(rate)
    return exact / (100 + exact) if price_include else exact / 100


def _line_raw(line: OdooLine) -> tuple[Fraction, Fraction]:
    """(untaxed, tax) of one line, exact, as ``round_globally`` leaves them for the document."""
    base = Fraction(line.price_unit * line.quantity)  # a Decimal product is exact
    if line.tax_rate is None:
        return base, Fraction(0)
    tax = base * _tax_factor(line.tax_rate, line.price_include)
    return (base - tax if line.price_include else base), tax


class OdooTotals:
    """A sale order's lines as Odoo 18 adds them up (``_get_tax_details``,
    ``_round_base_lines_tax_details``): the raw amounts of the document are summed and the sums
    rounded, the untaxed amount once for the document, the tax once per tax. With
    ``round_per_line`` the raw amounts are already rounded per line, so both are plain sums of
    line amounts; with ``round_globally`` they are exact, and the order's tax is
    round(Σ exact taxes), which is not the sum of the lines' rounded taxes.

    Exact fractions for the sums, not Decimals: a sum of repeating decimals can be an exact half
    cent (4.77 − 0.14 + 0.01 + 0.01 at 20 % included: 3.875), which Odoo rounds up; 50 digits of
    Decimal make it 3.87499… and round it down."""

    def __init__(self, method: RoundingMethod) -> None:
        self.method = method
        #: Lines with a tax: each may round its tax by up to half a cent.
        self.taxed_lines = 0
        # Rounded per line: Decimal sums of cents. Globally: exact sums of raw amounts.
        self._cents: tuple[Decimal, dict[tuple[Decimal, bool], Decimal]] = (ZERO, {})
        self._exact: tuple[Fraction, dict[tuple[Decimal, bool], Fraction]] = (Fraction(0), {})

    def _plus(self, line: OdooLine) -> tuple[tuple[Decimal, dict[tuple[Decimal, bool], Decimal]],
                                            tuple[Fraction, dict[tuple[Decimal, bool], Fraction]]]:
        key = (line.tax_rate, line.price_include) if line.tax_rate is not None else None
        if self.method == "round_per_line":
            untaxed, tax = _line_per_line(line)
            total, taxes = self._cents
            if key is not None:
                taxes = {**taxes, key: taxes.get(key, ZERO) + tax}
            return (total + untaxed, taxes), self._exact
        raw_untaxed, raw_tax = _line_raw(line)
        exact_total, exact_taxes = self._exact
        if key is not None:
            exact_taxes = {**exact_taxes, key: exact_taxes.get(key, Fraction(0)) + raw_tax}
        return self._cents, (exact_total + raw_untaxed, exact_taxes)

    def add(self, line: OdooLine) -> None:
        self._cents, self._exact = self._plus(line)
        if line.tax_rate is not None:
            self.taxed_lines += 1

    def amounts(self, *extra: OdooLine) -> tuple[Decimal, Decimal]:
        """(amount_untaxed, amount_tax), with the ``extra`` lines added."""
        if extra:
            trial = OdooTotals(self.method)
            trial._cents, trial._exact = self._cents, self._exact
            for line in extra:
                trial.add(line)
            return trial.amounts()
        cents, exact = self._cents, self._exact
        if self.method == "round_per_line":
            return cents[0], sum(cents[1].values(), ZERO)
        return _round_exact(exact[0]), sum((_round_exact(t) for t in exact[1].values()), ZERO)


def odoo_order_amounts(lines: Iterable[OdooLine], method: RoundingMethod) -> tuple[Decimal, Decimal]:
    """(amount_untaxed, amount_tax) Odoo 18 computes for a sale order with these lines (see
    :class:`OdooTotals`)."""
    totals = OdooTotals(method)
    for line in lines:
        totals.add(line)
    return totals.amounts()
