"""Stock (``addons/stock``): warehouses, locations, quants, pickings, moves and move lines.

Reproduced from Odoo 18: quantities are set through quants in ``inventory_mode`` and applied
with ``action_apply_inventory`` (returns None; an existing quant with the same keys is reused);
only ``is_storable`` products have quants; ``free_qty``/``qty_available`` follow the
``warehouse_id``/``location``/``strict`` context; reservation on ``action_assign``;
``button_validate`` confirms drafts, picks everything when nothing is picked, asks for the
backorder wizard when picked < demand and the type says ``ask`` (unless ``skip_backorder``),
moves quants (negative stock allowed) and marks the picking done.
"""

from __future__ import annotations

from typing import Any

from .database import Record
from .errors import UserError, ValidationError
from .mail import MailThread
from .orm import (
    Env,
    Model,
    Vals,
    boolean,
    char,
    date_field,
    datetime_field,
    floating,
    integer,
    many2many,
    many2one,
    normalize_ids,
    one2many,
    selection,
)

__all__ = ["MODELS", "assign_moves", "product_quantities"]

MOVE_STATES = ("draft", "waiting", "confirmed", "partially_available", "assigned", "done", "cancel")
PICKING_STATES = ("draft", "waiting", "confirmed", "assigned", "done", "cancel")
INVENTORY_CREATE_FIELDS = frozenset({
    "product_id", "location_id", "lot_id", "package_id", "owner_id", "inventory_quantity",
    "inventory_quantity_auto_apply", "inventory_date", "user_id", "accounting_date",
})
_EPS = 1e-9


# -- locations and quantities -------------------------------------------------------------------
def _children(env: Env, roots: set[int], strict: bool = False) -> set[int]:
    if strict:
        return set(roots)
    table = env.db.table("stock.location")
    result = set(roots)
    frontier = set(roots)
    while frontier:
        frontier = {i for i, row in table.items() if row.get("location_id") in frontier} - result
        result |= frontier
    return result


def _ids_from(env: Env, model: str, value: Any) -> set[int]:
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, str):
        table = env.db.table(model)
        field = "complete_name" if model == "stock.location" else "name"
        return {i for i, row in table.items()
                if value.lower() in str(env[model]._get(env, row, field) or "").lower()}
    if isinstance(value, list | tuple):
        out: set[int] = set()
        for v in value:
            out |= _ids_from(env, model, v)
        return out
    return set()


def scope_locations(env: Env) -> set[int]:
    """Internal locations the context points at (``_get_domain_locations`` in stock)."""
    ctx = env.context
    strict = bool(ctx.get("strict"))
    warehouses = env.db.table("stock.warehouse")
    if ctx.get("warehouse_id"):
        wh_ids = _ids_from(env, "stock.warehouse", ctx["warehouse_id"])
    else:
        wh_ids = {i for i, w in warehouses.items() if w.get("company_id", 1) == env.company_id
                  and w.get("active", True)}
    wh_roots = {warehouses[i]["view_location_id"] for i in wh_ids if i in warehouses}
    wh_scope = _children(env, wh_roots)
    if ctx.get("location"):
        locs = _children(env, _ids_from(env, "stock.location", ctx["location"]), strict)
        scope = locs & wh_scope if ctx.get("warehouse_id") else locs
    else:
        scope = wh_scope
    table = env.db.table("stock.location")
    return {i for i in scope if table.get(i, {}).get("usage") in ("internal", "transit")}


def product_quantities(env: Env, product: Record) -> dict[str, float]:
    out = dict.fromkeys(("qty_available", "free_qty", "virtual_available", "incoming_qty", "outgoing_qty"), 0.0)
    template = env.row("product.template", product["product_tmpl_id"])
    if template.get("type") != "consu":
        return out
    scope = scope_locations(env)
    quants = env.db.table("stock.quant")
    on_hand = reserved = 0.0
    for qid in env.db.lookup("stock.quant", "product_id", product["id"]) or ():
        quant = quants[qid]
        if quant["location_id"] in scope:
            on_hand += quant.get("quantity", 0.0)
            reserved += quant.get("reserved_quantity", 0.0)
    moves = env.db.table("stock.move")
    incoming = outgoing = 0.0
    for mid in env.db.lookup("stock.move", "product_id", product["id"]) or ():
        move = moves[mid]
        if move.get("state") in ("draft", "done", "cancel"):
            continue
        src_in, dest_in = move["location_id"] in scope, move["location_dest_id"] in scope
        if dest_in and not src_in:
            incoming += move.get("product_uom_qty", 0.0)
        elif src_in and not dest_in:
            outgoing += move.get("product_uom_qty", 0.0)
    out.update(qty_available=round(on_hand, 6), free_qty=round(on_hand - reserved, 6),
               incoming_qty=incoming, outgoing_qty=outgoing,
               virtual_available=round(on_hand + incoming - outgoing, 6))
    return out


def _is_storable(env: Env, product_id: int) -> bool:
    product = env.row("product.product", product_id)
    template = env.row("product.template", product["product_tmpl_id"])
    return bool(template.get("type") == "consu" and template.get("is_storable"))


def _find_quant(env: Env, product_id: int, location_id: int, keys: Vals | None = None) -> int | None:
    keys = keys or {}
    quants = env.db.table("stock.quant")
    for qid in sorted(env.db.lookup("stock.quant", "product_id", product_id) or ()):
        quant = quants[qid]
        if quant["location_id"] == location_id and all(quant.get(k, False) == (keys.get(k) or False)
                                                       for k in ("lot_id", "package_id", "owner_id")):
            return qid
    return None


def _written(env: Env) -> dict[str, Any]:
    """What the ORM stamps on every write; business code here writes rows directly, and the
    connector's stock flow finds changes by ``write_date``."""
    return {"write_date": env.now_str(), "write_uid": env.uid}


def _created(env: Env) -> dict[str, Any]:
    return {"create_date": env.now_str(), "create_uid": env.uid, **_written(env)}


def update_quant(env: Env, product_id: int, location_id: int, quantity: float = 0.0,
                 reserved: float = 0.0) -> None:
    """Add to on-hand/reserved in an internal location (quants elsewhere are not kept)."""
    location = env.row("stock.location", location_id)
    if location.get("usage") not in ("internal", "transit") or not _is_storable(env, product_id):
        return
    qid = _find_quant(env, product_id, location_id)
    if qid is None:
        env.db.insert("stock.quant", {"product_id": product_id, "location_id": location_id, "quantity": quantity,
                                      "reserved_quantity": reserved, "inventory_quantity": 0.0,
                                      "inventory_quantity_set": False, "company_id": env.company_id,
                                      "in_date": env.now_str(), "lot_id": False, "package_id": False,
                                      "owner_id": False, **_created(env)})
    else:
        quant = env.row("stock.quant", qid)
        env.db.update("stock.quant", qid, {"quantity": quant.get("quantity", 0.0) + quantity,
                                           "reserved_quantity": quant.get("reserved_quantity", 0.0) + reserved,
                                           **_written(env)})


# -- models ---------------------------------------------------------------------------------------
class StockLocation(Model):
    _name = "stock.location"
    _description = "Inventory Locations"
    _order = "complete_name, id"
    _parent_name = "location_id"
    _rec_name = "complete_name"
    FIELDS = {
        "name": char(required=True),
        "complete_name": char(),
        "location_id": many2one("stock.location"),
        "child_ids": one2many("stock.location", "location_id"),
        "usage": selection(("supplier", "view", "internal", "customer", "inventory", "production", "transit"),
                           required=True, default="internal"),
        "active": boolean(default=True),
        "company_id": many2one("res.company"),
        "warehouse_id": many2one("stock.warehouse"),
        "last_inventory_date": date_field(),
        "barcode": char(),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["complete_name"].compute = self._complete_name
        self._fields["warehouse_id"].compute = self._warehouse

    def _complete_name(self, env: Env, row: Record) -> str:
        parent = env.db.table(self._name).get(row.get("location_id"))
        if parent and row.get("usage") != "view":
            return f"{self._complete_name(env, parent)}/{row['name']}"
        if parent:
            return f"{self._complete_name(env, parent)}/{row['name']}"
        return str(row["name"])

    def _warehouse(self, env: Env, row: Record) -> Any:
        for wid, wh in env.db.table("stock.warehouse").items():
            if row["id"] in _children(env, {wh["view_location_id"]}):
                return wid
        return False


class StockWarehouse(Model):
    _name = "stock.warehouse"
    _description = "Warehouse"
    FIELDS = {
        "name": char(required=True),
        "code": char(required=True, size=5),
        "company_id": many2one("res.company", required=True, default=lambda env: env.company_id),
        "partner_id": many2one("res.partner"),
        "view_location_id": many2one("stock.location"),
        "lot_stock_id": many2one("stock.location"),
        "delivery_steps": selection(("ship_only", "pick_ship", "pick_pack_ship"), default="ship_only"),
        "reception_steps": selection(("one_step", "two_steps", "three_steps"), default="one_step"),
        "in_type_id": many2one("stock.picking.type"),
        "out_type_id": many2one("stock.picking.type"),
        "int_type_id": many2one("stock.picking.type"),
        "active": boolean(default=True),
    }

    def _check(self, env: Env, ids: list[int]) -> None:
        table = env.db.table(self._name)
        for rec_id in ids:
            row = table[rec_id]
            if row.get("code") and len(row["code"]) > 5:
                raise ValidationError("The operation cannot be completed: the short name is at most 5 characters")
            for key in ("name", "code"):
                if sum(1 for r in table.values() if r.get(key) == row.get(key)
                       and r.get("company_id") == row.get("company_id")) > 1:
                    raise ValidationError(f"The operation cannot be completed: The {key} of the warehouse must be "
                                          "unique per company!")

    def _post_create(self, env: Env, rec_id: int, vals: Vals) -> None:
        row = env.row(self._name, rec_id)
        if row.get("view_location_id"):
            return
        loc = env["stock.location"]
        view = loc._create_one(env, {"name": row["code"], "usage": "view", "company_id": row["company_id"]})
        stock = loc._create_one(env, {"name": "Stock", "location_id": view, "usage": "internal",
                                      "company_id": row["company_id"]})
        customers = _location_by_usage(env, "customer")
        suppliers = _location_by_usage(env, "supplier")
        ptype = env["stock.picking.type"]
        in_type = ptype._create_one(env, {"name": "Receipts", "code": "incoming", "sequence_code": "IN",
                                          "warehouse_id": rec_id, "default_location_src_id": suppliers,
                                          "default_location_dest_id": stock})
        out_type = ptype._create_one(env, {"name": "Delivery Orders", "code": "outgoing", "sequence_code": "OUT",
                                           "warehouse_id": rec_id, "default_location_src_id": stock,
                                           "default_location_dest_id": customers})
        int_type = ptype._create_one(env, {"name": "Internal Transfers", "code": "internal",
                                           "sequence_code": "INT", "warehouse_id": rec_id,
                                           "default_location_src_id": stock, "default_location_dest_id": stock})
        env.db.update(self._name, rec_id, {"view_location_id": view, "lot_stock_id": stock, "in_type_id": in_type,
                                           "out_type_id": out_type, "int_type_id": int_type})


def _location_by_usage(env: Env, usage: str) -> int | bool:
    for rec_id, row in sorted(env.db.table("stock.location").items()):
        if row.get("usage") == usage:
            return int(rec_id)
    return False


class StockPickingType(Model):
    _name = "stock.picking.type"
    _description = "Picking Type"
    FIELDS = {
        "name": char(required=True),
        "code": selection(("incoming", "outgoing", "internal"), required=True),
        "sequence_code": char(required=True),
        "warehouse_id": many2one("stock.warehouse"),
        "default_location_src_id": many2one("stock.location"),
        "default_location_dest_id": many2one("stock.location"),
        "create_backorder": selection(("ask", "always", "never"), required=True, default="ask"),
        "company_id": many2one("res.company", default=lambda env: env.company_id),
        "active": boolean(default=True),
    }

    def _display_name(self, env: Env, row: Record) -> Any:
        wh = env.db.table("stock.warehouse").get(row.get("warehouse_id"))
        return f"{wh['name']}: {row['name']}" if wh else row["name"]


class StockLot(Model):
    _name = "stock.lot"
    _description = "Lot/Serial"
    FIELDS = {
        "name": char(required=True),
        "product_id": many2one("product.product", required=True),
        "company_id": many2one("res.company", default=lambda env: env.company_id),
    }


class StockQuant(Model):
    _name = "stock.quant"
    _description = "Quants"
    _rec_name = None
    FIELDS = {
        "product_id": many2one("product.product", required=True, ondelete="restrict"),
        "location_id": many2one("stock.location", required=True),
        "lot_id": many2one("stock.lot"),
        "package_id": many2one("stock.lot"),
        "owner_id": many2one("res.partner"),
        "company_id": many2one("res.company"),
        "quantity": floating(readonly=True),
        "reserved_quantity": floating(readonly=True),
        "available_quantity": floating(),
        "inventory_quantity": floating(),
        "inventory_diff_quantity": floating(),
        "inventory_quantity_set": boolean(),
        "inventory_quantity_auto_apply": floating(),
        "inventory_date": date_field(),
        "user_id": many2one("res.users"),
        "in_date": datetime_field(),
        "product_uom_id": many2one("uom.uom"),
        "warehouse_id": many2one("stock.warehouse"),
    }

    def __init__(self) -> None:
        super().__init__()
        f = self._fields
        f["available_quantity"].compute = lambda env, r: r.get("quantity", 0.0) - r.get("reserved_quantity", 0.0)
        f["inventory_diff_quantity"].compute = lambda env, r: (
            r.get("inventory_quantity", 0.0) - r.get("quantity", 0.0) if r.get("inventory_quantity_set") else 0.0)
        f["inventory_quantity_auto_apply"].compute = lambda env, r: r.get("quantity", 0.0)
        f["inventory_quantity_auto_apply"].inverse = self._auto_apply
        f["product_uom_id"].compute = lambda env, r: env["product.product"]._get(
            env, env.row("product.product", r["product_id"]), "uom_id")
        f["warehouse_id"].compute = lambda env, r: env["stock.location"]._get(
            env, env.row("stock.location", r["location_id"]), "warehouse_id")

    def _display_name(self, env: Env, row: Record) -> Any:
        return env["stock.location"]._get(env, env.row("stock.location", row["location_id"]), "display_name")

    def _create_one(self, env: Env, vals: Any) -> int:
        self._check_fields(vals)
        inventory_mode = bool(env.context.get("inventory_mode"))
        if inventory_mode and ("inventory_quantity" in vals or "inventory_quantity_auto_apply" in vals):
            if any(k not in INVENTORY_CREATE_FIELDS for k in vals):
                raise UserError("Quant's creation is restricted, you can't do this operation.")
            vals = dict(vals)
            auto = "inventory_quantity_auto_apply" in vals
            quantity = vals.pop("inventory_quantity_auto_apply", None)
            if quantity is None:
                quantity = vals.pop("inventory_quantity", 0.0)
            else:
                vals.pop("inventory_quantity", None)
            if not vals.get("product_id") or not vals.get("location_id"):
                raise ValidationError("The operation cannot be completed: Missing required value for the field "
                                      "'Product' (product_id).\nModel: Quants (stock.quant)")
            qid = _find_quant(env, vals["product_id"], vals["location_id"], vals)
            if qid is None:
                base = {k: v for k, v in vals.items() if k in self._fields}
                base.setdefault("company_id", env.company_id)
                qid = super()._create_one(env, {**base, "in_date": env.now_str()})
            if auto:
                self._auto_apply(env, qid, quantity)
            else:
                env.db.update(self._name, qid, {"inventory_quantity": float(quantity or 0.0),
                                                "inventory_quantity_set": True,
                                                "user_id": env.uid, "inventory_date": env.today(), **_written(env)})
            return qid
        return super()._create_one(env, vals)

    def _check(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            row = env.row(self._name, rec_id)
            if not _is_storable(env, row["product_id"]):
                product = env["product.product"]._get(env, env.row("product.product", row["product_id"]),
                                                      "display_name")
                raise ValidationError(f"Quants cannot be created for consumables or services. ({product})")
            location = env.row("stock.location", row["location_id"])
            if location.get("usage") == "view":
                name = env["stock.location"]._get(env, location, "complete_name")
                raise ValidationError(f'You cannot take products from or deliver products to a location of type '
                                      f'"view" ({name}).')

    def _prepare_write(self, env: Env, ids: list[int], vals: Vals) -> Vals:
        if "inventory_quantity" in vals and "inventory_quantity_set" not in vals:
            vals["inventory_quantity_set"] = True
        return vals

    def _auto_apply(self, env: Env, rec_id: int, value: Any) -> None:
        env.db.update(self._name, rec_id, {"inventory_quantity": float(value or 0.0), "inventory_quantity_set": True})
        self._apply(env, [rec_id])

    def _apply(self, env: Env, ids: list[int]) -> None:
        adjustment = _location_by_usage(env, "inventory")
        for rec_id in ids:
            quant = env.row(self._name, rec_id)
            if not quant.get("inventory_quantity_set"):
                continue
            diff = quant.get("inventory_quantity", 0.0) - quant.get("quantity", 0.0)
            if abs(diff) > _EPS:
                src, dest = (adjustment, quant["location_id"]) if diff > 0 else (quant["location_id"], adjustment)
                env.db.insert("stock.move", {
                    "name": "Product Quantity Updated", "product_id": quant["product_id"],
                    "product_uom_qty": abs(diff), "quantity": abs(diff), "picked": True, "state": "done",
                    "location_id": src, "location_dest_id": dest, "is_inventory": True, "date": env.now_str(),
                    "company_id": quant.get("company_id") or env.company_id, "picking_id": False,
                    "product_uom": 1, "sale_line_id": False, **_created(env),
                })
            env.db.update(self._name, rec_id, {"quantity": quant.get("inventory_quantity", 0.0),
                                               "inventory_quantity": 0.0, "inventory_quantity_set": False,
                                               "inventory_date": env.today(), **_written(env)})
            env.db.update("stock.location", quant["location_id"], {"last_inventory_date": env.today()})

    def action_apply_inventory(self, env: Env, ids: Any) -> None:
        ids = self._existing(env, normalize_ids(ids))
        for rec_id in ids:
            quant = env.row(self._name, rec_id)
            template = env["product.product"]._get(env, env.row("product.product", quant["product_id"]), "tracking")
            if template != "none" and not quant.get("lot_id"):
                return None  # Odoo returns the stock.track.confirmation wizard; not emulated
        self._apply(env, ids)
        return None

    def action_set_inventory_quantity_to_zero(self, env: Env, ids: Any) -> None:
        for rec_id in self._existing(env, normalize_ids(ids)):
            env.db.update(self._name, rec_id, {"inventory_quantity": 0.0, "inventory_quantity_set": False})
        return None


class StockPicking(MailThread, Model):
    _name = "stock.picking"
    _description = "Transfer"
    _order = "priority desc, scheduled_date asc, id desc"
    _indexes = ("origin",)
    FIELDS = {
        "name": char(default="/"),
        "origin": char(),
        "note": char(),
        "partner_id": many2one("res.partner"),
        "picking_type_id": many2one("stock.picking.type", required=True),
        "picking_type_code": selection(("incoming", "outgoing", "internal")),
        "location_id": many2one("stock.location", required=True),
        "location_dest_id": many2one("stock.location", required=True),
        "state": selection(PICKING_STATES, default="draft"),
        "move_type": selection(("direct", "one"), default="direct", required=True),
        "priority": selection(("0", "1"), default="0"),
        "move_ids": one2many("stock.move", "picking_id"),
        "move_line_ids": one2many("stock.move.line", "picking_id"),
        "scheduled_date": datetime_field(default=lambda env: env.now_str()),
        "date_deadline": datetime_field(),
        "date_done": datetime_field(),
        "backorder_id": many2one("stock.picking"),
        "sale_id": many2one("sale.order"),
        "carrier_id": many2one("delivery.carrier"),
        "carrier_tracking_ref": char(),
        "company_id": many2one("res.company", default=lambda env: env.company_id),
        "user_id": many2one("res.users"),
        "shipping_weight": floating(),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["picking_type_code"].compute = lambda env, r: env.row(
            "stock.picking.type", r["picking_type_id"])["code"]

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        ptype = env.db.table("stock.picking.type").get(vals.get("picking_type_id"))
        if ptype:
            vals.setdefault("location_id", ptype.get("default_location_src_id"))
            vals.setdefault("location_dest_id", ptype.get("default_location_dest_id"))
            if vals.get("name", "/") == "/":
                vals["name"] = picking_name(env, ptype)
        return vals

    def _post_create(self, env: Env, rec_id: int, vals: Vals) -> None:
        row = env.row(self._name, rec_id)
        for mid in env.db.lookup("stock.move", "picking_id", rec_id) or ():
            changes = {k: row[k] for k in ("location_id", "location_dest_id", "picking_type_id")
                       if not env.row("stock.move", mid).get(k)}
            if changes:
                env.db.update("stock.move", mid, {**changes, **_written(env)})

    # -- state ---------------------------------------------------------------------------------
    def _recompute_state(self, env: Env, picking_id: int) -> None:
        moves = env.rows("stock.move", sorted(env.db.lookup("stock.move", "picking_id", picking_id) or ()))
        states = {m.get("state") for m in moves}
        if not moves or states == {"draft"}:
            state = "draft"
        elif states <= {"cancel"}:
            state = "cancel"
        elif states <= {"done", "cancel"}:
            state = "done"
        else:
            live = [m for m in moves if m.get("state") not in ("done", "cancel")]
            move_type = env.row(self._name, picking_id).get("move_type", "direct")
            reserved = [m for m in live if m.get("state") in ("assigned", "partially_available")]
            if move_type == "one":
                state = "assigned" if all(m.get("state") == "assigned" for m in live) else "confirmed"
            else:
                state = "assigned" if reserved else "confirmed"
        env.db.update(self._name, picking_id, {"state": state})

    # -- public methods ---------------------------------------------------------------------------
    def action_confirm(self, env: Env, ids: Any) -> bool:
        return self._confirm_and_assign(env, ids)

    def action_assign(self, env: Env, ids: Any) -> bool:
        # As the emulator has it, assigning confirms draft moves first, like confirming does.
        return self._confirm_and_assign(env, ids)

    def _confirm_and_assign(self, env: Env, ids: Any) -> bool:
        """Draft moves → confirmed, then reserve what stock allows and recompute the state."""
        for pid in self._existing(env, normalize_ids(ids)):
            moves = sorted(env.db.lookup("stock.move", "picking_id", pid) or ())
            for mid in moves:
                if env.row("stock.move", mid).get("state") == "draft":
                    env.db.update("stock.move", mid, {**_written(env), "state": "confirmed"})
            assign_moves(env, moves)
            self._recompute_state(env, pid)
        return True

    def do_unreserve(self, env: Env, ids: Any) -> None:
        for pid in self._existing(env, normalize_ids(ids)):
            for mid in sorted(env.db.lookup("stock.move", "picking_id", pid) or ()):
                unreserve_move(env, mid)
            self._recompute_state(env, pid)
        return None

    def action_cancel(self, env: Env, ids: Any) -> bool:
        for pid in self._existing(env, normalize_ids(ids)):
            for mid in sorted(env.db.lookup("stock.move", "picking_id", pid) or ()):
                if env.row("stock.move", mid).get("state") != "done":
                    unreserve_move(env, mid)
                    env.db.update("stock.move", mid, {**_written(env), "state": "cancel"})
            self._recompute_state(env, pid)
        return True

    def button_validate(self, env: Env, ids: Any) -> Any:
        ids = [i for i in self._existing(env, normalize_ids(ids)) if env.row(self._name, i)["state"] != "done"]
        for pid in ids:
            if env.row(self._name, pid)["state"] == "draft":
                self.action_confirm(env, [pid])
                for mid in env.db.lookup("stock.move", "picking_id", pid) or ():
                    move = env.row("stock.move", mid)
                    if move.get("quantity", 0.0) <= _EPS and move.get("product_uom_qty", 0.0) > _EPS:
                        set_move_quantity(env, mid, move["product_uom_qty"])
        for pid in ids:
            moves = env.rows("stock.move", sorted(env.db.lookup("stock.move", "picking_id", pid) or ()))
            live = [m for m in moves if m.get("state") not in ("done", "cancel")]
            name = env.row(self._name, pid)["name"]
            if not live:
                raise UserError("You can't validate an empty transfer. Please add some products to move before "
                                f"proceeding. ({name})")
            if all(m.get("quantity", 0.0) <= _EPS for m in live):
                raise UserError("You cannot validate a transfer if no quantities are reserved. To force the "
                                "transfer, encode quantities.")
            if not any(m.get("picked") for m in live):
                for m in live:
                    env.db.update("stock.move", m["id"], {**_written(env), "picked": True})
        ctx = env.context
        no_backorder = set(ctx.get("picking_ids_not_to_backorder") or [])
        need_wizard = []
        for pid in ids:
            ptype = env.row("stock.picking.type", env.row(self._name, pid)["picking_type_id"])
            short = any(m.get("state") not in ("done", "cancel") and
                        (not m.get("picked") or m.get("quantity", 0.0) + _EPS < m.get("product_uom_qty", 0.0))
                        for m in env.rows("stock.move", env.db.lookup("stock.move", "picking_id", pid) or ()))
            if short and ptype.get("create_backorder") == "ask" and not ctx.get("skip_backorder"):
                need_wizard.append(pid)
        if need_wizard:
            return {
                "name": "Create Backorder?", "type": "ir.actions.act_window", "view_mode": "form",
                "res_model": "stock.backorder.confirmation", "views": [[False, "form"]], "target": "new",
                "context": {**{k: v for k, v in ctx.items() if not k.startswith("default_")},
                            "button_validate_picking_ids": ids, "default_pick_ids": [[4, i] for i in need_wizard]},
            }
        sms_warning = [] if ctx.get("skip_sms") else [pid for pid in ids if self._warns_sms(env, pid)]
        if sms_warning:
            wizard = env["confirm.stock.sms"]._create_one(env, {"pick_ids": sms_warning})
            return {
                "name": "SMS", "type": "ir.actions.act_window", "view_mode": "form", "res_model": "confirm.stock.sms",
                "views": [[False, "form"]], "target": "new", "res_id": wizard,
                "context": {**ctx, "button_validate_picking_ids": ids},
            }
        for pid in ids:
            ptype = env.row("stock.picking.type", env.row(self._name, pid)["picking_type_id"])
            cancel_rest = pid in no_backorder or ptype.get("create_backorder") == "never"
            self._done(env, pid, backorder=not cancel_rest)
        return True

    def _warns_sms(self, env: Env, pid: int) -> bool:
        """stock_sms: a delivery to a partner with a phone asks once per company whether to text customers,
        unless the caller passes ``skip_sms`` (Odoo 18's ``_check_warn_sms``)."""
        picking = env.row(self._name, pid)
        company = env.row("res.company", picking.get("company_id") or env.company_id)
        if not company.get("stock_move_sms_validation") or company.get("has_received_warning_stock_sms"):
            return False
        if env.row("stock.picking.type", picking["picking_type_id"]).get("code") != "outgoing":
            return False
        partner = env.row("res.partner", picking["partner_id"]) if picking.get("partner_id") else {}
        return bool(partner.get("mobile") or partner.get("phone"))

    def _done(self, env: Env, pid: int, backorder: bool) -> None:
        picking = env.row(self._name, pid)
        rest: list[tuple[Record, float]] = []
        for mid in sorted(env.db.lookup("stock.move", "picking_id", pid) or ()):
            move = env.row("stock.move", mid)
            if move.get("state") in ("done", "cancel"):
                continue
            done_qty = move.get("quantity", 0.0) if move.get("picked") else 0.0
            remaining = move.get("product_uom_qty", 0.0) - done_qty
            if done_qty <= _EPS:
                unreserve_move(env, mid)
                if backorder:
                    rest.append((move, move.get("product_uom_qty", 0.0)))
                env.db.update("stock.move", mid, {**_written(env), "state": "cancel", "quantity": 0.0})
                continue
            _move_quants(env, mid, done_qty)
            env.db.update("stock.move", mid, {**_written(env), "state": "done", "product_uom_qty": done_qty,
                                              "date": env.now_str()})
            for lid in env.db.lookup("stock.move.line", "move_id", mid) or ():
                env.db.update("stock.move.line", lid, {"picked": True})
            if remaining > _EPS and backorder:
                rest.append((move, remaining))
        env.db.update(self._name, pid, {"state": "done", "date_done": env.now_str()})
        if rest:
            new_pid = self._create_one(env, {
                "picking_type_id": picking["picking_type_id"], "partner_id": picking.get("partner_id") or False,
                "origin": picking.get("origin") or False, "location_id": picking["location_id"],
                "location_dest_id": picking["location_dest_id"], "backorder_id": pid,
                "sale_id": picking.get("sale_id") or False, "carrier_id": picking.get("carrier_id") or False,
            })
            for move, qty in rest:
                env["stock.move"]._create_one(env, {
                    "name": move.get("name") or "/", "product_id": move["product_id"], "product_uom_qty": qty,
                    "picking_id": new_pid, "location_id": move["location_id"],
                    "location_dest_id": move["location_dest_id"], "sale_line_id": move.get("sale_line_id") or False,
                    "origin": move.get("origin") or False, "state": "confirmed",
                    "partner_id": move.get("partner_id") or False,
                })
            self.action_assign(env, [new_pid])
        from .sales import refresh_order_delivery

        if picking.get("sale_id"):
            refresh_order_delivery(env, picking["sale_id"])


def picking_name(env: Env, ptype: Record) -> str:
    wh = env.db.table("stock.warehouse").get(ptype.get("warehouse_id"))
    prefix = f"{wh['code']}/" if wh else ""
    number = env.db.next_sequence(f"stock.picking.type.{ptype['id']}")
    return f"{prefix}{ptype['sequence_code']}/{number:05d}"


def assign_moves(env: Env, move_ids: list[int]) -> None:
    """Reserve what is available (``stock.move._action_assign``), non-storable products fully."""
    for mid in move_ids:
        move = env.row("stock.move", mid)
        if move.get("state") not in ("confirmed", "waiting", "partially_available"):
            continue
        demand = move.get("product_uom_qty", 0.0)
        reserved = move.get("quantity", 0.0)
        need = demand - reserved
        if need <= _EPS:
            env.db.update("stock.move", mid, {**_written(env), "state": "assigned"})
            continue
        if not _is_storable(env, move["product_id"]):
            _add_move_line(env, move, move["location_id"], need)
            env.db.update("stock.move", mid, {**_written(env), "quantity": demand, "state": "assigned"})
            continue
        locations = _children(env, {move["location_id"]})
        quants = env.db.table("stock.quant")
        for qid in sorted(env.db.lookup("stock.quant", "product_id", move["product_id"]) or ()):
            if need <= _EPS:
                break
            quant = quants[qid]
            if quant["location_id"] not in locations:
                continue
            available = quant.get("quantity", 0.0) - quant.get("reserved_quantity", 0.0)
            if available <= _EPS:
                continue
            take = min(available, need)
            env.db.update("stock.quant", qid, {"reserved_quantity": quant.get("reserved_quantity", 0.0) + take})
            _add_move_line(env, move, quant["location_id"], take)
            need -= take
            reserved += take
        state = "assigned" if need <= _EPS else ("partially_available" if reserved > _EPS else "confirmed")
        env.db.update("stock.move", mid, {**_written(env), "quantity": reserved, "state": state})


def _add_move_line(env: Env, move: Record, location_id: int, quantity: float) -> None:
    env.db.insert("stock.move.line", {
        "move_id": move["id"], "picking_id": move.get("picking_id") or False, "product_id": move["product_id"],
        "location_id": location_id, "location_dest_id": move["location_dest_id"], "quantity": quantity,
        "picked": False, "lot_id": False, "lot_name": False, "result_package_id": False, "package_id": False,
        "company_id": move.get("company_id") or env.company_id, "date": env.now_str(), "product_uom_id": 1,
        "reserved": True,
    })


def unreserve_move(env: Env, mid: int) -> None:
    move = env.row("stock.move", mid)
    for lid in sorted(env.db.lookup("stock.move.line", "move_id", mid) or ()):
        line = env.row("stock.move.line", lid)
        if line.get("reserved"):
            update_quant(env, move["product_id"], line["location_id"], reserved=-line.get("quantity", 0.0))
        env.db.delete("stock.move.line", lid)
    if move.get("state") in ("assigned", "partially_available"):
        env.db.update("stock.move", mid, {**_written(env), "state": "confirmed", "quantity": 0.0})


def set_move_quantity(env: Env, mid: int, quantity: float) -> None:
    """The inverse of ``stock.move.quantity``: edit the move lines to match."""
    move = env.row("stock.move", mid)
    current = move.get("quantity", 0.0)
    if abs(current - quantity) <= _EPS:
        return
    if quantity > current:
        _add_move_line(env, {**move, "id": mid}, move["location_id"], quantity - current)
        env.db.update("stock.move.line", max(env.db.lookup("stock.move.line", "move_id", mid) or {0}),
                      {"reserved": False})
    else:
        excess = current - quantity
        for lid in sorted(env.db.lookup("stock.move.line", "move_id", mid) or (), reverse=True):
            if excess <= _EPS:
                break
            line = env.row("stock.move.line", lid)
            take = min(line.get("quantity", 0.0), excess)
            if line.get("reserved"):
                update_quant(env, move["product_id"], line["location_id"], reserved=-take)
            if take >= line.get("quantity", 0.0) - _EPS:
                env.db.delete("stock.move.line", lid)
            else:
                env.db.update("stock.move.line", lid, {"quantity": line["quantity"] - take})
            excess -= take
    env.db.update("stock.move", mid, {**_written(env), "quantity": quantity})


def _move_quants(env: Env, mid: int, done_qty: float) -> None:
    move = env.row("stock.move", mid)
    remaining = done_qty
    for lid in sorted(env.db.lookup("stock.move.line", "move_id", mid) or ()):
        line = env.row("stock.move.line", lid)
        qty = min(line.get("quantity", 0.0), remaining)
        if line.get("reserved"):
            update_quant(env, move["product_id"], line["location_id"], quantity=-qty, reserved=-line["quantity"])
        else:
            update_quant(env, move["product_id"], line["location_id"], quantity=-qty)
        update_quant(env, move["product_id"], line.get("location_dest_id") or move["location_dest_id"], quantity=qty)
        remaining -= qty
    if remaining > _EPS:
        update_quant(env, move["product_id"], move["location_id"], quantity=-remaining)
        update_quant(env, move["product_id"], move["location_dest_id"], quantity=remaining)


class StockMove(Model):
    _name = "stock.move"
    _description = "Stock Move"
    _order = "sequence, id"
    _rec_name = "name"
    _indexes = ("product_id", "sale_line_id")
    FIELDS = {
        "name": char(default="/"),
        "sequence": integer(default=10),
        "product_id": many2one("product.product", required=True),
        "product_uom_qty": floating(default=1.0),
        "product_uom": many2one("uom.uom", default=1),
        "quantity": floating(),
        "picked": boolean(),
        "state": selection(MOVE_STATES, default="draft"),
        "picking_id": many2one("stock.picking"),
        "picking_type_id": many2one("stock.picking.type"),
        "location_id": many2one("stock.location", required=True),
        "location_dest_id": many2one("stock.location", required=True),
        "sale_line_id": many2one("sale.order.line"),
        "origin": char(),
        "reference": char(),
        "date": datetime_field(default=lambda env: env.now_str()),
        "move_line_ids": one2many("stock.move.line", "move_id"),
        "partner_id": many2one("res.partner"),
        "company_id": many2one("res.company", default=lambda env: env.company_id),
        "is_inventory": boolean(),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["reference"].compute = lambda env, r: (
            env.row("stock.picking", r["picking_id"])["name"] if r.get("picking_id") else r.get("name") or False)
        self._fields["quantity"].inverse = lambda env, rec_id, v: set_move_quantity(env, rec_id, float(v or 0.0))
        self._fields["quantity"].compute = lambda env, r: r.get("quantity", 0.0)

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        picking = env.db.table("stock.picking").get(vals.get("picking_id"))
        if picking:
            for key in ("location_id", "location_dest_id", "picking_type_id", "partner_id"):
                vals.setdefault(key, picking.get(key) or False)
        return vals

    def _create_one(self, env: Env, vals: Any) -> int:
        if isinstance(vals, dict) and "quantity" in vals:
            vals = dict(vals)
            qty = vals.pop("quantity")
            rec_id = super()._create_one(env, vals)
            env.db.update(self._name, rec_id, {"quantity": 0.0})
            set_move_quantity(env, rec_id, float(qty or 0.0))
            return rec_id
        return super()._create_one(env, vals)

    def _post_write(self, env: Env, ids: list[int], vals: Vals) -> None:
        for mid in ids:
            pid = env.row(self._name, mid).get("picking_id")
            if pid:
                env["stock.picking"]._recompute_state(env, pid)  # type: ignore[attr-defined]


class StockMoveLine(Model):
    _name = "stock.move.line"
    _description = "Product Moves (Stock Move Line)"
    _rec_name = None
    FIELDS = {
        "move_id": many2one("stock.move", ondelete="cascade"),
        "picking_id": many2one("stock.picking"),
        "product_id": many2one("product.product", required=True),
        "location_id": many2one("stock.location", required=True),
        "location_dest_id": many2one("stock.location", required=True),
        "quantity": floating(),
        "picked": boolean(),
        "lot_id": many2one("stock.lot"),
        "lot_name": char(),
        "package_id": many2one("stock.lot"),
        "result_package_id": many2one("stock.lot"),
        "company_id": many2one("res.company"),
        "product_uom_id": many2one("uom.uom", default=1),
        "date": datetime_field(),
        "state": selection(MOVE_STATES),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["state"].compute = lambda env, r: (
            env.row("stock.move", r["move_id"]).get("state") if r.get("move_id") else "draft")


class ConfirmStockSms(Model):
    """stock_sms's wizard: either answer records the company's choice, then validates the pickings."""

    _name = "confirm.stock.sms"
    _description = "Confirm Stock SMS"
    _transient = True
    _rec_name = None
    FIELDS = {"pick_ids": many2many("stock.picking")}

    def send_sms(self, env: Env, ids: Any) -> Any:
        return self._answer(env, ids, {"has_received_warning_stock_sms": True})

    def dont_send_sms(self, env: Env, ids: Any) -> Any:
        return self._answer(env, ids, {"has_received_warning_stock_sms": True, "stock_move_sms_validation": False})

    def _answer(self, env: Env, ids: Any, company_vals: dict[str, Any]) -> Any:
        [wizard_id] = self._existing(env, normalize_ids(ids))
        pickings = env.rows("stock.picking", env.row(self._name, wizard_id).get("pick_ids") or [])
        for company_id in {p.get("company_id") or env.company_id for p in pickings}:
            if not env.row("res.company", company_id).get("has_received_warning_stock_sms"):
                env.db.update("res.company", company_id, company_vals)
        return env["stock.picking"].button_validate(  # type: ignore[attr-defined]
            env, list(env.context.get("button_validate_picking_ids") or []))


MODELS: list[type[Model]] = [
    StockLocation, StockWarehouse, StockPickingType, StockLot, StockQuant, StockPicking, StockMove, StockMoveLine,
    ConfirmStockSms,
]
