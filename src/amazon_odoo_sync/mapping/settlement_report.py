"""The settlement report V2 (``GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2``), read as a stream.

Tab-separated, a header row, then a summary row (settlement id, start and end dates, deposit
date, total amount, currency; no transaction fields), then one row per amount component. The
file is read line by line and never held whole: :class:`SettlementReportReader` reads the header
and the summary when created and yields :class:`~.money_events.MoneyEvent` records as it is
iterated.

Amounts and dates are formatted per marketplace: ``1.234,56`` and ``01.09.2026 07:08:16 UTC``
(DE), ``1,234.56`` and ``2026-09-01T07:08:16+00:00`` or ``09/01/2026`` (US), ``1 234,56`` (FR).
:func:`parse_amount` tells the decimal separator from the shape of each value (a separator
followed by exactly three digits groups thousands: no Amazon currency has three decimals);
dates with slashes are day-first or month-first, which the summary row decides (the order under
which its start, end and deposit dates make a settlement period), or the ``date_order`` given
for the marketplace when both could. Every datetime comes out in UTC; a date without a zone is
taken as UTC.

A row that cannot be read raises :class:`~amazon_odoo_sync.exceptions.DataError` with its row
number (the header is row 1) and its raw text in ``details`` (``row``, ``raw``): the settlement
is then held as a whole, nothing of it booked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Literal

from ..exceptions import DataError
from .money_events import MoneyEvent, SettlementHead

__all__ = [
    "DateOrder",
    "SettlementReportReader",
    "SettlementSummary",
    "date_order_for",
    "parse_amount",
    "parse_report_datetime",
]

#: Day-first (``01/09/2026`` = 1 September) or month-first (= 9 January).
DateOrder = Literal["DMY", "MDY"]

#: Marketplaces (by country code) writing month-first dates.
_MONTH_FIRST = frozenset({"US", "CA", "PH"})

#: Amounts beyond 10^15 or below 10^-9 are not money (damaged input), as in ``money.parse_money``.
_MAX_DIGITS = 15
_MAX_DECIMALS = 9
#: Values cached per reader (amounts and dates repeat across rows); cleared when full.
_CACHE_SIZE = 16_384

_GROUPING = str.maketrans("", "", " \u00a0\u202f'\u2019")
_ZONES: dict[str, timezone] = {
    "": UTC, "Z": UTC, "UTC": UTC, "GMT": UTC,
    "PST": timezone(timedelta(hours=-8)), "PDT": timezone(timedelta(hours=-7)),
    "MST": timezone(timedelta(hours=-7)), "MDT": timezone(timedelta(hours=-6)),
    "CST": timezone(timedelta(hours=-6)), "CDT": timezone(timedelta(hours=-5)),
    "EST": timezone(timedelta(hours=-5)), "EDT": timezone(timedelta(hours=-4)),
    "BST": timezone(timedelta(hours=1)), "CET": timezone(timedelta(hours=1)),
    "CEST": timezone(timedelta(hours=2)), "IST": timezone(timedelta(hours=5, minutes=30)),
    "JST": timezone(timedelta(hours=9)), "AEST": timezone(timedelta(hours=10)),
    "AEDT": timezone(timedelta(hours=11)),
}
_TIME = r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*([A-Za-z]{1,4}|[+-]\d{2}:?\d{2})?"
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})" + _TIME)


def date_order_for(country_code: str) -> DateOrder:
    """How a marketplace writes dates with slashes, when its report alone cannot tell."""
    return "MDY" if country_code.upper() in _MONTH_FIRST else "DMY"


def parse_amount(text: str) -> Decimal:
    """A locale-formatted amount → Decimal: ``1.234,56``, ``1,234.56``, ``1 234,56``,
    ``1'234.56``, ``-12,5``, ``1234``, ``(3.00)``. ValueError when it is not one."""
    value = text.strip()
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    if value[:1] in ("-", "+", "\u2212"):
        negative, value = value[0] != "+", value[1:]
    elif value.endswith("-"):
        negative, value = True, value[:-1]
    value = value.translate(_GROUPING)
    if not value:
        raise ValueError(f"not an amount: {text!r}")
    dot, comma = value.rfind("."), value.rfind(",")
    if dot >= 0 and comma >= 0:
        decimal_mark = "." if dot > comma else ","
        group_mark = "," if decimal_mark == "." else "."
        whole, fraction = value[:max(dot, comma)], value[max(dot, comma) + 1:]
        if decimal_mark in whole:
            raise ValueError(f"not an amount: {text!r}")
        digits = _ungroup(whole, group_mark, text)
    elif dot >= 0 or comma >= 0:
        mark = "." if dot >= 0 else ","
        parts = value.split(mark)
        if len(parts) > 2 or (len(parts[1]) == 3 and parts[0][:1] not in ("", "0") and len(parts[0]) <= 3):
            # 1.234 / 1,234 / 1.234.567: thousands (no Amazon currency has three decimals).
            digits, fraction = _ungroup(value, mark, text), ""
        else:
            digits, fraction = parts
    else:
        digits, fraction = value, ""
    if not digits.isdigit() or not (fraction == "" or fraction.isdigit()) or not digits.isascii() \
            or not fraction.isascii():
        raise ValueError(f"not an amount: {text!r}")
    amount = Decimal(f"{'-' if negative else ''}{digits}{'.' if fraction else ''}{fraction}")
    if amount and not -_MAX_DECIMALS <= amount.adjusted() <= _MAX_DIGITS:
        raise ValueError(f"amount out of range: {text!r}")
    return amount


def _ungroup(whole: str, mark: str, text: str) -> str:
    groups = whole.split(mark)
    if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
        raise ValueError(f"not an amount: {text!r}")
    return "".join(groups)


def parse_report_datetime(text: str, date_order: DateOrder | None = None) -> datetime:
    """A settlement report date or datetime → an aware UTC datetime. ``date_order`` says how
    to read ``01/09/2026``; None reads day-first only with dots (``01.09.2026``, German) and
    refuses ambiguous slashed dates. ValueError when it is not a date."""
    value = text.strip()
    match = _YEAR_FIRST.fullmatch(value)
    if match:
        year, month, day = int(match[1]), int(match[3]), int(match[4])
    else:
        match = _YEAR_LAST.fullmatch(value)
        if not match:
            raise ValueError(f"not a date: {text!r}")
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        # Dots are German (day-first) whatever the marketplace; slashes and dashes vary.
        order = "DMY" if match[2] == "." else date_order or _unambiguous_order(first, second)
        if order is None:
            raise ValueError(f"day or month first? {text!r}")
        day, month = (first, second) if order == "DMY" else (second, first)
    hour, minute, second_ = int(match[5] or 0), int(match[6] or 0), int(match[7] or 0)
    zone_text = match[8] or ""
    zone = _ZONES.get(zone_text.upper())
    if zone is None:
        if zone_text[:1] not in ("+", "-"):
            raise ValueError(f"unknown time zone in {text!r}")
        sign = -1 if zone_text[0] == "-" else 1
        digits = zone_text[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    moment = datetime(year, month, day, hour, minute, second_, tzinfo=zone)  # ValueError if invalid
    return moment.astimezone(UTC)


def _unambiguous_order(first: int, second: int) -> DateOrder | None:
    if first > 12 >= second:
        return "DMY"
    if second > 12 >= first:
        return "MDY"
    return None


@dataclass(frozen=True, kw_only=True)
class SettlementSummary:
    """The summary row: the settlement as Amazon totals it."""

    settlement_id: str
    start: datetime
    end: datetime
    deposit_date: datetime | None
    total: Decimal
    currency: str
    #: How this report writes slashed dates (None: it writes none).
    date_order: DateOrder | None

    def head(self) -> SettlementHead:
        return SettlementHead(key=self.settlement_id, source="report", currency=self.currency,
                              total=self.total, start=self.start, end=self.end,
                              deposit_date=self.deposit_date, payout_amount=self.total,
                              payout_currency=self.currency)


def _key(name: str) -> str:
    return name.strip().strip('"').lower().replace("_", "-")


_REQUIRED = ("settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date",
             "total-amount", "currency", "transaction-type", "amount-type", "amount-description",
             "amount")
#: A summary spanning longer than this is not a settlement period (used to tell date orders apart).
_LONGEST_PERIOD = timedelta(days=92)


class SettlementReportReader:
    """Reads a settlement report V2 from its lines (a text file object, or any iterable of
    lines): the header and summary at once (:attr:`summary`), the events when iterated (once).

    ``date_order``: how the marketplace writes slashed dates (:func:`date_order_for`), used only
    when the summary row cannot tell."""

    def __init__(self, lines: Iterable[str], *, date_order: DateOrder | None = None) -> None:
        self._lines = iter(lines)
        self._row = 0
        self._consumed = False
        header = self._next_line()
        if header is None:
            raise DataError("settlement report: empty file", details={"row": 1, "raw": ""})
        columns = [_key(c) for c in header.lstrip("\ufeff").rstrip("\r\n").split("\t")]
        missing = [c for c in _REQUIRED if c not in columns]
        if missing:
            raise self._error(f"columns missing: {', '.join(missing)}", header)
        self._width = len(columns)
        self._index = {name: columns.index(name) for name in dict.fromkeys(columns)}
        self._amounts: dict[str, Decimal] = {}
        self._dates: dict[str, datetime] = {}
        self._date_order: DateOrder | None = None
        self.summary = self._read_summary(date_order)
        self._date_order = self.summary.date_order or date_order

    def _next_line(self) -> str | None:
        for line in self._lines:
            self._row += 1
            if line.strip():
                return line
        return None

    def _error(self, message: str, raw: str) -> DataError:
        raw = raw.rstrip("\r\n")
        return DataError(f"settlement report row {self._row}: {message}",
                         details={"row": self._row, "raw": raw})

    def _fields(self, line: str) -> list[str]:
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != self._width:
            raise self._error(f"{len(fields)} columns, the header has {self._width}", line)
        return [f[1:-1] if len(f) > 1 and f[0] == '"' == f[-1] else f for f in fields]

    def _read_summary(self, date_order: DateOrder | None) -> SettlementSummary:
        line = self._next_line()
        if line is None:
            raise DataError("settlement report: no summary row", details={"row": self._row + 1, "raw": ""})
        fields = self._fields(line)
        get = {name: fields[i].strip() for name, i in self._index.items()}
        if get["amount"] or get["transaction-type"]:
            raise self._error("the first row is not the summary row", line)
        for name in ("settlement-id", "settlement-start-date", "settlement-end-date", "total-amount",
                     "currency"):
            if not get[name]:
                raise self._error(f"summary without {name}", line)
        dates = (get["settlement-start-date"], get["settlement-end-date"], get["deposit-date"])
        try:
            order = self._summary_date_order(dates, date_order)
            start, end = (parse_report_datetime(d, order) for d in dates[:2])
            deposit = parse_report_datetime(dates[2], order) if dates[2] else None
            total = parse_amount(get["total-amount"])
        except ValueError as exc:
            raise self._error(str(exc), line) from None
        if end < start:
            raise self._error("the settlement ends before it starts", line)
        return SettlementSummary(settlement_id=get["settlement-id"], start=start, end=end,
                                 deposit_date=deposit, total=total, currency=get["currency"].upper(),
                                 date_order=order)

    @staticmethod
    def _summary_date_order(dates: tuple[str, str, str], hint: DateOrder | None) -> DateOrder | None:
        """The order under which the summary's dates make a settlement period: start ≤ end, at
        most a quarter long, paid out after it started. None when no date has slashes."""
        if not any("/" in d or "-" in d[:3] for d in dates):
            return None
        fits: list[DateOrder] = []
        for order in ("DMY", "MDY"):
            try:
                start, end = (parse_report_datetime(d, order) for d in dates[:2])
                deposit = parse_report_datetime(dates[2], order) if dates[2] else end
            except ValueError:
                continue
            if start <= end and end - start <= _LONGEST_PERIOD and deposit >= start - timedelta(days=1):
                fits.append(order)
        if len(fits) == 1:
            return fits[0]
        if fits and hint is not None:
            return hint
        if fits:
            raise ValueError(f"dates {', '.join(d for d in dates if d)} read day-first and month-first alike;"
                             " give the marketplace's date order")
        raise ValueError(f"dates {', '.join(d for d in dates if d)} make no settlement period")

    def _amount(self, text: str) -> Decimal:
        amount = self._amounts.get(text)
        if amount is None:
            amount = parse_amount(text)
            if len(self._amounts) >= _CACHE_SIZE:
                self._amounts.clear()
            self._amounts[text] = amount
        return amount

    def _date(self, text: str) -> datetime:
        moment = self._dates.get(text)
        if moment is None:
            moment = parse_report_datetime(text, self._date_order)
            if len(self._dates) >= _CACHE_SIZE:
                self._dates.clear()
            self._dates[text] = moment
        return moment

    def __iter__(self) -> Iterator[MoneyEvent]:
        if self._consumed:
            raise RuntimeError("a settlement report is read once")
        self._consumed = True
        return self._events()

    def _events(self) -> Iterator[MoneyEvent]:
        index = self._index
        i_id, i_tt, i_at = index["settlement-id"], index["transaction-type"], index["amount-type"]
        i_ad, i_amount = index["amount-description"], index["amount"]
        # Optional columns missing from a file read as the padding column (always empty).
        width = self._width
        i_order, i_adj = index.get("order-id", width), index.get("adjustment-id", width)
        i_ship, i_sku = index.get("shipment-id", width), index.get("sku", width)
        i_qty, i_market = index.get("quantity-purchased", width), index.get("marketplace-name", width)
        i_posted = index.get("posted-date-time", index.get("posted-date", width))
        i_posted_date = index.get("posted-date", width)
        settlement_id, currency = self.summary.settlement_id, self.summary.currency
        amounts, dates = self._amounts, self._dates
        padding = [""]

        for line in self._lines:
            self._row += 1
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) != width or '"' in line:
                if not line.strip():
                    continue
                fields = self._fields(line)  # raises on a wrong number of columns
            fields += padding
            if fields[i_id] != settlement_id and fields[i_id].strip() != settlement_id:
                raise self._error(f"settlement id {fields[i_id]!r} in settlement {settlement_id}", line)
            try:
                text = fields[i_amount]
                amount = amounts.get(text)
                if amount is None:
                    amount = self._amount(text)
                text = (fields[i_posted] or fields[i_posted_date]).strip()
                if text:
                    posted = dates.get(text)
                    if posted is None:
                        posted = self._date(text)
                else:
                    posted = None
                text = fields[i_qty]
                quantity = int(text) if text else None
            except ValueError as exc:
                raise self._error(str(exc), line) from None
            yield MoneyEvent(
                fields[i_tt].strip(), fields[i_at].strip(), fields[i_ad].strip(), amount, currency, posted,
                fields[i_order].strip() or None, fields[i_adj].strip() or None, fields[i_ship].strip() or None,
                fields[i_sku].strip() or None, quantity, fields[i_market].strip() or None, f"row {self._row}")
