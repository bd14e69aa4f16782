"""Client + ``ensure_odoo_setup`` against the Odoo emulator."""

from __future__ import annotations

import httpx

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.odoo.setup import ensure_odoo_setup
from amazon_odoo_sync.sandbox.odoo.app import create_app
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN


def emulator_client() -> OdooClient:
    return OdooClient("http://emulator", DEMO_DATABASE, DEMO_LOGIN, DEMO_API_KEY,
                      transport=httpx.ASGITransport(app=create_app()))


async def test_setup_on_the_emulator_is_idempotent() -> None:
    settings = Settings(accounts=[{"name": "eu", "region": "EU", "marketplaces": ["DE", "UK"]},
                                  {"name": "na", "region": "NA", "marketplaces": ["US"]}])
    async with emulator_client() as odoo:
        checked = await ensure_odoo_setup(odoo, settings, check_only=True)
        first = await ensure_odoo_setup(odoo, settings)
        second = await ensure_odoo_setup(odoo, settings)
    assert checked.count("created") == 0
    assert first.ok, [i for i in first.items if i.status not in ("present", "created")]
    assert second.ok and second.count("created") == 0
    assert second.marketplaces == first.marketplaces


async def test_create_many_and_confirm_many_on_the_emulator() -> None:
    async with emulator_client() as odoo:
        partner = (await odoo.create("res.partner", [{"name": "Bench"}]))[0]
        product = (await odoo.create("product.product", [{"name": "W", "type": "consu"}]))[0]
        ids = await odoo.create("sale.order", [
            {"partner_id": partner, "order_line": [(0, 0, {"product_id": product,
                                                           "product_uom_qty": 1})]}
            for _ in range(5)])
        assert len(set(ids)) == 5
        await odoo.call_method("sale.order", "action_confirm", ids)
        rows = await odoo.read("sale.order", ids, ["state"])
    assert {r["state"] for r in rows} == {"sale"}
