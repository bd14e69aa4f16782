"""Contract: journal entries (balanced or not, posting) and bank statement lines."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from amazon_odoo_sync.exceptions import AuthorizationError, RemoteRuleError
from amazon_odoo_sync.odoo import OdooClient


async def _account(odoo: OdooClient, account_type: str) -> int:
    [account] = await odoo.search("account.account", [["account_type", "=", account_type],
                                                      ["deprecated", "=", False]], limit=1, order="code")
    return account


async def test_entry_balanced_posts_and_unbalanced_is_refused(odoo: OdooClient,
                                                             unique: Callable[[str], str]) -> None:
    [journal] = await odoo.search("account.journal", [["type", "=", "general"]], limit=1)
    income, fees = await _account(odoo, "income"), await _account(odoo, "expense")
    ref = unique("SETTLEMENT")
    [move] = await odoo.create("account.move", [{
        "move_type": "entry", "journal_id": journal, "date": "2025-03-15", "ref": ref,
        "line_ids": [[0, 0, {"account_id": fees, "name": "Amazon fees", "debit": 12.34, "credit": 0.0}],
                     [0, 0, {"account_id": income, "name": "Amazon sales", "debit": 0.0, "credit": 12.34}]]}])
    [row] = await odoo.read("account.move", [move], ["state", "name", "line_ids", "amount_total", "date"])
    assert row["state"] == "draft" and len(row["line_ids"]) == 2 and row["date"] == "2025-03-15"
    assert await odoo.call_method("account.move", "action_post", [move]) is False
    [row] = await odoo.read("account.move", [move], ["state", "name"])
    assert row["state"] == "posted" and row["name"] not in ("/", False)
    with pytest.raises(RemoteRuleError, match="must be in draft"):
        await odoo.call_method("account.move", "action_post", [move])
    lines = await odoo.search_read("account.move.line", [["move_id", "=", move]], ["debit", "credit", "balance"])
    assert sorted(line["balance"] for line in lines) == [-12.34, 12.34]
    with pytest.raises(RemoteRuleError, match="not balanced"):
        await odoo.create("account.move", [{
            "move_type": "entry", "journal_id": journal, "ref": unique("BAD"),
            "line_ids": [[0, 0, {"account_id": fees, "name": "fees", "debit": 10.0, "credit": 0.0}],
                         [0, 0, {"account_id": income, "name": "sales", "debit": 0.0, "credit": 9.0}]]}])
    assert await odoo.search("account.move", [["ref", "=", unique("BAD")]]) == []


async def _ensure_basic_accounting(odoo: OdooClient, unique: Callable[[str], str], journal: int) -> None:
    """A fresh community admin lacks "Technical / Basic": statement lines are refused until granted."""
    uid = await odoo.authenticate()
    [basic] = await odoo.search("res.groups", [["name", "=", "Show Full Accounting Features"]], limit=1)
    [user] = await odoo.read("res.users", [uid], ["groups_id"])
    if basic not in user["groups_id"]:
        with pytest.raises(AuthorizationError, match="Technical/Basic"):
            await odoo.create("account.bank.statement.line", [{"journal_id": journal, "payment_ref": unique("x"),
                                                               "amount": 1.0}])
        await odoo.write("res.users", [uid], {"groups_id": [[4, basic]]})


async def test_bank_statement_line_creates_a_posted_move(odoo: OdooClient, unique: Callable[[str], str]) -> None:
    [journal] = await odoo.search_read("account.journal", [["type", "=", "bank"]],
                                       ["default_account_id", "suspense_account_id"], limit=1)
    await _ensure_basic_accounting(odoo, unique, journal["id"])
    ref = unique("PAYOUT")
    [line] = await odoo.create("account.bank.statement.line", [{
        "journal_id": journal["id"], "date": "2025-03-20", "payment_ref": ref, "amount": 250.75}])
    [row] = await odoo.read("account.bank.statement.line", [line], ["move_id", "amount", "payment_ref", "state",
                                                                    "is_reconciled"])
    assert row["amount"] == 250.75 and row["payment_ref"] == ref and row["state"] == "posted"
    assert row["is_reconciled"] is False
    items = await odoo.search_read("account.move.line", [["move_id", "=", row["move_id"][0]]],
                                   ["account_id", "balance"])
    balances = {item["account_id"][0]: item["balance"] for item in items}
    assert balances == {journal["default_account_id"][0]: 250.75, journal["suspense_account_id"][0]: -250.75}
