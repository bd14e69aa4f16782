"""The FBM push's decisions (flows.stock.plan), without PostgreSQL, Odoo or Amazon: what to offer
never exceeds free − reserved − safety and is never negative, a split never offers a unit twice,
an offer Amazon already has is never sent again."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from amazon_odoo_sync.config import SafetyStockRule, StockConfig
from amazon_odoo_sync.flows.stock.plan import (
    Layout,
    MappedOffer,
    StockInputs,
    plan_computations,
    plan_sending,
    products_to_read,
    resolve,
)
from amazon_odoo_sync.inventory import OfferState
from amazon_odoo_sync.marketplaces import by_id

DE, FR, IT = "A1PA6795UKMFR9", "A13V1IB3VIYZZH", "APJ6JRA9NG5V4"

free_units = st.decimals(min_value=-5, max_value=500, places=2, allow_nan=False, allow_infinity=False)
rules = st.builds(SafetyStockRule, fixed=st.integers(0, 20), percent=st.decimals(0, 50, places=1))
reserved_units = st.integers(0, 60)


def _offer(sku: str, product: int, marketplace: str = "", fulfillment: str = "FBM") -> MappedOffer:
    return MappedOffer(marketplace_id=marketplace, sku=sku, fulfillment="FBA" if fulfillment == "FBA" else "FBM",
                       product_id=product)


def _ceiling(free: Decimal, reserved: int, safety: SafetyStockRule) -> int:
    floor = math.floor(free)
    held = max(safety.fixed, math.ceil(max(free, Decimal(0)) * safety.percent / 100) if safety.percent else 0)
    return max(0, floor - reserved - held)


@given(free=free_units, reserved=reserved_units, safety=rules, other_reserved=reserved_units)
def test_never_more_than_free_minus_reserved_minus_safety_never_negative(
        free: Decimal, reserved: int, safety: SafetyStockRule, other_reserved: int) -> None:
    # Two SKUs of one product in two marketplaces on one warehouse: both draw on the same units,
    # and each marketplace's offer counts the other's orders Odoo does not have yet.
    layout = Layout(marketplace_ids=(DE, FR), warehouses={DE: (1,), FR: (1,)})
    mapped = [_offer("A", 7), _offer("A-FR", 7, FR)]
    resolved = {m: resolve(mapped, m) for m in layout.marketplace_ids}
    inputs = StockInputs(resolved=resolved, reserved={DE: {"A": reserved}, FR: {"A-FR": other_reserved}},
                         free={(1,): {7: free}}, offered_fbm={})
    planned = plan_computations(inputs, layout, StockConfig(safety=safety))
    for marketplace, computations in planned.items():
        for c in computations:
            assert 0 <= c.quantity <= _ceiling(free, reserved + other_reserved, safety), (marketplace, c)


@given(free=free_units, reserved=reserved_units, safety=rules,
       weights=st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)))
def test_split_offers_never_add_up_to_more_than_the_units_left(
        free: Decimal, reserved: int, safety: SafetyStockRule, weights: tuple[int, int, int]) -> None:
    layout = Layout(marketplace_ids=(DE, FR, IT), warehouses={DE: (1,), FR: (1,), IT: (1,)})
    mapped = [_offer("A", 7)]
    config = StockConfig(safety=safety, shared_warehouse="split",
                         split_weights={by_id(m).code: Decimal(w) for m, w in zip((DE, FR, IT), weights, strict=True)})
    inputs = StockInputs(resolved={m: resolve(mapped, m) for m in layout.marketplace_ids},
                         reserved={DE: {"A": reserved}}, free={(1,): {7: free}}, offered_fbm={})
    planned = plan_computations(inputs, layout, config)
    offered = [c.quantity for computations in planned.values() for c in computations]
    assert all(q >= 0 for q in offered)
    assert sum(offered) <= _ceiling(free, reserved, safety)


def test_a_marketplace_row_wins_and_only_fbm_products_are_read() -> None:
    layout = Layout(marketplace_ids=(DE, FR, IT), warehouses={DE: (1,), FR: (1,), IT: (2,)})
    mapped = [_offer("A", 1), _offer("A", 9, DE), _offer("B", 2, fulfillment="FBA"), _offer("C", 3, IT)]
    resolved = {m: resolve(mapped, m) for m in layout.marketplace_ids}
    assert [(r.sku, r.product_id) for r in resolved[DE]] == [("A", 9), ("B", 2)]
    assert [(r.sku, r.product_id) for r in resolved[IT]] == [("A", 1), ("B", 2), ("C", 3)]
    assert products_to_read(resolved, layout) == {(1,): [1, 9], (2,): [1, 3]}
    only_fba = {DE: resolve([_offer("B", 2, fulfillment="FBA")], DE)}
    assert products_to_read(only_fba, layout) == {(1,): []}  # read all the same, as before


def test_a_sku_switched_to_fba_is_closed_once_and_fba_stock_is_left_alone() -> None:
    layout = Layout(marketplace_ids=(DE,), warehouses={DE: (1,)})
    resolved = {DE: resolve([_offer("A", 1, fulfillment="FBA"), _offer("B", 2, fulfillment="FBA")], DE)}
    inputs = StockInputs(resolved=resolved, reserved={}, free={(1,): {}}, offered_fbm={DE: frozenset({"A"})})
    [closing] = plan_computations(inputs, layout, StockConfig())[DE]
    assert (closing.sku, closing.quantity, closing.fulfillment) == ("A", 0, "FBA")


def test_reservations_of_a_marketplace_on_another_warehouse_do_not_count() -> None:
    layout = Layout(marketplace_ids=(DE, IT), warehouses={DE: (1,), IT: (2,)})
    mapped = [_offer("A", 1)]
    inputs = StockInputs(resolved={m: resolve(mapped, m) for m in (DE, IT)},
                         reserved={DE: {"A": 2}, IT: {"A": 5}}, free={(1,): {1: Decimal(10)}, (2,): {1: Decimal(10)}},
                         offered_fbm={})
    planned = plan_computations(inputs, layout, StockConfig())
    assert [c.quantity for c in planned[DE]] == [8] and [c.quantity for c in planned[IT]] == [5]


# -- sending ------------------------------------------------------------------------------------

quantities = st.integers(0, 50)


@given(st.lists(st.tuples(quantities, st.booleans()), min_size=1, max_size=30))
def test_what_amazon_has_or_is_getting_is_never_sent_again(offers: list[tuple[int, bool]]) -> None:
    states = []
    for n, (quantity, in_flight) in enumerate(offers):
        if in_flight:
            states.append(OfferState(sku=f"S{n:02d}", computed_qty=quantity, computed_seq=3, submitted_qty=quantity,
                                     submitted_seq=3, accepted_qty=quantity + 1, accepted_seq=2))
        else:
            states.append(OfferState(sku=f"S{n:02d}", computed_qty=quantity, computed_seq=3, accepted_qty=quantity,
                                     accepted_seq=3))
    sending = plan_sending(states, StockConfig(feed_min_messages=5), seller_id="S")
    assert sending.urgent == () and sending.patches == () and sending.feeds == ()


@given(st.lists(st.tuples(st.one_of(st.none(), quantities), quantities), min_size=1, max_size=40),
       st.integers(0, 10), st.integers(1, 20))
def test_every_change_is_sent_once_urgent_first_within_the_cap(
        offers: list[tuple[int | None, int]], cap: int, feed_min: int) -> None:
    states = [OfferState(sku=f"S{n:02d}", computed_qty=new, computed_seq=2, accepted_qty=old,
                         accepted_seq=None if old is None else 1)
              for n, (old, new) in enumerate(offers) if old != new]
    config = StockConfig(max_urgent_patches=cap, feed_min_messages=feed_min)
    sending = plan_sending(states, config, seller_id="S")
    fed = [u for document in sending.feeds for u in document.messages.values()]
    sent = [*sending.urgent, *sending.patches, *fed]
    assert sorted(u.sku for u in sent) == sorted(s.sku for s in states)  # each change once
    assert len(sending.urgent) <= cap and all(u.urgent for u in sending.urgent)
    assert all(u.quantity >= 0 for u in sent)
    assert not (sending.patches and sending.feeds)
    assert (len(sent) - len(sending.urgent) >= feed_min) == bool(sending.feeds)
    # A known decrease to 0 goes before a first zero (Amazon's value unknown).
    known = [u.sku for u in sending.urgent if dict((s.sku, s.accepted_qty) for s in states)[u.sku] is not None]
    assert [u.sku for u in sending.urgent][:len(known)] == known
