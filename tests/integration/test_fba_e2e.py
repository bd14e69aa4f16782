"""FBA inventory end to end: SP-API simulator ↔ connector (FBA pull, order flow) ↔ Odoo emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amazon_odoo_sync.flows.fba_inventory import pull_account
from amazon_odoo_sync.flows.orders import import_pending, poll_orders
from amazon_odoo_sync.flows.stock_catalog import map_products_for
from amazon_odoo_sync.mapping.fba_inventory import KINDS, location_barcode
from amazon_odoo_sync.marketplaces import by_id
from amazon_odoo_sync.sandbox.spapi.world import Address, Buyer, FbaInventory, OrderLine
from amazon_odoo_sync.store import fba_drift

from .orders_env import OrdersEnv, orders_env

pytestmark = [pytest.mark.db, pytest.mark.slow]


def _expected(inv: FbaInventory) -> dict[str, int]:
    return {"fulfillable": inv.fulfillable, "inbound_working": inv.inbound_working,
            "inbound_shipped": inv.inbound_shipped, "inbound_receiving": inv.inbound_receiving,
            "reserved": inv.reserved, "researching": inv.researching, "unfulfillable": inv.unfulfillable}


def _truth(env: OrdersEnv, seller_id: str, network: str) -> dict[tuple[str, str], int]:
    return {(inv.sku, kind): qty for inv in env.world.fba_inventories(seller_id) if inv.network == network
            for kind, qty in _expected(inv).items() if qty}


async def _in_odoo(env: OrdersEnv, account: str, network: str) -> dict[tuple[str, str], int]:
    odoo = await env.runtime.odoo()
    kind_of = {location_barcode(account, network, k): k for k in KINDS}
    locations = {int(r["id"]): str(r["barcode"]) for r in await odoo.search_read(
        "stock.location", [("barcode", "in", sorted(kind_of))], ["barcode"])}
    rows = await odoo.search_read("stock.quant", [("location_id", "in", sorted(locations))],
                                  ["product_id", "location_id", "quantity"])
    codes = {int(r["id"]): str(r["default_code"]) for r in await odoo.read(
        "product.product", sorted({r["product_id"][0] for r in rows}), ["default_code"])}
    out: dict[tuple[str, str], int] = {}
    for r in rows:
        if r["quantity"]:
            key = (codes[r["product_id"][0]], kind_of[locations[r["location_id"][0]]])
            out[key] = out.get(key, 0) + int(r["quantity"])
    return out


async def test_fba_pull_per_network_writes_locations_with_differences_only(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]  # the EU seller: DE and FR (pan-EU pool) and the UK
        rt = env.runtime
        assert sorted(by_id(m).code for m in account.marketplaces) == ["DE", "FR", "UK"]
        await map_products_for(rt, account.name, force=True)
        first = await pull_account(rt, account.name)
        assert sorted((r.network, by_id(r.marketplace_id).code) for r in first) == [("EU", "DE"), ("UK", "UK")]
        for result in first:
            truth = _truth(env, account.seller_id, result.network)
            assert truth and result.quarantined == 0 and not result.drift_checked
            assert await _in_odoo(env, account.name, result.network) == truth
            assert len(result.adjustments) == len(truth)
        # Each network has its warehouse, "Amazon FBA <network>".
        odoo = await rt.odoo()
        refs = await rt.refs()
        names = {by_id(m).code: (await odoo.read("stock.warehouse", [(await refs.targets(m)).fba_warehouse_id],
                                                 ["name"]))[0]["name"] for m in account.marketplaces}
        assert names == {"DE": "Amazon FBA EU", "FR": "Amazon FBA EU", "UK": "Amazon FBA UK"}

        second = await pull_account(rt, account.name)
        assert [r.adjustments for r in second] == [[], []] and [r.drift for r in second] == [[], []]

        # Stock in transit moves on at Amazon (UK pool): exactly those two figures change in Odoo.
        uk = next(m for m in account.marketplaces if by_id(m).code == "UK")
        inv = next(i for i in env.world.fba_inventories(account.seller_id, uk))
        env.world.adjust_fba_inventory(account.seller_id, uk, inv.sku, inbound_shipped=4)
        await pull_account(rt, account.name)
        env.world.adjust_fba_inventory(account.seller_id, uk, inv.sku, inbound_shipped=-1, inbound_receiving=1)
        third = {r.network: r for r in await pull_account(rt, account.name)}
        assert third["EU"].adjustments == []
        assert sorted((a.sku, a.kind) for a in third["UK"].adjustments) == [(inv.sku, "inbound_receiving"),
                                                                           (inv.sku, "inbound_shipped")]
        assert await _in_odoo(env, account.name, "UK") == _truth(env, account.seller_id, "UK")


async def test_fba_sales_imported_take_units_from_the_fulfillable_location(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        rt = env.runtime
        seller = account.seller_id
        await map_products_for(rt, account.name, force=True)
        await pull_account(rt, account.name)
        before = await _in_odoo(env, account.name, "EU")
        fr = next(m for m in account.marketplaces if by_id(m).code == "FR")
        offer = next(o for o in env.world.offers(seller, fr) if o.channel == "AFN")
        buyer = Buyer(name="Claire", email="c@marketplace.amazon.fr")
        # With a phone: Odoo's stock_sms would answer the validation with a wizard unless told skip_sms.
        address = Address(name="Claire", line1="1 rue de Rivoli", city="Paris", postal_code="75001",
                          country_code="FR", phone="+33 1 23 45 67 89")
        order = env.world.place_order(seller, fr, [OrderLine(sku=offer.sku, quantity=2)], buyer=buyer,
                                      address=address)
        env.advance_to(env.world.clock.now() + timedelta(hours=4))  # Amazon ships it
        assert env.world.order(order.amazon_order_id).status == "Shipped"  # type: ignore[union-attr]
        for mid in account.marketplaces:
            await poll_orders(rt, account.name, mid)
        # Queued, not in Odoo yet: its shipped units are recorded for the FBA pull to add back.
        async with env.pool.connection() as conn, conn.cursor() as cur:
            await cur.execute("SELECT sku, quantity, amazon_status FROM order_reservations "
                              "WHERE account = %s AND amazon_order_id = %s", (account.name, order.amazon_order_id))
            assert await cur.fetchall() == [(offer.sku, 2, "SHIPPED")]
        await import_pending(rt, account.name)
        async with env.pool.connection() as conn, conn.cursor() as cur:
            await cur.execute("SELECT count(*) FROM order_reservations WHERE amazon_order_id = %s",
                              (order.amazon_order_id,))
            assert await cur.fetchone() == (0,)
        odoo = await rt.odoo()
        [sale_id] = await odoo.search("sale.order", [("client_order_ref", "=", order.amazon_order_id)])
        pickings = await odoo.search_read("stock.picking", [("sale_id", "=", sale_id)], ["state"])
        assert [p["state"] for p in pickings] == ["done"]

        # Odoo took every imported FBA sale of the pan-EU pool (ours and the simulated buyers')
        # off the account's Fulfillable location, not off the warehouse's stock location.
        network = {m for m in account.marketplaces if by_id(m).fba_network == "EU"}
        imported = {str(r["client_order_ref"]) for r in await odoo.search_read(
            "sale.order", [("client_order_ref", "!=", False), ("state", "=", "sale")], ["client_order_ref"])}
        sold: dict[str, int] = {}
        open_units: dict[str, int] = {}
        for o in env.world.orders(seller):
            if o.marketplace_id not in network or o.fulfillment_channel != "AFN":
                continue
            for item in o.items:
                if o.amazon_order_id in imported:
                    sold[item.sku] = sold.get(item.sku, 0) + item.quantity_ordered
                elif o.status in ("Pending", "Unshipped"):
                    open_units[item.sku] = open_units.get(item.sku, 0) + item.quantity_ordered
        assert sold.get(offer.sku, 0) >= 2
        after = await _in_odoo(env, account.name, "EU")
        for (sku, kind), qty in before.items():
            if kind == "fulfillable":
                assert after.get((sku, kind), 0) == qty - sold.get(sku, 0), sku
                inv = env.world.fba_inventory(seller, fr, sku)
                assert inv is not None and inv.fulfillable == qty - sold.get(sku, 0) - open_units.get(sku, 0), sku
        [wh] = await odoo.read("stock.warehouse", [(await (await rt.refs()).targets(fr)).fba_warehouse_id],
                               ["lot_stock_id"])
        assert not await odoo.search("stock.quant", [("location_id", "=", wh["lot_stock_id"][0]),
                                                     ("quantity", "!=", 0)])

        # The next pull finds Odoo where Amazon is (sales imported, nothing lost): no drift.
        async with env.pool.connection() as conn:
            results = {r.network: r for r in await pull_account(rt, account.name)}
            assert results["EU"].drift_checked and results["EU"].drift == []
            assert await fba_drift.latest(conn, account=account.name) == []
        changed = {a.sku for a in results["EU"].adjustments}
        assert changed <= set(open_units), (changed, open_units)  # only Pending orders move units
        assert await _in_odoo(env, account.name, "EU") == _truth(env, seller, "EU")
