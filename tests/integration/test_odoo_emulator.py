"""Client + ``ensure_odoo_setup`` against the Odoo emulator (skipped until it exists)."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.odoo.setup import ensure_odoo_setup

KEY = "0" * 40


def emulator_client() -> OdooClient:
    module = pytest.importorskip("amazon_odoo_sync.sandbox.odoo.app")
    create_app = module.create_app
    kwargs: dict[str, Any] = {}
    if "api_key" in inspect.signature(create_app).parameters:
        kwargs["api_key"] = KEY
    app = create_app(**kwargs)
    state = app.state
    return OdooClient("http://emulator", str(getattr(state, "database", None) or "emulator"),
                      str(getattr(state, "user", None) or "admin"),
                      str(getattr(state, "api_key", None) or KEY),
                      transport=httpx.ASGITransport(app=app))


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
