"""An in-process world for order-flow tests: the SP-API simulator, the Odoo emulator, a migrated
database, and a FlowRuntime wired to them exactly as `accounts add` + `odoo setup` would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.demo.reconcile import ODOO_FIELDS, Reconciliation, reconcile
from amazon_odoo_sync.demo.wiring import (
    OdooTarget,
    prepare_odoo,
    register_accounts,
    sandbox_settings,
    seed_catalog,
    set_cursors,
    store_odoo_key,
)
from amazon_odoo_sync.flows.runtime import FlowRuntime
from amazon_odoo_sync.sandbox.odoo.app import create_app as create_emulator
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN
from amazon_odoo_sync.sandbox.spapi import make_simulator
from amazon_odoo_sync.sandbox.spapi.routes_admin import order_summary
from amazon_odoo_sync.sandbox.spapi.scenario import Scenario, load_scenario
from amazon_odoo_sync.sandbox.spapi.world import World

SIM_URL = "http://spapi.sim"
ODOO_URL = "http://odoo.emu"


@dataclass
class OrdersEnv:
    settings: Settings
    scenario: Scenario
    world: World
    sim_app: FastAPI
    emulator: Any
    pool: AsyncConnectionPool[Any]
    runtime: FlowRuntime

    def advance_to(self, when: datetime) -> None:
        """Move the simulated clock and the world together (what ``/_sim/advance`` does)."""
        self.world.clock.advance_to(when)
        self.world.advance_to(when)

    async def reconcile(self) -> Reconciliation:
        odoo = await self.runtime.odoo()
        rows = await odoo.search_read("sale.order", [("client_order_ref", "!=", False)], list(ODOO_FIELDS),
                                      context={"active_test": False})
        return reconcile([order_summary(o) for o in self.world.orders()], rows)


@asynccontextmanager
async def orders_env(db_url: str, *, scenario: str = "demo", seed: int = 11, tax_rounding: str | None = None,
                     **sim: Any) -> AsyncIterator[OrdersEnv]:
    """``tax_rounding``: the Odoo companies' ``tax_calculation_rounding_method`` (Odoo's default
    when None)."""
    spec = load_scenario(scenario)
    sim_app, world = make_simulator(spec, seed=seed, speed=0, **sim)
    emulator_app = create_emulator(latency_scale=0.0)
    settings = sandbox_settings(
        spec, sim_url=SIM_URL, database_url=db_url, secrets_key=Fernet.generate_key().decode(),
        odoo=OdooTarget(url=ODOO_URL, database=DEMO_DATABASE, user=DEMO_LOGIN, api_key=DEMO_API_KEY))
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(db_url, min_size=1, max_size=8, open=False,
                                                         kwargs={"autocommit": True})
    await pool.open()
    runtime = FlowRuntime(settings, pool, spapi_transport=httpx.ASGITransport(app=sim_app),
                          odoo_transport=httpx.ASGITransport(app=emulator_app))
    try:
        await register_accounts(pool, runtime.cipher, settings, spec)
        await store_odoo_key(pool, runtime.cipher, OdooTarget(url=ODOO_URL, database=DEMO_DATABASE,
                                                              user=DEMO_LOGIN, api_key=DEMO_API_KEY))
        odoo = await runtime.odoo()
        setup = await prepare_odoo(odoo, settings)
        assert setup.ok, [i for i in setup.items if i.status not in ("present", "created")]
        if tax_rounding:
            await odoo.write("res.company", await odoo.search("res.company", []),
                             {"tax_calculation_rounding_method": tax_rounding})
        await seed_catalog(odoo, [{"sku": o.sku, "price": o.price, "channel": o.channel, "quantity": o.quantity}
                                  for o in world.offers()])
        await set_cursors(pool, settings, spec.start)
        yield OrdersEnv(settings=settings, scenario=spec, world=world, sim_app=sim_app, emulator=emulator_app,
                        pool=pool, runtime=runtime)
    finally:
        await runtime.aclose()
        await pool.close()
