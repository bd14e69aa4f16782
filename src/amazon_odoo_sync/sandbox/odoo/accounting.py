"""Accounting (``addons/account``): taxes, accounts, journals, moves and their lines, bank lines.

Reproduced from Odoo 18: ``price_include`` is computed from ``price_include_override`` and the
company's ``account_price_include`` (default tax-excluded); taxes are rounded per line or per
document after the company's ``tax_calculation_rounding_method`` (sale orders; invoices round
per line);
unbalanced moves raise a UserError at create/write (unless ``check_move_validity=False``);
``action_post`` returns False, numbers the move per journal and refuses a second post ("must be
in draft"); a bank statement line creates and posts its move, with the counterpart on the
journal's suspense account or the create-only ``counterpart_account_id``; ``reconcile`` and the
other void methods return None.
"""

from __future__ import annotations

from typing import Any

from .database import Record
from .errors import AccessError, UserError, ValidationError
from .mail import MailThread
from .orm import (
    Env,
    Model,
    Vals,
    boolean,
    char,
    date_field,
    float_round,
    floating,
    html,
    integer,
    many2many,
    many2one,
    monetary,
    normalize_ids,
    one2many,
    selection,
    text,
)

__all__ = ["ACCOUNT_TYPES", "MODELS", "compute_line_taxes", "document_amounts", "rounding_method", "tax_is_included"]

ACCOUNT_TYPES = (
    "asset_receivable", "asset_cash", "asset_current", "asset_non_current", "asset_prepayments", "asset_fixed",
    "liability_payable", "liability_credit_card", "liability_current", "liability_non_current", "equity",
    "equity_unaffected", "income", "income_other", "expense", "expense_depreciation", "expense_direct_cost",
    "off_balance",
)
MOVE_TYPES = ("entry", "out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt")
_INVOICE_SIGN = {"out_invoice": -1, "out_receipt": -1, "in_refund": -1, "out_refund": 1, "in_invoice": 1,
                 "in_receipt": 1}


def tax_is_included(env: Env, tax: Record) -> bool:
    override = tax.get("price_include_override")
    if override:
        return bool(override == "tax_included")
    company = env.db.table("res.company").get(tax.get("company_id") or env.company_id) or {}
    return company.get("account_price_include") == "tax_included"


def rounding_method(env: Env, company_id: int | None = None) -> str:
    """The company's ``tax_calculation_rounding_method`` (Odoo's default: round per line)."""
    company = env.db.table("res.company").get(company_id or env.company_id) or {}
    return str(company.get("tax_calculation_rounding_method") or "round_per_line")


def _tax_amounts(env: Env, tax_ids: list[int], price_unit: float, quantity: float, discount: float,
                 round_line: bool = True) -> tuple[float, list[tuple[int, float]], float]:
    """(untaxed, [(tax id, amount)], total) of one line, as Odoo 18's ``_get_tax_details``:
    each amount rounded to the cent when ``round_line`` (company rounding "round per line"),
    raw otherwise ("round globally": the document rounds the sums, see :func:`document_amounts`)."""
    def rnd(value: float) -> float:
        return float_round(value) if round_line else value

    taxes_table = env.db.table("account.tax")
    taxes = sorted((taxes_table[t] for t in tax_ids if t in taxes_table), key=lambda t: (t.get("sequence", 1), t["id"]))
    flat: list[Record] = []
    for tax in taxes:
        if tax.get("amount_type") == "group":
            flat.extend(taxes_table[c] for c in tax.get("children_tax_ids") or [] if c in taxes_table)
        else:
            flat.append(tax)
    raw = price_unit * (1 - (discount or 0.0) / 100.0) * quantity
    included = [t for t in flat if tax_is_included(env, t)]
    excluded = [t for t in flat if not tax_is_included(env, t)]
    amounts: list[tuple[int, float]] = []
    if included:
        total_included = rnd(raw)
        fixed = sum(t.get("amount", 0.0) * quantity for t in included if t.get("amount_type") == "fixed")
        division = [t for t in included if t.get("amount_type") == "division"]
        percents = [t for t in included if t.get("amount_type", "percent") == "percent"]
        rate = sum(t.get("amount", 0.0) for t in percents) / 100.0
        remaining = total_included - fixed - sum(total_included * t.get("amount", 0.0) / 100.0 for t in division)
        # Odoo 18's _eval_tax_amount_price_included, in the same float operations.
        to_price_excluded_factor = 1 / (1 + rate) if rate != -1 else 0.0
        for t in included:
            kind = t.get("amount_type", "percent")
            if kind == "fixed":
                amounts.append((t["id"], rnd(t.get("amount", 0.0) * quantity)))
            elif kind == "division":
                amounts.append((t["id"], rnd(total_included * t.get("amount", 0.0) / 100.0)))
            else:
                amounts.append((t["id"], rnd(remaining * to_price_excluded_factor * t.get("amount", 0.0) / 100.0)))
        untaxed = total_included - sum(a for _, a in amounts)
        untaxed = float_round(untaxed) if round_line else untaxed
    else:
        untaxed = rnd(raw)
    for t in excluded:
        kind = t.get("amount_type", "percent")
        amount = t.get("amount", 0.0)
        if kind == "fixed":
            value = amount * quantity
        elif kind == "division":
            value = untaxed / (1 - amount / 100.0) - untaxed if amount != 100 else 0.0
        else:
            value = untaxed * amount / 100.0
        amounts.append((t["id"], rnd(value)))
    tax_total = sum(a for _, a in amounts)
    return untaxed, amounts, rnd(untaxed + tax_total)


def compute_line_taxes(env: Env, tax_ids: list[int], price_unit: float, quantity: float, discount: float,
                       round_line: bool = True) -> tuple[float, float, float]:
    """(price_subtotal, price_tax, price_total) of one line: rounded to the cent (Odoo stores the
    monetary subtotal and total rounded; ``price_tax`` is their difference)."""
    untaxed, _amounts, total = _tax_amounts(env, tax_ids, price_unit, quantity, discount, round_line)
    untaxed, total = float_round(untaxed), float_round(total)
    return untaxed, float_round(total - untaxed), total


def document_amounts(env: Env, lines: list[tuple[list[int], float, float, float]], method: str
                     ) -> tuple[float, float]:
    """(amount_untaxed, amount_tax) of a document whose lines are (tax ids, price unit,
    quantity, discount), as Odoo 18's ``_round_base_lines_tax_details``: the raw amounts are
    summed and the sums rounded, the untaxed amount once for the document and the tax once per
    tax. With "round per line" the raw amounts are already rounded per line; with "round
    globally" they are not, so a document of two 3.99 shipping lines at 19 % included carries
    round(2 × 0.63706) = 1.27 of VAT, not 0.64 + 0.64."""
    round_line = method != "round_globally"
    untaxed = 0.0
    per_tax: dict[int, float] = {}
    for tax_ids, price_unit, quantity, discount in lines:
        line_untaxed, amounts, _total = _tax_amounts(env, tax_ids, price_unit, quantity, discount, round_line)
        untaxed += line_untaxed
        for tax_id, amount in amounts:
            per_tax[tax_id] = per_tax.get(tax_id, 0.0) + amount
    return float_round(untaxed), float_round(sum(float_round(amount) for amount in per_tax.values()))


class AccountTax(Model):
    _name = "account.tax"
    _description = "Tax"
    _order = "sequence, id"
    FIELDS = {
        "name": char(required=True),
        "description": char(),
        "invoice_label": char(),
        "amount": floating(required=True, default=0.0),
        "amount_type": selection(("group", "fixed", "percent", "division"), required=True, default="percent"),
        "type_tax_use": selection(("sale", "purchase", "none"), required=True, default="sale"),
        "price_include": boolean(),
        "price_include_override": selection(("tax_included", "tax_excluded")),
        "include_base_amount": boolean(default=False),
        "sequence": integer(default=1),
        "active": boolean(default=True),
        "company_id": many2one("res.company", required=True, default=lambda env: env.company_id),
        "country_id": many2one("res.country"),
        "children_tax_ids": many2many("account.tax"),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["price_include"].compute = tax_is_included

    def _check(self, env: Env, ids: list[int]) -> None:
        table = env.db.table(self._name)
        for rec_id in ids:
            row = table[rec_id]
            same = [r for r in table.values() if r["name"] == row["name"] and r.get("type_tax_use") ==
                    row.get("type_tax_use") and r.get("company_id") == row.get("company_id")
                    and r.get("country_id") == row.get("country_id") and r.get("active", True)]
            if len(same) > 1:
                raise ValidationError("The operation cannot be completed: Tax names must be unique!")


class AccountAccount(Model):
    _name = "account.account"
    _description = "Account"
    _order = "code, id"
    _indexes = ("code",)
    FIELDS = {
        "name": char(required=True),
        "code": char(required=True, size=64),
        "account_type": selection(ACCOUNT_TYPES, required=True),
        "reconcile": boolean(),
        "deprecated": boolean(default=False),
        "company_ids": many2many("res.company", default=lambda env: [env.company_id]),
        "currency_id": many2one("res.currency"),
        "note": text(),
    }

    def _display_name(self, env: Env, row: Record) -> Any:
        return f"{row.get('code')} {row.get('name')}"

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        if "reconcile" not in vals and vals.get("account_type") in ("asset_receivable", "liability_payable"):
            vals["reconcile"] = True
        return vals

    def _check(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            code = env.row(self._name, rec_id)["code"]
            if self._taken(env, "code", code):
                raise ValidationError(f"The code of the account must be unique per company! ({code})")


class AccountJournal(Model):
    _name = "account.journal"
    _description = "Journal"
    _order = "sequence, type, code"
    FIELDS = {
        "name": char(required=True),
        "code": char(required=True, size=5),
        "type": selection(("sale", "purchase", "cash", "bank", "credit", "general"), required=True),
        "default_account_id": many2one("account.account"),
        "suspense_account_id": many2one("account.account"),
        "currency_id": many2one("res.currency"),
        "company_id": many2one("res.company", required=True, default=lambda env: env.company_id),
        "active": boolean(default=True),
        "sequence": integer(default=10),
    }

    def _check(self, env: Env, ids: list[int]) -> None:
        table = env.db.table(self._name)
        for rec_id in ids:
            row = table[rec_id]
            if len(row["code"]) > 5:
                raise ValidationError("The operation cannot be completed: journal codes are at most 5 characters")
            if sum(1 for r in table.values() if r["code"] == row["code"] and r["company_id"] == row["company_id"]) > 1:
                raise ValidationError("The operation cannot be completed: Journal codes must be unique per company.")


def _journal_for(env: Env, move_type: str) -> int | bool:
    wanted = {"entry": "general", "out_invoice": "sale", "out_refund": "sale", "out_receipt": "sale",
              "in_invoice": "purchase", "in_refund": "purchase", "in_receipt": "purchase"}[move_type]
    for rec_id, row in sorted(env.db.table("account.journal").items()):
        if row.get("type") == wanted and row.get("active", True) and row.get("company_id") == env.company_id:
            return int(rec_id)
    return False


class AccountMove(MailThread, Model):
    _name = "account.move"
    _description = "Journal Entry"
    _order = "date desc, name desc, id desc"
    _indexes = ("ref", "invoice_origin")
    FIELDS = {
        "name": char(default="/"),
        "ref": char(),
        "move_type": selection(MOVE_TYPES, required=True, default="entry"),
        "state": selection(("draft", "posted", "cancel"), required=True, default="draft"),
        "date": date_field(required=True, default=lambda env: env.today()),
        "journal_id": many2one("account.journal", required=True),
        "partner_id": many2one("res.partner"),
        "currency_id": many2one("res.currency", required=True),
        "company_id": many2one("res.company", default=lambda env: env.company_id),
        "line_ids": one2many("account.move.line", "move_id"),
        "invoice_line_ids": one2many("account.move.line", "move_id"),
        "invoice_date": date_field(),
        "invoice_date_due": date_field(),
        "invoice_origin": char(),
        "narration": html(),
        "payment_state": selection(("not_paid", "in_payment", "paid", "partial", "reversed", "blocked",
                                    "invoicing_legacy")),
        "amount_untaxed": monetary(),
        "amount_tax": monetary(),
        "amount_total": monetary(),
        "amount_residual": monetary(),
        "fiscal_position_id": many2one("account.fiscal.position"),
        "invoice_payment_term_id": many2one("account.payment.term"),
        "posted_before": boolean(),
        "statement_line_id": many2one("account.bank.statement.line"),
        "reversed_entry_id": many2one("account.move"),
        "reversal_move_ids": one2many("account.move", "reversed_entry_id"),
        "auto_post": selection(("no", "at_date", "monthly", "quarterly", "yearly"), default="no"),
    }

    def __init__(self) -> None:
        super().__init__()
        f = self._fields
        f["invoice_line_ids"].compute = lambda env, r: [
            i for i in self._get(env, r, "line_ids")
            if env.row("account.move.line", i).get("display_type") in ("product", "line_section", "line_note")]
        f["amount_untaxed"].compute = lambda env, r: self._amounts(env, r)[0]
        f["amount_tax"].compute = lambda env, r: self._amounts(env, r)[1]
        f["amount_total"].compute = lambda env, r: self._amounts(env, r)[2]
        f["amount_residual"].compute = lambda env, r: self._amounts(env, r)[3]
        f["payment_state"].compute = self._payment_state

    def _lines(self, env: Env, move_id: int) -> list[Record]:
        return env.rows("account.move.line", sorted(env.db.lookup("account.move.line", "move_id", move_id) or ()))

    def _amounts(self, env: Env, row: Record) -> tuple[float, float, float, float]:
        lines = self._lines(env, row["id"])
        if row.get("move_type", "entry") == "entry":
            total = float_round(sum(line.get("debit", 0.0) for line in lines))
            return total, 0.0, total, 0.0

        def total_of(kind: str, key: str = "amount_currency") -> float:
            return abs(float_round(sum(line.get(key, 0.0) for line in lines if line.get("display_type") == kind)))

        untaxed, tax = total_of("product"), total_of("tax")
        return untaxed, tax, float_round(untaxed + tax), total_of("payment_term", "amount_residual_currency")

    def _payment_state(self, env: Env, row: Record) -> str:
        """Odoo 18's ``_compute_payment_state`` without account.payment: a posted invoice whose
        residual is zero is paid — or "reversed" when only credit notes (and entries, with at
        least one credit note) settled it; "partial" while something is matched; else not_paid.
        Entries stay not_paid."""
        move_type = row.get("move_type", "entry")
        if row.get("state") != "posted" or move_type == "entry":
            return "not_paid"
        lines = [line for line in self._lines(env, row["id"]) if line.get("display_type") == "payment_term"]
        partials = env.db.table("account.partial.reconcile")
        counterparts: set[str] = set()
        statement = False
        for line in lines:
            for pid in _partials_of(env, line["id"]):
                p = partials[pid]
                other = p["credit_move_id"] if p["debit_move_id"] == line["id"] else p["debit_move_id"]
                other_move = env.row("account.move", env.row("account.move.line", other)["move_id"])
                counterparts.add(other_move.get("move_type", "entry"))
                statement = statement or bool(other_move.get("statement_line_id"))
        _, _, total, residual = self._amounts(env, row)
        if abs(residual) < 0.005:
            if counterparts and not statement:
                reverse = {"out_invoice": "out_refund", "out_receipt": "out_refund", "in_invoice": "in_refund",
                           "in_receipt": "in_refund"}.get(move_type)
                if reverse and counterparts in ({reverse}, {reverse, "entry"}):
                    return "reversed"
                if move_type in ("out_refund", "in_refund") and counterparts == {"entry"}:
                    return "reversed"
            return "paid"
        return "partial" if counterparts else "not_paid"

    def _display_name(self, env: Env, row: Record) -> Any:
        name = row.get("name")
        if name and name != "/":
            return name
        return "Draft Invoice" if row.get("move_type") != "entry" else "Draft Entry"

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        move_type = vals.get("move_type") or "entry"
        if move_type != "entry" and vals.get("invoice_date") and "date" not in vals:
            vals["date"] = vals["invoice_date"]  # _compute_date: the accounting date follows it
        if not vals.get("journal_id"):
            vals["journal_id"] = _journal_for(env, move_type)
        if not vals.get("currency_id"):
            journal = env.db.table("account.journal").get(vals.get("journal_id")) or {}
            company = env.row("res.company", env.company_id)
            vals["currency_id"] = journal.get("currency_id") or company["currency_id"]
        return vals

    def _prepare_write(self, env: Env, ids: list[int], vals: Vals) -> Vals:
        protected = {"line_ids", "invoice_line_ids", "journal_id", "date", "currency_id", "partner_id"}
        for rec_id in ids:
            row = env.row(self._name, rec_id)
            if row.get("state") == "posted" and protected & set(vals):
                raise UserError("You cannot modify a posted entry of this journal.\nFirst you should set the "
                                "journal to allow cancelling entries.")
        if vals.get("invoice_date") and "date" not in vals and all(
                env.row(self._name, i).get("move_type") != "entry" and env.row(self._name, i).get("state") == "draft"
                for i in ids):
            vals["date"] = vals["invoice_date"]
        return vals

    def _post_create(self, env: Env, rec_id: int, vals: Vals) -> None:
        self._sync_invoice(env, rec_id)

    def _post_write(self, env: Env, ids: list[int], vals: Vals) -> None:
        if {"invoice_line_ids", "line_ids", "currency_id"} & set(vals):
            for rec_id in ids:
                self._sync_invoice(env, rec_id)

    def _rate(self, env: Env, row: Record) -> float:
        currency = env.db.table("res.currency").get(row.get("currency_id"))
        if not currency:
            return 1.0
        rate = float(env["res.currency"]._get(env.with_context(date=row.get("date")), currency, "rate"))
        return rate or 1.0

    def _sync_invoice(self, env: Env, move_id: int) -> None:
        """Regenerate tax and receivable/payable lines from the product lines (invoices only)."""
        move = env.row(self._name, move_id)
        move_type = move.get("move_type", "entry")
        if move_type == "entry" or move.get("state") != "draft":
            return
        sign = _INVOICE_SIGN[move_type]
        rate = self._rate(env, move)
        lines = self._lines(env, move_id)
        marker = False
        for line in lines:
            if line.get("display_type") == "payment_term" and line.get("matching_number"):
                marker = line["matching_number"]  # an import marker survives draft edits
            if line.get("display_type") in ("tax", "payment_term"):
                env.db.delete("account.move.line", line["id"])
        taxes: dict[int, float] = {}
        total = 0.0
        for line in self._lines(env, move_id):
            if line.get("display_type") != "product":
                continue
            untaxed, amounts, line_total = _tax_amounts(env, line.get("tax_ids") or [], line.get("price_unit", 0.0),
                                                        line.get("quantity", 0.0), line.get("discount", 0.0))
            amount_currency = sign * untaxed
            balance = float_round(amount_currency / rate)
            env.db.update("account.move.line", line["id"], {
                "amount_currency": amount_currency, "debit": max(balance, 0.0), "credit": max(-balance, 0.0),
                "price_subtotal": untaxed, "price_total": line_total, "currency_id": move["currency_id"],
                "amount_residual": balance, "amount_residual_currency": amount_currency})
            for tax_id, amount in amounts:
                taxes[tax_id] = taxes.get(tax_id, 0.0) + amount
            total += line_total
        tax_account = _account_by_type(env, "liability_current")
        for tax_id, amount in taxes.items():
            if abs(amount) < 0.005:
                continue
            amount_currency = sign * float_round(amount)
            balance = float_round(amount_currency / rate)
            env.db.insert("account.move.line", _line_row(env, move, {
                "name": env.row("account.tax", tax_id)["name"], "display_type": "tax", "tax_line_id": tax_id,
                "account_id": tax_account, "amount_currency": amount_currency, "balance": balance}))
        partner = env.db.table("res.partner").get(move.get("partner_id"))
        kind = "asset_receivable" if move_type.startswith("out_") else "liability_payable"
        account = False
        if partner:
            field = "property_account_receivable_id" if kind == "asset_receivable" else "property_account_payable_id"
            account = env["res.partner"]._get(env, partner, field)
        account = account or _account_by_type(env, kind)  # type: ignore[assignment]
        others = sum(line.get("debit", 0.0) - line.get("credit", 0.0) for line in self._lines(env, move_id))
        others_currency = sum(line.get("amount_currency", 0.0) for line in self._lines(env, move_id))
        if self._lines(env, move_id):
            env.db.insert("account.move.line", _line_row(env, move, {
                "name": move.get("ref") or "", "display_type": "payment_term", "account_id": account,
                "amount_currency": float_round(-others_currency), "balance": float_round(-others),
                "matching_number": marker,
                "date_maturity": move.get("invoice_date_due") or move.get("invoice_date") or move.get("date")}))

    def _check(self, env: Env, ids: list[int]) -> None:
        if env.context.get("check_move_validity") is False:
            return
        for rec_id in ids:
            lines = self._lines(env, rec_id)
            debit = float_round(sum(line.get("debit", 0.0) for line in lines))
            credit = float_round(sum(line.get("credit", 0.0) for line in lines))
            if abs(debit - credit) >= 0.005:
                move = env.row(self._name, rec_id)
                journal = env.row("account.journal", move["journal_id"])
                raise UserError(
                    f"The move ({self._display_name(env, move)}) is not balanced.\nThe total of debits equals "
                    f"{debit:.2f} and the total of credits equals {credit:.2f}.\nYou might want to specify a default "
                    f"account on journal \"{journal['name']}\" to automatically balance each move.")

    def _check_unlink(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            if env.row(self._name, rec_id).get("state") == "posted":
                raise UserError("You cannot delete an entry which has been posted once.")

    def action_post(self, env: Env, ids: Any) -> bool:
        ids = self._existing(env, normalize_ids(ids))
        for rec_id in ids:
            move = env.row(self._name, rec_id)
            if move.get("state") != "draft":
                raise UserError(f"The entry {self._display_name(env, move)} (id {rec_id}) must be in draft.")
            if not self._lines(env, rec_id):
                raise UserError("You need to add a line before posting.")
            if move.get("move_type") != "entry" and not move.get("partner_id"):
                label = "Customer" if move.get("move_type", "").startswith("out_") else "Vendor"
                raise UserError(f"The field '{label}' is required, please complete it to validate the "
                                f"{'Customer Invoice' if label == 'Customer' else 'Vendor Bill'}.")
        for rec_id in ids:
            move = env.row(self._name, rec_id)
            changes: Vals = {"state": "posted", "posted_before": True}
            if move.get("move_type") != "entry" and not move.get("invoice_date"):
                changes["invoice_date"] = env.today()
                changes["date"] = env.today()
            if not move.get("name") or move.get("name") == "/":
                journal = env.row("account.journal", move["journal_id"])
                year = str(changes.get("date") or move["date"])[:4]
                prefix = "R" + journal["code"] if move.get("move_type") in ("out_refund", "in_refund") \
                    else journal["code"]
                number = env.db.next_sequence(f"account.move.{prefix}.{year}")
                changes["name"] = f"{prefix}/{year}/{number:05d}"
            env.db.update(self._name, rec_id, changes)
            for line in self._lines(env, rec_id):
                env.db.update("account.move.line", line["id"], {"parent_state": "posted"})
        reconcile_marked(env, ids)
        for rec_id in ids:
            origin = env.row(self._name, rec_id).get("reversed_entry_id")
            if origin and env.row(self._name, origin).get("state") == "posted":
                self._reconcile_reversed(env, origin, rec_id)
        return False

    def _reconcile_reversed(self, env: Env, origin: int, reversal: int) -> None:
        """``_reconcile_reversed_moves``: per reconcilable account, the reversal's open lines with
        the origin's open lines."""
        by_account: dict[int, list[int]] = {}
        for move_id in (origin, reversal):
            for line in self._lines(env, move_id):
                account = env.row("account.account", line["account_id"]) if line.get("account_id") else {}
                if line.get("reconciled") or not (account.get("reconcile") or account.get("account_type") in (
                        "asset_cash", "liability_credit_card")):
                    continue
                by_account.setdefault(line["account_id"], []).append(line["id"])
        for ids in by_account.values():
            table = env.db.table("account.move.line")
            moves = {table[i]["move_id"] for i in ids}
            if len(moves) == 2:
                reconcile_lines(env, ids)

    def button_draft(self, env: Env, ids: Any) -> None:
        for rec_id in self._existing(env, normalize_ids(ids)):
            if env.row(self._name, rec_id).get("state") not in ("posted", "cancel"):
                raise UserError("Only posted/cancelled journal entries can be reset to draft.")
            for line in self._lines(env, rec_id):
                if line.get("reconciled") or line.get("matching_number"):
                    _unreconcile(env, [line["id"]])
                env.db.update("account.move.line", line["id"], {"parent_state": "draft"})
            env.db.update(self._name, rec_id, {"state": "draft"})
        return None

    def button_cancel(self, env: Env, ids: Any) -> None:
        for rec_id in self._existing(env, normalize_ids(ids)):
            if env.row(self._name, rec_id).get("state") != "draft":
                raise UserError("Only draft journal entries can be cancelled.")
            env.db.update(self._name, rec_id, {"state": "cancel"})
        return None

    def js_assign_outstanding_line(self, env: Env, ids: Any, line_id: int) -> None:
        for rec_id in self._existing(env, normalize_ids(ids)):
            own = [line["id"] for line in self._lines(env, rec_id) if line.get("display_type") == "payment_term"]
            env["account.move.line"].reconcile(env, own + [line_id])  # type: ignore[attr-defined]
        return None


def _mark(vals: Vals) -> None:
    """``_sanitize_vals``: a matching number written by a client is an import marker, "I…"."""
    number = vals.get("matching_number")
    if number and not str(number).startswith("I"):
        vals["matching_number"] = f"I{number}"


def _account_by_type(env: Env, account_type: str) -> int | bool:
    for rec_id, row in sorted(env.db.table("account.account").items()):
        if row.get("account_type") == account_type and not row.get("deprecated"):
            return int(rec_id)
    return False


def _line_row(env: Env, move: Record, vals: Vals) -> Vals:
    balance = vals.pop("balance")
    return {
        "move_id": move["id"], "partner_id": move.get("partner_id") or False, "currency_id": move["currency_id"],
        "debit": max(balance, 0.0), "credit": max(-balance, 0.0), "quantity": 1.0, "price_unit": 0.0,
        "discount": 0.0, "tax_ids": [], "product_id": False, "reconciled": False, "amount_residual": balance,
        "amount_residual_currency": vals.get("amount_currency", balance), "parent_state": move.get("state"),
        "matching_number": False, "tax_line_id": False, "date_maturity": False, **vals,
    }


class AccountMoveLine(Model):
    _name = "account.move.line"
    _description = "Journal Item"
    _order = "date desc, move_name desc, id"
    _rec_name = "name"
    _indexes = ("x_sale_line_key", "account_id", "matching_number")
    FIELDS = {
        "move_id": many2one("account.move", required=True, ondelete="cascade"),
        "move_name": char(),
        "account_id": many2one("account.account"),
        "partner_id": many2one("res.partner"),
        "name": char(),
        "debit": monetary(),
        "credit": monetary(),
        "balance": monetary(),
        "amount_currency": monetary(),
        "currency_id": many2one("res.currency"),
        "product_id": many2one("product.product"),
        "quantity": floating(default=1.0),
        "price_unit": floating(),
        "discount": floating(),
        "price_subtotal": monetary(),
        "price_total": monetary(),
        "tax_ids": many2many("account.tax"),
        "tax_line_id": many2one("account.tax"),
        "display_type": selection(("product", "cogs", "tax", "discount", "rounding", "payment_term",
                                   "line_section", "line_note", "epd")),
        "date": date_field(),
        "date_maturity": date_field(),
        "journal_id": many2one("account.journal"),
        "parent_state": selection(("draft", "posted", "cancel")),
        "reconciled": boolean(),
        "amount_residual": monetary(),
        "amount_residual_currency": monetary(),
        "matching_number": char(),
        "full_reconcile_id": many2one("account.full.reconcile"),
        "matched_debit_ids": one2many("account.partial.reconcile", "credit_move_id"),
        "matched_credit_ids": one2many("account.partial.reconcile", "debit_move_id"),
        "sale_line_ids": many2many("sale.order.line"),
        "statement_line_id": many2one("account.bank.statement.line"),
    }

    def __init__(self) -> None:
        super().__init__()
        f = self._fields
        f["balance"].compute = lambda env, r: float_round(r.get("debit", 0.0) - r.get("credit", 0.0))
        f["date"].compute = lambda env, r: env.row("account.move", r["move_id"]).get("date")
        f["journal_id"].compute = lambda env, r: env.row("account.move", r["move_id"]).get("journal_id")
        f["move_name"].compute = lambda env, r: env.row("account.move", r["move_id"]).get("name")
        f["parent_state"].compute = lambda env, r: env.row("account.move", r["move_id"]).get("state")
        f["statement_line_id"].compute = lambda env, r: env.row("account.move", r["move_id"]).get(
            "statement_line_id") or False

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        _mark(vals)
        move = env.db.table("account.move").get(vals.get("move_id"))
        if not move:
            return vals
        vals.setdefault("currency_id", move.get("currency_id"))
        vals.setdefault("partner_id", move.get("partner_id") or False)
        if move.get("move_type", "entry") != "entry" and vals.get("display_type") in (None, False, "product"):
            vals["display_type"] = "product"
            product = env.db.table("product.product").get(vals.get("product_id"))
            if product:
                pm = env["product.product"]
                vals.setdefault("name", pm._get(env, product, "display_name"))
                vals.setdefault("price_unit", pm._get(env, product, "list_price"))
                if "tax_ids" not in vals:
                    vals["tax_ids"] = pm._get(env, product, "taxes_id")
            if not vals.get("account_id"):
                income = "income" if move.get("move_type", "").startswith("out_") else "expense"
                vals["account_id"] = _account_by_type(env, income)
        elif move.get("move_type", "entry") == "entry":
            if not vals.get("account_id"):
                raise ValidationError("The operation cannot be completed: Missing required value for the field "
                                      "'Account' (account_id).\nModel: Journal Item (account.move.line)")
            debit, credit = float(vals.get("debit") or 0.0), float(vals.get("credit") or 0.0)
            if "amount_currency" not in vals:
                vals["amount_currency"] = debit - credit
        return vals

    def _post_create(self, env: Env, rec_id: int, vals: Vals) -> None:
        row = env.row(self._name, rec_id)
        balance = row.get("debit", 0.0) - row.get("credit", 0.0)
        changes: Vals = {"amount_residual": balance,
                         "amount_residual_currency": row.get("amount_currency", balance), "reconciled": False}
        if row.get("sale_line_ids"):
            changes["x_sale_line_key"] = row["sale_line_ids"][0]
        env.db.update(self._name, rec_id, changes)

    def _post_write(self, env: Env, ids: list[int], vals: Vals) -> None:
        for rec_id in ids:
            row = env.row(self._name, rec_id)
            changes: Vals = {}
            if "debit" in vals or "credit" in vals:
                balance = row.get("debit", 0.0) - row.get("credit", 0.0)
                changes.update(amount_residual=balance, amount_residual_currency=balance)
                if "amount_currency" not in vals and env.row("account.move", row["move_id"]).get(
                        "move_type") == "entry":
                    changes["amount_currency"] = balance
            if "sale_line_ids" in vals:
                changes["x_sale_line_key"] = (row.get("sale_line_ids") or [False])[0]
            if changes:
                env.db.update(self._name, rec_id, changes)
        moves = sorted({env.row(self._name, i)["move_id"] for i in ids})
        if {"price_unit", "quantity", "discount", "tax_ids", "product_id"} & set(vals):
            for move_id in moves:
                env["account.move"]._sync_invoice(env, move_id)  # type: ignore[attr-defined]
        env["account.move"]._check(env, moves)

    def _prepare_write(self, env: Env, ids: list[int], vals: Vals) -> Vals:
        _mark(vals)
        accounting = {"debit", "credit", "amount_currency", "balance", "price_unit", "quantity", "tax_ids"}
        for rec_id in ids:
            row = env.row(self._name, rec_id)
            if "account_id" in vals and (row.get("reconciled") or _partials_of(env, rec_id)):
                raise UserError("You cannot do this modification on a reconciled journal entry. You can just change "
                                "some non legal fields or you must unreconcile first.")
            # A posted line may move to another account (a bank line's suspense counterpart, say);
            # its amounts may not change.
            if env.row("account.move", row["move_id"]).get("state") == "posted" and accounting & set(vals):
                raise UserError("You cannot modify a posted entry of this journal.\nFirst you should set the "
                                "journal to allow cancelling entries.")
        return vals

    def _check(self, env: Env, ids: list[int]) -> None:
        pass

    def reconcile(self, env: Env, ids: Any) -> None:
        reconcile_lines(env, self._existing(env, normalize_ids(ids)))
        return None

    def remove_move_reconcile(self, env: Env, ids: Any) -> None:
        _unreconcile(env, self._existing(env, normalize_ids(ids)))
        return None


# --------------------------------------------------------------------------- reconciliation
#
# Odoo 18 (account_move_line.py ``reconcile`` → ``_reconcile_plan``): the checks of
# ``_check_amls_exigibility_for_reconciliation``; debits and credits each sorted by due date
# (date_maturity, else date) and matched in that order, one ``account.partial.reconcile`` per
# pair; a set of lines linked by partials whose residuals all reach zero gets one
# ``account.full.reconcile``; ``matching_number`` = the full reconcile's id, else "P" + the
# smallest partial id of the set. Lines sharing one foreign currency are matched on their
# amounts in that currency; a line settled in its currency is settled in the company's too (the
# exchange-difference entry Odoo would book for a rate change is not emulated).


def _line_currency(env: Env, line: Record) -> int:
    return int(line.get("currency_id") or env.row("res.company", env.company_id)["currency_id"])


def reconcile_lines(env: Env, ids: list[int], *, marked: bool = False) -> None:
    """``account.move.line.reconcile`` on ``ids`` (``marked``: from ``_reconcile_marked``, which
    skips the checks Odoo's import markers bypass and reconciles only open lines)."""
    table = env.db.table("account.move.line")
    lines = [table[i] for i in ids]
    if marked:
        lines = [line for line in lines if not line.get("reconciled")]
    if not lines:
        return
    if any(line.get("reconciled") for line in lines):
        raise UserError("You are trying to reconcile some entries that are already reconciled.")
    if any(env.row("account.move", line["move_id"]).get("state") != "posted" for line in lines):
        raise UserError("You can only reconcile posted entries.")
    accounts = {line.get("account_id") for line in lines}
    if len(accounts) > 1:
        names = ", ".join(sorted(str(env.row("account.account", a)["code"]) for a in accounts if a))
        raise UserError(f"Entries are not from the same account: {names}")
    companies = {env.row("account.move", line["move_id"]).get("company_id") for line in lines}
    if len(companies) > 1:
        raise UserError("Entries don't belong to the same company.")
    account = env.row("account.account", lines[0]["account_id"])
    if not account.get("reconcile") and account.get("account_type") not in ("asset_cash",
                                                                            "liability_credit_card"):
        raise UserError(f"Account {account['code']} {account['name']} does not allow reconciliation. First "
                        "change the configuration of this account to allow it.")
    company_currency = env.row("res.company", env.company_id)["currency_id"]
    currencies = {_line_currency(env, line) for line in lines}
    in_currency = len(currencies) == 1 and company_currency not in currencies
    key = "amount_residual_currency" if in_currency else "amount_residual"

    def order(line: Record) -> tuple[str, int]:
        return (str(line.get("date_maturity") or env.row("account.move", line["move_id"]).get("date") or ""),
                line["id"])

    debits = sorted((line for line in lines if line.get(key, 0.0) > 0.0049), key=order)
    credits = sorted((line for line in lines if line.get(key, 0.0) < -0.0049), key=order)
    residual = {line["id"]: float(line.get(key, 0.0)) for line in lines}
    company = {line["id"]: float(line.get("amount_residual", 0.0)) for line in lines}
    created: list[int] = []
    di = ci = 0
    while di < len(debits) and ci < len(credits):
        d, c = debits[di], credits[ci]
        amount = float_round(min(residual[d["id"]], -residual[c["id"]]))
        if in_currency:
            comp = float_round(min(company[d["id"]], -company[c["id"]]))
        else:
            comp = amount
        residual[d["id"]] = float_round(residual[d["id"]] - amount)
        residual[c["id"]] = float_round(residual[c["id"]] + amount)
        created.append(env.db.insert("account.partial.reconcile", {
            "debit_move_id": d["id"], "credit_move_id": c["id"], "amount": comp,
            "debit_amount_currency": amount, "credit_amount_currency": amount, "full_reconcile_id": False,
            "exchange_move_id": False, "company_id": env.company_id,
            "max_date": max(order(d)[0], order(c)[0]) or False}))
        company[d["id"]] = float_round(company[d["id"]] - comp)
        company[c["id"]] = float_round(company[c["id"]] + comp)
        if abs(residual[d["id"]]) < 0.005:
            di += 1
        if abs(residual[c["id"]]) < 0.005:
            ci += 1
    if in_currency and not marked and created:
        # settled in their currency, off in the company's: Odoo books the difference (an
        # exchange-difference entry whose line on this account is matched with the line)
        for line in lines:
            rest = company[line["id"]]
            if abs(residual[line["id"]]) < 0.005 and abs(rest) >= 0.005:
                _exchange_difference(env, line, rest, created[0])
    if created:
        # one call is one plan: one full reconcile (or one partial number) for all its lines
        _refresh(env, {line["id"] for line in lines}, together=True)


def _exchange_difference(env: Env, line: Record, rest: float, partial_id: int) -> None:
    journal = _exchange_journal(env)
    gain, loss = _exchange_account(env, "gain"), _exchange_account(env, "loss")
    move = env.row("account.move", line["move_id"])
    dates = [str(move.get("date") or "")]
    for pid in _partials_of(env, line["id"]):
        p = env.row("account.partial.reconcile", pid)
        dates.append(str(p.get("max_date") or ""))
    ex_id = env["account.move"]._create_one(env, {
        "move_type": "entry", "journal_id": journal, "date": max(dates) or env.today(),
        "ref": "Currency exchange rate difference", "line_ids": [
            [0, 0, {"name": "Currency exchange rate difference", "account_id": line["account_id"],
                    "partner_id": line.get("partner_id") or False, "currency_id": line.get("currency_id") or False,
                    "amount_currency": 0.0, "debit": max(-rest, 0.0), "credit": max(rest, 0.0)}],
            [0, 0, {"name": "Currency exchange rate difference", "account_id": loss if rest > 0 else gain,
                    "amount_currency": rest, "debit": max(rest, 0.0), "credit": max(-rest, 0.0)}]]})
    env["account.move"].action_post(env, [ex_id])  # type: ignore[attr-defined]
    ex_line = next(i for i in sorted(env.db.lookup("account.move.line", "move_id", ex_id) or ())
                   if env.row("account.move.line", i)["account_id"] == line["account_id"])
    debit, credit = (line["id"], ex_line) if rest > 0 else (ex_line, line["id"])
    env.db.insert("account.partial.reconcile", {
        "debit_move_id": debit, "credit_move_id": credit, "amount": abs(rest), "debit_amount_currency": 0.0,
        "credit_amount_currency": 0.0, "full_reconcile_id": False, "exchange_move_id": False,
        "company_id": env.company_id, "max_date": max(dates) or False})
    env.db.update("account.partial.reconcile", partial_id, {"exchange_move_id": ex_id})


def _exchange_journal(env: Env) -> int:
    for rec_id, row in sorted(env.db.table("account.journal").items()):
        if row.get("code") == "EXCH" and row.get("company_id") == env.company_id:
            return int(rec_id)
    return int(env["account.journal"]._create_one(env, {"name": "Exchange Difference", "code": "EXCH",
                                                         "type": "general", "sequence": 20}))


def _exchange_account(env: Env, kind: str) -> int:
    name = "Foreign Exchange Gain" if kind == "gain" else "Foreign Exchange Loss"
    for rec_id, row in sorted(env.db.table("account.account").items()):
        if row.get("name") == name:
            return int(rec_id)
    return int(env["account.account"]._create_one(env, {
        "name": name, "code": "441000" if kind == "gain" else "641000",
        "account_type": "income_other" if kind == "gain" else "expense"}))


def _partials_of(env: Env, line_id: int) -> list[int]:
    return sorted((env.db.lookup("account.partial.reconcile", "debit_move_id", line_id) or set())
                  | (env.db.lookup("account.partial.reconcile", "credit_move_id", line_id) or set()))


def _refresh(env: Env, line_ids: set[int], *, together: bool = False) -> None:
    """Residuals, ``reconciled``, full reconciles and matching numbers of the lines and of every
    line linked to them by partials, recomputed from the partials (``together``: the lines are
    one set, as the lines of one reconcile() call are)."""
    table = env.db.table("account.move.line")
    partials = env.db.table("account.partial.reconcile")
    company_currency = env.row("res.company", env.company_id)["currency_id"]
    seen: set[int] = set()
    starts = [sorted(line_ids)] if together else [[i] for i in sorted(line_ids)]
    for start_set in starts:
        start_set = [i for i in start_set if i not in seen and i in table]
        if not start_set:
            continue
        group, todo, links = set(start_set), list(start_set), set()
        while todo:
            for pid in _partials_of(env, todo.pop()):
                links.add(pid)
                for other in (partials[pid]["debit_move_id"], partials[pid]["credit_move_id"]):
                    if other not in group:
                        group.add(other)
                        todo.append(other)
        seen |= group
        done = True
        for lid in sorted(group):
            line = table[lid]
            balance = float_round(line.get("debit", 0.0) - line.get("credit", 0.0))
            balance_cur = float(line.get("amount_currency", balance))
            rest, rest_cur = balance, balance_cur
            for pid in _partials_of(env, lid):
                p = partials[pid]
                sign = -1.0 if p["debit_move_id"] == lid else 1.0
                rest += sign * p.get("amount", 0.0)
                rest_cur += sign * p.get("debit_amount_currency" if sign < 0 else "credit_amount_currency", 0.0)
            rest, rest_cur = float_round(rest), float_round(rest_cur)
            foreign = _line_currency(env, line) != company_currency
            if foreign and abs(rest_cur) < 0.005:
                rest = 0.0
            settled = bool(links) and abs(rest_cur if foreign else rest) < 0.005
            done = done and settled
            env.db.update("account.move.line", lid, {"amount_residual": rest, "amount_residual_currency": rest_cur,
                                                     "reconciled": settled})
        old_full = sorted(int(f) for f in {partials[pid].get("full_reconcile_id") for pid in links} if f)
        if not done:
            for old in old_full:
                _drop_full(env, old)
        full_id: int | bool = old_full[0] if done and old_full else False
        if done and links and not full_id:
            full_id = env.db.insert("account.full.reconcile", {"exchange_move_id": False})
        for pid in links:
            env.db.update("account.partial.reconcile", pid, {"full_reconcile_id": full_id})
        number: Any = str(full_id) if full_id else (f"P{min(links)}" if links else False)
        for lid in group:
            if not _partials_of(env, lid):
                if not str(table[lid].get("matching_number") or "").startswith("I"):
                    env.db.update("account.move.line", lid, {"matching_number": False, "full_reconcile_id": False})
                continue  # an import marker waits for its post
            env.db.update("account.move.line", lid, {"matching_number": number, "full_reconcile_id": full_id})


def _unreconcile(env: Env, ids: list[int]) -> None:
    """``remove_move_reconcile``: every partial of the lines goes (with its full reconcile); the
    lines they linked are recomputed."""
    _drop_partials(env, sorted({pid for lid in ids for pid in _partials_of(env, lid)}))


def _drop_partials(env: Env, pids: list[int]) -> None:
    partials = env.db.table("account.partial.reconcile")
    touched: set[int] = set()
    for pid in pids:
        p = partials.get(pid)
        if p is None:
            continue
        touched |= {p["debit_move_id"], p["credit_move_id"]}
        full_id = p.get("full_reconcile_id")
        if full_id and full_id in env.db.table("account.full.reconcile"):
            _drop_full(env, full_id)
        env.db.delete("account.partial.reconcile", pid)
    table = env.db.table("account.move.line")
    for lid in touched:
        if lid in table and not _partials_of(env, lid):
            line = table[lid]
            balance = float_round(line.get("debit", 0.0) - line.get("credit", 0.0))
            env.db.update("account.move.line", lid, {
                "amount_residual": balance, "amount_residual_currency": line.get("amount_currency", balance),
                "reconciled": False, "matching_number": False, "full_reconcile_id": False})
    _refresh(env, {lid for lid in touched if lid in table})


def _drop_full(env: Env, full_id: int) -> None:
    for pid in sorted(env.db.lookup("account.partial.reconcile", "full_reconcile_id", full_id) or ()):
        env.db.update("account.partial.reconcile", pid, {"full_reconcile_id": False})
    for lid in sorted(env.db.lookup("account.move.line", "full_reconcile_id", full_id) or ()):
        env.db.update("account.move.line", lid, {"full_reconcile_id": False})
    if full_id in env.db.table("account.full.reconcile"):
        env.db.delete("account.full.reconcile", full_id)


def reconcile_marked(env: Env, move_ids: list[int]) -> None:
    """``_reconcile_marked`` at post: the lines carrying the same import marker ("I...") on one
    account are reconciled once every move holding them is posted (the account made
    reconcilable if it was not)."""
    table = env.db.table("account.move.line")
    wanted: set[tuple[str, int]] = set()
    for move_id in move_ids:
        for lid in env.db.lookup("account.move.line", "move_id", move_id) or ():
            number = str(table[lid].get("matching_number") or "")
            if number.startswith("I"):
                wanted.add((number, table[lid]["account_id"]))
    for number, account_id in sorted(wanted):
        ids = sorted(lid for lid in env.db.lookup("account.move.line", "matching_number", number) or ()
                     if table[lid].get("account_id") == account_id)
        if any(env.row("account.move", table[lid]["move_id"]).get("state") != "posted" for lid in ids):
            continue
        account = env.row("account.account", account_id)
        if not account.get("reconcile") and account.get("account_type") not in ("asset_cash",
                                                                                "liability_credit_card"):
            env.db.update("account.account", account_id, {"reconcile": True})
        reconcile_lines(env, ids, marked=True)


class AccountPartialReconcile(Model):
    _name = "account.partial.reconcile"
    _description = "Partial Reconcile"
    _rec_name = None
    FIELDS = {
        "debit_move_id": many2one("account.move.line", required=True, ondelete="cascade"),
        "credit_move_id": many2one("account.move.line", required=True, ondelete="cascade"),
        "full_reconcile_id": many2one("account.full.reconcile"),
        "exchange_move_id": many2one("account.move"),
        "amount": monetary(),
        "debit_amount_currency": monetary(),
        "credit_amount_currency": monetary(),
        "company_id": many2one("res.company"),
        "max_date": date_field(),
    }

    def create(self, env: Env, vals_list: Any) -> Any:
        raise UserError("Partial reconciliations are made by reconcile(), not created directly (emulator).")

    def unlink(self, env: Env, ids: Any) -> bool:
        _drop_partials(env, [i for i in normalize_ids(ids) if i in env.db.table(self._name)])
        return True


class AccountFullReconcile(Model):
    _name = "account.full.reconcile"
    _description = "Full Reconcile"
    _rec_name = None
    FIELDS = {
        "partial_reconcile_ids": one2many("account.partial.reconcile", "full_reconcile_id"),
        "reconciled_line_ids": one2many("account.move.line", "full_reconcile_id"),
        "exchange_move_id": many2one("account.move"),
    }


class AccountBankStatement(Model):
    _name = "account.bank.statement"
    _description = "Bank Statement"
    FIELDS = {
        "name": char(),
        "reference": char(),
        "journal_id": many2one("account.journal"),
        "date": date_field(),
        "balance_start": monetary(),
        "balance_end_real": monetary(),
        "line_ids": one2many("account.bank.statement.line", "statement_id"),
    }

    def __init__(self) -> None:
        super().__init__()
        # _compute_journal_id: the journal of its lines
        self._fields["journal_id"].compute = self._journal

    def _journal(self, env: Env, row: Record) -> int | bool:
        for line_id in sorted(env.db.lookup("account.bank.statement.line", "statement_id", row["id"]) or ()):
            move = env.row("account.move", env.row("account.bank.statement.line", line_id)["move_id"])
            return int(move["journal_id"])
        return False


class AccountBankStatementLine(Model):
    _name = "account.bank.statement.line"
    _description = "Bank Statement Line"
    _order = "date desc, id desc"
    _rec_name = "payment_ref"
    _inherits = {"account.move": "move_id"}
    _indexes = ("payment_ref",)
    FIELDS = {
        "move_id": many2one("account.move", required=True, ondelete="cascade"),
        "statement_id": many2one("account.bank.statement"),
        "payment_ref": char(),
        "amount": monetary(default=0.0),
        "partner_name": char(),
        "account_number": char(),
        "transaction_type": char(),
        "foreign_currency_id": many2one("res.currency"),
        "amount_currency": monetary(),
        "sequence": integer(default=1),
        "is_reconciled": boolean(),
        "amount_residual": floating(),
        "checked": boolean(default=True),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["is_reconciled"].compute = lambda env, r: abs(self._residual(env, r)) < 0.005
        self._fields["amount_residual"].compute = self._residual

    def _residual(self, env: Env, row: Record) -> float:
        move = env.row("account.move", row["move_id"])
        journal = env.row("account.journal", move["journal_id"])
        suspense = journal.get("suspense_account_id")
        lines = env.rows("account.move.line", env.db.lookup("account.move.line", "move_id", row["move_id"]) or ())
        return float_round(-sum(line.get("amount_residual", 0.0) for line in lines
                                if line.get("account_id") == suspense))

    def _check_access(self, env: Env, operation: str) -> None:
        # ir.model.access: only account.group_account_basic (implied by "Show Full Accounting
        # Features") may write statement lines; a fresh community admin only has Invoicing.
        from .partners import user_groups

        names = {env.row("res.groups", g)["name"] for g in user_groups(env, env.uid)}
        if env.uid != 1 and not names & {"Basic"}:
            raise AccessError(
                f"You are not allowed to {operation} 'Bank Statement Line' (account.bank.statement.line) records."
                "\n\nThis operation is allowed for the following groups:\n\t- Technical/Basic\n\nContact your "
                "administrator to request access if necessary.")

    def write(self, env: Env, ids: Any, vals: Any) -> bool:
        self._check_access(env, "modify")
        return super().write(env, ids, vals)

    def unlink(self, env: Env, ids: Any) -> bool:
        self._check_access(env, "delete")
        return super().unlink(env, ids)

    def create(self, env: Env, vals_list: Any) -> Any:
        self._check_access(env, "create")
        return super().create(env, vals_list)

    def _create_one(self, env: Env, vals: Any) -> int:
        counterpart = None
        if isinstance(vals, dict) and "counterpart_account_id" in vals:
            vals = dict(vals)
            counterpart = vals.pop("counterpart_account_id")
        if isinstance(vals, dict):
            journal = env.db.table("account.journal").get(vals.get("journal_id") or env.context.get(
                "default_journal_id"))
            if not journal:
                raise ValidationError("The operation cannot be completed: Missing required value for the field "
                                      "'Journal' (journal_id).\nModel: Bank Statement Line "
                                      "(account.bank.statement.line)")
            if not counterpart and not journal.get("suspense_account_id"):
                raise UserError("You can't create a new statement line without a suspense account set on the "
                                f"{journal['name']} journal.")
            if journal.get("type") not in ("bank", "cash", "credit"):
                raise ValidationError("The journal of a bank statement line must always be a bank or cash journal.")
            env = env.with_context(_counterpart=counterpart)
        return super()._create_one(env, vals)

    def _post_create(self, env: Env, rec_id: int, vals: Vals) -> None:
        row = env.row(self._name, rec_id)
        move = env.row("account.move", row["move_id"])
        journal = env.row("account.journal", move["journal_id"])
        counterpart = env.context.get("_counterpart") or journal.get("suspense_account_id")
        amount = float_round(row.get("amount", 0.0))
        label = row.get("payment_ref") or ""
        env.db.update("account.move", move["id"], {"statement_line_id": rec_id, "ref": move.get("ref") or label})
        move = env.row("account.move", move["id"])
        liquidity = journal.get("default_account_id")
        foreign = row.get("foreign_currency_id")
        other_amount = row.get("amount_currency") if foreign else amount
        env.db.insert("account.move.line", _line_row(env, move, {
            "name": label, "account_id": liquidity, "amount_currency": amount, "balance": amount}))
        env.db.insert("account.move.line", _line_row(env, move, {
            "name": label, "account_id": counterpart, "amount_currency": -float(other_amount or 0.0),
            "currency_id": foreign or move["currency_id"], "balance": -amount}))
        env["account.move"].action_post(env, [move["id"]])  # type: ignore[attr-defined]

    def action_undo_reconciliation(self, env: Env, ids: Any) -> None:
        """Unreconcile, then the lines rebuilt as at create without a counterpart account: the
        liquidity line and one line on the journal's suspense account."""
        for rec_id in self._existing(env, normalize_ids(ids)):
            row = env.row(self._name, rec_id)
            move = env.row("account.move", row["move_id"])
            journal = env.row("account.journal", move["journal_id"])
            line_ids = sorted(env.db.lookup("account.move.line", "move_id", move["id"]) or ())
            _unreconcile(env, line_ids)
            liquidity = journal.get("default_account_id")
            amount = float_round(row.get("amount", 0.0))
            others = [i for i in line_ids if env.row("account.move.line", i).get("account_id") != liquidity]
            if not journal.get("suspense_account_id") or not others:
                continue
            foreign = row.get("foreign_currency_id")
            for line_id in others:
                env.db.delete("account.move.line", line_id)
            env.db.insert("account.move.line", _line_row(env, move, {
                "name": row.get("payment_ref") or "", "account_id": journal["suspense_account_id"],
                "amount_currency": -float((row.get("amount_currency") if foreign else amount) or 0.0),
                "currency_id": foreign or move["currency_id"], "balance": -amount}))
        return None


class AccountMoveReversal(Model):
    """``account.move.reversal`` (Odoo 18: no ``refund_method``): created with the context
    ``active_model='account.move', active_ids=[...]`` (posted moves only); ``refund_moves`` makes
    draft credit notes of invoices (``reversed_entry_id`` set: posting one reconciles it with its
    invoice) and posts the reversal of an entry at once, reconciled with what was still open;
    ``modify_moves`` also reverses invoices at once and opens a draft copy of each."""

    _name = "account.move.reversal"
    _description = "Account move reversal"
    _transient = True
    _rec_name = None
    FIELDS = {
        "move_ids": many2many("account.move", default=lambda env: (
            list(env.context.get("active_ids") or []) if env.context.get("active_model") == "account.move" else [])),
        "new_move_ids": many2many("account.move"),
        "date": date_field(default=lambda env: env.today()),
        "reason": char(),
        "journal_id": many2one("account.journal"),
        "company_id": many2one("res.company", default=lambda env: env.company_id),
    }

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        ids = [i for i in self._m2m(env, self._fields["move_ids"], [], vals.get("move_ids") or [])]
        if not ids:
            raise UserError("No journal entry to reverse: open the wizard on posted entries (active_ids).")
        moves = [env.row("account.move", i) for i in ids]
        if any(m.get("state") != "posted" for m in moves):
            raise UserError("You can only reverse posted moves.")
        if not vals.get("journal_id"):
            vals["journal_id"] = moves[0]["journal_id"]
        return vals

    def refund_moves(self, env: Env, ids: Any) -> Any:
        return self.reverse_moves(env, ids, is_modify=False)

    def modify_moves(self, env: Env, ids: Any) -> Any:
        return self.reverse_moves(env, ids, is_modify=True)

    def reverse_moves(self, env: Env, ids: Any, is_modify: bool = False) -> Any:
        redirect: list[int] = []
        move_model = env["account.move"]
        for wiz_id in self._existing(env, normalize_ids(ids)):
            wizard = env.row(self._name, wiz_id)
            created: list[int] = []
            for move_id in wizard.get("move_ids") or []:
                move = env.row("account.move", move_id)
                reversal = self._reverse_one(env, wizard, move)
                created.append(reversal)
                entry = move.get("move_type", "entry") == "entry"
                if entry or is_modify:
                    move_model.action_post(env, [reversal])  # type: ignore[attr-defined]
                if is_modify and not entry:
                    redirect.append(self._copy_invoice(env, move))
                else:
                    redirect.append(reversal)
            env.db.update(self._name, wiz_id, {"new_move_ids": created})
        action: dict[str, Any] = {"name": "Reverse Moves", "type": "ir.actions.act_window",
                                  "res_model": "account.move"}
        if len(redirect) == 1:
            move_type = env.row("account.move", redirect[0]).get("move_type")
            action.update(view_mode="form", res_id=redirect[0], context={"default_move_type": move_type})
        else:
            action.update(view_mode="list,form", domain=[["id", "in", redirect]])
        return action

    def _reverse_one(self, env: Env, wizard: Record, move: Record) -> int:
        name = move.get("name") or ""
        ref = f"Reversal of: {name}, {wizard['reason']}" if wizard.get("reason") else f"Reversal of: {name}"
        move_type = move.get("move_type", "entry")
        date = wizard.get("date") or env.today()
        common: Vals = {"ref": ref, "date": date, "journal_id": wizard.get("journal_id") or move["journal_id"],
                        "partner_id": move.get("partner_id") or False, "currency_id": move["currency_id"],
                        "reversed_entry_id": move["id"]}
        lines = [line for line in env["account.move"]._lines(env, move["id"])]  # type: ignore[attr-defined]
        if move_type == "entry":
            return int(env["account.move"]._create_one(env, {**common, "move_type": "entry", "line_ids": [
                [0, 0, {"account_id": line["account_id"], "name": line.get("name") or "",
                        "partner_id": line.get("partner_id") or False, "debit": line.get("credit", 0.0),
                        "credit": line.get("debit", 0.0), "amount_currency": -line.get("amount_currency", 0.0),
                        "currency_id": line.get("currency_id") or False}] for line in lines]}))
        reverse = {"out_invoice": "out_refund", "out_refund": "out_invoice", "in_invoice": "in_refund",
                   "in_refund": "in_invoice", "out_receipt": "out_refund", "in_receipt": "in_refund"}[move_type]
        product = [line for line in lines if line.get("display_type") in ("product", "line_section", "line_note")]
        return int(env["account.move"]._create_one(env.with_context(default_move_type=False), {
            **common, "move_type": reverse, "invoice_date": date, "invoice_origin": move.get("invoice_origin") or False,
            "invoice_line_ids": [[0, 0, {
                "product_id": line.get("product_id") or False, "name": line.get("name") or "",
                "quantity": line.get("quantity", 1.0), "price_unit": line.get("price_unit", 0.0),
                "discount": line.get("discount", 0.0), "tax_ids": [[6, 0, list(line.get("tax_ids") or [])]],
                "account_id": line.get("account_id") or False,
                # sale keeps the order link on credit notes (_copy_data_extend_business_fields)
                "sale_line_ids": [[6, 0, list(line.get("sale_line_ids") or [])]],
            }] for line in product]}))

    def _copy_invoice(self, env: Env, move: Record) -> int:
        lines = [line for line in env["account.move"]._lines(env, move["id"])  # type: ignore[attr-defined]
                 if line.get("display_type") == "product"]
        return int(env["account.move"]._create_one(env.with_context(default_move_type=False), {
            "move_type": move["move_type"], "partner_id": move.get("partner_id") or False,
            "currency_id": move["currency_id"], "journal_id": move["journal_id"],
            "invoice_origin": move.get("invoice_origin") or False, "invoice_line_ids": [[0, 0, {
                "product_id": line.get("product_id") or False, "name": line.get("name") or "",
                "quantity": line.get("quantity", 1.0), "price_unit": line.get("price_unit", 0.0),
                "discount": line.get("discount", 0.0), "tax_ids": [[6, 0, list(line.get("tax_ids") or [])]],
                "account_id": line.get("account_id") or False,
                "sale_line_ids": [[6, 0, list(line.get("sale_line_ids") or [])]]}] for line in lines]}))


class AccountFiscalPosition(Model):
    _name = "account.fiscal.position"
    _description = "Fiscal Position"
    FIELDS = {"name": char(required=True), "active": boolean(default=True),
              "company_id": many2one("res.company", default=lambda env: env.company_id)}


class AccountPaymentTerm(Model):
    _name = "account.payment.term"
    _description = "Payment Terms"
    FIELDS = {"name": char(required=True), "active": boolean(default=True)}


MODELS: list[type[Model]] = [
    AccountTax, AccountAccount, AccountJournal, AccountMove, AccountMoveLine, AccountPartialReconcile,
    AccountFullReconcile, AccountBankStatement, AccountBankStatementLine, AccountFiscalPosition,
    AccountPaymentTerm, AccountMoveReversal,
]
