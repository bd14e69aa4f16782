"""Order reservations: open units of orders Odoo does not have yet, never of closed ones."""

from __future__ import annotations

from amazon_odoo_sync.store.reservations import ORDER_KIND, Reservation
from amazon_odoo_sync.store.unit import Store

DE, FR = "A1PA6795UKMFR9", "A13V1IB3VIYZZH"


def _r(order_id: str, units: dict[str, int], *, marketplace: str = DE, status: str = "Unshipped") -> Reservation:
    return Reservation(order_id=order_id, marketplace_id=marketplace, status=status, units=units)


async def test_reserve_many_upserts_and_the_last_of_a_repeated_order_wins(store: Store) -> None:
    async with store.session() as tx:
        assert await tx.reservations.reserve_many("acme", []) == set()
        assert await tx.reservations.reserve_many("acme", [_r("A", {"S1": 2, "S2": 1}),
                                                           _r("B", {"S1": 3}, marketplace=FR)]) == {"A", "B"}
        assert await tx.reservations.reserved_units("acme") == {"S1": 5, "S2": 1}
        await tx.reservations.reserve_many("acme", [_r("A", {"S1": 1}), _r("A", {"S1": 4})])
        assert await tx.reservations.reserved_units("acme") == {"S1": 7, "S2": 1}
        assert await tx.reservations.reserved_units("acme", FR) == {"S1": 3}
        assert await tx.reservations.reserved_units("other") == {}
        await tx.reservations.release("acme", ["A", "nobody"])
        assert await tx.reservations.reserved_units("acme") == {"S1": 3}


async def test_closed_orders_are_never_reserved(store: Store) -> None:
    async with store.session() as tx:
        for order_id in ("in-odoo", "cancelled", "claimed"):
            await tx.external_ids.claim("acme", ORDER_KIND, order_id)
        await tx.external_ids.record_odoo_id("acme", ORDER_KIND, "in-odoo", 5, state="confirmed")
        await tx.external_ids.set_state("acme", ORDER_KIND, "cancelled", "cancelled")
        written = await tx.reservations.reserve_many("acme", [_r(o, {"S": 1}) for o in
                                                              ("in-odoo", "cancelled", "claimed", "new")])
        assert written == {"claimed", "new"}
        assert await tx.reservations.reserved_units("acme") == {"S": 2}


async def test_apply_releases_and_reserves_a_batch_the_reservation_winning(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.reservations.reserve_many("acme", [_r("a", {"S1": 2}), _r("c", {"S1": 1})])
        await tx.reservations.apply("acme", reserve=[_r("b", {"S2": 3}), _r("c", {"S1": 5})],
                                    release=["a", "c", "nobody"])
        assert await tx.reservations.reserved_units("acme") == {"S1": 5, "S2": 3}
        await tx.reservations.apply("acme")  # nothing to do
        assert await tx.reservations.reserved_units("acme") == {"S1": 5, "S2": 3}


async def test_release_closed_returns_what_it_deleted_per_order(store: Store) -> None:
    async with store.session() as tx:
        await tx.reservations.reserve_many("acme", [_r("o2", {"S2": 1, "S1": 2}, status="Pending"),
                                                    _r("o1", {"S1": 4}, marketplace=FR), _r("open", {"S1": 9})])
        await tx.reservations.reserve_many("other", [_r("o1", {"S1": 1})])
        assert await tx.reservations.held_by_closed("acme") == (0, 0)
        assert await tx.reservations.release_closed("acme") == []
        # The orders close after they were reserved (the race the sweep is there for).
        for order_id in ("o1", "o2", "open"):
            await tx.external_ids.claim("acme", ORDER_KIND, order_id)
        await tx.external_ids.record_odoo_id("acme", ORDER_KIND, "o2", 77, state="confirmed")
        await tx.external_ids.set_state("acme", ORDER_KIND, "o1", "cancelled")
        assert await tx.reservations.held_by_closed("acme") == (2, 7)
        released = await tx.reservations.release_closed("acme")
        assert [(r.order_id, r.marketplace_id, dict(r.units), r.odoo_id, r.claim_state) for r in released] == [
            ("o1", FR, {"S1": 4}, None, "cancelled"), ("o2", DE, {"S1": 2, "S2": 1}, 77, "confirmed")]
        assert released[1].status == "Pending"
        assert await tx.reservations.held_by_closed("acme") == (0, 0)
        assert await tx.reservations.reserved_units("acme") == {"S1": 9}
        assert await tx.reservations.reserved_units("other") == {"S1": 1}
