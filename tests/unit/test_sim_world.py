"""The simulator's world: lifecycle, stock, oversells, shipments, determinism, ground truth."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from amazon_odoo_sync.sandbox.spapi import make_simulator
from amazon_odoo_sync.sandbox.spapi.generator import build_world
from amazon_odoo_sync.sandbox.spapi.scenario import load_scenario
from amazon_odoo_sync.sandbox.spapi.world import (
    Address,
    Buyer,
    Offer,
    OrderLine,
    World,
    WorldError,
    WorldEvent,
)

EU = "A2SIMDEMOEU01"
DE = "A1PA6795UKMFR9"


def quiet_world() -> World:
    """The demo world with the generator switched off: only the orders a test places."""
    _, world = make_simulator("demo", seed=3, speed=0)
    world.source = None
    return world


def offer(world: World, channel: str, marketplace: str = DE, seller: str = EU) -> Offer:
    return next(o for o in world.offers(seller, marketplace) if o.channel == channel)


def place(world: World, sku: str, qty: int = 1, marketplace: str = DE, seller: str = EU,
          **kw: object) -> str:
    order = world.place_order(seller, marketplace, [OrderLine(sku=sku, quantity=qty)],
                              buyer=Buyer(name="Eva Test", email="x@marketplace.amazon.de"),
                              address=Address(name="Eva Test", line1="Weg 1", city="Berlin",
                                              postal_code="10115", country_code="DE"),
                              **kw)  # type: ignore[arg-type]
    return order.amazon_order_id


def test_mfn_lifecycle_pending_then_unshipped_and_stock_decreases() -> None:
    world = quiet_world()
    mfn = offer(world, "MFN")
    before = mfn.quantity
    oid = place(world, mfn.sku, qty=2)
    order = world.order(oid)
    assert order is not None and order.status == "Pending" and not order.priced
    assert mfn.quantity == before - 2
    world.clock.advance(world.lifecycle.pending_seconds - 1)
    world.sync()
    assert order.status == "Pending"
    world.clock.advance(1)
    world.sync()
    assert order.status == "Unshipped" and order.priced
    assert order.last_update_date == order.purchase_date + timedelta(
        seconds=world.lifecycle.pending_seconds)


def test_afn_order_arrives_shipped_without_being_unshipped() -> None:
    world = quiet_world()
    afn = offer(world, "AFN")
    inv = world.fba_inventory(EU, DE, afn.sku)
    assert inv is not None
    fulfillable = inv.fulfillable
    seen: list[WorldEvent] = []
    world.listeners.append(seen.append)
    oid = place(world, afn.sku, qty=1)
    assert inv.fulfillable == fulfillable - 1 and inv.reserved_pending_customer_order >= 1
    world.clock.advance(world.lifecycle.afn_ship_seconds)
    world.sync()
    order = world.order(oid)
    assert order is not None and order.status == "Shipped" and order.units_shipped == 1
    statuses = [e.new_status for e in seen if e.amazon_order_id == oid]
    assert statuses == ["Pending", "Shipped"]


def test_cancellation_returns_stock_and_cannot_cancel_shipped() -> None:
    world = quiet_world()
    mfn = offer(world, "MFN")
    before = mfn.quantity
    oid = place(world, mfn.sku, qty=1, cancel_after=60.0)
    world.clock.advance(61)
    world.sync()
    order = world.order(oid)
    assert order is not None and order.status == "Canceled"
    assert mfn.quantity == before
    afn_id = place(world, offer(world, "AFN").sku)
    world.clock.advance(world.lifecycle.afn_ship_seconds)
    world.sync()
    with pytest.raises(WorldError):
        world.cancel_order(afn_id)


def test_fbm_order_at_quantity_zero_is_an_oversell() -> None:
    world = quiet_world()
    mfn = offer(world, "MFN")
    world.set_fbm_quantity(EU, DE, mfn.sku, 0)
    oid = place(world, mfn.sku, qty=2)
    assert [o.amazon_order_id for o in world.oversells] == [oid]
    assert world.oversells[0].units_oversold == 2
    rows = world.ground_truth(marketplace_id=DE)
    assert sum(r.oversells for r in rows) == 1 and sum(r.units_oversold for r in rows) == 2


def test_confirm_shipment_partial_then_full() -> None:
    world = quiet_world()
    mfn = offer(world, "MFN")
    oid = place(world, mfn.sku, qty=3)
    world.clock.advance(world.lifecycle.pending_seconds)
    world.sync()
    order = world.order(oid)
    assert order is not None
    item_id = order.items[0].order_item_id
    now = world.clock.now()
    common = {"marketplace_id": DE, "carrier_code": "DHL", "ship_date": now}
    world.confirm_shipment(oid, package_reference_id="1", tracking_number="T1",
                           items=[(item_id, 1)], **common)  # type: ignore[arg-type]
    assert order.status == "PartiallyShipped" and order.items[0].quantity_shipped == 1
    # the same package again is a no-op (a retried call), not a second shipment
    world.confirm_shipment(oid, package_reference_id="1", tracking_number="T1",
                           items=[(item_id, 1)], **common)  # type: ignore[arg-type]
    assert order.items[0].quantity_shipped == 1
    with pytest.raises(WorldError, match="exceeds"):
        world.confirm_shipment(oid, package_reference_id="2", tracking_number="T2",
                               items=[(item_id, 3)], **common)  # type: ignore[arg-type]
    world.confirm_shipment(oid, package_reference_id="2", tracking_number="T2",
                           items=[(item_id, 2)], **common)  # type: ignore[arg-type]
    assert order.status == "Shipped" and [p.tracking_number for p in order.packages] == ["T1", "T2"]
    with pytest.raises(WorldError, match="already fulfilled"):
        world.confirm_shipment(oid, package_reference_id="3", tracking_number="T3",
                               items=[(item_id, 1)], **common)  # type: ignore[arg-type]


def test_amounts_follow_tax_rules_of_the_marketplace() -> None:
    world = quiet_world()
    de_offer = offer(world, "MFN")
    de = world.order(place(world, de_offer.sku, qty=2))
    assert de is not None
    item = de.items[0]
    assert item.item_price == de_offer.price * 2
    # Germany: 19 % VAT contained in the price
    assert item.item_tax == (item.item_price * Decimal("0.19") / Decimal("1.19")).quantize(
        Decimal("0.01"))
    assert de.total == item.item_price
    us_offer = offer(world, "MFN", marketplace="ATVPDKIKX0DER", seller="A3SIMDEMOUS01")
    us = world.order(place(world, us_offer.sku, marketplace="ATVPDKIKX0DER",
                           seller="A3SIMDEMOUS01"))
    assert us is not None and us.items[0].marketplace_facilitator
    assert us.total == us.items[0].item_price + us.items[0].item_tax  # tax on top in the US


def test_same_seed_same_orders_other_seed_other_orders() -> None:
    def run(seed: int) -> list[tuple[str, str, int, str]]:
        world = build_world(load_scenario("demo"), seed=seed, speed=0)
        world.clock.advance(24 * 3600)
        world.sync()
        return [(o.amazon_order_id, o.status, o.units, str(o.total)) for o in world.orders()]

    first = run(11)
    assert len(first) > 20
    assert run(11) == first
    assert run(12) != first


def test_prime_day_is_about_ten_times_a_normal_day() -> None:
    def planned(name: str) -> int:
        world = build_world(load_scenario(name), speed=0)
        world.clock.advance(6 * 3600)  # the first six hours are enough to see the rate
        world.sync()
        return len(world)

    normal, prime = planned("normal-day"), planned("prime-day")
    assert normal > 30
    assert 8.0 <= prime / normal <= 12.0


def test_ground_truth_totals_equal_the_orders() -> None:
    world = build_world(load_scenario("demo"), seed=5, speed=0)
    world.clock.advance(30 * 3600)
    world.sync()
    rows = world.ground_truth()
    orders = list(world.orders())
    assert sum(r.orders for r in rows) == len(orders)
    assert sum(r.units for r in rows) == sum(o.units for o in orders)
    for mp in {o.marketplace_id for o in orders}:
        expected = sum((o.total for o in orders if o.marketplace_id == mp
                        and o.status != "Canceled"), Decimal(0))
        assert sum((r.amount for r in rows if r.marketplace_id == mp), Decimal(0)) == expected
    assert sum(r.orders_canceled for r in rows) == sum(o.status == "Canceled" for o in orders)


def test_scan_pages_by_last_update_see_every_order_once() -> None:
    world = build_world(load_scenario("demo"), seed=2, speed=0)
    world.clock.advance(20 * 3600)
    world.sync()
    start, end = world.clock.start, world.clock.now()
    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = world.scan(EU, by="updated", after=start, before=end, cursor=cursor,
                                  limit=7)
        seen += [o.amazon_order_id for o in page]
        if cursor is None:
            break
    expected = [o.amazon_order_id for o in world.orders(EU)]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
