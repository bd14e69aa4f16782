"""Wire the connector to a simulated Amazon and an Odoo (emulated or real).

Shared by the end-to-end tests, the benchmarks and ``amazon-odoo-sync demo``, so all three run
the connector exactly as a seller would after ``accounts add`` and ``odoo setup``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from ..config import AccountConfig, Settings
from ..marketplaces import by_id
from ..odoo.client import OdooClient
from ..odoo.setup import SetupResult, ensure_odoo_setup
from ..passwords import hash_password
from ..sandbox.spapi.scenario import Scenario
from ..store import accounts, credentials
from ..store.secrets import Cipher, Secret
from ..store.unit import PgStore

__all__ = ["DEMO_USER", "OdooTarget", "account_name", "add_demo_user", "register_accounts", "sandbox_settings",
           "seed_catalog", "set_cursors", "store_odoo_key"]


@dataclass(frozen=True, kw_only=True)
class OdooTarget:
    url: str
    database: str
    user: str
    api_key: str


def account_name(seller_id: str, seller_name: str) -> str:
    """A readable account name for a simulated seller ("Demo Seller EU" → "demo-seller-eu")."""
    slug = re.sub(r"[^a-z0-9]+", "-", seller_name.lower()).strip("-")
    return slug or seller_id.lower()


def sandbox_settings(scenario: Scenario, *, sim_url: str, odoo: OdooTarget, database_url: str,
                     secrets_key: str, **overrides: Any) -> Settings:
    """Settings pointing every region at the simulator and Odoo at ``odoo``."""
    account_list = [AccountConfig(name=account_name(s.seller_id, s.name), region=by_id(s.marketplace_ids[0]).region,
                                  seller_id=s.seller_id, marketplaces=list(s.marketplace_ids))
                    for s in scenario.sellers]
    values: dict[str, Any] = {
        "database": {"url": database_url},
        "secrets": {"key": secrets_key},
        "spapi": {"token_url": f"{sim_url}/auth/o2/token",
                  "endpoints": {"NA": sim_url, "EU": sim_url, "FE": sim_url}},
        "odoo": {"url": odoo.url, "database": odoo.database, "user": odoo.user},
        "accounts": account_list,
    }
    values.update(overrides)
    return Settings(**values)


async def register_accounts(pool: AsyncConnectionPool[Any], cipher: Cipher, settings: Settings,
                            scenario: Scenario) -> None:
    """What ``accounts add`` does for each simulated seller, with the scenario's PII-role app."""
    app = next((a for a in scenario.apps if a.pii), scenario.apps[0])
    tokens = {s.seller_id: s.refresh_token for s in scenario.sellers}
    async with pool.connection() as conn:
        for account in settings.accounts:
            await accounts.upsert(conn, cipher, name=account.name, region=account.region,
                                  marketplaces=list(account.marketplaces), seller_id=account.seller_id,
                                  lwa_client_id=app.client_id, lwa_client_secret=Secret(app.client_secret),
                                  refresh_token=Secret(tokens[account.seller_id]))


async def store_odoo_key(pool: AsyncConnectionPool[Any], cipher: Cipher, odoo: OdooTarget) -> None:
    async with pool.connection() as conn:
        await credentials.set_odoo_api_key(conn, cipher, url=odoo.url, database=odoo.database, user=odoo.user,
                                           api_key=Secret(odoo.api_key))


#: The demo's dashboard user (an admin); its password is drawn at each run and printed.
DEMO_USER = "demo"


async def add_demo_user(pool: AsyncConnectionPool[Any]) -> str:
    """What ``users add demo --role admin`` does, with a fresh random password (returned)."""
    password = secrets.token_urlsafe(12)
    async with PgStore(pool).session() as tx:
        await tx.users.add(name=DEMO_USER, role="admin", password_hash=hash_password(password))
    return password


async def set_cursors(pool: AsyncConnectionPool[Any], settings: Settings, at: datetime) -> None:
    """Start the order polling at ``at`` (the scenario's start) instead of "a day ago"."""
    async with PgStore(pool).transaction() as tx:
        for account in settings.accounts:
            for marketplace_id in account.marketplaces:
                await tx.cursors.reset(account.name, "orders", at, marketplace=marketplace_id)


async def seed_catalog(odoo: OdooClient, offers: Iterable[Mapping[str, Any]], *,
                       stock_warehouse_id: int | None = None) -> dict[str, int]:
    """One storable product per SKU (``default_code`` = SKU), as a seller's catalog would have;
    with ``stock_warehouse_id``, FBM SKUs get their Amazon quantity on hand there."""
    by_sku: dict[str, Mapping[str, Any]] = {}
    for offer in offers:
        by_sku.setdefault(str(offer["sku"]), offer)
    existing = {str(r["default_code"]): int(r["id"]) for r in await odoo.search_read(
        "product.product", [("default_code", "in", sorted(by_sku))], ["default_code"])}
    missing = [sku for sku in sorted(by_sku) if sku not in existing]
    created = await odoo.create("product.product", [
        {"name": f"Product {sku}", "default_code": sku, "type": "consu", "is_storable": True,
         "list_price": float(by_sku[sku].get("price") or 0)} for sku in missing])
    existing.update(zip(missing, created, strict=True))
    if stock_warehouse_id is not None:
        warehouse = (await odoo.read("stock.warehouse", [stock_warehouse_id], ["lot_stock_id"]))[0]
        location = warehouse["lot_stock_id"][0]
        quants = [{"product_id": existing[sku], "location_id": location,
                   "inventory_quantity": float(o.get("quantity") or 0)}
                  for sku, o in by_sku.items() if o.get("channel") in ("MFN", "FBM", "DEFAULT")]
        if quants:
            ids = await odoo.create("stock.quant", quants, context={"inventory_mode": True})
            await odoo.call_method("stock.quant", "action_apply_inventory", ids)
    return existing


async def prepare_odoo(odoo: OdooClient, settings: Settings) -> SetupResult:
    """``odoo setup`` for the sandbox settings (creates what is missing)."""
    return await ensure_odoo_setup(odoo, settings)
