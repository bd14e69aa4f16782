"""``odoo setup``: check an Odoo database for what the connector needs and create what is missing.

Idempotent: every record is looked up by its natural key (name, code, ``default_code``) before it
is created, so running it twice creates nothing the second time. (This is a one-shot admin
command run by one person; the search-then-create race does not apply to it.) Modules are
**reported, never installed**: installing an app is the Odoo administrator's decision.

What is checked, per marketplace in ``settings.accounts`` and ``settings.marketplaces``, with the
names from :class:`~amazon_odoo_sync.config.MarketplaceConfig` or these defaults:

* company (configured name, else the user's company), currency (activated if inactive), pricelist
  ``Amazon <code> (<currency>)``, warehouse (configured name, else the company's first one),
  FBA warehouse per FBA fulfilment network ``Amazon FBA <network>`` code ``FBA<network>``
  (``Marketplace.fba_network``: "EU" for the pan-European pool, "UK", "US", "CA"...; the
  marketplaces of one network share it), sales team ``Amazon``,
  sales tax ``Amazon <code> VAT <rate>% incl.`` (tax-included marketplaces) or
  ``Amazon <code> Sales Tax 0% excl.`` (US/CA: Amazon collects as marketplace facilitator),
  settlement journal ``Amazon Settlements`` (bank, code ``AMZ``; ``AZ<CUR>`` in a foreign
  currency), anonymous customer if configured;
* service products ``AMZ-SHIP`` (shipping), ``AMZ-GIFT`` (gift wrap), ``AMZ-PROMO`` (promotion
  discount), ``AMZ-ROUND`` (rounding difference).

:func:`ensure_odoo_setup` returns a :class:`SetupResult`: the checklist and, per marketplace, the
Odoo ids the flows need (:class:`MarketplaceTargets`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ..config import MarketplaceConfig, Settings
from ..exceptions import PermanentError
from ..marketplaces import Marketplace, by_code, by_id
from .client import OdooClient
from .values import m2o_id

__all__ = [
    "REQUIRED_MODULES",
    "SERVICE_PRODUCTS",
    "STANDARD_VAT_RATES",
    "CheckItem",
    "MarketplaceTargets",
    "SetupResult",
    "ensure_odoo_setup",
]

REQUIRED_MODULES: tuple[str, ...] = ("sale_management", "stock", "account")

#: default_code → (name, purpose). Services: never stocked, invoiced on order.
SERVICE_PRODUCTS: dict[str, tuple[str, str]] = {
    "AMZ-SHIP": ("Amazon Shipping", "shipping"),
    "AMZ-GIFT": ("Amazon Gift Wrap", "gift_wrap"),
    "AMZ-PROMO": ("Amazon Promotion Discount", "promotion"),
    "AMZ-ROUND": ("Amazon Rounding Difference", "rounding"),
}

#: Standard VAT/GST rate per marketplace code for tax-included marketplaces (percent).
#: BR is 0: Brazilian ICMS/IPI depend on state and product and must be configured in Odoo.
STANDARD_VAT_RATES: dict[str, Decimal] = {
    "UK": Decimal("20"), "DE": Decimal("19"), "FR": Decimal("20"), "IT": Decimal("22"),
    "ES": Decimal("21"), "NL": Decimal("21"), "BE": Decimal("21"), "IE": Decimal("23"),
    "SE": Decimal("25"), "PL": Decimal("23"), "TR": Decimal("20"), "AE": Decimal("5"),
    "SA": Decimal("15"), "EG": Decimal("14"), "IN": Decimal("18"), "JP": Decimal("10"),
    "AU": Decimal("10"), "SG": Decimal("9"), "MX": Decimal("16"), "BR": Decimal("0"),
}

Status = Literal["present", "created", "missing", "error"]


@dataclass(frozen=True, kw_only=True)
class CheckItem:
    """One line of the checklist. ``missing`` in check mode means "would be created"."""

    section: str  # "modules", "products", or a marketplace code
    what: str  # "company", "warehouse", "tax"...
    name: str  # the record's name in Odoo
    status: Status
    model: str | None = None
    record_id: int | None = None
    detail: str = ""
    can_create: bool = True  # False for modules and things only an admin can fix


@dataclass(frozen=True, kw_only=True)
class MarketplaceTargets:
    """Odoo ids for one marketplace (``None`` when missing, e.g. in check mode)."""

    marketplace: str
    company_id: int | None
    currency_id: int | None
    pricelist_id: int | None
    warehouse_id: int | None
    fba_warehouse_id: int | None
    team_id: int | None
    tax_id: int | None
    journal_id: int | None
    anonymous_customer_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class SetupResult:
    check_only: bool
    items: tuple[CheckItem, ...]
    marketplaces: Mapping[str, MarketplaceTargets]
    products: Mapping[str, int | None]  # default_code → product.product id

    @property
    def ok(self) -> bool:
        """Everything present (or created): the connector can run."""
        return all(item.status in ("present", "created") for item in self.items)

    @property
    def missing_modules(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if i.what == "module" and i.status != "present")

    def count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status == status)


@dataclass
class _Run:
    client: OdooClient
    check_only: bool
    major: int
    items: list[CheckItem] = field(default_factory=list)
    cache: dict[tuple[Any, ...], int | None] = field(default_factory=dict)

    def add(self, item: CheckItem) -> None:
        self.items.append(item)

    async def ensure(self, *, section: str, what: str, name: str, model: str,
                     domain: Sequence[Any], vals: Mapping[str, Any],
                     context: Mapping[str, Any] | None = None, key: tuple[Any, ...] | None = None,
                     can_create: bool = True) -> int | None:
        """The id of the record matching ``domain``, created from ``vals`` when missing."""
        cache_key = key or (model, name)
        if cache_key in self.cache:
            cached = self.cache[cache_key]
            self.add(CheckItem(section=section, what=what, name=name, model=model,
                               record_id=cached, can_create=can_create,
                               status="present" if cached else "missing",
                               detail="" if cached else "same record as above"))
            return cached
        try:
            ids = await self.client.search(model, domain, limit=1, order="id", context=context)
            if ids:
                record_id: int | None = ids[0]
                status: Status = "present"
            elif self.check_only or not can_create:
                record_id, status = None, "missing"
            else:
                record_id = (await self.client.create(model, [dict(vals)], context=context))[0]
                status = "created"
        except PermanentError as exc:
            self.add(CheckItem(section=section, what=what, name=name, model=model, status="error",
                               detail=exc.remote_message or exc.message))
            self.cache[cache_key] = None
            return None
        self.cache[cache_key] = record_id
        self.add(CheckItem(section=section, what=what, name=name, model=model, record_id=record_id,
                           status=status, can_create=can_create))
        return record_id

    def blocked(self, *, section: str, what: str, name: str, model: str, because: str) -> None:
        self.add(CheckItem(section=section, what=what, name=name, model=model, status="missing",
                           detail=f"needs the {because} first"))


def _marketplace_codes(settings: Settings) -> list[str]:
    codes: list[str] = []
    for account in settings.accounts:
        for mid in account.marketplaces:
            codes.append(by_id(mid).code)
    codes.extend(settings.marketplaces)
    return list(dict.fromkeys(codes))


def _warehouse_code(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Z0-9]", "", name.upper())[:5] or "AMZWH"
    if base not in taken:
        return base
    for n in range(1, 100):
        candidate = f"{base[:4]}{n}" if n < 10 else f"{base[:3]}{n}"
        if candidate not in taken:
            return candidate
    raise PermanentError(f"no free warehouse code for {name!r}")


async def _modules(run: _Run) -> bool:
    try:
        rows = await run.client.search_read("ir.module.module",
                                            [("name", "in", list(REQUIRED_MODULES))],
                                            ["name", "state"])
    except PermanentError as exc:
        for module in REQUIRED_MODULES:
            run.add(CheckItem(section="modules", what="module", name=module, status="error",
                              model="ir.module.module", can_create=False,
                              detail=exc.remote_message or exc.message))
        return False
    states = {row["name"]: row.get("state") for row in rows}
    all_installed = True
    for module in REQUIRED_MODULES:
        state = states.get(module)
        installed = state == "installed"
        all_installed &= installed
        run.add(CheckItem(
            section="modules", what="module", name=module, model="ir.module.module",
            status="present" if installed else "missing", can_create=False,
            detail="" if installed else (f"state {state}; install it in Odoo (Apps)" if state
                                         else "not available in this Odoo")))
    return all_installed


async def _products(run: _Run) -> dict[str, int | None]:
    products: dict[str, int | None] = {}
    for code, (name, _purpose) in SERVICE_PRODUCTS.items():
        products[code] = await run.ensure(
            section="products", what="service product", name=f"[{code}] {name}",
            model="product.product", domain=[("default_code", "=", code)],
            vals={"name": name, "default_code": code, "type": "service", "sale_ok": True,
                  "purchase_ok": False, "list_price": 0.0, "invoice_policy": "order",
                  "taxes_id": [(6, 0, [])]},
            context={"active_test": False})
    return products


async def _user_company(run: _Run) -> tuple[int | None, str]:
    uid = await run.client.authenticate()
    rows = await run.client.read("res.users", [uid], ["company_id"])
    if not rows:
        return None, ""
    value = rows[0].get("company_id")
    name = value[1] if isinstance(value, list) and len(value) > 1 else ""
    return m2o_id(value), str(name)


async def _marketplace(run: _Run, market: Marketplace, cfg: MarketplaceConfig,
                       default_company: tuple[int | None, str]) -> MarketplaceTargets:
    code = market.code
    currency_code = (cfg.currency or market.currency).upper()

    # Currency: all but the company's are inactive in a fresh database; activate, never create.
    currency_id: int | None = None
    try:
        rows = await run.client.search_read("res.currency", [("name", "=", currency_code)],
                                            ["name", "active"], limit=1,
                                            context={"active_test": False})
        if not rows:
            run.add(CheckItem(section=code, what="currency", name=currency_code, status="missing",
                              model="res.currency", can_create=False, detail="unknown ISO code"))
        else:
            currency_id = int(rows[0]["id"])
            if rows[0].get("active"):
                run.add(CheckItem(section=code, what="currency", name=currency_code,
                                  status="present", model="res.currency", record_id=currency_id))
            elif run.check_only:
                run.add(CheckItem(section=code, what="currency", name=currency_code,
                                  status="missing", model="res.currency", record_id=currency_id,
                                  detail="inactive; would be activated"))
            else:
                await run.client.write("res.currency", [currency_id], {"active": True})
                run.add(CheckItem(section=code, what="currency", name=currency_code,
                                  status="created", model="res.currency", record_id=currency_id,
                                  detail="activated"))
    except PermanentError as exc:
        run.add(CheckItem(section=code, what="currency", name=currency_code, status="error",
                          model="res.currency", detail=exc.remote_message or exc.message))

    # Company.
    if cfg.company:
        company_vals: dict[str, Any] = {"name": cfg.company}
        if currency_id:
            company_vals["currency_id"] = currency_id
        company_id = await run.ensure(section=code, what="company", name=cfg.company,
                                      model="res.company", domain=[("name", "=", cfg.company)],
                                      vals=company_vals)
        company_name = cfg.company
    else:
        company_id, company_name = default_company
        run.add(CheckItem(section=code, what="company", name=company_name or "(user's company)",
                          model="res.company", record_id=company_id,
                          status="present" if company_id else "missing",
                          detail="the API user's company (no [marketplaces] company set)"))
    if company_id is None:
        for what, model in (("pricelist", "product.pricelist"), ("warehouse", "stock.warehouse"),
                            ("FBA warehouse", "stock.warehouse"), ("sales team", "crm.team"),
                            ("tax", "account.tax"), ("settlement journal", "account.journal")):
            run.blocked(section=code, what=what, name="", model=model, because="company")
        return MarketplaceTargets(marketplace=code, company_id=None, currency_id=currency_id,
                                  pricelist_id=None, warehouse_id=None, fba_warehouse_id=None,
                                  team_id=None, tax_id=None, journal_id=None)
    ctx = {"allowed_company_ids": [company_id]}
    company_currency: int | None = None
    try:
        rows = await run.client.read("res.company", [company_id], ["currency_id"], context=ctx)
        company_currency = m2o_id(rows[0].get("currency_id")) if rows else None
    except PermanentError:
        company_currency = None

    pricelist_name = cfg.pricelist or f"Amazon {code} ({currency_code})"
    pricelist_id: int | None
    if currency_id is None:
        run.blocked(section=code, what="pricelist", name=pricelist_name, model="product.pricelist",
                    because="currency")
        pricelist_id = None
    else:
        pricelist_id = await run.ensure(
            section=code, what="pricelist", name=pricelist_name, model="product.pricelist",
            domain=[("name", "=", pricelist_name), ("company_id", "in", [company_id, False])],
            vals={"name": pricelist_name, "currency_id": currency_id, "company_id": company_id},
            context=ctx, key=("product.pricelist", company_id, pricelist_name))

    warehouse_id = await _warehouse(run, code, "warehouse", cfg.warehouse, company_id, ctx,
                                    default_name=company_name or None)
    # One FBA warehouse per fulfilment network (its stock serves every marketplace of the
    # network); the per-account locations inside it are made by the FBA inventory flow.
    fba_name = cfg.fba_warehouse or f"Amazon FBA {market.fba_network}"
    fba_warehouse_id = await _warehouse(run, code, "FBA warehouse", fba_name, company_id, ctx,
                                        code_hint=f"FBA{market.fba_network}")

    team_id = await run.ensure(
        section=code, what="sales team", name=cfg.sales_team, model="crm.team",
        domain=[("name", "=", cfg.sales_team), ("company_id", "in", [company_id, False])],
        vals={"name": cfg.sales_team, "company_id": company_id}, context=ctx,
        key=("crm.team", company_id, cfg.sales_team))

    tax_id = await _tax(run, market, company_id, ctx)

    foreign = company_currency is not None and currency_id is not None and currency_id != company_currency
    journal_name = cfg.settlement_journal or (f"Amazon Settlements {currency_code}" if foreign
                                              else "Amazon Settlements")
    journal_vals: dict[str, Any] = {"name": journal_name, "type": "bank",
                                    "code": f"AZ{currency_code}"[:5] if foreign else "AMZ",
                                    "company_id": company_id}
    if foreign:
        journal_vals["currency_id"] = currency_id
    journal_id = await run.ensure(
        section=code, what="settlement journal", name=journal_name, model="account.journal",
        domain=[("name", "=", journal_name), ("company_id", "=", company_id)], vals=journal_vals,
        context=ctx, key=("account.journal", company_id, journal_name))

    anonymous_id: int | None = None
    if cfg.anonymous_customer:
        anonymous_id = await run.ensure(
            section=code, what="anonymous customer", name=cfg.anonymous_customer,
            model="res.partner", domain=[("name", "=", cfg.anonymous_customer),
                                         ("company_id", "in", [company_id, False])],
            vals={"name": cfg.anonymous_customer, "customer_rank": 1}, context=ctx,
            key=("res.partner", company_id, cfg.anonymous_customer))

    return MarketplaceTargets(marketplace=code, company_id=company_id, currency_id=currency_id,
                              pricelist_id=pricelist_id, warehouse_id=warehouse_id,
                              fba_warehouse_id=fba_warehouse_id, team_id=team_id, tax_id=tax_id,
                              journal_id=journal_id, anonymous_customer_id=anonymous_id)


async def _warehouse(run: _Run, section: str, what: str, name: str | None, company_id: int,
                     ctx: Mapping[str, Any], code_hint: str | None = None,
                     default_name: str | None = None) -> int | None:
    key: tuple[str, int, str | None]
    if name is None:
        key = ("stock.warehouse", company_id, None)
        if key in run.cache:
            record_id = run.cache[key]
        else:
            try:
                ids = await run.client.search("stock.warehouse", [("company_id", "=", company_id)],
                                              limit=1, order="id", context=ctx)
            except PermanentError as exc:
                run.add(CheckItem(section=section, what=what, name="(company's first)",
                                  model="stock.warehouse", status="error",
                                  detail=exc.remote_message or exc.message))
                return None
            record_id = ids[0] if ids else None
            run.cache[key] = record_id
        if record_id is not None or not default_name:
            run.add(CheckItem(section=section, what=what, name="(company's first)",
                              model="stock.warehouse", record_id=record_id, can_create=False,
                              status="present" if record_id else "missing",
                              detail="" if record_id else "the company has no warehouse"))
            return record_id
        # Odoo creates one per company when stock is installed; if it is gone, make one.
        name = default_name
        run.cache.pop(key, None)
    key = ("stock.warehouse", company_id, name)
    code = code_hint or ""
    if key not in run.cache and not run.check_only:
        try:
            existing = await run.client.search_read("stock.warehouse",
                                                    [("company_id", "=", company_id)],
                                                    ["name", "code"], context=ctx)
        except PermanentError:
            existing = []
        taken = {str(row.get("code")) for row in existing if row.get("name") != name}
        code = _warehouse_code(code_hint or name, taken)
    return await run.ensure(
        section=section, what=what, name=name, model="stock.warehouse",
        domain=[("name", "=", name), ("company_id", "=", company_id)],
        vals={"name": name, "code": code, "company_id": company_id}, context=ctx, key=key)


async def _tax(run: _Run, market: Marketplace, company_id: int,
               ctx: Mapping[str, Any]) -> int | None:
    if market.prices_include_tax:
        rate = STANDARD_VAT_RATES.get(market.code, Decimal("0"))
        name = f"Amazon {market.code} VAT {rate.normalize():f}% incl."
        included = True
    else:
        rate = Decimal("0")
        name = f"Amazon {market.code} Sales Tax 0% excl."
        included = False
    vals: dict[str, Any] = {"name": name, "amount": float(rate), "amount_type": "percent",
                            "type_tax_use": "sale", "company_id": company_id,
                            "description": f"{rate.normalize():f}%"}
    # Odoo 18 replaced the stored bool ``price_include`` by ``price_include_override``.
    if run.major >= 18:
        vals["price_include_override"] = "tax_included" if included else "tax_excluded"
    else:
        vals["price_include"] = included
    return await run.ensure(
        section=market.code, what="sales tax", name=name, model="account.tax",
        domain=[("name", "=", name), ("company_id", "=", company_id),
                ("type_tax_use", "=", "sale")],
        vals=vals, context={**ctx, "active_test": False}, key=("account.tax", company_id, name))


async def ensure_odoo_setup(client: OdooClient, settings: Settings, *,
                            check_only: bool = False) -> SetupResult:
    """Check (and unless ``check_only``, create) everything the connector needs in Odoo."""
    major = (await client.version()).major
    run = _Run(client=client, check_only=check_only, major=major)
    modules_ok = await _modules(run)
    products: dict[str, int | None] = {}
    targets: dict[str, MarketplaceTargets] = {}
    if not modules_ok:
        # Without the apps, the models are absent: say so once instead of a wall of errors.
        run.add(CheckItem(section="modules", what="note", name="records", status="missing",
                          can_create=False,
                          detail="install the missing apps in Odoo, then run `odoo setup` again"))
        return SetupResult(check_only=check_only, items=tuple(run.items), marketplaces=targets,
                           products=products)
    products = await _products(run)
    default_company = await _user_company(run)
    for code in _marketplace_codes(settings):
        market = by_code(code)
        targets[code] = await _marketplace(run, market, settings.marketplace(code),
                                           default_company)
    return SetupResult(check_only=check_only, items=tuple(run.items), marketplaces=targets,
                       products=products)
