"""A small simulated world with the selling services attached, and an in-process client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from amazon_odoo_sync.sandbox.spapi.app import create_app
from amazon_odoo_sync.sandbox.spapi.auth import LwaApp
from amazon_odoo_sync.sandbox.spapi.clock import SimClock
from amazon_odoo_sync.sandbox.spapi.ratelimit import RateLimiter
from amazon_odoo_sync.sandbox.spapi.selling import SellingServices, SellingSettings, attach
from amazon_odoo_sync.sandbox.spapi.world import (
    Address,
    Buyer,
    FbaInventory,
    Offer,
    OrderLine,
    Product,
    Seller,
    World,
)

DE = "A1PA6795UKMFR9"
FR = "A13V1IB3VIYZZH"
SELLER = "A2SIMSELLER01"


@dataclass
class Sim:
    world: World
    svc: SellingServices
    client: httpx.AsyncClient
    token: str
    grantless: str
    now: list[float]

    def h(self, grantless: bool = False) -> dict[str, str]:
        return {"x-amz-access-token": self.grantless if grantless else self.token}


def build_world(n_fba: int = 3) -> World:
    world = World(SimClock(datetime(2026, 3, 1, tzinfo=UTC)), seed=7)
    world.add_seller(Seller(seller_id=SELLER, name="Sim", refresh_token="Atzr|r",
                            marketplace_ids=(DE, FR)))
    world.add_product(Product(asin="B000FBM001", title="Mug", product_type="KITCHEN"))
    world.add_offer(Offer(seller_id=SELLER, marketplace_id=DE, sku="MUG-1", asin="B000FBM001",
                          channel="MFN", price=Decimal("12.50"), currency="EUR", quantity=5))
    world.add_offer(Offer(seller_id=SELLER, marketplace_id=FR, sku="MUG-1", asin="B000FBM001",
                          channel="MFN", price=Decimal("12.90"), currency="EUR", quantity=5))
    for i in range(n_fba):
        asin = f"B000FBA{i:03d}"
        world.add_product(Product(asin=asin, title=f"Gadget {i}"))
        world.add_offer(Offer(seller_id=SELLER, marketplace_id=DE, sku=f"FBA-{i:03d}", asin=asin,
                              channel="AFN", price=Decimal("20.00"), currency="EUR"))
        world.add_fba_inventory(FbaInventory(seller_id=SELLER, network="EU", sku=f"FBA-{i:03d}",
                                             asin=asin, fnsku=f"X00{i:07d}", fulfillable=10 + i,
                                             inbound_shipped=2, unfulfillable_defective=1))
    return world


def make_sim(settings: SellingSettings | None = None, *, n_fba: int = 3,
             transport: httpx.AsyncBaseTransport | None = None) -> Sim:
    world = build_world(n_fba)
    now = [1000.0]
    svc = attach(world, settings or SellingSettings(notification_autostart=False),
                 transport=transport, monotonic=lambda: now[0])
    app = create_app(world, apps=[LwaApp(client_id="app", client_secret="s")],
                     limiter=RateLimiter(enabled=False))
    sim = app.state.sim
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim.test")
    return Sim(world=world, svc=svc, client=client, token=sim.auth.issue(SELLER),
               grantless=sim.auth.issue(None, scope="sellingpartnerapi::notifications"), now=now)


def place(world: World, sku: str, qty: int = 1, mid: str = DE) -> Any:
    return world.place_order(SELLER, mid, [OrderLine(sku=sku, quantity=qty)],
                             buyer=Buyer(name="B", email="b@marketplace.amazon.de"),
                             address=Address(city="Berlin", postal_code="10115", country_code="DE"))


Check = Callable[[str, str, int, Any], None]
