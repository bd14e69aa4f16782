"""Products (``addons/product``, ``addons/stock/models/product.py``).

Reproduced: ``type`` is ``consu``/``service``/``combo`` (17.0's ``product`` is a ValueError);
stock tracking is the bool ``is_storable``; a template creates its variant; product.product
``_inherits`` the template; ``default_code`` is not unique, ``barcode`` is; ``free_qty`` exists
on the variant only and follows the ``warehouse_id``/``location`` context.
"""

from __future__ import annotations

from typing import Any

from .database import Record
from .errors import ValidationError
from .orm import (
    Env,
    Model,
    boolean,
    char,
    floating,
    integer,
    many2many,
    many2one,
    one2many,
    selection,
    text,
)

__all__ = ["MODELS"]


def _company_sale_taxes(env: Env) -> list[int]:
    company = env.db.table("res.company").get(env.company_id) or {}
    tax = company.get("account_sale_tax_id")
    return [tax] if tax else []


def _company_purchase_taxes(env: Env) -> list[int]:
    company = env.db.table("res.company").get(env.company_id) or {}
    tax = company.get("account_purchase_tax_id")
    return [tax] if tax else []


class UomUom(Model):
    _name = "uom.uom"
    _description = "Product Unit of Measure"
    FIELDS = {
        "name": char(required=True),
        "factor": floating(default=1.0),
        "rounding": floating(default=0.01),
        "uom_type": selection(("bigger", "reference", "smaller"), default="reference"),
        "active": boolean(default=True),
    }


class ProductCategory(Model):
    _name = "product.category"
    _description = "Product Category"
    _parent_name = "parent_id"
    FIELDS = {
        "name": char(required=True),
        "parent_id": many2one("product.category"),
        "complete_name": char(),
    }


_QTY_FIELDS = ("qty_available", "virtual_available", "incoming_qty", "outgoing_qty")


class ProductTemplate(Model):
    _name = "product.template"
    _description = "Product"
    _order = "priority desc, name"
    FIELDS = {
        "name": char(required=True),
        "sequence": integer(default=1),
        "priority": selection(("0", "1"), default="0"),
        "description": text(),
        "description_sale": text(),
        "type": selection(("consu", "service", "combo"), required=True, default="consu"),
        "is_storable": boolean(default=False),
        "list_price": floating(default=1.0),
        "standard_price": floating(),
        "uom_id": many2one("uom.uom", required=True, default=1),
        "uom_po_id": many2one("uom.uom", required=True, default=1),
        "categ_id": many2one("product.category", required=True, default=1),
        "sale_ok": boolean(default=True),
        "purchase_ok": boolean(default=True),
        "company_id": many2one("res.company"),
        "active": boolean(default=True),
        "tracking": selection(("serial", "lot", "none"), required=True, default="none"),
        "invoice_policy": selection(("order", "delivery"), default="order"),
        "taxes_id": many2many("account.tax", default=_company_sale_taxes),
        "supplier_taxes_id": many2many("account.tax", default=_company_purchase_taxes),
        "weight": floating(),
        "volume": floating(),
        "default_code": char(),
        "barcode": char(),
        "product_variant_ids": one2many("product.product", "product_tmpl_id"),
        "product_variant_id": many2one("product.product"),
        "product_variant_count": integer(),
        **{name: floating() for name in _QTY_FIELDS},
    }

    def __init__(self) -> None:
        super().__init__()
        f = self._fields
        f["product_variant_id"].compute = lambda env, row: (self._get(env, row, "product_variant_ids") or [False])[0]
        f["product_variant_count"].compute = lambda env, row: len(self._get(env, row, "product_variant_ids"))
        for name in ("default_code", "barcode"):
            f[name].compute = self._variant_value(name)
            f[name].inverse = self._set_variant_value(name)
        for name in _QTY_FIELDS:
            f[name].compute = self._sum_variants(name)

    def _variant_value(self, name: str) -> Any:
        def compute(env: Env, row: Record) -> Any:
            variants = self._get(env, row, "product_variant_ids")
            if len(variants) != 1:
                return False
            return env.row("product.product", variants[0]).get(name) or False
        return compute

    def _set_variant_value(self, name: str) -> Any:
        def inverse(env: Env, rec_id: int, value: Any) -> None:
            variants = sorted(env.db.lookup("product.product", "product_tmpl_id", rec_id) or ())
            if len(variants) == 1:
                env["product.product"].write(env, variants, {name: value})
            elif not variants:
                env.context.setdefault("_pending_variant_vals", {})[name] = value
        return inverse

    def _sum_variants(self, name: str) -> Any:
        def compute(env: Env, row: Record) -> float:
            product = env["product.product"]
            table = env.db.table("product.product")
            return float(sum(product._get(env, table[v], name)
                             for v in env.db.lookup("product.product", "product_tmpl_id", row["id"]) or ()))
        return compute

    def _create_one(self, env: Env, vals: Any) -> int:
        if isinstance(vals, dict):
            pending = {k: vals[k] for k in ("default_code", "barcode") if k in vals}
            vals = {k: v for k, v in vals.items() if k not in pending}
        else:
            pending = {}
        rec_id = super()._create_one(env, vals)
        if env.context.get("create_product_product", True) is not False:
            env["product.product"]._create_one(env.with_context(create_product_product=False),
                                               {"product_tmpl_id": rec_id, **pending})
        return rec_id


class ProductProduct(Model):
    _name = "product.product"
    _description = "Product Variant"
    _order = "default_code, name, id"
    _inherits = {"product.template": "product_tmpl_id"}
    _indexes = ("default_code", "barcode")
    FIELDS = {
        "product_tmpl_id": many2one("product.template", required=True, ondelete="cascade"),
        "default_code": char(),
        "barcode": char(),
        "active": boolean(default=True),
        "code": char(),
        "lst_price": floating(),
        "free_qty": floating(),
        "stock_quant_ids": one2many("stock.quant", "product_id"),
        **{name: floating() for name in _QTY_FIELDS},
    }

    def __init__(self) -> None:
        super().__init__()
        f = self._fields
        f["code"].compute = lambda env, row: row.get("default_code") or False
        f["lst_price"].compute = lambda env, row: self._get(env, row, "list_price")
        f["lst_price"].inverse = lambda env, rec_id, v: self._write(env, [rec_id], {"list_price": v})
        for name in ("free_qty", *_QTY_FIELDS):
            f[name].compute = self._quantity(name)

    def _inherits_env(self, env: Env) -> Env:
        return env.with_context(create_product_product=False)

    def _quantity(self, name: str) -> Any:
        def compute(env: Env, row: Record) -> float:
            from .stock import product_quantities

            return product_quantities(env, row)[name]
        return compute

    def _display_name(self, env: Env, row: Record) -> Any:
        name = self._get(env, row, "name")
        code = row.get("default_code")
        return f"[{code}] {name}" if code else name

    def _check(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            barcode = env.row(self._name, rec_id).get("barcode")
            if barcode and self._taken(env, "barcode", barcode):
                raise ValidationError(
                    f"Barcode(s) already assigned:\n\n- Barcode \"{barcode}\" already assigned to product(s): "
                    + ", ".join(str(i) for i in sorted(env.db.lookup(self._name, "barcode", barcode) or ())))

    def unlink(self, env: Env, ids: Any) -> bool:
        from .orm import normalize_ids

        ids = normalize_ids(ids)
        templates = {env.row(self._name, i)["product_tmpl_id"] for i in ids if i in env.db.table(self._name)}
        super().unlink(env, ids)
        for tmpl in templates:
            if not env.db.lookup(self._name, "product_tmpl_id", tmpl):
                env["product.template"].unlink(env, [tmpl])
        return True


MODELS: list[type[Model]] = [UomUom, ProductCategory, ProductTemplate, ProductProduct]
