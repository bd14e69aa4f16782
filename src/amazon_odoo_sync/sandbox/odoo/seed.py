"""The initial database, shaped like a fresh Odoo 18 with sale_management/stock/account/delivery.

As on the reference server (``/work/notes/odoo18-howto.md``): company "My Company" without a country,
currency USD (EUR/GBP/CAD present but inactive, with rates), the generic chart of accounts with a
default sale tax "15%" (tax-excluded), warehouse "My Company" (``WH``), no pricelist.

Demo credentials (documented in the README of the sandbox): database ``odoo``, login ``admin``,
password ``admin``, API key :data:`DEMO_API_KEY` (uid 2, as on a fresh Odoo).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .database import Database
from .orm import Env
from .registry import build_registry

__all__ = ["DEMO_API_KEY", "DEMO_DATABASE", "DEMO_LOGIN", "DEMO_PASSWORD", "seed_database"]

DEMO_DATABASE = "odoo"
DEMO_LOGIN = "admin"
DEMO_PASSWORD = "admin"
DEMO_API_KEY = "a0b1c2d3e4f5061728394a5b6c7d8e9f00112233"

INSTALLED_MODULES = ("base", "web", "contacts", "uom", "product", "sale", "sale_management", "stock", "account",
                     "delivery", "sale_stock", "stock_delivery", "stock_account", "sales_team", "sms", "stock_sms")

# (code, name, currency) -- currency None: EUR is not implied, the country keeps no currency.
COUNTRIES = (
    ("DE", "Germany", "EUR"), ("FR", "France", "EUR"), ("IT", "Italy", "EUR"), ("ES", "Spain", "EUR"),
    ("NL", "Netherlands", "EUR"), ("BE", "Belgium", "EUR"), ("AT", "Austria", "EUR"), ("IE", "Ireland", "EUR"),
    ("PL", "Poland", None), ("SE", "Sweden", None), ("GB", "United Kingdom", "GBP"), ("US", "United States", "USD"),
    ("CA", "Canada", "CAD"), ("MX", "Mexico", None), ("BR", "Brazil", None), ("JP", "Japan", None),
    ("AU", "Australia", None), ("IN", "India", None), ("AE", "United Arab Emirates", None),
    ("SA", "Saudi Arabia", None), ("SG", "Singapore", None), ("TR", "Türkiye", None), ("EG", "Egypt", None),
    ("CH", "Switzerland", None), ("LU", "Luxembourg", "EUR"), ("PT", "Portugal", "EUR"), ("DK", "Denmark", None),
    ("CZ", "Czech Republic", None), ("CN", "China", None),
)

US_STATES = (
    "AL Alabama", "AK Alaska", "AZ Arizona", "AR Arkansas", "CA California", "CO Colorado", "CT Connecticut",
    "DE Delaware", "DC District of Columbia", "FL Florida", "GA Georgia", "HI Hawaii", "ID Idaho", "IL Illinois",
    "IN Indiana", "IA Iowa", "KS Kansas", "KY Kentucky", "LA Louisiana", "ME Maine", "MD Maryland",
    "MA Massachusetts", "MI Michigan", "MN Minnesota", "MS Mississippi", "MO Missouri", "MT Montana",
    "NE Nebraska", "NV Nevada", "NH New Hampshire", "NJ New Jersey", "NM New Mexico", "NY New York",
    "NC North Carolina", "ND North Dakota", "OH Ohio", "OK Oklahoma", "OR Oregon", "PA Pennsylvania",
    "RI Rhode Island", "SC South Carolina", "SD South Dakota", "TN Tennessee", "TX Texas", "UT Utah",
    "VT Vermont", "VA Virginia", "WA Washington", "WV West Virginia", "WI Wisconsin", "WY Wyoming",
    "AS American Samoa", "GU Guam", "MP Northern Mariana Islands", "PR Puerto Rico", "VI Virgin Islands",
    "AA Armed Forces Americas", "AE Armed Forces Europe", "AP Armed Forces Pacific",
)
CA_STATES = (
    "AB Alberta", "BC British Columbia", "MB Manitoba", "NB New Brunswick", "NL Newfoundland and Labrador",
    "NS Nova Scotia", "ON Ontario", "PE Prince Edward Island", "QC Quebec", "SK Saskatchewan",
    "NT Northwest Territories", "NU Nunavut", "YT Yukon",
)


def seed_database(now: datetime | None = None) -> Database:
    db = Database()
    registry = build_registry(db)
    moment = now or datetime(2025, 1, 1, tzinfo=UTC)
    env = Env(db, registry, 1, {}, lambda: moment)

    def create(model: str, vals: dict[str, Any]) -> int:
        return int(registry[model]._create_one(env, vals))

    # Currencies: like Odoo's data file, only the company currency is active.
    usd = create("res.currency", {"name": "USD", "symbol": "$", "full_name": "United States dollar",
                                  "active": True, "position": "before"})
    currencies = {"USD": usd}
    for code, symbol, full in (("EUR", "€", "Euro"), ("GBP", "£", "Pound sterling"),
                               ("CAD", "$", "Canadian dollar")):
        currencies[code] = create("res.currency", {"name": code, "symbol": symbol, "full_name": full,
                                                   "active": False, "position": "before"})
    countries = {}
    for code, name, currency in COUNTRIES:
        countries[code] = create("res.country", {"code": code, "name": name,
                                                 "currency_id": currencies.get(currency or "", False)})
    for country, states in (("US", US_STATES), ("CA", CA_STATES)):
        for entry in states:
            code, name = entry.split(" ", 1)
            create("res.country.state", {"country_id": countries[country], "code": code, "name": name})
    # Company and users (uid 1 = OdooBot/__system__, uid 2 = admin, as on a fresh database).
    company_partner = create("res.partner", {"name": "My Company", "is_company": True,
                                             "email": "info@yourcompany.example"})
    create("res.company", {"name": "My Company", "currency_id": usd, "partner_id": company_partner})
    for code, rate in (("EUR", 0.92), ("GBP", 0.79), ("CAD", 1.36)):
        create("res.currency.rate", {"currency_id": currencies[code], "rate": rate, "name": "2024-01-01"})
    bot = create("res.partner", {"name": "OdooBot", "active": False})
    admin_partner = create("res.partner", {"name": "Mitchell Admin", "email": "admin@yourcompany.example",
                                           "parent_id": company_partner})
    create("res.users", {"name": "OdooBot", "login": "__system__", "partner_id": bot, "active": False,
                         "company_ids": [1]})
    internal = create("res.groups", {"name": "Internal User", "category": "User types"})
    invoicing = create("res.groups", {"name": "Invoicing", "category": "Accounting", "implied_ids": [internal]})
    basic = create("res.groups", {"name": "Basic", "category": "Technical", "implied_ids": [invoicing]})
    create("res.groups", {"name": "Show Full Accounting Features", "category": "Technical",
                          "implied_ids": [basic]})
    manager = create("res.groups", {"name": "Administrator", "category": "Accounting", "implied_ids": [invoicing]})
    admin = create("res.users", {"name": "Mitchell Admin", "login": DEMO_LOGIN, "partner_id": admin_partner,
                                 "company_ids": [1], "tz": "Europe/Brussels", "groups_id": [internal, manager]})
    db.passwords[admin] = DEMO_PASSWORD
    db.api_keys[DEMO_API_KEY] = admin
    for name in INSTALLED_MODULES:
        create("ir.module.module", {"name": name, "shortdesc": name.replace("_", " ").title(), "state": "installed",
                                    "latest_version": "18.0.1.0"})
    for name in ("purchase", "mrp", "website_sale", "l10n_de", "auth_totp"):
        create("ir.module.module", {"name": name, "shortdesc": name.replace("_", " ").title()})
    create("uom.uom", {"name": "Units"})
    create("uom.uom", {"name": "Dozens", "factor": 1 / 12, "uom_type": "bigger"})
    create("product.category", {"name": "All"})
    create("crm.team", {"name": "Sales"})
    # Chart of accounts (a small generic one) and journals.
    accounts = {}
    for code, name, kind in (
        ("121000", "Account Receivable", "asset_receivable"), ("211000", "Account Payable", "liability_payable"),
        ("251000", "Tax Received", "liability_current"), ("131000", "Tax Paid", "asset_current"),
        ("400000", "Product Sales", "income"), ("600000", "Expenses", "expense"),
        ("101401", "Bank", "asset_cash"), ("101402", "Bank Suspense Account", "asset_current"),
        ("101501", "Cash", "asset_cash"), ("999999", "Undistributed Profits/Losses", "equity_unaffected"),
        ("640000", "Marketplace Fees", "expense"), ("101403", "Outstanding Receipts", "asset_current"),
    ):
        accounts[code] = create("account.account", {"code": code, "name": name, "account_type": kind})
    create("account.journal", {"name": "Customer Invoices", "code": "INV", "type": "sale",
                               "default_account_id": accounts["400000"], "sequence": 5})
    create("account.journal", {"name": "Vendor Bills", "code": "BILL", "type": "purchase",
                               "default_account_id": accounts["600000"], "sequence": 6})
    create("account.journal", {"name": "Miscellaneous Operations", "code": "MISC", "type": "general",
                               "sequence": 9})
    create("account.journal", {"name": "Bank", "code": "BNK1", "type": "bank", "default_account_id": accounts["101401"],
                               "suspense_account_id": accounts["101402"], "sequence": 10})
    create("account.journal", {"name": "Cash", "code": "CSH1", "type": "cash", "default_account_id": accounts["101501"],
                               "suspense_account_id": accounts["101402"], "sequence": 11})
    sale_tax = create("account.tax", {"name": "15%", "amount": 15.0, "type_tax_use": "sale", "sequence": 1})
    purchase_tax = create("account.tax", {"name": "15%", "amount": 15.0, "type_tax_use": "purchase", "sequence": 1})
    db.update("res.company", 1, {"account_sale_tax_id": sale_tax, "account_purchase_tax_id": purchase_tax})
    # Stock: the standard locations, then the main warehouse "WH" with its stock location and types.
    loc = "stock.location"
    physical = create(loc, {"name": "Physical Locations", "usage": "view"})
    partners = create(loc, {"name": "Partners", "usage": "view"})
    virtual = create(loc, {"name": "Virtual Locations", "usage": "view"})
    create(loc, {"name": "Vendors", "location_id": partners, "usage": "supplier"})
    create(loc, {"name": "Customers", "location_id": partners, "usage": "customer"})
    create(loc, {"name": "Inventory adjustment", "location_id": virtual, "usage": "inventory"})
    create(loc, {"name": "Production", "location_id": virtual, "usage": "production"})
    create(loc, {"name": "Inter-company transit", "location_id": physical, "usage": "transit", "active": False})
    create("stock.warehouse", {"name": "My Company", "code": "WH", "partner_id": company_partner})
    db.dirty = False
    return db
