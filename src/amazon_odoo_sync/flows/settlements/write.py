"""A settlement's plan written to Odoo (issue #15, ../shared/odoo18-accounting.md §9).

Roles resolve to accounts by code (``[settlements.books]``); an account of a role that has a
type configured is created when missing, one without (the receivable: the invoices' own, or an
account a rule names) must exist, else :class:`ConfigurationError` naming the role. Then, per
settlement key K:

1. entries with ref ``AMZ-SETTLE:K/%`` in the entries journal: posted ones are kept, drafts
   (an interrupted run) unlinked and rebuilt;
2. the missing chunks created in one ``create`` and posted in one ``action_post``;
3. the payout: the bank statement line ``AMZ-PAYOUT:K`` (found, else created with the clearing
   account as counterpart; Odoo posts it at create);
4. one ``reconcile`` of every open clearing line of K's entries and of the payout;
5. ``tx.settlements`` records it posted, with the entries and the payout line.

Every step looks before it writes, so a second run only reads; a settlement recorded posted
with its payout is not read again. A :class:`Held` plan is recorded held with its difference and
nothing reaches Odoo.

Not yet: settlements whose currency (or payout's) is not the company's are refused
(``PermanentError``): their lines need ``amount_currency`` and Odoo's conversion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ...exceptions import ConfigurationError, PermanentError
from ...mapping.settlement_posting import Held, PlanChunk, PlanLine, SettlementPlan
from ...odoo.client import OdooClient
from ...odoo.values import m2o_id, to_odoo_date
from ...settlement_config import AccountRole, SettlementBooksConfig
from ...store.settlements import SettlementRecord
from ...store.unit import Store

__all__ = ["BookTargets", "SettlementWrite", "resolve_books", "write_settlement"]

MOVE = "account.move"
LINE = "account.move.line"
BANK_LINE = "account.bank.statement.line"


@dataclass(frozen=True, kw_only=True)
class BookTargets:
    """The Odoo ids a plan is written with: account per role (and per explicit code)."""

    roles: Mapping[AccountRole, int]
    codes: Mapping[str, int]
    entries_journal: int
    payout_journal: int
    company_currency: str

    def account(self, line: PlanLine) -> int:
        if line.account is not None:
            return self.codes[line.account]
        return self.roles[line.role]


@dataclass(frozen=True, kw_only=True)
class SettlementWrite:
    key: str
    #: posted: written now (some or all of it); unchanged: already in Odoo, nothing written;
    #: held: recorded held, nothing written.
    outcome: Literal["posted", "unchanged", "held"]
    record: SettlementRecord
    created_moves: tuple[int, ...] = ()
    deleted_drafts: tuple[int, ...] = ()
    payout_created: bool = False
    #: Clearing lines reconciled by this run.
    reconciled_lines: int = 0


async def resolve_books(odoo: OdooClient, books: SettlementBooksConfig,
                        extra_codes: Iterable[str] = ()) -> BookTargets:
    """Account ids per role and per explicit code, the journals; creates what may be created."""
    wanted = {account.code for account in books.accounts.values()} | set(extra_codes)
    rows = await odoo.search_read("account.account", [["code", "in", sorted(wanted)]], ["code"])
    by_code: dict[str, int] = {row["code"]: row["id"] for row in rows}
    missing: dict[str, dict[str, Any]] = {}
    for role, account in books.accounts.items():
        if account.code in by_code or account.code in missing:
            continue
        if account.account_type is None:
            raise ConfigurationError(
                f"settlements: no Odoo account with code {account.code!r} for the role {role.value!r}; "
                f"create it or set [settlements.books.accounts.{role.value}] code", system="odoo",
                details={"role": role.value, "code": account.code})
        missing[account.code] = {"code": account.code, "name": account.name or f"Amazon {role.value}",
                                 "account_type": account.account_type, "reconcile": account.reconcile}
    for code in sorted(set(extra_codes) - set(by_code) - set(missing)):
        raise ConfigurationError(f"settlements: a mapping rule names the Odoo account {code!r}, which does not exist",
                                 system="odoo", details={"code": code})
    if missing:
        ids = await odoo.create("account.account", list(missing.values()))
        by_code.update(zip(missing, ids, strict=True))
    roles = {role: by_code[account.code] for role, account in books.accounts.items()}

    journals = {row["code"]: row for row in await odoo.search_read(
        "account.journal", [["code", "in", [books.entries_journal, books.payout_journal]]],
        ["code", "type", "company_id"])}
    payout = journals.get(books.payout_journal)
    if payout is None or payout["type"] not in ("bank", "cash", "credit"):
        raise ConfigurationError(f"settlements: no bank journal with code {books.payout_journal!r} for payouts "
                                 "(`odoo setup` creates it) ", system="odoo",
                                 details={"role": "payout journal", "code": books.payout_journal})
    entries = journals.get(books.entries_journal)
    if entries is None:
        [entries_id] = await odoo.create("account.journal", [{
            "name": books.entries_journal_name, "code": books.entries_journal, "type": "general"}])
    else:
        entries_id = entries["id"]
    company = m2o_id(payout["company_id"])
    currency_name = ""
    if company is not None:
        [row] = await odoo.read("res.company", [company], ["currency_id"])
        currency = row["currency_id"]
        currency_name = currency[1] if isinstance(currency, list) and len(currency) > 1 else ""
    return BookTargets(roles=roles, codes=by_code, entries_journal=entries_id, payout_journal=payout["id"],
                       company_currency=str(currency_name))


def _explicit_codes(plan: SettlementPlan) -> set[str]:
    return {line.account for chunk in plan.chunks for line in chunk.lines if line.account is not None}


def _line_vals(line: PlanLine, targets: BookTargets) -> dict[str, Any]:
    vals: dict[str, Any] = {"name": line.label, "account_id": targets.account(line),
                            "debit": float(line.balance) if line.balance > 0 else 0.0,
                            "credit": float(-line.balance) if line.balance < 0 else 0.0}
    if line.partner is not None and line.partner.isdigit():
        vals["partner_id"] = int(line.partner)
    return vals


def _move_vals(chunk: PlanChunk, targets: BookTargets) -> dict[str, Any]:
    return {"move_type": "entry", "journal_id": targets.entries_journal, "date": to_odoo_date(chunk.date),
            "ref": chunk.ref, "line_ids": [[0, 0, _line_vals(line, targets)] for line in chunk.lines]}


def _check_currency(plan: SettlementPlan, targets: BookTargets) -> None:
    currencies = {plan.currency} | ({plan.payout.currency} if plan.payout else set())
    if currencies != {targets.company_currency}:
        raise PermanentError(f"settlement {plan.key}: {'/'.join(sorted(currencies))} settlements are not written "
                             f"yet (company currency {targets.company_currency})", system="odoo",
                             details={"key": plan.key})


async def write_settlement(store: Store, odoo: OdooClient, *, account: str, plan: SettlementPlan | Held,
                           books: SettlementBooksConfig) -> SettlementWrite:
    """Apply ``plan`` (see the module's docstring)."""
    if isinstance(plan, Held):
        async with store.transaction() as tx:
            record = await tx.settlements.hold(account=account, key=plan.key, currency=None, total=plan.expected,
                                               difference=plan.difference, reason=_held_reason(plan))
        return SettlementWrite(key=plan.key, outcome="unchanged" if record.state == "posted" else "held",
                               record=record)

    async with store.session() as tx:
        known = await tx.settlements.get(account, plan.key)
    if known is not None and known.state == "posted" and (plan.payout is None or known.payout_line_id):
        return SettlementWrite(key=plan.key, outcome="unchanged", record=known)

    targets = await resolve_books(odoo, books, _explicit_codes(plan))
    _check_currency(plan, targets)
    clearing = targets.roles[AccountRole.CLEARING]

    existing = await odoo.search_read(MOVE, [["journal_id", "=", targets.entries_journal],
                                             ["ref", "=like", f"AMZ-SETTLE:{plan.key}/%"]], ["ref", "state"])
    posted = {row["ref"]: row["id"] for row in existing if row["state"] == "posted"}
    drafts = tuple(row["id"] for row in existing if row["state"] != "posted")
    if drafts:
        await odoo.unlink(MOVE, drafts)
    todo = [chunk for chunk in plan.chunks if chunk.ref not in posted]
    created: list[int] = []
    if todo:
        created = await odoo.create(MOVE, [_move_vals(chunk, targets) for chunk in todo])
        await odoo.call_method(MOVE, "action_post", created)
    by_ref = {**posted, **{chunk.ref: move for chunk, move in zip(todo, created, strict=True)}}
    moves = tuple(by_ref[chunk.ref] for chunk in plan.chunks)

    payout_line: int | None = None
    payout_move: int | None = None
    payout_created = False
    if plan.payout is not None:
        found = await odoo.search_read(BANK_LINE, [["journal_id", "=", targets.payout_journal],
                                                   ["payment_ref", "=", plan.payout.ref]], ["move_id"], limit=1)
        if found:
            payout_line, payout_move = found[0]["id"], m2o_id(found[0]["move_id"])
        else:
            [payout_line] = await odoo.create(BANK_LINE, [{
                "journal_id": targets.payout_journal, "date": to_odoo_date(plan.payout.date),
                "payment_ref": plan.payout.ref, "amount": float(plan.payout.amount),
                "counterpart_account_id": clearing}])
            [row] = await odoo.read(BANK_LINE, [payout_line], ["move_id"])
            payout_move, payout_created = m2o_id(row["move_id"]), True

    reconciled = 0
    if payout_move is not None:
        open_lines = await odoo.search(LINE, [["move_id", "in", [*moves, payout_move]], ["account_id", "=", clearing],
                                              ["reconciled", "=", False]])
        if len(open_lines) > 1:
            await odoo.call_method(LINE, "reconcile", open_lines)
            reconciled = len(open_lines)

    async with store.transaction() as tx:
        record = await tx.settlements.mark_posted(account=account, key=plan.key, currency=plan.currency,
                                                  total=plan.total, move_ids=moves, payout_line_id=payout_line)
    wrote = bool(created or drafts or payout_created or reconciled)
    return SettlementWrite(key=plan.key, outcome="posted" if wrote else "unchanged", record=record,
                           created_moves=tuple(created), deleted_drafts=drafts, payout_created=payout_created,
                           reconciled_lines=reconciled)


def _held_reason(plan: Held) -> str:
    if plan.row is not None:
        return f"{plan.reason} (row {plan.row}: {plan.raw})" if plan.raw is not None else \
            f"{plan.reason} (row {plan.row})"
    return plan.reason

