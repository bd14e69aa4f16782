"""The FBA inventory flow's decisions (flows.fba_inventory.plan) and the sync on the in-memory
store with the in-process SP-API simulator and a fake Odoo warehouse: no PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from amazon_odoo_sync.flows.fba_inventory import FbaInventorySync
from amazon_odoo_sync.flows.fba_inventory.plan import gone_products, plan_fba, unmapped
from amazon_odoo_sync.mapping.fba_inventory import KINDS, FbaQuantities, Kind
from amazon_odoo_sync.sandbox.spapi.world import FbaInventory, Offer, Product
from amazon_odoo_sync.store.memory import MemoryStore
from amazon_odoo_sync.store.product_map import ProductMapping
from amazon_odoo_sync.store.reservations import Reservation
from tests.integration.stock_sim import DE, SELLER, make_amazon, make_world

AT = datetime(2026, 3, 1, tzinfo=UTC)


def _q(sku: str, **quantities: int) -> FbaQuantities:
    return FbaQuantities(sku=sku, asin=None, fnsku=None, quantities=quantities)  # type: ignore[arg-type]


def test_a_complete_pull_zeroes_what_amazon_no_longer_reports_and_names_it() -> None:
    current: dict[tuple[int, Kind], Decimal] = {(1, "fulfillable"): Decimal(3), (2, "fulfillable"): Decimal(4),
                                                (3, "reserved"): Decimal(1)}
    products = {"A": 1, "Z": 9}
    assert gone_products(current, products) == [2, 3]
    assert [i.sku for i in unmapped([_q("A"), _q("N")], products)] == ["N"]
    plan = plan_fba(items=[_q("A", fulfillable=5), _q("N", fulfillable=1)], products=products, current=current,
                    shipped={}, complete=True, gone_named={2: "B", 3: "A"})  # "A" names product 1 already
    assert {i.sku for i in plan.reported} == {"A", "B", "#3"}
    assert plan.targets == {(1, "fulfillable"): Decimal(5), (2, "fulfillable"): Decimal(0),
                            (3, "reserved"): Decimal(0)}
    partial = plan_fba(items=[_q("A", fulfillable=5)], products=products, current=current, shipped={}, complete=False)
    assert partial.targets == {(1, "fulfillable"): Decimal(5)}  # a notification zeroes nothing else


def test_shipped_orders_not_in_odoo_stay_in_fulfillable_and_drift_is_checked_before() -> None:
    current: dict[tuple[int, Kind], Decimal] = {(1, "fulfillable"): Decimal(10)}
    plan = plan_fba(items=[_q("A", fulfillable=6)], products={"A": 1}, current=current, shipped={"A": 2, "X": 5},
                    complete=True, check_drift=True, tolerance=1, at=AT)
    assert plan.unimported_shipped == {"A": 2}
    assert plan.targets == {(1, "fulfillable"): Decimal(8)}
    [line] = plan.drift  # Odoo expected 10 - 2 = 8, Amazon holds 6
    assert (line.sku, line.expected, line.reported) == ("A", Decimal(8), 6)
    quiet = plan_fba(items=[_q("A", fulfillable=6)], products={"A": 1}, current=current, shipped={"A": 2},
                     complete=True, check_drift=False)
    assert quiet.drift == ()


figures = st.dictionaries(st.sampled_from(KINDS), st.integers(0, 30))


@given(amazon=st.dictionaries(st.sampled_from(["A", "B", "C"]), figures),
       odoo=st.dictionaries(st.tuples(st.integers(1, 4), st.sampled_from(KINDS)), st.integers(0, 30)))
def test_after_the_adjustments_odoo_holds_amazons_figures(amazon: dict[str, dict[Kind, int]],
                                                           odoo: dict[tuple[int, Kind], int]) -> None:
    mapped = {"A": 1, "B": 2, "C": 3}
    products = {s: p for s, p in mapped.items() if s in amazon}  # the reported SKUs' products
    current = {k: Decimal(v) for k, v in odoo.items()}
    plan = plan_fba(items=[_q(s, **q) for s, q in amazon.items()], products=products, current=current, shipped={},
                    complete=True)
    after = {**current, **plan.targets}
    for sku, product in mapped.items():  # what Amazon no longer reports ends at 0
        for kind in KINDS:
            assert after.get((product, kind), Decimal(0)) == amazon.get(sku, {}).get(kind, 0)
    assert all(after.get((4, kind), Decimal(0)) == 0 for kind in KINDS)  # unmapped product: zeroed
    assert all(plan.targets[k] != current.get(k, Decimal(0)) for k in plan.targets)  # differences only


class FakeWarehouse:
    def __init__(self) -> None:
        self.stock: dict[tuple[int, Kind], Decimal] = {}

    async def quantities(self, account: str, network: str, product_ids: Sequence[int] | None
                         ) -> dict[tuple[int, Kind], Decimal]:
        return {k: v for k, v in self.stock.items() if product_ids is None or k[0] in product_ids}

    async def set_quantities(self, account: str, network: str, targets: Mapping[tuple[int, Kind], Decimal]) -> None:
        self.stock.update(targets)


async def test_pull_on_the_memory_store_applies_quarantines_and_reports_drift() -> None:
    world = make_world([])
    for i in range(3):
        world.add_product(Product(asin=f"BF{i}", title=f"G{i}"))
        world.add_offer(Offer(seller_id=SELLER, marketplace_id=DE, sku=f"F{i}", asin=f"BF{i}", channel="AFN",
                              price=Decimal(20), currency="EUR"))
        world.add_fba_inventory(FbaInventory(seller_id=SELLER, network="EU", sku=f"F{i}", asin=f"BF{i}",
                                             fnsku=f"X{i}", fulfillable=10 + i))
    amazon = make_amazon(world, unlimited=True)
    store = MemoryStore()
    async with store.transaction() as tx:
        for i in range(2):  # F2 is not mapped: quarantined
            await tx.product_map.upsert(ProductMapping(account="acme", marketplace_id="", sku=f"F{i}", asin=None,
                                                       fulfillment="FBA", odoo_product_id=100 + i))
    odoo = FakeWarehouse()
    odoo.stock[(999, "fulfillable")] = Decimal(4)  # Amazon has none of it any more
    sync = FbaInventorySync(store=store, account="acme", marketplace_id=DE, network="EU", client=amazon.client,
                            target=odoo)
    async with amazon.client:
        first = await sync.pull()
        assert not first.drift_checked and first.quarantined == 1
        assert odoo.stock[(100, "fulfillable")] == 10 and odoo.stock[(101, "fulfillable")] == 11
        assert odoo.stock[(999, "fulfillable")] == 0
        # An order Amazon shipped that Odoo has not imported; a unit lost at Amazon.
        async with store.transaction() as tx:
            await tx.reservations.reserve_many("acme", [Reservation(order_id="1", marketplace_id=DE,
                                                                    status="Shipped", units={"F0": 2})])
        world.adjust_fba_inventory(SELLER, DE, "F0", fulfillable=-2)
        world.adjust_fba_inventory(SELLER, DE, "F1", fulfillable=-1)
        second = await sync.pull()
    assert second.drift_checked and second.unimported_shipped == {"F0": 2}
    assert [(line.sku, line.reported) for line in second.drift] == [("F1", 10)]
    assert odoo.stock[(100, "fulfillable")] == 10  # 8 at Amazon + 2 shipped, not imported yet
    async with store.session() as tx:
        [item] = await tx.quarantine.open_items("fba-inventory")
        assert item.key == f"acme:{DE}:F2"
        assert [r.sku for r in await tx.fba_drift.latest(account="acme")] == ["F1"]
        assert set(await tx.offers.fba_snapshots("acme", DE)) == {"F0", "F1", "F2"}
        assert any(e.action == "fba_inventory.adjusted" for e in await tx.audit.recent())
