"""How many drains take one account's order backlog at once (#18: one import job per account
made parallelism follow the number of accounts, not Odoo's capacity)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from amazon_odoo_sync.flows.orders import import_lanes


def test_one_lane_per_waiting_batch_up_to_odoos_capacity() -> None:
    assert import_lanes(0, batch=100, capacity=8) == 1
    assert import_lanes(1, batch=100, capacity=8) == 1
    assert import_lanes(100, batch=100, capacity=8) == 1
    assert import_lanes(101, batch=100, capacity=8) == 2
    assert import_lanes(250, batch=100, capacity=8) == 3
    assert import_lanes(5_000, batch=100, capacity=2) == 2  # a 2-worker Odoo: both workers busy


@given(backlog=st.integers(-5, 100_000), batch=st.integers(1, 500), capacity=st.integers(1, 64))
def test_lanes_never_exceed_capacity_nor_leave_a_batch_without_one(backlog: int, batch: int,
                                                                   capacity: int) -> None:
    lanes = import_lanes(backlog, batch=batch, capacity=capacity)
    assert 1 <= lanes <= capacity
    if lanes < capacity:
        assert lanes * batch >= backlog  # every waiting batch has its drain
