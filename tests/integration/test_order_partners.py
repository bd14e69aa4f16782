"""Partners of imported orders: one per buyer and address, as Odoo does for its own orders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amazon_odoo_sync.flows.orders import import_pending, poll_orders
from amazon_odoo_sync.marketplaces import by_id
from amazon_odoo_sync.sandbox.spapi.world import Address, Buyer, OrderLine

from .orders_env import orders_env

pytestmark = [pytest.mark.db, pytest.mark.slow]


async def test_a_buyer_gets_one_partner_per_address_and_the_delivery_is_the_customer_when_equal(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        rt = env.runtime
        de = next(m for m in account.marketplaces if by_id(m).code == "DE")
        offer = next(o for o in env.world.offers(account.seller_id, de) if o.channel == "MFN")
        buyer = Buyer(name="Erika Muster", email="erika42@marketplace.amazon.de")
        home = Address(name="Erika Muster", line1="Hauptstr. 1", city="Berlin", postal_code="10115",
                       country_code="DE")
        office = Address(name="Erika Muster", line1="Nebenweg 9", city="Hamburg", postal_code="20095",
                         country_code="DE")

        async def import_orders(*addresses: Address) -> list[str]:
            placed = [env.world.place_order(account.seller_id, de, [OrderLine(sku=offer.sku, quantity=1)],
                                            buyer=buyer, address=a, pending_seconds=1).amazon_order_id
                      for a in addresses]
            env.advance_to(env.world.clock.now() + timedelta(minutes=10))
            await poll_orders(rt, account.name, account.marketplaces)
            await import_pending(rt, account.name)
            return placed

        odoo = await rt.odoo()
        before = await odoo.search_count("res.partner", [])
        first, again = await import_orders(home, home)  # one batch: the same new buyer twice
        later, moved = await import_orders(home, office)  # later batch: known address, then a new one
        rows = {r["client_order_ref"]: r for r in await odoo.search_read(
            "sale.order", [("client_order_ref", "in", [first, again, later, moved])],
            ["client_order_ref", "partner_id", "partner_shipping_id"])}
        customer = rows[first]["partner_id"][0]
        assert {r["partner_id"][0] for r in rows.values()} == {customer}
        for order_id in (first, again, later):
            assert rows[order_id]["partner_shipping_id"][0] == customer
        delivery = rows[moved]["partner_shipping_id"][0]
        assert delivery != customer
        [child] = await odoo.read("res.partner", [delivery], ["parent_id", "type", "city"])
        assert child["parent_id"][0] == customer and child["type"] == "delivery" and child["city"] == "Hamburg"
        assert await odoo.search_count("res.partner", []) - before == 2
