"""Stock end to end: SP-API simulator ↔ connector (real order and stock flows) ↔ Odoo emulator."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from amazon_odoo_sync.config import SafetyStockRule
from amazon_odoo_sync.demo.wiring import seed_catalog
from amazon_odoo_sync.flows.orders import fetch_notified_orders, import_pending, poll_orders
from amazon_odoo_sync.flows.stock import stock_push_for, wait_for_feeds
from amazon_odoo_sync.flows.stock_catalog import map_products_for
from amazon_odoo_sync.mapping.stock import split_units
from amazon_odoo_sync.marketplaces import by_id
from amazon_odoo_sync.sandbox.spapi.notifications import DeliveryRoutes
from amazon_odoo_sync.sandbox.spapi.selling import SellingSettings, attach, services
from amazon_odoo_sync.sandbox.spapi.world import Address, Buyer, OrderLine
from amazon_odoo_sync.store import audit, external_ids, product_map, quarantine, reservations
from amazon_odoo_sync.store.offers import mark_dirty
from amazon_odoo_sync.web.notifications import notifications_router

from .orders_env import OrdersEnv, orders_env

pytestmark = [pytest.mark.db, pytest.mark.slow]


async def _warehouse(env: OrdersEnv, marketplace_id: str) -> int:
    return (await (await env.runtime.refs()).targets(marketplace_id)).warehouse_id


async def _set_on_hand(env: OrdersEnv, product_id: int, warehouse_id: int, quantity: int) -> None:
    """What a stock count in Odoo does: inventory mode quant, applied."""
    odoo = await env.runtime.odoo()
    [wh] = await odoo.read("stock.warehouse", [warehouse_id], ["lot_stock_id"])
    ids = await odoo.create("stock.quant", [{"product_id": product_id, "location_id": wh["lot_stock_id"][0],
                                             "inventory_quantity": float(quantity)}],
                            context={"inventory_mode": True})
    await odoo.call_method("stock.quant", "action_apply_inventory", ids)


async def _qty(env: OrdersEnv, product_ids: list[int], warehouse_id: int, field: str) -> dict[int, Decimal]:
    odoo = await env.runtime.odoo()
    rows = await odoo.read("product.product", product_ids, [field], context={"warehouse_id": warehouse_id})
    return {int(r["id"]): Decimal(str(r[field])) for r in rows}


def _buyer(n: int) -> tuple[Buyer, Address]:
    return (Buyer(name=f"Buyer {n}", email=f"b{n}@marketplace.amazon.de"),
            Address(name=f"Buyer {n}", line1="Hauptstr. 1", city="Berlin", postal_code="10115",
                    country_code="DE"))


def _sim_sleep(env: OrdersEnv) -> Any:
    async def sleep(seconds: float) -> None:
        env.advance_to(env.world.clock.now() + timedelta(seconds=seconds))
    return sleep


async def test_full_sync_offers_odoo_free_minus_safety_minus_reserved(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        rt = env.runtime
        mids = list(account.marketplaces)
        offers = [o for o in env.world.offers(account.seller_id) if o.channel == "MFN"]
        assert len(offers) > 10
        rng = random.Random(3)
        warehouses = {m: await _warehouse(env, m) for m in mids}
        # Odoo's stock differs from what Amazon shows: the sync must make Amazon follow Odoo.
        odoo_units = {o.sku: rng.randint(0, 40) for o in offers}
        products = await seed_catalog(await rt.odoo(), [{"sku": s, "channel": "MFN", "quantity": q}
                                                        for s, q in odoo_units.items()],
                                      stock_warehouse_id=warehouses[mids[0]])
        # One order waits on Amazon (Pending) and one is Unshipped but not imported: both are
        # reserved by the order flow (its polling stores them, the import job has not run).
        sku = offers[0].sku
        buyer, address = _buyer(1)
        pending = env.world.place_order(account.seller_id, offers[0].marketplace_id, [OrderLine(sku=sku, quantity=2)],
                                        buyer=buyer, address=address, pending_seconds=7200)
        env.advance_to(env.world.clock.now() + timedelta(minutes=5))
        for mid in mids:
            await poll_orders(rt, account.name, mid)
        async with env.pool.connection() as conn:
            reserved = await reservations.reserved_units(conn, account.name)
            assert reserved.get(sku) == 2, (pending.amazon_order_id, reserved)

        push = await stock_push_for(rt, account.name)
        push.config = push.config.model_copy(update={"safety": SafetyStockRule(fixed=1), "feed_min_messages": 5})
        async with env.pool.connection() as conn:
            catalog = await map_products_for(rt, account.name, force=True)
            assert catalog is not None and catalog.mapped >= len({o.sku for o in offers})
            assert catalog.unmatched == [] and catalog.ambiguous == []
            mapped = await product_map.lookup(conn, account.name, mids[0], [o.sku for o in offers])
            assert {s: mapped[s] for s in odoo_units if s in mapped} == {s: products[s] for s in odoo_units
                                                                         if s in mapped}
            result = await push.run_cycle(full=True)
            assert result.fed + result.patched > 0
            await wait_for_feeds(push, sleep=_sim_sleep(env), poll_seconds=30)
            # Amazon applied everything: a second full sync sends nothing.
            again = await push.run_cycle(full=True)
            assert again.fed == 0 and again.patched == 0, again
        free = {m: await _qty(env, sorted(products.values()), warehouses[m], "free_qty") for m in mids}
        for offer in offers:
            wanted = free[offer.marketplace_id][products[offer.sku]] - 1 - (2 if offer.sku == sku else 0)
            assert offer.quantity == max(0, int(wanted)), (offer.marketplace_id, offer.sku, offer.quantity, wanted)
        assert env.world.offer(account.seller_id, offers[0].marketplace_id, sku).quantity == \
            max(0, odoo_units[sku] - 1 - 2)


async def test_orders_faster_than_imports_and_odoo_changes_never_oversell(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        rt = env.runtime
        mid = account.marketplaces[0]
        offer = next(o for o in env.world.offers(account.seller_id, mid) if o.channel == "MFN")
        sku = offer.sku
        warehouse = await _warehouse(env, mid)
        odoo = await rt.odoo()
        [product] = await odoo.search("product.product", [("default_code", "=", sku)])
        await _set_on_hand(env, product, warehouse, 10)

        connector = FastAPI()
        connector.include_router(notifications_router(env.pool, secret="e2e-secret"))
        arn = "arn:aws:sqs:eu-west-1:123456789012:aos-stock"
        attach(env.world, SellingSettings(
            notification_routes=DeliveryRoutes(targets={arn: "http://connector/notifications/spapi"},
                                               http_secret="e2e-secret"),
            notification_autostart=False), transport=httpx.ASGITransport(app=connector))
        spapi = await rt.spapi(account.name)
        destination = await spapi.notifications.create_destination(name="aos-stock",
                                                                   resource_specification={"sqs": {"arn": arn}})
        await spapi.notifications.create_subscription(
            "ORDER_CHANGE", destination_id=destination["payload"]["destinationId"], payload_version="1.0")
        hub = services(env.world).hub

        push = await stock_push_for(rt, account.name)
        async with env.pool.connection() as conn:
            await map_products_for(rt, account.name, force=True)
            await push.run_cycle(full=True)
        assert env.world.offer(account.seller_id, mid, sku).quantity == 10

        rng = random.Random(17)
        sold = 0
        checked = 0
        for step in range(40):
            # Odoo's stock moves at the same time: counts, receipts, breakage.
            if rng.random() < 0.3:
                [on_hand] = (await _qty(env, [product], warehouse, "qty_available")).values()
                await _set_on_hand(env, product, warehouse, max(0, int(on_hand) + rng.choice([-2, -1, 1, 3, 5])))
            # Buyers: up to three orders a step, as many units as Amazon shows at most.
            for _ in range(rng.randint(0, 3)):
                shown = env.world.offer(account.seller_id, mid, sku).quantity
                if shown <= 0:
                    break
                buyer, address = _buyer(step)
                line = OrderLine(sku=sku, quantity=min(shown, rng.randint(1, 3)))
                env.world.place_order(account.seller_id, mid, [line], buyer=buyer, address=address)
            env.advance_to(env.world.clock.now() + timedelta(seconds=30))
            await hub.deliver_due()
            # Odoo imports lag behind: only every fourth step.
            if step % 4 == 3:
                await fetch_notified_orders(rt, account.name)
                await import_pending(rt, account.name)
            async with env.pool.connection() as conn:
                await push.run_cycle()
            # Ground truth: on hand in Odoo minus every open order Amazon took (imported or not).
            open_units = sum(i.quantity_ordered - i.quantity_shipped for o in env.world.orders(account.seller_id)
                             if o.fulfillment_channel == "MFN" and o.status not in ("Canceled", "Shipped")
                             for i in o.items if i.sku == sku)
            [on_hand] = (await _qty(env, [product], warehouse, "qty_available")).values()
            shown = env.world.offer(account.seller_id, mid, sku).quantity
            assert shown <= max(0, int(on_hand) - open_units), (step, shown, on_hand, open_units)
            checked += 1
            sold = open_units
        assert checked == 40 and sold > 10, sold
        assert env.world.oversells == []
        # Reserved: exactly the units of orders Odoo does not have yet.
        async with env.pool.connection() as conn:
            reserved = (await reservations.reserved_units(conn, account.name)).get(sku, 0)
        imported = {r["client_order_ref"] for r in await odoo.search_read(
            "sale.order", [("client_order_ref", "!=", False)], ["client_order_ref"])}
        assert reserved == sum(i.quantity_ordered for o in env.world.orders(account.seller_id)
                               if o.amazon_order_id not in imported and o.status != "Canceled"
                               for i in o.items if i.sku == sku)
        # Once every order left Pending and was imported, nothing stays reserved.
        env.advance_to(env.world.clock.now() + timedelta(days=1))
        await hub.deliver_due()
        await fetch_notified_orders(rt, account.name)
        await import_pending(rt, account.name)
        async with env.pool.connection() as conn:
            assert (await reservations.reserved_units(conn, account.name)).get(sku, 0) == 0
            await push.run_cycle()
        [free] = (await _qty(env, [product], warehouse, "free_qty")).values()
        assert env.world.offer(account.seller_id, mid, sku).quantity == max(0, int(free))


async def _one_fbm_product(env: OrdersEnv, on_hand: int) -> tuple[str, str, int, int]:
    """(marketplace, SKU, Odoo product, warehouse) of an FBM offer with ``on_hand`` units in Odoo."""
    account = env.settings.accounts[0]
    mid = account.marketplaces[0]
    offer = next(o for o in env.world.offers(account.seller_id, mid) if o.channel == "MFN")
    warehouse = await _warehouse(env, mid)
    [product] = await (await env.runtime.odoo()).search("product.product", [("default_code", "=", offer.sku)])
    await _set_on_hand(env, product, warehouse, on_hand)
    return mid, offer.sku, product, warehouse


async def _import_one_order(env: OrdersEnv, mid: str, sku: str, quantity: int) -> str:
    """An FBM order placed, left Pending for Unshipped, polled and imported into Odoo."""
    account = env.settings.accounts[0]
    buyer, address = _buyer(7)
    order = env.world.place_order(account.seller_id, mid, [OrderLine(sku=sku, quantity=quantity)], buyer=buyer,
                                  address=address, pending_seconds=60)
    env.advance_to(env.world.clock.now() + timedelta(minutes=5))
    await poll_orders(env.runtime, account.name, mid)
    await import_pending(env.runtime, account.name)
    async with env.pool.connection() as conn:
        claim = await external_ids.get(conn, account.name, "sale.order", order.amazon_order_id)
        assert claim is not None and claim.odoo_id is not None, claim
        assert await reservations.reserved_units(conn, account.name) == {}
    return order.amazon_order_id


async def test_notifications_arriving_after_the_import_leave_the_offer_at_odoo_free_minus_safety(
        db_url: str) -> None:
    """Issue #14, as seen on a real Odoo 18: the order's ORDER_CHANGE notifications reach us after
    its import (through the notification endpoint, the intake every delivery shares); the order
    they fetch is a duplicate, no import runs. Nothing may stay reserved for it."""
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        rt = env.runtime
        mid, sku, product, warehouse = await _one_fbm_product(env, 20)
        connector = FastAPI()
        connector.include_router(notifications_router(env.pool, secret="e2e-secret"))
        arn = "arn:aws:sqs:eu-west-1:123456789012:aos-late"
        attach(env.world, SellingSettings(
            notification_routes=DeliveryRoutes(targets={arn: "http://connector/notifications/spapi"},
                                               http_secret="e2e-secret"),
            notification_autostart=False), transport=httpx.ASGITransport(app=connector))
        spapi = await rt.spapi(account.name)
        destination = await spapi.notifications.create_destination(name="aos-late",
                                                                   resource_specification={"sqs": {"arn": arn}})
        await spapi.notifications.create_subscription(
            "ORDER_CHANGE", destination_id=destination["payload"]["destinationId"], payload_version="1.0")
        push = await stock_push_for(rt, account.name)
        push.config = push.config.model_copy(update={"safety": SafetyStockRule(fixed=1)})
        async with env.pool.connection() as conn:
            await map_products_for(rt, account.name, force=True)
            await push.run_cycle(full=True)
        assert env.world.offer(account.seller_id, mid, sku).quantity == 19

        await _import_one_order(env, mid, sku, 3)
        # Its Pending and Unshipped notifications come now, after the import.
        assert await services(env.world).hub.deliver_due() >= 2
        await fetch_notified_orders(rt, account.name)
        assert (await import_pending(rt, account.name)).created == 0
        async with env.pool.connection() as conn:
            assert await reservations.reserved_units(conn, account.name) == {}
            await push.run_cycle()
        [free] = (await _qty(env, [product], warehouse, "free_qty")).values()
        assert free == 17
        assert env.world.offer(account.seller_id, mid, sku).quantity == int(free) - 1


async def test_full_resync_releases_what_orders_in_odoo_still_hold(db_url: str) -> None:
    """Leaked reservations (left by the intake before issue #14 was fixed) understate the offer
    until ``sync stock --full`` recomputes them from the truth: released, audited, offer repaired."""
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        rt = env.runtime
        mid, sku, product, warehouse = await _one_fbm_product(env, 20)
        order_id = await _import_one_order(env, mid, sku, 3)
        async with env.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO order_reservations (account, amazon_order_id, sku, marketplace_id, quantity, "
                "amazon_status) VALUES (%s, %s, %s, %s, 3, 'Unshipped')", (account.name, order_id, sku, mid))
        push = await stock_push_for(rt, account.name)
        push.config = push.config.model_copy(update={"safety": SafetyStockRule(fixed=1)})
        [free] = (await _qty(env, [product], warehouse, "free_qty")).values()
        assert free == 17
        async with env.pool.connection() as conn:
            await map_products_for(rt, account.name, force=True)
            await mark_dirty(conn, account.name, [sku])
            await push.run_cycle()
            assert env.world.offer(account.seller_id, mid, sku).quantity == 17 - 1 - 3  # the leak
            result = await push.run_cycle(full=True)
            assert result.released == 1
            assert await reservations.reserved_units(conn, account.name) == {}
            [entry] = [e for e in await audit.recent(conn, object_type="sale.order")
                       if e.action == "reservation.released"]
        assert (entry.object_key, entry.actor, entry.details["units"]) == (order_id, "flow:stock", {sku: 3})
        assert env.world.offer(account.seller_id, mid, sku).quantity == 17 - 1


async def test_split_between_marketplaces_sharing_a_warehouse(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        rt = env.runtime
        mids = list(account.marketplaces)
        warehouses = {m: await _warehouse(env, m) for m in mids}
        assert len(mids) > 1 and len(set(warehouses.values())) == 1  # one Odoo warehouse serves them all
        offers = [o for o in env.world.offers(account.seller_id) if o.channel == "MFN"]
        rng = random.Random(5)
        products = await seed_catalog(await rt.odoo(), [{"sku": o.sku, "channel": "MFN", "quantity": rng.randint(0, 40)}
                                                        for o in offers], stock_warehouse_id=warehouses[mids[0]])
        push = await stock_push_for(rt, account.name)
        push.config = push.config.model_copy(update={"shared_warehouse": "split", "feed_min_messages": 5,
                                                     "split_weights": {by_id(mids[0]).code: Decimal(2)}})
        await map_products_for(rt, account.name, force=True)
        await push.run_cycle(full=True)
        await wait_for_feeds(push, sleep=_sim_sleep(env), poll_seconds=30)
        free = await _qty(env, sorted(products.values()), warehouses[mids[0]], "free_qty")
        by_sku: dict[str, dict[str, int]] = {}
        for offer in offers:
            by_sku.setdefault(offer.sku, {})[by_id(offer.marketplace_id).code] = offer.quantity
        shared = 0
        for sku, shown in by_sku.items():
            weights = {code: Decimal(2) if code == by_id(mids[0]).code else Decimal(1) for code in shown}
            assert shown == split_units(int(free[products[sku]]), weights), (sku, shown, free[products[sku]])
            assert sum(shown.values()) <= free[products[sku]]
            shared += len(shown) > 1
        assert shared > 0


async def test_switch_to_fba_when_amazon_already_manages_the_sku(db_url: str) -> None:
    async with orders_env(db_url, faults=False) as env:
        account = env.settings.accounts[0]
        rt = env.runtime
        mid = account.marketplaces[0]
        offer = next(o for o in env.world.offers(account.seller_id, mid) if o.channel == "MFN")
        warehouse = await _warehouse(env, mid)
        products = await seed_catalog(await rt.odoo(), [{"sku": offer.sku, "channel": "MFN", "quantity": 7}],
                                      stock_warehouse_id=warehouse)
        push = await stock_push_for(rt, account.name)
        async with env.pool.connection() as conn:
            await map_products_for(rt, account.name, force=True)
            await push.run_cycle(full=True)
            await wait_for_feeds(push, sleep=_sim_sleep(env), poll_seconds=30)
            assert env.world.offer(account.seller_id, mid, offer.sku).quantity == 7
            # The seller sends the SKU to FBA: Amazon manages it now, our mapping says FBA.
            offer.channel = "AFN"
            await product_map.upsert(conn, product_map.ProductMapping(
                account=account.name, marketplace_id=mid, sku=offer.sku, asin=offer.asin, fulfillment="FBA",
                odoo_product_id=products[offer.sku]))
            await mark_dirty(conn, account.name, [offer.sku])
            result = await push.run_cycle()
            assert result.urgent == 1 and result.accepted == 1 and result.rejected == 0
            assert (await push.run_cycle(full=True)).patched == 0
            key = f"{account.name}:{mid}:{offer.sku}"
            assert not await quarantine.is_open(conn, "stock", key)
            [closed] = [e for e in await audit.recent(conn, 50, object_type="offer") if e.object_key == key]
            assert closed.action == "stock.fbm_offer_closed" and "8560" in closed.details["amazon"]
