"""Sales (``addons/sale``, ``sale_stock``, ``delivery``): orders, lines, carriers, invoicing wizard.

Reproduced from Odoo 18: ``name`` from the ``sale.order`` sequence (``S00001``); invoice and
delivery addresses from ``address_get``; currency = pricelist's, else company's;
``action_confirm`` refuses orders outside draft/sent ("Some orders are not in a state requiring
confirmation."), writes ``state='sale'`` **and ``date_order`` = now**, and creates the outgoing
picking for goods lines; ``action_cancel`` returns the ``sale.order.cancel`` wizard action for
non-draft orders unless the context has ``disable_cancel_warning``; locked orders refuse
cancellation and line edits; only draft/cancelled orders can be deleted; line totals follow the
taxes (price excluded unless the tax is configured as included); the order's untaxed amount and
tax round per line or per document after the company's ``tax_calculation_rounding_method``
(``accounting.document_amounts``); ``client_order_ref`` and ``origin`` are not unique.
"""

from __future__ import annotations

from typing import Any

from .accounting import compute_line_taxes, document_amounts, rounding_method
from .database import Record
from .errors import UserError
from .mail import MailThread
from .orm import (
    Env,
    Model,
    Vals,
    boolean,
    char,
    date_field,
    datetime_field,
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
from .stock import assign_moves

__all__ = ["MODELS", "refresh_order_delivery"]

ORDER_STATES = ("draft", "sent", "sale", "cancel")
NOTHING_TO_INVOICE = (
    "Cannot create an invoice. No items are available to invoice.\n\n"
    "To resolve this issue, please ensure that:\n"
    "   \u2022 The products have been delivered before attempting to invoice them.\n"
    "   \u2022 The invoicing policy of the product is configured correctly.\n\n"
    "If you want to invoice based on ordered quantities instead:\n"
    "   \u2022 For consumable or storable products, open the product, go to the 'General Information' tab and "
    "change the 'Invoicing Policy' from 'Delivered Quantities' to 'Ordered Quantities'.\n"
    "   \u2022 For services (and other products), change the 'Invoicing Policy' to 'Prepaid/Fixed Price'.\n"
)
LOCKED_LINE_FIELDS = ("product_id", "name", "price_unit", "product_uom", "product_uom_qty", "tax_id",
                      "analytic_distribution")


class CrmTeam(Model):
    _name = "crm.team"
    _description = "Sales Team"
    FIELDS = {
        "name": char(required=True),
        "active": boolean(default=True),
        "company_id": many2one("res.company"),
        "user_id": many2one("res.users"),
    }


class DeliveryCarrier(Model):
    _name = "delivery.carrier"
    _description = "Shipping Methods"
    _order = "sequence, id"
    FIELDS = {
        "name": char(required=True),
        "sequence": integer(default=10),
        "active": boolean(default=True),
        "product_id": many2one("product.product", required=True, ondelete="restrict"),
        "delivery_type": selection(("fixed", "base_on_rule"), required=True, default="fixed"),
        "integration_level": selection(("rate", "rate_and_ship"), default="rate_and_ship"),
        "fixed_price": floating(),
        "tracking_url": char(),
        "company_id": many2one("res.company"),
        "free_over": boolean(),
        "amount": floating(),
    }

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        if "fixed_price" not in vals and vals.get("product_id") in env.db.table("product.product"):
            product = env["product.product"]
            vals["fixed_price"] = product._get(env, env.row("product.product", vals["product_id"]), "list_price")
        return vals


class SaleOrder(MailThread, Model):
    _name = "sale.order"
    _description = "Sales Order"
    _order = "date_order desc, id desc"
    _indexes = ("client_order_ref", "origin", "name", "partner_id")
    FIELDS = {
        "name": char(required=True, default="New"),
        "state": selection(ORDER_STATES, default="draft"),
        "locked": boolean(default=False),
        "partner_id": many2one("res.partner", required=True),
        "partner_invoice_id": many2one("res.partner", required=True),
        "partner_shipping_id": many2one("res.partner", required=True),
        "client_order_ref": char(),
        "origin": char(),
        "reference": char(),
        "date_order": datetime_field(required=True, default=lambda env: env.now_str()),
        "validity_date": date_field(),
        "commitment_date": datetime_field(),
        "pricelist_id": many2one("product.pricelist"),
        "currency_id": many2one("res.currency"),
        "currency_rate": floating(default=1.0),
        "company_id": many2one("res.company", required=True, default=lambda env: env.company_id),
        "team_id": many2one("crm.team", default=lambda env: _first(env, "crm.team")),
        "user_id": many2one("res.users", default=lambda env: env.uid),
        "note": html(),
        "warehouse_id": many2one("stock.warehouse", default=lambda env: _first(env, "stock.warehouse")),
        "carrier_id": many2one("delivery.carrier"),
        "fiscal_position_id": many2one("account.fiscal.position"),
        "payment_term_id": many2one("account.payment.term"),
        "require_signature": boolean(default=False),
        "require_payment": boolean(default=False),
        "order_line": one2many("sale.order.line", "order_id"),
        "picking_ids": one2many("stock.picking", "sale_id"),
        "delivery_count": integer(),
        "invoice_ids": many2many("account.move"),
        "invoice_count": integer(),
        "amount_untaxed": monetary(),
        "amount_tax": monetary(),
        "amount_total": monetary(),
        "invoice_status": selection(("upselling", "invoiced", "to invoice", "no")),
        "delivery_status": selection(("pending", "started", "partial", "full")),
        "effective_date": datetime_field(),
    }

    def __init__(self) -> None:
        super().__init__()
        f = self._fields
        for name in ("amount_untaxed", "amount_tax", "amount_total"):
            f[name].compute = self._amount(name)
        f["delivery_count"].compute = lambda env, r: len(self._get(env, r, "picking_ids"))
        f["invoice_ids"].compute = self._invoices
        f["invoice_count"].compute = lambda env, r: len(self._invoices(env, r))
        f["invoice_status"].compute = self._invoice_status
        f["delivery_status"].compute = self._delivery_status

    def _amount(self, name: str) -> Any:
        def compute(env: Env, row: Record) -> float:
            table = env.db.table("sale.order.line")
            lines = [table[i] for i in env.db.lookup("sale.order.line", "order_id", row["id"]) or ()]
            untaxed, tax = document_amounts(
                env, [(line.get("tax_id") or [], line.get("price_unit", 0.0), line.get("product_uom_qty", 0.0),
                       line.get("discount", 0.0)) for line in lines if not line.get("display_type")],
                rounding_method(env, row.get("company_id")))
            return {"amount_untaxed": untaxed, "amount_tax": tax, "amount_total": float_round(untaxed + tax)}[name]
        return compute

    def _invoices(self, env: Env, row: Record) -> list[int]:
        moves: set[int] = set()
        aml = env.db.table("account.move.line")
        for lid in env.db.lookup("sale.order.line", "order_id", row["id"]) or ():
            for aml_id in env.db.lookup("account.move.line", "x_sale_line_key", lid) or ():
                moves.add(aml[aml_id]["move_id"])
        return sorted(moves)

    def _invoice_status(self, env: Env, row: Record) -> str:
        if row.get("state") != "sale":
            return "no"
        line = env["sale.order.line"]
        statuses = [line._get(env, env.row("sale.order.line", i), "invoice_status")
                    for i in env.db.lookup("sale.order.line", "order_id", row["id"]) or ()
                    if not env.row("sale.order.line", i).get("display_type")]
        if any(s == "to invoice" for s in statuses):
            return "to invoice"
        if statuses and all(s == "invoiced" for s in statuses):
            return "invoiced"
        return "no"

    def _delivery_status(self, env: Env, row: Record) -> Any:
        pickings = env.rows("stock.picking", env.db.lookup("stock.picking", "sale_id", row["id"]) or ())
        states = [p.get("state") for p in pickings if p.get("state") != "cancel"]
        if not states:
            return False
        if all(s == "done" for s in states):
            return "full"
        if any(s == "done" for s in states):
            return "partial"
        return "pending"

    def _display_name(self, env: Env, row: Record) -> Any:
        return row.get("name") or False

    # -- create / write ---------------------------------------------------------------------------
    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        if not vals.get("name") or vals.get("name") == "New":
            vals["name"] = f"S{env.db.next_sequence('sale.order'):05d}"
        partner_id = vals.get("partner_id")
        if partner_id and partner_id in env.db.table("res.partner"):
            need = [t for t, key in (("invoice", "partner_invoice_id"), ("delivery", "partner_shipping_id"))
                    if not vals.get(key)]
            if need:
                addresses = env["res.partner"].address_get(  # type: ignore[attr-defined]
                    env, [partner_id], ["delivery", "invoice"])
                vals.setdefault("partner_invoice_id", addresses["invoice"])
                vals.setdefault("partner_shipping_id", addresses["delivery"])
                if not vals.get("partner_invoice_id"):
                    vals["partner_invoice_id"] = addresses["invoice"]
                if not vals.get("partner_shipping_id"):
                    vals["partner_shipping_id"] = addresses["delivery"]
            if "pricelist_id" not in vals:
                partner = env["res.partner"]
                vals["pricelist_id"] = partner._get(env, env.row("res.partner", partner_id),
                                                    "property_product_pricelist") or False
        if not vals.get("currency_id"):
            pricelist = env.db.table("product.pricelist").get(vals.get("pricelist_id"))
            company = env.row("res.company", vals.get("company_id") or env.company_id)
            vals["currency_id"] = pricelist["currency_id"] if pricelist else company["currency_id"]
        return vals

    def _prepare_write(self, env: Env, ids: list[int], vals: Vals) -> Vals:
        if "pricelist_id" in vals:
            for rec_id in ids:
                if env.row(self._name, rec_id).get("state") == "sale":
                    raise UserError("You cannot change the pricelist of a confirmed order !")
            pricelist = env.db.table("product.pricelist").get(vals.get("pricelist_id"))
            if pricelist and "currency_id" not in vals:
                vals["currency_id"] = pricelist["currency_id"]
        if vals.get("partner_id") and "partner_shipping_id" not in vals:
            addresses = env["res.partner"].address_get(  # type: ignore[attr-defined]
                env, [vals["partner_id"]], ["delivery", "invoice"])
            vals.setdefault("partner_invoice_id", addresses["invoice"])
            vals["partner_shipping_id"] = addresses["delivery"]
        if "order_line" in vals:
            for rec_id in ids:
                if env.row(self._name, rec_id).get("locked"):
                    raise UserError("It is forbidden to modify the following fields in a locked order:\n"
                                    "Order Lines")
        return vals

    def _check(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            row = env.row(self._name, rec_id)
            if row.get("state") == "sale" and not row.get("date_order"):
                raise UserError("The operation cannot be completed: A confirmed sales order requires a "
                                "confirmation date.")

    def _check_unlink(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            if env.row(self._name, rec_id).get("state") not in ("draft", "cancel"):
                raise UserError("You can not delete a sent quotation or a confirmed sales order. "
                                "You must first cancel it.")

    # -- actions ----------------------------------------------------------------------------------
    def action_confirm(self, env: Env, ids: Any) -> bool:
        ids = self._existing(env, normalize_ids(ids))
        rows = [env.row(self._name, i) for i in ids]
        if any(r.get("state") not in ("draft", "sent") for r in rows):
            raise UserError("Some orders are not in a state requiring confirmation.")
        line_model = env["sale.order.line"]
        for row in rows:
            for lid in env.db.lookup("sale.order.line", "order_id", row["id"]) or ():
                line = env.row("sale.order.line", lid)
                if not line.get("display_type") and not line.get("product_id"):
                    raise UserError("A line on these orders missing a product, you cannot confirm it.")
        now = env.now_str()
        for row in rows:
            env.db.update(self._name, row["id"], {"state": "sale", "date_order": now, "write_date": now})
            self._launch_stock(env, row["id"], line_model)
        return True

    def _launch_stock(self, env: Env, order_id: int, line_model: Model) -> None:
        order = env.row(self._name, order_id)
        goods = []
        for lid in sorted(env.db.lookup("sale.order.line", "order_id", order_id) or ()):
            line = env.row("sale.order.line", lid)
            if line.get("display_type") or not line.get("product_id"):
                continue
            tmpl_type = env["product.product"]._get(env, env.row("product.product", line["product_id"]), "type")
            if tmpl_type == "consu" and line.get("product_uom_qty", 0.0) > 0:
                goods.append(line)
        if not goods:
            return
        if not order.get("warehouse_id"):
            raise UserError("You must set a warehouse on the order to confirm it.")
        wh = env.row("stock.warehouse", order["warehouse_id"])
        ptype = env.row("stock.picking.type", wh["out_type_id"])
        picking_model = env["stock.picking"]
        pid = picking_model._create_one(env, {
            "picking_type_id": ptype["id"], "partner_id": order["partner_shipping_id"], "origin": order["name"],
            "sale_id": order_id, "carrier_id": order.get("carrier_id") or False,
            "location_id": ptype["default_location_src_id"], "location_dest_id": ptype["default_location_dest_id"],
            "company_id": order["company_id"],
        })
        move_ids = []
        for line in goods:
            name = line_model._get(env, line, "name")
            move_ids.append(env["stock.move"]._create_one(env, {
                "name": name, "product_id": line["product_id"], "product_uom_qty": line.get("product_uom_qty", 0.0),
                "picking_id": pid, "sale_line_id": line["id"], "origin": order["name"], "state": "confirmed",
                "partner_id": order["partner_shipping_id"],
            }))
        assign_moves(env, move_ids)
        picking_model._recompute_state(env, pid)  # type: ignore[attr-defined]

    def action_cancel(self, env: Env, ids: Any) -> Any:
        ids = self._existing(env, normalize_ids(ids))
        rows = [env.row(self._name, i) for i in ids]
        if any(r.get("locked") for r in rows):
            raise UserError("You cannot cancel a locked order. Please unlock it first if you want to cancel it.")
        if not env.context.get("disable_cancel_warning") and any(r.get("state") != "draft" for r in rows):
            return {
                "name": "Cancel Sales Order", "type": "ir.actions.act_window", "view_mode": "form",
                "res_model": "sale.order.cancel", "views": [[False, "form"]], "target": "new",
                "context": {"default_order_id": ids[0]},
            }
        self._cancel(env, ids)
        return True

    def _cancel(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            for move_id in self._invoices(env, env.row(self._name, rec_id)):
                if env.row("account.move", move_id).get("state") == "draft":
                    env.db.update("account.move", move_id, {"state": "cancel"})
            pickings = [p for p in sorted(env.db.lookup("stock.picking", "sale_id", rec_id) or ())
                        if env.row("stock.picking", p).get("state") not in ("done", "cancel")]
            if pickings:
                env["stock.picking"].action_cancel(env, pickings)  # type: ignore[attr-defined]
            env.db.update(self._name, rec_id, {"state": "cancel"})

    def action_draft(self, env: Env, ids: Any) -> bool:
        for rec_id in self._existing(env, normalize_ids(ids)):
            if env.row(self._name, rec_id).get("state") in ("cancel", "sent"):
                env.db.update(self._name, rec_id, {"state": "draft"})
        return True

    def action_lock(self, env: Env, ids: Any) -> None:
        for rec_id in self._existing(env, normalize_ids(ids)):
            env.db.update(self._name, rec_id, {"locked": True})
        return None

    def action_unlock(self, env: Env, ids: Any) -> None:
        for rec_id in self._existing(env, normalize_ids(ids)):
            env.db.update(self._name, rec_id, {"locked": False})
        return None

    def action_quotation_sent(self, env: Env, ids: Any) -> bool:
        for rec_id in self._existing(env, normalize_ids(ids)):
            if env.row(self._name, rec_id).get("state") == "draft":
                env.db.update(self._name, rec_id, {"state": "sent"})
        return True


def refresh_order_delivery(env: Env, order_id: int) -> None:
    """Nothing is stored: delivered quantities and status are computed on read."""
    return None


def _first(env: Env, model: str) -> int | bool:
    table = env.db.table(model)
    for rec_id in sorted(table):
        if table[rec_id].get("active", True) and table[rec_id].get("company_id", env.company_id) in (
                env.company_id, False, None):
            return int(rec_id)
    return False


class SaleOrderLine(Model):
    _name = "sale.order.line"
    _description = "Sales Order Line"
    _order = "order_id, sequence, id"
    FIELDS = {
        "order_id": many2one("sale.order", required=True, ondelete="cascade"),
        "sequence": integer(default=10),
        "name": text(required=True),
        "product_id": many2one("product.product"),
        "product_template_id": many2one("product.template"),
        "product_uom_qty": floating(default=1.0),
        "product_uom": many2one("uom.uom"),
        "price_unit": floating(required=True),
        "technical_price_unit": floating(),
        "discount": floating(),
        "tax_id": many2many("account.tax"),
        "display_type": selection(("line_section", "line_note")),
        "is_delivery": boolean(default=False),
        "is_downpayment": boolean(default=False),
        "price_subtotal": monetary(),
        "price_tax": floating(),
        "price_total": monetary(),
        "price_reduce_taxexcl": monetary(),
        "qty_delivered": floating(),
        "qty_invoiced": floating(),
        "qty_to_invoice": floating(),
        "invoice_status": selection(("upselling", "invoiced", "to invoice", "no")),
        "invoice_lines": many2many("account.move.line"),
        "move_ids": one2many("stock.move", "sale_line_id"),
        "currency_id": many2one("res.currency"),
        "company_id": many2one("res.company"),
        "order_partner_id": many2one("res.partner"),
        "state": selection(ORDER_STATES),
        "customer_lead": floating(),
    }

    def __init__(self) -> None:
        super().__init__()
        f = self._fields
        for name in ("price_subtotal", "price_tax", "price_total"):
            f[name].compute = self._amount(name)
        f["price_reduce_taxexcl"].compute = lambda env, r: (
            round(self._taxes(env, r)[0] / r["product_uom_qty"], 2) if r.get("product_uom_qty") else 0.0)
        f["product_template_id"].compute = lambda env, r: (
            env.row("product.product", r["product_id"])["product_tmpl_id"] if r.get("product_id") else False)
        f["currency_id"].compute = lambda env, r: env.row("sale.order", r["order_id"]).get("currency_id") or False
        f["company_id"].compute = lambda env, r: env.row("sale.order", r["order_id"]).get("company_id") or False
        f["order_partner_id"].compute = lambda env, r: env.row("sale.order", r["order_id"]).get("partner_id")
        f["state"].compute = lambda env, r: env.row("sale.order", r["order_id"]).get("state")
        f["qty_delivered"].compute = self._qty_delivered
        f["qty_invoiced"].compute = self._qty_invoiced
        f["qty_to_invoice"].compute = self._qty_to_invoice
        f["invoice_status"].compute = self._invoice_status
        f["invoice_lines"].compute = lambda env, r: sorted(
            env.db.lookup("account.move.line", "x_sale_line_key", r["id"]) or ())

    def _taxes(self, env: Env, row: Record) -> tuple[float, float, float]:
        if row.get("display_type"):
            return (0.0, 0.0, 0.0)
        order = env.row("sale.order", row["order_id"])
        return compute_line_taxes(env, row.get("tax_id") or [], row.get("price_unit", 0.0),
                                  row.get("product_uom_qty", 0.0), row.get("discount", 0.0),
                                  rounding_method(env, order.get("company_id")) != "round_globally")

    def _amount(self, name: str) -> Any:
        index = {"price_subtotal": 0, "price_tax": 1, "price_total": 2}[name]
        return lambda env, row: self._taxes(env, row)[index]

    def _qty_delivered(self, env: Env, row: Record) -> float:
        total = 0.0
        for mid in env.db.lookup("stock.move", "sale_line_id", row["id"]) or ():
            move = env.row("stock.move", mid)
            if move.get("state") != "done":
                continue
            dest = env.row("stock.location", move["location_dest_id"]).get("usage")
            src = env.row("stock.location", move["location_id"]).get("usage")
            if dest == "customer" and src != "customer":
                total += move.get("quantity", 0.0)
            elif src == "customer" and dest != "customer":
                total -= move.get("quantity", 0.0)
        return total

    def _qty_invoiced(self, env: Env, row: Record) -> float:
        total = 0.0
        for aml_id in env.db.lookup("account.move.line", "x_sale_line_key", row["id"]) or ():
            aml = env.row("account.move.line", aml_id)
            move = env.row("account.move", aml["move_id"])
            if move.get("state") == "cancel":
                continue
            sign = -1.0 if move.get("move_type") == "out_refund" else 1.0
            total += sign * aml.get("quantity", 0.0)
        return total

    def _qty_to_invoice(self, env: Env, row: Record) -> float:
        if row.get("display_type") or env.row("sale.order", row["order_id"]).get("state") != "sale":
            return 0.0
        policy = "order"
        if row.get("product_id"):
            policy = env["product.product"]._get(env, env.row("product.product", row["product_id"]),
                                                 "invoice_policy") or "order"
        base = row.get("product_uom_qty", 0.0) if policy == "order" else self._qty_delivered(env, row)
        return base - self._qty_invoiced(env, row)

    def _invoice_status(self, env: Env, row: Record) -> str:
        if row.get("display_type") or env.row("sale.order", row["order_id"]).get("state") != "sale":
            return "no"
        if abs(self._qty_to_invoice(env, row)) > 1e-9:
            return "to invoice"
        if self._qty_invoiced(env, row) >= row.get("product_uom_qty", 0.0) - 1e-9:
            return "invoiced"
        return "no"

    def _display_name(self, env: Env, row: Record) -> Any:
        order = env.row("sale.order", row["order_id"])
        return f"{order.get('name')} - {(row.get('name') or '').splitlines()[0] if row.get('name') else ''}"

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        order = env.db.table("sale.order").get(vals.get("order_id"))
        if order and order.get("locked"):
            raise UserError("It is forbidden to modify the following fields in a locked order:\nOrder Lines")
        product_id = vals.get("product_id")
        if product_id and product_id in env.db.table("product.product") and not vals.get("display_type"):
            product = env["product.product"]
            prow = env.row("product.product", product_id)
            if not vals.get("name"):
                name = product._get(env, prow, "display_name")
                description = product._get(env, prow, "description_sale")
                vals["name"] = f"{name}\n{description}" if description else name
            vals.setdefault("product_uom", product._get(env, prow, "uom_id"))
            if "price_unit" not in vals:
                vals["price_unit"] = product._get(env, prow, "list_price")
            if "tax_id" not in vals:
                company = order.get("company_id") if order else env.company_id
                taxes = env.db.table("account.tax")
                vals["tax_id"] = [t for t in product._get(env, prow, "taxes_id")
                                  if taxes[t].get("company_id", company) in (company, False)]
        if vals.get("display_type"):
            vals.setdefault("price_unit", 0.0)
            vals.setdefault("product_uom_qty", 0.0)
        vals.setdefault("price_unit", 0.0)
        vals["technical_price_unit"] = vals.get("price_unit", 0.0)
        return vals

    def _check(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            row = env.row(self._name, rec_id)
            if row.get("display_type"):
                if row.get("product_id") or row.get("price_unit") or row.get("product_uom_qty"):
                    raise UserError("The operation cannot be completed: Forbidden values on non-accountable sale "
                                    "order line")
            elif not row.get("product_id") or not row.get("product_uom"):
                raise UserError("The operation cannot be completed: Missing required fields on accountable sale "
                                "order line.")

    def _prepare_write(self, env: Env, ids: list[int], vals: Vals) -> Vals:
        for rec_id in ids:
            order = env.row("sale.order", env.row(self._name, rec_id)["order_id"])
            if order.get("locked"):
                locked = [f for f in LOCKED_LINE_FIELDS if f in vals]
                if locked:
                    raise UserError("It is forbidden to modify the following fields in a locked order:\n"
                                    + "\n".join(locked))
        repricing = any(k in vals for k in ("product_id", "product_uom_qty", "product_uom"))
        if repricing and "price_unit" not in vals:
            # (inferred) price_unit is recomputed from the pricelist when qty/uom/product change and the
            # caller does not send a price; the line keeps its price only once something was invoiced.
            for rec_id in ids:
                row = env.row(self._name, rec_id)
                product_id = vals.get("product_id") or row.get("product_id")
                if product_id and not self._qty_invoiced(env, row):
                    price = env["product.product"]._get(env, env.row("product.product", product_id), "list_price")
                    env.db.update(self._name, rec_id, {"price_unit": price, "technical_price_unit": price})
        if "price_unit" in vals:
            vals = {**vals, "technical_price_unit": vals["price_unit"]}
        return vals

    def _check_unlink(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            row = env.row(self._name, rec_id)
            order = env.row("sale.order", row["order_id"])
            if order.get("state") == "sale" and not row.get("is_delivery") and not row.get("display_type"):
                raise UserError("Once a sales order is confirmed, you can't remove one of its lines (we need to "
                                "track if something gets invoiced or delivered).\n Set the quantity to 0 instead.")


class SaleOrderCancel(Model):
    _name = "sale.order.cancel"
    _description = "Sales Order Cancel"
    _transient = True
    _rec_name = None
    FIELDS = {
        "order_id": many2one("sale.order", required=True, ondelete="cascade"),
        "display_invoice_alert": boolean(),
    }

    def action_cancel(self, env: Env, ids: Any) -> bool:
        for rec_id in self._existing(env, normalize_ids(ids)):
            order_id = env.row(self._name, rec_id)["order_id"]
            env["sale.order"].action_cancel(env.with_context(disable_cancel_warning=True), [order_id])  # type: ignore[attr-defined]
        return True


class SaleAdvancePaymentInv(Model):
    _name = "sale.advance.payment.inv"
    _description = "Sales Advance Payment Invoice"
    _transient = True
    _rec_name = None
    FIELDS = {
        "advance_payment_method": selection(("delivered", "percentage", "fixed"), required=True,
                                            default="delivered"),
        "sale_order_ids": many2many("sale.order", default=lambda env: (
            list(env.context.get("active_ids") or []) if env.context.get("active_model") == "sale.order" else [])),
        "amount": floating(),
        "fixed_amount": monetary(),
        "deduct_down_payments": boolean(default=True),
        "consolidated_billing": boolean(default=True),
    }

    def create_invoices(self, env: Env, ids: Any) -> Any:
        move_ids: list[int] = []
        for wiz_id in self._existing(env, normalize_ids(ids)):
            wizard = env.row(self._name, wiz_id)
            if wizard.get("advance_payment_method") != "delivered":
                raise UserError("The emulator only supports invoicing delivered/ordered quantities "
                                "(advance_payment_method='delivered').")
            # consolidated_billing (default True): _create_invoices(grouped=False) makes one
            # invoice per invoice address and currency; False: one per order.
            groups: dict[Any, list[int]] = {}
            for order_id in wizard.get("sale_order_ids") or []:
                order = env.row("sale.order", order_id)
                key = (order.get("partner_invoice_id"), order.get("currency_id"), order.get("company_id")) \
                    if wizard.get("consolidated_billing", True) else order_id
                groups.setdefault(key, []).append(order_id)
            for order_ids in groups.values():
                move_id = _invoice_orders(env, order_ids)
                if move_id:
                    move_ids.append(move_id)
        if not move_ids:
            if env.context.get("raise_if_nothing_to_invoice", True):
                raise UserError(NOTHING_TO_INVOICE)
            return {"type": "ir.actions.act_window_close"}
        action: dict[str, Any] = {"name": "Invoices", "type": "ir.actions.act_window", "res_model": "account.move",
                                  "context": {"default_move_type": "out_invoice"}}
        if len(move_ids) == 1:
            action.update(res_id=move_ids[0], view_mode="form", views=[[False, "form"]])
        else:
            action.update(domain=[["id", "in", move_ids]], view_mode="list,form")
        return action


def _invoice_orders(env: Env, order_ids: list[int]) -> int | None:
    line_model = env["sale.order.line"]
    lines: list[Any] = []
    invoiced: list[Record] = []
    for order_id in order_ids:
        order = env.row("sale.order", order_id)
        count = len(lines)
        for lid in sorted(env.db.lookup("sale.order.line", "order_id", order_id) or ()):
            row = env.row("sale.order.line", lid)
            qty = line_model._get(env, row, "qty_to_invoice")
            if row.get("display_type") or abs(qty) < 1e-9:
                continue
            lines.append([0, 0, {
                "product_id": row["product_id"], "quantity": qty, "price_unit": row.get("price_unit", 0.0),
                "discount": row.get("discount", 0.0), "tax_ids": [[6, 0, list(row.get("tax_id") or [])]],
                "name": row.get("name") or "/", "sale_line_ids": [[6, 0, [lid]]],
            }])
        if len(lines) > count:
            invoiced.append(order)
    if not lines:
        return None
    first = invoiced[0]
    journal = next((i for i, j in sorted(env.db.table("account.journal").items()) if j.get("type") == "sale"), False)
    refs = [str(o["client_order_ref"]) for o in invoiced if o.get("client_order_ref")]
    return int(env["account.move"]._create_one(env.with_context(default_move_type=False), {
        "move_type": "out_invoice", "partner_id": first["partner_invoice_id"],
        "invoice_origin": ", ".join(o["name"] for o in invoiced),
        "currency_id": first.get("currency_id") or False, "journal_id": journal, "ref": ", ".join(refs) or False,
        "invoice_line_ids": lines,
    }))


MODELS: list[type[Model]] = [CrmTeam, DeliveryCarrier, SaleOrder, SaleOrderLine, SaleOrderCancel,
                             SaleAdvancePaymentInv]
