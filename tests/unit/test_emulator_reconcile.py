"""The emulator's reconcile(): for any amounts, money is conserved, a set that sums to zero is
fully reconciled under one number, one that does not keeps a partial, and undoing restores all."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.sandbox.odoo import DEMO_API_KEY, DEMO_DATABASE, OdooEmulator

cents = st.integers(min_value=1, max_value=50_000)


async def _call(emu: OdooEmulator, model: str, method: str, args: list[Any]) -> Any:
    return await emu.execute_kw(DEMO_DATABASE, 2, DEMO_API_KEY, model, method, args, {})


async def _scenario(debits: list[int], credits: list[int], balanced: bool) -> None:
    emu = OdooEmulator()
    if balanced:  # the last credit takes what makes both sides equal (when it can)
        gap = sum(debits) - sum(credits[:-1])
        if gap > 0:
            credits = [*credits[:-1], gap]
    [clearing] = await _call(emu, "account.account", "create", [[{
        "code": "CLR9", "name": "Clearing", "account_type": "asset_current", "reconcile": True}]])
    income = (await _call(emu, "account.account", "search", [[["account_type", "=", "income"]]]))[0]
    lines: list[int] = []
    balances: dict[int, float] = {}
    for n, amount in enumerate([c for c in debits] + [-c for c in credits]):
        value = amount / 100
        [move] = await _call(emu, "account.move", "create", [[{
            "move_type": "entry", "date": f"2025-01-{1 + n % 28:02d}", "line_ids": [
                [0, 0, {"account_id": clearing, "name": f"l{n}", "debit": max(value, 0), "credit": max(-value, 0)}],
                [0, 0, {"account_id": income, "name": "x", "debit": max(-value, 0), "credit": max(value, 0)}]]}]])
        await _call(emu, "account.move", "action_post", [[move]])
        [line] = await _call(emu, "account.move.line", "search", [[["move_id", "=", move],
                                                                   ["account_id", "=", clearing]]])
        lines.append(line)
        balances[line] = value
    await _call(emu, "account.move.line", "reconcile", [lines])
    rows = await _call(emu, "account.move.line", "read", [lines, ["amount_residual", "reconciled",
                                                                  "matching_number"]])
    residual = {r["id"]: r["amount_residual"] for r in rows}
    assert round(sum(residual.values()), 2) == round(sum(balances.values()), 2)
    for line, value in balances.items():
        assert abs(residual[line]) <= abs(value) + 1e-9 and residual[line] * value >= 0
    numbers = {r["matching_number"] for r in rows if r["matching_number"]}
    assert len(numbers) == 1  # one call, one plan: one number for every line it matched
    if sum(debits) == sum(credits):
        assert all(r["reconciled"] for r in rows) and not str(next(iter(numbers))).startswith("P")
    else:
        assert not all(r["reconciled"] for r in rows) and str(next(iter(numbers))).startswith("P")
    await _call(emu, "account.move.line", "remove_move_reconcile", [lines])
    rows = await _call(emu, "account.move.line", "read", [lines, ["amount_residual", "reconciled",
                                                                  "matching_number"]])
    assert all(r["amount_residual"] == balances[r["id"]] and not r["reconciled"] and not r["matching_number"]
               for r in rows)
    assert await _call(emu, "account.partial.reconcile", "search", [[]]) == []
    assert await _call(emu, "account.full.reconcile", "search", [[]]) == []


@settings(max_examples=40, deadline=None)
@given(debits=st.lists(cents, min_size=1, max_size=6), credits=st.lists(cents, min_size=1, max_size=6),
       balanced=st.booleans())
def test_reconcile_conserves_money_and_numbers_what_it_matched(debits: list[int], credits: list[int],
                                                               balanced: bool) -> None:
    asyncio.run(_scenario(debits, credits, balanced))
