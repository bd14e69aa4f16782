"""FBA drift: a complete pull's lines replace the network's, the pull is recorded, totals per network."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from amazon_odoo_sync.mapping.fba_inventory import DriftLine
from amazon_odoo_sync.store.reservations import Reservation
from amazon_odoo_sync.store.unit import Store

AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


async def test_a_pull_replaces_the_drift_of_its_network(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.fba_drift.last_pull("acme", "EU") is None
        await tx.fba_drift.record_pull(account="acme", network="EU", marketplace_id="DE", skus=5, adjustments=2,
                                       lines=[DriftLine(sku="A", expected=Decimal(3), reported=1),
                                              DriftLine(sku="B", expected=Decimal("2.5"), reported=7)], at=AT)
        await tx.fba_drift.record_pull(account="acme", network="UK", marketplace_id="UK", skus=1, adjustments=0,
                                       lines=[], at=AT)
        await tx.fba_drift.record_pull(account="beta", network="EU", marketplace_id="DE", skus=1, adjustments=0,
                                       lines=[DriftLine(sku="A", expected=Decimal(1), reported=0)], at=AT)
    async with store.session() as tx:
        pull = await tx.fba_drift.last_pull("acme", "EU")
        assert pull is not None and (pull.skus, pull.adjustments, pull.drift_lines, pull.marketplace_id) == (
            5, 2, 2, "DE")
        assert pull.pulled_at == AT
        lines = await tx.fba_drift.latest(account="acme")
        assert [(r.sku, r.expected, r.reported, r.difference) for r in lines] == [
            ("B", Decimal("2.5"), 7, Decimal("4.5")), ("A", Decimal(3), 1, Decimal(-2))]
        assert [r.account for r in await tx.fba_drift.latest()] == ["acme", "acme", "beta"]
        assert [r.account for r in await tx.fba_drift.latest(network="EU", account="beta")] == ["beta"]
        assert await tx.fba_drift.totals() == [("acme", "EU", 2, Decimal("6.5")), ("acme", "UK", 0, Decimal(0)),
                                               ("beta", "EU", 1, Decimal(1))]
        later = AT.replace(hour=9)
        await tx.fba_drift.record_pull(account="acme", network="EU", marketplace_id="FR", skus=4, adjustments=0,
                                       lines=[], at=later)
        assert await tx.fba_drift.latest(account="acme") == []
        again = await tx.fba_drift.last_pull("acme", "EU")
        assert again is not None and again.pulled_at == later and again.marketplace_id == "FR"


async def test_shipped_unimported_counts_shipped_reservations_of_the_marketplaces(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.reservations.reserve_many("acme", [
            Reservation(order_id="1", marketplace_id="DE", status="SHIPPED", units={"A": 2, "B": 1}),
            Reservation(order_id="2", marketplace_id="FR", status="Shipped", units={"A": 3}),
            Reservation(order_id="3", marketplace_id="DE", status="Unshipped", units={"A": 5}),
            Reservation(order_id="4", marketplace_id="UK", status="Shipped", units={"A": 7}),
            Reservation(order_id="5", marketplace_id="DE", status="Shipped", units={"C": 0})])
        await tx.reservations.reserve_many("beta", [
            Reservation(order_id="1", marketplace_id="DE", status="Shipped", units={"A": 1})])
    async with store.session() as tx:
        assert await tx.fba_drift.shipped_unimported("acme", ["DE", "FR"]) == {"A": 5, "B": 1}
        assert await tx.fba_drift.shipped_unimported("acme", []) == {}
