"""Shared pieces of the stock integration tests and the bench: an in-process SP-API simulator,
our real SP-API client on it, and a fake Odoo stock source (plain dicts, records calls)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from amazon_odoo_sync.amazon.client import SpApiClient
from amazon_odoo_sync.amazon.governor import InMemoryRateGovernor
from amazon_odoo_sync.amazon.lwa import LwaCredentials
from amazon_odoo_sync.config import SpapiConfig
from amazon_odoo_sync.sandbox.spapi.app import create_app
from amazon_odoo_sync.sandbox.spapi.auth import LwaApp
from amazon_odoo_sync.sandbox.spapi.clock import SimClock
from amazon_odoo_sync.sandbox.spapi.feeds import FeedSettings
from amazon_odoo_sync.sandbox.spapi.ratelimit import RateLimiter
from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings, attach
from amazon_odoo_sync.sandbox.spapi.world import Offer, Product, Seller, World

DE = "A1PA6795UKMFR9"
SELLER = "A2SIMSELLER01"
BASE = "http://sim.test"


@dataclass
class SimAmazon:
    world: World
    app: Any
    client: SpApiClient


def make_world(skus: Sequence[str], *, quantity: int = 0) -> World:
    world = World(SimClock(datetime(2026, 3, 1, tzinfo=UTC)), seed=7)
    world.add_seller(Seller(seller_id=SELLER, name="Sim", refresh_token="Atzr|r", marketplace_ids=(DE,)))
    for n, sku in enumerate(skus):
        asin = f"B{n:09d}"
        world.add_product(Product(asin=asin, title=sku))
        world.add_offer(Offer(seller_id=SELLER, marketplace_id=DE, sku=sku, asin=asin, channel="MFN",
                              price=Decimal("10.00"), currency="EUR", quantity=quantity))
    return world


def make_amazon(world: World, *, feed_seconds: float = 30.0, unlimited: bool = False,
                fba_page_size: int = 50, monotonic: Any = None) -> SimAmazon:
    extra: dict[str, Any] = {"monotonic": monotonic} if monotonic is not None else {}
    attach(world, SellingSettings(feeds=FeedSettings(queue_seconds=feed_seconds / 2,
                                                     processing_seconds=feed_seconds / 2),
                                  fba_page_size=fba_page_size, notification_autostart=False), **extra)
    app = create_app(world, apps=[LwaApp(client_id="app", client_secret="s")],
                     limiter=RateLimiter(enabled=not unlimited))
    settings = SpapiConfig(token_url=f"{BASE}/auth/o2/token",
                           endpoints={"NA": BASE, "EU": BASE, "FE": BASE})
    client = SpApiClient(account="acme", region="EU", seller_id=SELLER, settings=settings,
                         credentials=LwaCredentials(client_id="app", client_secret="s",
                                                    refresh_token="Atzr|r"),
                         transport=httpx.ASGITransport(app=app), governor=InMemoryRateGovernor())
    return SimAmazon(world=world, app=app, client=client)


@dataclass
class FakeOdooStock:
    """``StockSource`` on dicts: free quantity per product, a change log with Odoo-like times."""

    free: dict[int, Decimal] = field(default_factory=dict)
    changes: list[tuple[datetime, int]] = field(default_factory=list)
    now: datetime = datetime(2026, 3, 1, tzinfo=UTC)
    calls: list[str] = field(default_factory=list)

    def set(self, product_id: int, quantity: int | Decimal) -> None:
        self.now += timedelta(seconds=1)
        self.free[product_id] = Decimal(quantity)
        self.changes.append((self.now, product_id))

    def add(self, product_id: int, delta: int) -> None:
        self.set(product_id, self.free.get(product_id, Decimal(0)) + delta)

    async def changed_products(self, since: datetime | None) -> tuple[set[int], datetime | None]:
        self.calls.append("changed")
        seen = [(t, p) for t, p in self.changes if since is None or t > since]
        return {p for _, p in seen}, max((t for t, _ in seen), default=None)

    async def free_quantities(self, product_ids: Sequence[int],
                              warehouse_ids: Sequence[int]) -> dict[int, Decimal]:
        self.calls.append("free")
        return {p: self.free.get(p, Decimal(0)) for p in product_ids}
