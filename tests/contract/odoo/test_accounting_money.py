"""Contract: what the settlement flow calls in accounting (issue #15).

``reconcile()`` (partial, full, its checks), import markers reconciled at post, bank statement
lines against a clearing account, invoicing sale orders through the wizard, credit notes through
``account.move.reversal`` and the invoices' ``payment_state``. Every expectation is Odoo 18's
as measured in ../shared/odoo18-accounting.md; the tests create their own accounts and journals'
entries under unique names, so they run against a shared real database too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from amazon_odoo_sync.exceptions import RemoteRuleError
from amazon_odoo_sync.odoo import OdooClient

from .helpers import make_order, make_partner, make_product
from .test_accounting import _ensure_basic_accounting

LINE_FIELDS = ["account_id", "balance", "amount_residual", "reconciled", "matching_number", "partner_id"]


async def _account(odoo: OdooClient, unique: Callable[[str], str], prefix: str, *,
                   reconcile: bool = True, account_type: str = "asset_current") -> int:
    code = unique(prefix).replace("-", "")[:16]  # Odoo 18: alphanumeric codes
    [account] = await odoo.create("account.account", [{"code": code, "name": f"Amazon {code}",
                                                       "account_type": account_type, "reconcile": reconcile}])
    return account


async def _first(odoo: OdooClient, model: str, domain: list[Any]) -> int:
    [found] = await odoo.search(model, domain, limit=1, order="id")
    return found


async def _entry(odoo: OdooClient, ref: str, lines: list[dict[str, Any]], *, post: bool = True,
                 date: str = "2025-04-01") -> dict[int, int]:
    """An entry (general journal) from ``lines``; returns {index in lines: move line id}."""
    journal = await _first(odoo, "account.journal", [["type", "=", "general"]])
    [move] = await odoo.create("account.move", [{
        "move_type": "entry", "journal_id": journal, "date": date, "ref": ref,
        "line_ids": [[0, 0, {"name": f"{ref} {n}", **line}] for n, line in enumerate(lines)]}])
    if post:
        await odoo.call_method("account.move", "action_post", [move])
    rows = await odoo.search_read("account.move.line", [["move_id", "=", move]], ["name"])
    by_name = {row["name"]: row["id"] for row in rows}
    return {n: by_name[f"{ref} {n}"] for n in range(len(lines))}


async def _lines(odoo: OdooClient, ids: list[int]) -> list[dict[str, Any]]:
    rows = await odoo.read("account.move.line", ids, LINE_FIELDS)
    by_id = {row["id"]: row for row in rows}
    return [by_id[i] for i in ids]


async def _income(odoo: OdooClient) -> int:
    return await _first(odoo, "account.account", [["account_type", "=", "income"], ["deprecated", "=", False]])


async def test_reconcile_partial_then_full_and_its_checks(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    clearing = await _account(odoo, unique, "CLR")
    income = await _income(odoo)
    a, b = await make_partner(odoo, unique("Amazon EU")), await make_partner(odoo, unique("Buyer"))
    first = await _entry(odoo, unique("S1"), [{"account_id": clearing, "debit": 100.0, "partner_id": a},
                                              {"account_id": income, "credit": 100.0}])
    second = await _entry(odoo, unique("S2"), [{"account_id": clearing, "credit": 60.0, "partner_id": b},
                                               {"account_id": income, "debit": 60.0}])
    third = await _entry(odoo, unique("S3"), [{"account_id": clearing, "credit": 40.0},
                                              {"account_id": income, "debit": 40.0}], post=False)
    with pytest.raises(RemoteRuleError, match="posted"):
        await odoo.call_method("account.move.line", "reconcile", [first[0], third[0]])
    with pytest.raises(RemoteRuleError, match="same account"):
        await odoo.call_method("account.move.line", "reconcile", [first[0], second[1]])
    with pytest.raises(RemoteRuleError, match="does not allow reconciliation"):
        await odoo.call_method("account.move.line", "reconcile", [first[1], second[1]])

    # Partners differ: Odoo does not mind. 100 against 60: a partial, 40 left open.
    assert await odoo.call_method("account.move.line", "reconcile", [first[0], second[0]]) is None
    one, two = await _lines(odoo, [first[0], second[0]])
    assert (one["amount_residual"], one["reconciled"]) == (40.0, False)
    assert (two["amount_residual"], two["reconciled"]) == (0.0, True)
    assert one["matching_number"].startswith("P") and two["matching_number"] == one["matching_number"]

    [third_move] = await odoo.search("account.move.line", [["id", "=", third[0]]])
    [row] = await odoo.read("account.move.line", [third_move], ["move_id"])
    await odoo.call_method("account.move", "action_post", [row["move_id"][0]])
    await odoo.call_method("account.move.line", "reconcile", [first[0], third[0]])
    rows = await _lines(odoo, [first[0], second[0], third[0]])
    assert all(r["reconciled"] and r["amount_residual"] == 0.0 for r in rows)
    numbers = {r["matching_number"] for r in rows}
    assert len(numbers) == 1 and not next(iter(numbers)).startswith(("P", "I"))
    with pytest.raises(RemoteRuleError, match="already reconciled"):
        await odoo.call_method("account.move.line", "reconcile", [first[0], second[0]])

    # Undo the last match: the line it touched is open again, the first partial stays.
    await odoo.call_method("account.move.line", "remove_move_reconcile", [third[0]])
    one, three = await _lines(odoo, [first[0], third[0]])
    assert (one["amount_residual"], one["reconciled"]) == (40.0, False)
    assert (three["amount_residual"], three["reconciled"], three["matching_number"]) == (-40.0, False, False)


async def test_import_markers_reconcile_when_the_last_side_is_posted(
        odoo: OdooClient, unique: Callable[[str], str]) -> None:
    clearing = await _account(odoo, unique, "MRK")
    income = await _income(odoo)
    marker = unique("AMZ")
    posted_first = await _entry(odoo, unique("M1"), [
        {"account_id": clearing, "credit": 25.5, "matching_number": marker}, {"account_id": income, "debit": 25.5}])
    draft = await _entry(odoo, unique("M2"), [
        {"account_id": clearing, "debit": 25.5, "matching_number": marker}, {"account_id": income, "credit": 25.5}],
        post=False)
    one, two = await _lines(odoo, [posted_first[0], draft[0]])
    assert one["matching_number"] == two["matching_number"] == f"I{marker}"
    assert not one["reconciled"]
    [row] = await odoo.read("account.move.line", [draft[0]], ["move_id"])
    await odoo.call_method("account.move", "action_post", [row["move_id"][0]])
    one, two = await _lines(odoo, [posted_first[0], draft[0]])
    assert one["reconciled"] and two["reconciled"] and one["matching_number"] == two["matching_number"]
    assert not one["matching_number"].startswith(("I", "P"))

    # Written after both sides were posted, a marker reconciles nothing.
    late = unique("LATE")
    x = await _entry(odoo, unique("M3"), [{"account_id": clearing, "debit": 7.0},
                                          {"account_id": income, "credit": 7.0}])
    y = await _entry(odoo, unique("M4"), [{"account_id": clearing, "credit": 7.0},
                                          {"account_id": income, "debit": 7.0}])
    await odoo.write("account.move.line", [x[0], y[0]], {"matching_number": late})
    three, four = await _lines(odoo, [x[0], y[0]])
    assert three["matching_number"] == f"I{late}" and not three["reconciled"] and not four["reconciled"]

    # On an account that does not reconcile, posting the marked pair makes it reconcilable.
    plain = await _account(odoo, unique, "PLN", reconcile=False)
    marker2 = unique("AMZ2")
    await _entry(odoo, unique("M5"), [{"account_id": plain, "debit": 3.0, "matching_number": marker2},
                                      {"account_id": income, "credit": 3.0}])
    five = await _entry(odoo, unique("M6"), [{"account_id": plain, "credit": 3.0, "matching_number": marker2},
                                             {"account_id": income, "debit": 3.0}])
    [acc] = await odoo.read("account.account", [plain], ["reconcile"])
    [line] = await _lines(odoo, [five[0]])
    assert acc["reconcile"] is True and line["reconciled"]


async def _invoice_orders(odoo: OdooClient, orders: list[int]) -> list[int]:
    context = {"active_model": "sale.order", "active_ids": orders}
    [wizard] = await odoo.create("sale.advance.payment.inv", [{"advance_payment_method": "delivered",
                                                               "consolidated_billing": False}], context=context)
    await odoo.call_method("sale.advance.payment.inv", "create_invoices", [wizard], context=context)
    rows = await odoo.read("sale.order", orders, ["invoice_ids"])
    return [row["invoice_ids"][0] for row in sorted(rows, key=lambda r: orders.index(r["id"]))]


async def _receivable_line(odoo: OdooClient, invoice: int) -> dict[str, Any]:
    [line] = await odoo.search_read("account.move.line", [["move_id", "=", invoice],
                                                          ["display_type", "=", "payment_term"]],
                                    ["account_id", "amount_residual", "matching_number", "partner_id"])
    return line


async def test_invoices_per_order_paid_by_a_settlement_entry(odoo: OdooClient,
                                                             unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Amazon buyer"))
    product = await make_product(odoo, unique("INV"), product_type="service", price=19.99, taxes=[])
    orders = [await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": q, "price_unit": 19.99,
                                                "tax_id": [[6, 0, []]]}]) for q in (1, 3)]
    await odoo.call_method("sale.order", "action_confirm", orders)
    invoices = await _invoice_orders(odoo, orders)
    assert len(set(invoices)) == 2  # one per order, even for one partner
    totals = {r["id"]: r["amount_total"] for r in await odoo.read("sale.order", orders, ["amount_total"])}
    moves = {r["id"]: r for r in await odoo.read("account.move", invoices, ["amount_total", "state", "invoice_origin"])}
    assert [moves[i]["amount_total"] for i in invoices] == [totals[o] for o in orders] == [19.99, 59.97]
    await odoo.write("account.move", invoices, {"invoice_date": "2025-03-10"})
    [row] = await odoo.read("account.move", [invoices[0]], ["date", "invoice_date"])
    assert row["date"] == row["invoice_date"] == "2025-03-10"
    await odoo.call_method("account.move", "action_post", invoices)
    receivable = await _receivable_line(odoo, invoices[1])

    # The settlement pays 50.00 first (partial), then the rest.
    clearing = await _account(odoo, unique, "STL")
    part = await _entry(odoo, unique("P1"), [
        {"account_id": receivable["account_id"][0], "credit": 50.0, "partner_id": partner},
        {"account_id": clearing, "debit": 50.0}])
    await odoo.call_method("account.move.line", "reconcile", [receivable["id"], part[0]])
    [inv] = await odoo.read("account.move", [invoices[1]], ["payment_state", "amount_residual"])
    assert (inv["payment_state"], inv["amount_residual"]) == ("partial", 9.97)
    rest = await _entry(odoo, unique("P2"), [
        {"account_id": receivable["account_id"][0], "credit": 9.97, "partner_id": partner},
        {"account_id": clearing, "debit": 9.97}])
    await odoo.call_method("account.move.line", "reconcile", [receivable["id"], rest[0]])
    [inv] = await odoo.read("account.move", [invoices[1]], ["payment_state", "amount_residual"])
    assert (inv["payment_state"], inv["amount_residual"]) == ("paid", 0.0)
    [other] = await odoo.read("account.move", [invoices[0]], ["payment_state"])
    assert other["payment_state"] == "not_paid"


async def test_marker_on_a_draft_invoice_reconciles_with_the_settlement(
        odoo: OdooClient, unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Marked buyer"))
    product = await make_product(odoo, unique("MRK"), product_type="service", price=12.0, taxes=[])
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 2, "price_unit": 12.0,
                                              "tax_id": [[6, 0, []]]}])
    await odoo.call_method("sale.order", "action_confirm", [order])
    [invoice] = await _invoice_orders(odoo, [order])
    receivable = await _receivable_line(odoo, invoice)
    marker = unique("AMZ-302")
    await odoo.write("account.move.line", [receivable["id"]], {"matching_number": marker})
    settlement = await _entry(odoo, unique("SET"), [
        {"account_id": receivable["account_id"][0], "credit": 24.0, "partner_id": partner, "matching_number": marker},
        {"account_id": await _account(odoo, unique, "CLM"), "debit": 24.0}])
    await odoo.write("account.move", [invoice], {"invoice_date": "2025-03-11"})
    await odoo.call_method("account.move", "action_post", [invoice])
    [inv] = await odoo.read("account.move", [invoice], ["payment_state", "amount_residual"])
    assert (inv["payment_state"], inv["amount_residual"]) == ("paid", 0.0)
    [line] = await _lines(odoo, [settlement[0]])
    assert line["reconciled"]


async def test_credit_notes_through_the_reversal_wizard(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Refunded buyer"))
    product = await make_product(odoo, unique("RFD"), product_type="service", price=40.0, taxes=[])
    orders = [await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 2, "price_unit": 40.0,
                                                "tax_id": [[6, 0, []]]}]) for _ in range(2)]
    await odoo.call_method("sale.order", "action_confirm", orders)
    invoices = await _invoice_orders(odoo, orders)
    await odoo.call_method("account.move", "action_post", invoices)

    async def reverse(invoice: int) -> int:
        context = {"active_model": "account.move", "active_ids": [invoice]}
        [wizard] = await odoo.create("account.move.reversal", [{"reason": "Amazon refund"}], context=context)
        action = await odoo.call_method("account.move.reversal", "refund_moves", [wizard], context=context)
        return int(action["res_id"])

    # A partial refund: the credit note's line is edited while draft, then posted.
    credit = await reverse(invoices[0])
    [note] = await odoo.read("account.move", [credit], ["move_type", "state", "reversed_entry_id", "amount_total",
                                                        "invoice_line_ids"])
    assert (note["move_type"], note["state"], note["reversed_entry_id"][0], note["amount_total"]) == (
        "out_refund", "draft", invoices[0], 80.0)
    await odoo.write("account.move", [credit], {
        "invoice_line_ids": [[1, note["invoice_line_ids"][0], {"quantity": 1, "price_unit": 30.0}]]})
    await odoo.call_method("account.move", "action_post", [credit])
    [inv] = await odoo.read("account.move", [invoices[0]], ["amount_residual", "payment_state"])
    assert (inv["amount_residual"], inv["payment_state"]) == (50.0, "partial")
    [note] = await odoo.read("account.move", [credit], ["payment_state", "amount_total"])
    assert (note["amount_total"], note["payment_state"]) == (30.0, "paid")

    # A full refund: the invoice is reversed.
    credit = await reverse(invoices[1])
    await odoo.call_method("account.move", "action_post", [credit])
    [inv] = await odoo.read("account.move", [invoices[1]], ["amount_residual", "payment_state"])
    assert (inv["amount_residual"], inv["payment_state"]) == (0.0, "reversed")


async def test_payout_bank_line_reconciled_with_the_clearing_lines(
        odoo: OdooClient, unique: Callable[[str], str]) -> None:
    [bank] = await odoo.search_read("account.journal", [["type", "=", "bank"]],
                                    ["default_account_id", "suspense_account_id"], limit=1, order="id")
    await _ensure_basic_accounting(odoo, unique, bank["id"])
    clearing = await _account(odoo, unique, "PAY")
    income = await _income(odoo)
    chunks = [await _entry(odoo, unique(f"C{n}"), [{"account_id": clearing, "debit": amount},
                                                   {"account_id": income, "credit": amount}])
              for n, amount in enumerate((70.25, 30.0))]
    reference = unique("AMZ-PAYOUT")
    [statement] = await odoo.create("account.bank.statement", [{
        "name": reference, "reference": reference, "line_ids": [[0, 0, {
            "journal_id": bank["id"], "date": "2025-04-15", "payment_ref": reference, "amount": 100.25,
            "counterpart_account_id": clearing}]]}])
    [st] = await odoo.read("account.bank.statement", [statement], ["line_ids", "journal_id", "reference"])
    assert st["journal_id"][0] == bank["id"] and st["reference"] == reference
    [line] = await odoo.read("account.bank.statement.line", st["line_ids"], ["move_id", "state", "is_reconciled"])
    # no suspense line: "reconciled" for the statement line though the clearing line is still open
    assert line["state"] == "posted" and line["is_reconciled"] is True
    items = await odoo.search_read("account.move.line", [["move_id", "=", line["move_id"][0]]],
                                   ["account_id", "balance", "reconciled"])
    balances = {item["account_id"][0]: item["balance"] for item in items}
    assert balances == {bank["default_account_id"][0]: 100.25, clearing: -100.25}
    bank_clearing = next(item["id"] for item in items if item["account_id"][0] == clearing)
    await odoo.call_method("account.move.line", "reconcile", [chunks[0][0], chunks[1][0], bank_clearing])
    rows = await _lines(odoo, [chunks[0][0], chunks[1][0], bank_clearing])
    assert all(r["reconciled"] for r in rows) and len({r["matching_number"] for r in rows}) == 1

    # A deposit imported by other means: its suspense line moves to the clearing account.
    other = await _entry(odoo, unique("C9"), [{"account_id": clearing, "debit": 12.0},
                                              {"account_id": income, "credit": 12.0}])
    [imported] = await odoo.create("account.bank.statement.line", [{
        "journal_id": bank["id"], "date": "2025-04-16", "payment_ref": unique("BANK-IMPORT"), "amount": 12.0}])
    [row] = await odoo.read("account.bank.statement.line", [imported], ["move_id", "is_reconciled"])
    assert row["is_reconciled"] is False
    [suspense] = await odoo.search("account.move.line", [["move_id", "=", row["move_id"][0]],
                                                         ["account_id", "=", bank["suspense_account_id"][0]]])
    await odoo.write("account.move.line", [suspense], {"account_id": clearing})
    await odoo.call_method("account.move.line", "reconcile", [other[0], suspense])
    [row] = await odoo.read("account.bank.statement.line", [imported], ["is_reconciled"])
    [moved] = await _lines(odoo, [suspense])
    assert row["is_reconciled"] is True and moved["reconciled"]


async def test_consolidated_billing_groups_orders_of_one_customer(odoo: OdooClient,
                                                                  unique: Callable[[str], str]) -> None:
    partner = await make_partner(odoo, unique("Grouped buyer"))
    product = await make_product(odoo, unique("GRP"), product_type="service", price=5.0, taxes=[])
    orders = [await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 1, "price_unit": 5.0,
                                                "tax_id": [[6, 0, []]]}]) for _ in range(2)]
    await odoo.call_method("sale.order", "action_confirm", orders)
    context = {"active_model": "sale.order", "active_ids": orders}
    [wizard] = await odoo.create("sale.advance.payment.inv", [{"advance_payment_method": "delivered"}],
                                 context=context)
    action = await odoo.call_method("sale.advance.payment.inv", "create_invoices", [wizard], context=context)
    rows = await odoo.read("sale.order", orders, ["invoice_ids"])
    assert rows[0]["invoice_ids"] == rows[1]["invoice_ids"] == [action["res_id"]]
    [move] = await odoo.read("account.move", [action["res_id"]], ["amount_total"])
    assert move["amount_total"] == 10.0


async def test_replaying_a_settlement_entry(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    """Undo in Odoo: ``button_draft`` drops the entry's reconciliations (the invoice is unpaid
    again) and the draft goes; a reversal posts at once and matches only what was still open."""
    partner = await make_partner(odoo, unique("Replayed buyer"))
    product = await make_product(odoo, unique("RPL"), product_type="service", price=8.0, taxes=[])
    order = await make_order(odoo, partner, [{"product_id": product, "product_uom_qty": 1, "price_unit": 8.0,
                                              "tax_id": [[6, 0, []]]}])
    await odoo.call_method("sale.order", "action_confirm", [order])
    [invoice] = await _invoice_orders(odoo, [order])
    await odoo.call_method("account.move", "action_post", [invoice])
    receivable = await _receivable_line(odoo, invoice)
    clearing = await _account(odoo, unique, "RPL")
    settle = await _entry(odoo, unique("R1"), [
        {"account_id": receivable["account_id"][0], "credit": 8.0, "partner_id": partner},
        {"account_id": clearing, "debit": 8.0}])
    await odoo.call_method("account.move.line", "reconcile", [receivable["id"], settle[0]])
    [row] = await odoo.read("account.move.line", [settle[0]], ["move_id"])
    entry = row["move_id"][0]
    with pytest.raises(RemoteRuleError):
        await odoo.unlink("account.move", [entry])
    await odoo.call_method("account.move", "button_draft", [entry])
    [inv] = await odoo.read("account.move", [invoice], ["payment_state", "amount_residual"])
    assert (inv["payment_state"], inv["amount_residual"]) == ("not_paid", 8.0)
    await odoo.unlink("account.move", [entry])
    assert await odoo.search("account.move", [["id", "=", entry]]) == []

    settle = await _entry(odoo, unique("R2"), [
        {"account_id": receivable["account_id"][0], "credit": 8.0, "partner_id": partner},
        {"account_id": clearing, "debit": 8.0}])
    await odoo.call_method("account.move.line", "reconcile", [receivable["id"], settle[0]])
    [row] = await odoo.read("account.move.line", [settle[0]], ["move_id"])
    context = {"active_model": "account.move", "active_ids": [row["move_id"][0]]}
    [wizard] = await odoo.create("account.move.reversal", [{"reason": "replay"}], context=context)
    action = await odoo.call_method("account.move.reversal", "refund_moves", [wizard], context=context)
    [reversal] = await odoo.read("account.move", [action["res_id"]], ["state", "move_type", "line_ids"])
    assert (reversal["state"], reversal["move_type"]) == ("posted", "entry")
    lines = await odoo.read("account.move.line", reversal["line_ids"], ["account_id", "reconciled"])
    by_account = {line["account_id"][0]: line["reconciled"] for line in lines}
    # the clearing line was open: matched with its reversal; the receivable one stays open
    assert by_account == {clearing: True, receivable["account_id"][0]: False}
    [inv] = await odoo.read("account.move", [invoice], ["payment_state"])
    assert inv["payment_state"] == "paid"


async def test_undoing_a_bank_lines_reconciliation_puts_it_back_on_suspense(
        odoo: OdooClient, unique: Callable[[str], str]) -> None:
    [bank] = await odoo.search_read("account.journal", [["type", "=", "bank"]],
                                    ["default_account_id", "suspense_account_id"], limit=1, order="id")
    await _ensure_basic_accounting(odoo, unique, bank["id"])
    clearing = await _account(odoo, unique, "UND")
    chunk = await _entry(odoo, unique("U1"), [{"account_id": clearing, "debit": 42.0},
                                              {"account_id": await _income(odoo), "credit": 42.0}])
    [st_line] = await odoo.create("account.bank.statement.line", [{
        "journal_id": bank["id"], "date": "2025-04-20", "payment_ref": unique("AMZ-PAYOUT"), "amount": 42.0,
        "counterpart_account_id": clearing}])
    [row] = await odoo.read("account.bank.statement.line", [st_line], ["move_id"])
    [counterpart] = await odoo.search("account.move.line", [["move_id", "=", row["move_id"][0]],
                                                            ["account_id", "=", clearing]])
    await odoo.call_method("account.move.line", "reconcile", [chunk[0], counterpart])
    await odoo.call_method("account.bank.statement.line", "action_undo_reconciliation", [st_line])
    [settled] = await _lines(odoo, [chunk[0]])
    assert not settled["reconciled"] and settled["amount_residual"] == 42.0
    items = await odoo.search_read("account.move.line", [["move_id", "=", row["move_id"][0]]],
                                   ["account_id", "balance"])
    assert {item["account_id"][0]: item["balance"] for item in items} == {
        bank["default_account_id"][0]: 42.0, bank["suspense_account_id"][0]: -42.0}
    [row] = await odoo.read("account.bank.statement.line", [st_line], ["is_reconciled"])
    assert row["is_reconciled"] is False


async def test_reconciling_in_a_foreign_currency_books_the_exchange_difference(
        odoo: OdooClient, unique: Callable[[str], str]) -> None:
    [company] = await odoo.search_read("res.company", [], ["currency_id"], limit=1, order="id")
    [eur] = await odoo.search_read("res.currency", [["name", "=", "EUR"]], ["active"],
                                   context={"active_test": False})
    assert eur["id"] != company["currency_id"][0], "the test needs a company currency other than EUR"
    if not eur["active"]:
        await odoo.write("res.currency", [eur["id"]], {"active": True})
    # two days of this run, far in the past, each with its own rate (one rate per day and currency)
    run = int(unique("x").split("-")[1], 16)
    day1 = f"19{70 + run % 25}-0{1 + run % 9}-{10 + run % 9}"
    day2 = day1[:-2] + f"{int(day1[-2:]) + 5}"
    for day, rate in ((day1, 0.90), (day2, 0.80)):
        if not await odoo.search("res.currency.rate", [["currency_id", "=", eur["id"]], ["name", "=", day]]):
            await odoo.create("res.currency.rate", [{"currency_id": eur["id"], "name": day, "rate": rate}])
    clearing = await _account(odoo, unique, "FX")
    income = await _income(odoo)
    first = await _entry(odoo, unique("F1"), [
        {"account_id": clearing, "currency_id": eur["id"], "amount_currency": 90.0, "debit": 100.0},
        {"account_id": income, "credit": 100.0}], date=day1)
    second = await _entry(odoo, unique("F2"), [
        {"account_id": clearing, "currency_id": eur["id"], "amount_currency": -90.0, "credit": 112.5},
        {"account_id": income, "debit": 112.5}], date=day2)
    await odoo.call_method("account.move.line", "reconcile", [first[0], second[0]])
    one, two = await _lines(odoo, [first[0], second[0]])
    assert one["reconciled"] and two["reconciled"] and one["matching_number"] == two["matching_number"]
    matched = await odoo.search_read("account.move.line", [["matching_number", "=", one["matching_number"]]],
                                     ["balance", "move_id"])
    assert len(matched) == 3 and round(sum(m["balance"] for m in matched), 2) == 0.0
    partials = await odoo.search_read("account.partial.reconcile", [["debit_move_id", "=", first[0]],
                                                                    ["credit_move_id", "=", second[0]]],
                                      ["exchange_move_id"])
    assert len(partials) == 1 and partials[0]["exchange_move_id"]


async def test_one_reconcile_call_is_one_full_reconcile(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    """Pairs that would match one by one still get one number when reconciled in one call."""
    clearing = await _account(odoo, unique, "ONE")
    income = await _income(odoo)
    ids = []
    for n, amount in enumerate((10.0, 20.0, -10.0, -20.0)):
        entry = await _entry(odoo, unique(f"O{n}"), [
            {"account_id": clearing, "debit": max(amount, 0.0), "credit": max(-amount, 0.0)},
            {"account_id": income, "debit": max(-amount, 0.0), "credit": max(amount, 0.0)}])
        ids.append(entry[0])
    await odoo.call_method("account.move.line", "reconcile", ids)
    rows = await _lines(odoo, ids)
    assert all(r["reconciled"] for r in rows) and len({r["matching_number"] for r in rows}) == 1
