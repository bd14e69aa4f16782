"""Settlement report V2: streaming parse, locale-formatted amounts and dates, malformed rows."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amazon_odoo_sync.exceptions import DataError
from amazon_odoo_sync.mapping.money_events import MoneyEvent
from amazon_odoo_sync.mapping.settlement_report import (
    SettlementReportReader,
    date_order_for,
    parse_amount,
    parse_report_datetime,
)
from tests.factories.settlements import COLUMNS, LOCALES, format_amount, head_for, report_lines

D = Decimal


@pytest.mark.parametrize(("text", "amount"), [
    ("1.234,56", D("1234.56")), ("1,234.56", D("1234.56")), ("1 234,56", D("1234.56")),
    ("1\u00a0234,56", D("1234.56")), ("1'234.56", D("1234.56")), ("-12,34", D("-12.34")), ("12.34", D("12.34")),
    ("1234", D("1234")), ("1.234", D("1234")), ("1,234", D("1234")), ("1.234.567,89", D("1234567.89")),
    ("-0,123", D("-0.123")), ("0.5", D("0.5")), ("(3.00)", D("-3.00")), ("3.00-", D("-3.00")), ("+5", D("5")),
    ("\u22121,50", D("-1.50")), (" -2,5 ", D("-2.5")),
])
def test_amounts_in_every_locale(text: str, amount: Decimal) -> None:
    parsed = parse_amount(text)
    assert parsed == amount and parsed.as_tuple().exponent == amount.as_tuple().exponent


@pytest.mark.parametrize("text", ["", "-", "abc", "1.2.3", "1,23,4", "1.234,5,6", "--1", "1e5", "NaN", "Infinity",
                                  "\u0661\u0662", "12,34.5", "1.23,456", "9" * 20])
def test_not_amounts(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


@given(st.integers(min_value=-10**12, max_value=10**12), st.sampled_from(sorted(LOCALES)))
def test_any_amount_survives_its_locale(cents: int, locale: str) -> None:
    amount = Decimal(cents) / 100
    assert parse_amount(format_amount(amount, LOCALES[locale])) == amount


@pytest.mark.parametrize(("text", "order", "moment"), [
    ("01.09.2026 07:08:16 UTC", None, datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)),
    ("01.09.2026", "MDY", datetime(2026, 9, 1, tzinfo=UTC)),  # dots are day-first everywhere
    ("2026-09-01T07:08:16+00:00", None, datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)),
    ("2026-09-01T09:08:16+02:00", None, datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)),
    ("2026-09-01T07:08:16Z", None, datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)),
    ("2026-09-01 07:08:16 UTC", None, datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)),
    ("2026-09-01 00:08:16 PDT", None, datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)),
    ("2026/09/01 16:08:16 JST", None, datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)),
    ("2026-09-01", None, datetime(2026, 9, 1, tzinfo=UTC)),
    ("09/01/2026", "MDY", datetime(2026, 9, 1, tzinfo=UTC)),
    ("01/09/2026", "DMY", datetime(2026, 9, 1, tzinfo=UTC)),
    ("13/09/2026", None, datetime(2026, 9, 13, tzinfo=UTC)),
    ("09/13/2026 07:08:16 UTC", None, datetime(2026, 9, 13, 7, 8, 16, tzinfo=UTC)),
    ("2026-09-01T07:08:16.123+0000", None, datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)),
])
def test_dates_in_every_locale(text: str, order: str | None, moment: datetime) -> None:
    parsed = parse_report_datetime(text, order)  # type: ignore[arg-type]
    assert parsed == moment and parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", ["09/01/2026", "31/31/2026", "2026-02-30", "yesterday", "01.09.2026 07:08 XYZ",
                                  "2026-09-01T25:00:00"])
def test_not_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_report_datetime(text)


def test_marketplace_date_order() -> None:
    assert date_order_for("US") == "MDY" and date_order_for("ca") == "MDY"
    assert date_order_for("UK") == "DMY" and date_order_for("DE") == "DMY"


def _events() -> list[MoneyEvent]:
    posted = datetime(2026, 9, 3, 10, 11, 12, tzinfo=UTC)
    return [
        MoneyEvent("Order", "ItemPrice", "Principal", D("1234.56"), "EUR", posted, "302-1", None, "S1", "SKU-1", 2,
                   "Amazon.de"),
        MoneyEvent("Order", "ItemFees", "Commission", D("-185.18"), "EUR", posted, "302-1", None, "S1", "SKU-1", 2,
                   "Amazon.de"),
        MoneyEvent("Refund", "ItemPrice", "Principal", D("-20.00"), "EUR", posted, "302-2", "ADJ-7", None, "SKU-2",
                   None, "Amazon.de"),
        MoneyEvent("other-transaction", "other-transaction", "Storage Fee", D("-1000.00"), "EUR", posted),
    ]


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_report_read_in_each_locale(locale: str) -> None:
    events = _events()
    head = head_for(events)
    reader = SettlementReportReader(io.StringIO("".join(report_lines(head, events, LOCALES[locale]))),
                                    date_order=date_order_for("US" if locale == "US" else "DE"))
    summary = reader.summary
    assert (summary.settlement_id, summary.total, summary.currency) == (head.key, head.total, "EUR")
    assert (summary.start, summary.end, summary.deposit_date) == (head.start, head.end, head.deposit_date)
    assert summary.head().payout_amount == head.total
    parsed = list(reader)
    assert [(e.transaction_type, e.amount_type, e.amount_description, e.amount, e.currency, e.posted, e.order_id,
             e.adjustment_id, e.shipment_id, e.sku, e.quantity, e.marketplace) for e in parsed] == \
        [(e.transaction_type, e.amount_type, e.amount_description, e.amount, e.currency, e.posted, e.order_id,
          e.adjustment_id, e.shipment_id, e.sku, e.quantity, e.marketplace) for e in events]
    assert [e.source for e in parsed] == ["row 3", "row 4", "row 5", "row 6"]


def _report(rows: list[dict[str, str]], summary: dict[str, str] | None = None) -> str:
    base = {"settlement-id": "777", "settlement-start-date": "01.09.2026 07:08:16 UTC",
            "settlement-end-date": "15.09.2026 07:08:16 UTC", "deposit-date": "17.09.2026 07:08:16 UTC",
            "total-amount": "1.234,56", "currency": "EUR"}
    lines = ["\t".join(COLUMNS)]
    for row in [{**base, **(summary or {})}, *rows]:
        lines.append("\t".join(row.get(c, "") for c in COLUMNS))
    return "\n".join(lines) + "\n"


ROW = {"settlement-id": "777", "transaction-type": "Order", "order-id": "302-1", "amount-type": "ItemPrice",
       "amount-description": "Principal", "amount": "1.234,56", "posted-date-time": "03.09.2026 10:11:12 UTC"}


def test_malformed_row_names_its_number_and_raw_text() -> None:
    bad = {**ROW, "amount": "12,3x"}
    text = _report([ROW, ROW, bad, ROW])
    reader = SettlementReportReader(io.StringIO(text))
    events = iter(reader)
    assert next(events).amount == D("1234.56")
    assert next(events).amount == D("1234.56")
    with pytest.raises(DataError) as caught:
        next(events)
    raw = "\t".join(bad.get(c, "") for c in COLUMNS)
    assert caught.value.details == {"row": 5, "raw": raw}
    assert "row 5" in str(caught.value) and "12,3x" in str(caught.value)


@pytest.mark.parametrize(("row", "why"), [
    ({**ROW, "amount": ""}, "not an amount"),
    ({**ROW, "posted-date-time": "32.09.2026 10:11:12 UTC"}, "day is out of range"),
    ({**ROW, "settlement-id": "778"}, "settlement id"),
    ({**ROW, "quantity-purchased": "two"}, "invalid literal"),
])
def test_malformed_rows(row: dict[str, str], why: str) -> None:
    reader = SettlementReportReader(io.StringIO(_report([ROW, row])))
    with pytest.raises(DataError, match=why) as caught:
        list(reader)
    assert caught.value.details["row"] == 4


def test_row_with_a_column_too_many_or_too_few() -> None:
    good = "\t".join(ROW.get(c, "") for c in COLUMNS)
    for raw in (good + "\textra", good.rsplit("\t", 1)[0]):
        text = _report([ROW]) + raw + "\n"
        with pytest.raises(DataError, match="columns") as caught:
            list(SettlementReportReader(io.StringIO(text)))
        assert caught.value.details == {"row": 4, "raw": raw}


def test_blank_lines_are_skipped_but_counted() -> None:
    text = _report([ROW]).replace("\n", "\n\n", 2) + "\n\n"
    reader = SettlementReportReader(io.StringIO(text))
    assert [e.source for e in reader] == ["row 5"]


@pytest.mark.parametrize(("text", "why"), [
    ("", "empty file"),
    ("\t".join(c for c in COLUMNS if c != "amount") + "\n", "columns missing: amount"),
    ("\t".join(COLUMNS) + "\n", "no summary row"),
])
def test_not_a_report(text: str, why: str) -> None:
    with pytest.raises(DataError, match=why):
        SettlementReportReader(io.StringIO(text))


def test_summary_row_must_come_first_and_be_complete() -> None:
    with pytest.raises(DataError, match="not the summary row") as caught:
        SettlementReportReader(io.StringIO(_report([], summary=ROW)))
    assert caught.value.details["row"] == 2
    with pytest.raises(DataError, match="summary without total-amount"):
        SettlementReportReader(io.StringIO(_report([], summary={"total-amount": ""})))
    with pytest.raises(DataError, match="ends before it starts"):
        SettlementReportReader(io.StringIO(_report([], summary={"settlement-end-date": "01.08.2026"})))


def test_a_bom_and_quoted_fields_and_crlf() -> None:
    text = "\ufeff" + _report([{**ROW, "amount-description": '"Principal"'}]).replace("\n", "\r\n")
    reader = SettlementReportReader(io.StringIO(text))
    assert [(e.amount_description, e.amount) for e in reader] == [("Principal", D("1234.56"))]


def test_slashed_dates_take_the_order_of_the_summary_period() -> None:
    # 09/01 → 09/15: month-first (day-first would be 9 Jan → 9 Mar... 15 is no month).
    us = _report([{**ROW, "amount": "1,234.56", "posted-date-time": "09/03/2026 10:11:12 UTC"}],
                 summary={"settlement-start-date": "09/01/2026", "settlement-end-date": "09/15/2026",
                          "deposit-date": "09/17/2026", "total-amount": "1,234.56"})
    reader = SettlementReportReader(io.StringIO(us))
    assert reader.summary.date_order == "MDY"
    assert [e.posted for e in reader] == [datetime(2026, 9, 3, 10, 11, 12, tzinfo=UTC)]
    # 01/09 → 12/09: both read as dates, only day-first makes a settlement period (11 days, not 11 months).
    uk = _report([{**ROW, "posted-date-time": "03/09/2026 10:11:12 UTC"}],
                 summary={"settlement-start-date": "01/09/2026", "settlement-end-date": "12/09/2026",
                          "deposit-date": "14/09/2026"})
    reader = SettlementReportReader(io.StringIO(uk), date_order="MDY")
    assert reader.summary.date_order == "DMY"
    assert [e.posted for e in reader] == [datetime(2026, 9, 3, 10, 11, 12, tzinfo=UTC)]


def test_ambiguous_summary_dates_need_the_marketplace_order() -> None:
    text = _report([], summary={"settlement-start-date": "01/02/2026", "settlement-end-date": "01/02/2026",
                                "deposit-date": "02/02/2026"})
    with pytest.raises(DataError, match="day-first and month-first alike"):
        SettlementReportReader(io.StringIO(text))
    assert SettlementReportReader(io.StringIO(text), date_order="MDY").summary.start == \
        datetime(2026, 1, 2, tzinfo=UTC)


def test_the_report_is_read_as_a_stream() -> None:
    """Rows are read as the events are consumed, never ahead: a huge report is never whole in memory."""
    read = 0

    def lines() -> Iterator[str]:
        nonlocal read
        for line in _report([ROW] * 1000).splitlines(keepends=True):
            read += 1
            yield line

    reader = SettlementReportReader(lines())
    assert read == 2
    events = iter(reader)
    next(events)
    next(events)
    assert read == 4
    with pytest.raises(RuntimeError):
        iter(reader)
