"""``ensure_odoo_setup`` against a tiny in-test Odoo (httpx.MockTransport): checklist, idempotency."""

from __future__ import annotations

import json
from typing import Any

import httpx

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.odoo.setup import SERVICE_PRODUCTS, ensure_odoo_setup

KEY = "0123456789abcdef0123456789abcdef01234567"


def _match(record: dict[str, Any], domain: list[Any]) -> bool:
    for field, op, value in domain:
        actual = record.get(field, False)
        if isinstance(actual, list) and actual and isinstance(actual[0], int):
            actual = actual[0]
        if op == "=" and actual != value:
            return False
        if op == "in" and actual not in value:
            return False
        if op == ">" and not actual > value:
            return False
    return True


class MiniOdoo:
    """Just enough ORM: search/search_read/read/create/write on dict records."""

    def __init__(self, modules: dict[str, str] | None = None) -> None:
        self.next_id = 100
        self.writes: list[tuple[str, str]] = []
        states = modules or {"sale_management": "installed", "stock": "installed",
                             "account": "installed"}
        self.db: dict[str, list[dict[str, Any]]] = {
            "ir.module.module": [{"id": i, "name": n, "state": s}
                                 for i, (n, s) in enumerate(states.items(), 1)],
            "res.users": [{"id": 2, "login": "admin", "company_id": [1, "My Company"]}],
            "res.company": [{"id": 1, "name": "My Company", "currency_id": [1, "EUR"]}],
            "res.currency": [{"id": 1, "name": "EUR", "active": True},
                             {"id": 2, "name": "GBP", "active": False},
                             {"id": 3, "name": "USD", "active": False}],
            "stock.warehouse": [{"id": 1, "name": "My Company", "code": "WH", "company_id": [1, "x"]}],
            "product.product": [], "product.pricelist": [], "crm.team": [], "account.tax": [],
            "account.journal": [], "res.partner": [],
        }

    def handle(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        table = self.db[model]
        if method in ("search", "search_read"):
            rows = [r for r in table if _match(r, args[0])]
            rows = rows[: kwargs.get("limit") or None]
            if method == "search":
                return [r["id"] for r in rows]
            return [{f: r.get(f, False) for f in kwargs["fields"]} for r in rows]
        if method == "read":
            return [{"id": r["id"], **{f: r.get(f, False) for f in kwargs["fields"]}}
                    for r in table if r["id"] in args[0]]
        self.writes.append((model, method))
        if method == "create":
            ids = []
            for vals in args[0]:
                self.next_id += 1
                record = {"id": self.next_id, **vals}
                for key in ("company_id", "currency_id"):
                    if isinstance(record.get(key), int):
                        record[key] = [record[key], "x"]
                table.append(record)
                ids.append(self.next_id)
            return ids
        if method == "write":
            for r in table:
                if r["id"] in args[0]:
                    r.update(args[1])
            return True
        raise AssertionError(f"unexpected {model}.{method}")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        params = body["params"]
        if params["method"] == "version":
            result: Any = {"server_version": "18.0", "server_version_info": [18, 0, 0, "final", 0]}
        elif params["method"] == "authenticate":
            result = 2
        else:
            args = params["args"]
            result = self.handle(args[3], args[4], args[5], args[6] if len(args) > 6 else {})
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})


def settings() -> Settings:
    return Settings(
        accounts=[{"name": "eu", "region": "EU", "marketplaces": ["DE", "UK"]},
                  {"name": "na", "region": "NA", "marketplaces": ["US"]}],
        marketplaces={"US": {"company": "Amazon US Inc.", "currency": "USD",
                             "anonymous_customer": "Amazon US Customer"}},
    )


def client(fake: MiniOdoo) -> OdooClient:
    return OdooClient("http://odoo.test", "db", "admin", KEY, transport=httpx.MockTransport(fake))


async def test_setup_creates_what_is_missing_then_is_idempotent() -> None:
    fake = MiniOdoo()
    async with client(fake) as odoo:
        first = await ensure_odoo_setup(odoo, settings())
        created_first = len(fake.writes)
        second = await ensure_odoo_setup(odoo, settings())
    assert first.ok and second.ok
    assert first.count("created") > 0 and second.count("created") == 0
    assert len(fake.writes) == created_first  # nothing written the second time
    # Four service products, with their codes.
    codes = sorted(p["default_code"] for p in fake.db["product.product"])
    assert codes == sorted(SERVICE_PRODUCTS)
    assert all(p["type"] == "service" for p in fake.db["product.product"])
    # DE and UK share the user's company but not the FBA network (pan-EU vs UK since Brexit):
    # one FBA warehouse each; US gets its own company and FBA warehouse.
    names = sorted(w["name"] for w in fake.db["stock.warehouse"])
    # (the new US company had no warehouse in this mini Odoo, so one was made for it)
    assert names == ["Amazon FBA EU", "Amazon FBA UK", "Amazon FBA US", "Amazon US Inc.", "My Company"]
    assert {w["code"] for w in fake.db["stock.warehouse"]} == {"WH", "FBAEU", "FBAUK", "FBAUS", "AMAZO"}
    taxes = {t["name"]: t for t in fake.db["account.tax"]}
    assert taxes["Amazon DE VAT 19% incl."]["price_include_override"] == "tax_included"
    assert taxes["Amazon UK VAT 20% incl."]["amount"] == 20.0
    assert taxes["Amazon US Sales Tax 0% excl."]["price_include_override"] == "tax_excluded"
    journals = {j["name"]: j for j in fake.db["account.journal"]}
    assert journals["Amazon Settlements"]["code"] == "AMZ"
    assert journals["Amazon Settlements GBP"]["code"] == "AZGBP"  # foreign currency for My Company
    assert next(c for c in fake.db["res.currency"] if c["name"] == "GBP")["active"] is True
    de, uk, us = (first.marketplaces[c] for c in ("DE", "UK", "US"))
    assert de.company_id == uk.company_id == 1 and us.company_id not in (None, 1)
    assert None not in (de.fba_warehouse_id, uk.fba_warehouse_id, us.fba_warehouse_id)
    assert len({de.fba_warehouse_id, uk.fba_warehouse_id, us.fba_warehouse_id}) == 3 and de.warehouse_id == 1
    assert de.team_id == uk.team_id and de.team_id != us.team_id
    assert us.anonymous_customer_id is not None
    assert second.marketplaces["DE"] == de
    assert first.products == second.products and None not in first.products.values()


async def test_check_mode_writes_nothing_and_reports_missing() -> None:
    fake = MiniOdoo()
    async with client(fake) as odoo:
        result = await ensure_odoo_setup(odoo, settings(), check_only=True)
    assert fake.writes == []
    assert not result.ok
    assert result.count("created") == 0 and result.count("missing") > 0
    items = {(i.section, i.what): i for i in result.items}
    assert items[("modules", "module")].status == "present"
    assert items[("DE", "warehouse")].status == "present"
    assert items[("DE", "sales tax")].status == "missing"
    assert items[("UK", "currency")].detail.startswith("inactive")


async def test_missing_module_is_reported_never_installed() -> None:
    fake = MiniOdoo({"sale_management": "uninstalled", "stock": "installed", "account": "installed"})
    async with client(fake) as odoo:
        result = await ensure_odoo_setup(odoo, settings())
    assert result.missing_modules == ("sale_management",)
    assert not result.ok
    assert fake.writes == []


async def test_checklist_rendering_marks_each_status() -> None:
    from rich.console import Console

    from amazon_odoo_sync.cli.odoo import render_checklist

    fake = MiniOdoo()
    async with client(fake) as odoo:
        result = await ensure_odoo_setup(odoo, settings(), check_only=True)
    console = Console(record=True, width=200)
    console.print(render_checklist(result))
    text = console.export_text()
    assert "read-only" in text and "✓" in text and "✗" in text and "+" not in text.split("\n", 1)[1]
    assert "would be created" in text and "[marketplaces]" in text
