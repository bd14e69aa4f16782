"""Base models: companies, users, partners, countries, currencies, installed modules.

Reproduced from Odoo 18 (``odoo/addons/base/models/res_partner.py``, ``res_country.py``):
contacts need a name (SQL CHECK → ValidationError); a ``contact`` child copies its parent's
address; the first child with an address fills an address-less parent; ``vat`` syncs down from
the commercial entity; country codes are unique and upper-cased; state codes unique per country.
"""

from __future__ import annotations

from typing import Any

from .database import Record
from .errors import ValidationError
from .mail import MailThread
from .orm import (
    Env,
    Model,
    Vals,
    boolean,
    char,
    date_field,
    floating,
    html,
    integer,
    many2many,
    many2one,
    one2many,
    selection,
)

__all__ = ["ADDRESS_FIELDS", "MODELS", "user_groups"]

ADDRESS_FIELDS = ("street", "street2", "zip", "city", "state_id", "country_id")
PARTNER_TYPES = ("contact", "invoice", "delivery", "other")
_TYPE_LABELS = {"contact": "Contact", "invoice": "Invoice Address", "delivery": "Delivery Address",
                "other": "Other Address"}


class ResCompany(Model):
    _name = "res.company"
    _description = "Companies"
    FIELDS = {
        "name": char(required=True),
        "currency_id": many2one("res.currency", required=True),
        "country_id": many2one("res.country"),
        "partner_id": many2one("res.partner"),
        "account_price_include": selection(("tax_included", "tax_excluded"), default="tax_excluded"),
        "tax_calculation_rounding_method": selection(("round_per_line", "round_globally"),
                                                     default="round_per_line"),
        "account_sale_tax_id": many2one("account.tax"),
        "account_purchase_tax_id": many2one("account.tax"),
        "active": boolean(default=True),
        # stock_sms: deliveries text the customer; the first validation asks once per company (see stock.py).
        "stock_move_sms_validation": boolean(default=True),
        "has_received_warning_stock_sms": boolean(default=False),
    }


class ResGroups(Model):
    _name = "res.groups"
    _description = "Access Groups"
    FIELDS = {
        "name": char(required=True),
        "full_name": char(),
        "category": char(),
        "implied_ids": many2many("res.groups"),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["full_name"].compute = lambda env, r: (
            f"{r['category']} / {r['name']}" if r.get("category") else r["name"])


def user_groups(env: Env, uid: int) -> set[int]:
    """The user's groups with everything they imply."""
    groups = env.db.table("res.groups")
    result: set[int] = set()
    todo = list(env.db.table("res.users").get(uid, {}).get("groups_id") or [])
    while todo:
        gid = todo.pop()
        if gid in result or gid not in groups:
            continue
        result.add(gid)
        todo.extend(groups[gid].get("implied_ids") or [])
    return result


class ResUsers(Model):
    _name = "res.users"
    _description = "User"
    FIELDS = {
        "groups_id": many2many("res.groups"),
        "name": char(required=True),
        "login": char(required=True),
        "partner_id": many2one("res.partner"),
        "company_id": many2one("res.company", default=1),
        "company_ids": many2many("res.company"),
        "active": boolean(default=True),
        "tz": char(),
        "lang": char(default="en_US"),
    }


class IrModuleModule(Model):
    _name = "ir.module.module"
    _description = "Module"
    FIELDS = {
        "name": char(required=True),
        "shortdesc": char(),
        "state": selection(("uninstallable", "uninstalled", "installed", "to upgrade", "to remove",
                            "to install"), default="uninstalled"),
        "latest_version": char(),
        "application": boolean(),
    }


class ResCountry(Model):
    _name = "res.country"
    _description = "Country"
    _order = "name"
    _indexes = ("code",)
    FIELDS = {
        "name": char(required=True),
        "code": char(required=True, size=2),
        "currency_id": many2one("res.currency"),
        "phone_code": integer(),
        "state_ids": one2many("res.country.state", "country_id"),
    }

    def _prepare_create(self, env: Env, vals: Vals) -> Vals:
        if isinstance(vals.get("code"), str):
            vals["code"] = vals["code"].upper()
        return vals

    def _prepare_write(self, env: Env, ids: list[int], vals: Vals) -> Vals:
        return self._prepare_create(env, vals)

    def _check(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            code = env.row(self._name, rec_id).get("code")
            if code and len(code) != 2:
                raise ValidationError("The operation cannot be completed: The country code must be 2 letters")
            if self._taken(env, "code", code):
                raise ValidationError("The operation cannot be completed: The code of the country must be unique!")


class ResCountryState(Model):
    _name = "res.country.state"
    _description = "Country state"
    _order = "code"
    FIELDS = {
        "name": char(required=True),
        "code": char(required=True),
        "country_id": many2one("res.country", required=True, ondelete="cascade"),
    }

    def _display_name(self, env: Env, row: Record) -> Any:
        country = env.db.table("res.country").get(row.get("country_id"))
        return f"{row.get('name')} ({country['code']})" if country else row.get("name")

    def _check(self, env: Env, ids: list[int]) -> None:
        table = env.db.table(self._name)
        for rec_id in ids:
            row = table[rec_id]
            same = [r for r in (env.db.lookup(self._name, "country_id", row["country_id"]) or ())
                    if table[r]["code"] == row["code"]]
            if len(same) > 1:
                raise ValidationError("The operation cannot be completed: The code of the state must be unique "
                                      "by country!")


class ResCurrency(Model):
    _name = "res.currency"
    _description = "Currency"
    _order = "active desc, name"
    _indexes = ("name",)
    FIELDS = {
        "name": char(required=True, size=3),
        "full_name": char(),
        "symbol": char(required=True, default=lambda env: "¤"),
        "active": boolean(default=True),
        "rounding": floating(default=0.01),
        "decimal_places": integer(default=2),
        "position": selection(("after", "before"), default="after"),
        "rate_ids": one2many("res.currency.rate", "currency_id"),
        "rate": floating(),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["rate"].compute = self._rate

    def _rate(self, env: Env, row: Record) -> float:
        company = env.row("res.company", env.company_id)
        if row["id"] == company["currency_id"]:
            return 1.0
        day = str(env.context.get("date") or env.today())[:10]
        best: tuple[str, float] | None = None
        table = env.db.table("res.currency.rate")
        for rate_id in env.db.lookup("res.currency.rate", "currency_id", row["id"]) or ():
            rate = table[rate_id]
            if rate["name"] <= day and (best is None or rate["name"] > best[0]):
                best = (rate["name"], rate["rate"])
        return best[1] if best else 1.0

    def _check(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            name = env.row(self._name, rec_id)["name"]
            if self._taken(env, "name", name):
                raise ValidationError("The operation cannot be completed: The currency code must be unique!")


class ResCurrencyRate(Model):
    _name = "res.currency.rate"
    _description = "Currency Rate"
    _order = "name desc"
    FIELDS = {
        "name": date_field(required=True, default=lambda env: env.today()),
        "rate": floating(default=1.0),
        "currency_id": many2one("res.currency", required=True, ondelete="cascade"),
        "company_id": many2one("res.company", default=lambda env: env.company_id),
    }


class ProductPricelist(Model):
    _name = "product.pricelist"
    _description = "Pricelist"
    FIELDS = {
        "name": char(required=True),
        "currency_id": many2one("res.currency", required=True,
                                default=lambda env: env.row("res.company", env.company_id)["currency_id"]),
        "company_id": many2one("res.company"),
        "active": boolean(default=True),
    }


class ResPartner(MailThread, Model):
    _name = "res.partner"
    _description = "Contact"
    _order = "name, id desc"
    _parent_name = "parent_id"
    _indexes = ("ref", "email")
    FIELDS = {
        "name": char(),
        "ref": char(),
        "lang": char(),
        "tz": char(),
        "vat": char(),
        "company_registry": char(),
        "website": char(),
        "comment": html(),
        "active": boolean(default=True),
        "type": selection(PARTNER_TYPES, default="contact"),
        "street": char(), "street2": char(), "zip": char(), "city": char(),
        "state_id": many2one("res.country.state"),
        "country_id": many2one("res.country"),
        "country_code": char(),
        "email": char(), "phone": char(), "mobile": char(),
        "is_company": boolean(default=False),
        "company_type": selection(("person", "company")),
        "parent_id": many2one("res.partner"),
        "child_ids": one2many("res.partner", "parent_id"),
        "commercial_partner_id": many2one("res.partner"),
        "company_id": many2one("res.company"),
        "user_id": many2one("res.users"),
        "customer_rank": integer(),
        "supplier_rank": integer(),
        "property_product_pricelist": many2one("product.pricelist"),
        "property_account_receivable_id": many2one("account.account"),
        "property_account_payable_id": many2one("account.account"),
    }

    def __init__(self) -> None:
        super().__init__()
        self._fields["commercial_partner_id"].compute = self._commercial
        self._fields["country_code"].compute = self._country_code
        self._fields["company_type"].compute = lambda env, row: "company" if row.get("is_company") else "person"
        self._fields["company_type"].inverse = self._set_company_type
        self._fields["property_account_receivable_id"].compute = \
            lambda env, row: row.get("x_receivable") or _default_account(env, "asset_receivable")
        self._fields["property_account_payable_id"].compute = \
            lambda env, row: row.get("x_payable") or _default_account(env, "liability_payable")
        self._fields["property_account_receivable_id"].inverse = \
            lambda env, rec_id, v: env.db.update(self._name, rec_id, {"x_receivable": v or False})
        self._fields["property_account_payable_id"].inverse = \
            lambda env, rec_id, v: env.db.update(self._name, rec_id, {"x_payable": v or False})

    def _set_company_type(self, env: Env, rec_id: int, value: Any) -> None:
        env.db.update(self._name, rec_id, {"is_company": value == "company"})

    def _country_code(self, env: Env, row: Record) -> Any:
        country = env.db.table("res.country").get(row.get("country_id"))
        return country["code"] if country else False

    def _commercial(self, env: Env, row: Record) -> int:
        current = row
        table = env.db.table(self._name)
        while not current.get("is_company") and current.get("parent_id") in table:
            current = table[current["parent_id"]]
        return int(current["id"])

    def _display_name(self, env: Env, row: Record) -> Any:
        name = row.get("name") or ""
        if not name and row.get("type") in _TYPE_LABELS and row.get("type") != "contact":
            name = _TYPE_LABELS[row["type"]]
        parent = env.db.table(self._name).get(row.get("parent_id"))
        if parent and not row.get("is_company"):
            commercial = env.row(self._name, self._commercial(env, parent))
            name = f"{commercial.get('name') or parent.get('name') or ''}, {name}"
        return name or False

    def _check(self, env: Env, ids: list[int]) -> None:
        for rec_id in ids:
            row = env.row(self._name, rec_id)
            if row.get("type", "contact") == "contact" and not row.get("name"):
                raise ValidationError("The operation cannot be completed: Contacts require a name")
            if row.get("parent_id") == rec_id:
                raise ValidationError("You cannot create recursive Partner hierarchies.")

    def _post_create(self, env: Env, rec_id: int, vals: Vals) -> None:
        row = env.row(self._name, rec_id)
        parent = env.db.table(self._name).get(row.get("parent_id"))
        if not parent:
            return
        sync: Vals = {}
        if row.get("type", "contact") == "contact" and any(parent.get(f) for f in ADDRESS_FIELDS):
            sync.update({f: parent.get(f, False) for f in ADDRESS_FIELDS})
        commercial = env.row(self._name, self._commercial(env, parent))
        for f in ("vat", "company_registry"):
            if commercial.get(f) and row.get(f) != commercial.get(f):
                sync[f] = commercial[f]
        if sync:
            env.db.update(self._name, rec_id, sync)
        siblings = env.db.lookup(self._name, "parent_id", parent["id"]) or set()
        if (parent.get("is_company") or not parent.get("parent_id")) and len(siblings) == 1 \
                and any(row.get(f) for f in ADDRESS_FIELDS) and not any(parent.get(f) for f in ADDRESS_FIELDS):
            env.db.update(self._name, parent["id"], {f: row.get(f, False) for f in ADDRESS_FIELDS})

    def _post_write(self, env: Env, ids: list[int], vals: Vals) -> None:
        # Address and commercial fields flow down to contact-type children.
        address = {f: vals[f] for f in ADDRESS_FIELDS if f in vals}
        commercial: Vals = {f: vals[f] for f in ("vat", "company_registry") if f in vals}
        if not address and not commercial:
            return
        table = env.db.table(self._name)
        for rec_id in ids:
            for child in sorted(env.db.lookup(self._name, "parent_id", rec_id) or ()):
                changes: Vals = dict(commercial)
                if address and table[child].get("type", "contact") == "contact":
                    changes.update({f: env.row(self._name, rec_id).get(f, False) for f in ADDRESS_FIELDS})
                if changes:
                    env.db.update(self._name, child, changes)

    def address_get(self, env: Env, ids: Any, adr_pref: list[str] | None = None) -> dict[str, int | bool]:
        """For each wanted type, the first child of that type, else the partner (``res_partner.py``)."""
        from .orm import normalize_ids

        wanted = set(adr_pref or []) | {"contact"}
        result: dict[str, int | bool] = {}
        table = env.db.table(self._name)
        for rec_id in self._existing(env, normalize_ids(ids)):
            commercial = self._commercial(env, table[rec_id])
            to_scan = [commercial]
            seen: set[int] = set()
            while to_scan:
                pid = to_scan.pop(0)
                if pid in seen:
                    continue
                seen.add(pid)
                row = table[pid]
                ptype = row.get("type") or "contact"
                if ptype in wanted and ptype not in result and row.get("active", True):
                    result[ptype] = pid
                if len(result) == len(wanted):
                    break
                if row.get("is_company") or pid == commercial:
                    to_scan.extend(sorted(env.db.lookup(self._name, "parent_id", pid) or ()))
            default = result.get("contact", rec_id)
            for ptype in wanted:
                result[ptype] = result.get(ptype) or default
            if rec_id != commercial:
                # A partner asked about directly counts as its own contact/default.
                result["contact"] = rec_id
        return result


def _default_account(env: Env, account_type: str) -> int | bool:
    for rec_id, row in env.db.table("account.account").items():
        if row.get("account_type") == account_type and not row.get("deprecated"):
            return int(rec_id)
    return False


MODELS: list[type[Model]] = [
    ResCompany, ResGroups, ResUsers, IrModuleModule, ResCountry, ResCountryState, ResCurrency, ResCurrencyRate,
    ProductPricelist, ResPartner,
]
