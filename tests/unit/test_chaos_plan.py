"""The chaos run's schedule (from a seed) and its ground-truth verdict, without processes."""

from __future__ import annotations

from typing import Any

from amazon_odoo_sync.demo.chaos import ChaosOptions, plan_chaos, shipment_problems, verdict

WINDOW = 3600.0


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    plan = plan_chaos(ChaosOptions(seed=7), window=WINDOW, speed=60, workers=2)
    assert plan == plan_chaos(ChaosOptions(seed=7), window=WINDOW, speed=60, workers=2)
    assert plan != plan_chaos(ChaosOptions(seed=8), window=WINDOW, speed=60, workers=2)


def test_schedule_has_kills_every_few_seconds_two_odoo_outages_with_slow_shoulders_and_one_database_restart() -> None:
    options = ChaosOptions(seed=3, kill_every=4.0)
    plan = plan_chaos(options, window=WINDOW, speed=60, workers=3)
    kills = [e for e in plan if e.kind == "kill_worker"]
    gaps = [b.at - a.at for a, b in zip(kills, kills[1:], strict=False)]
    assert all(2 * 60 <= gap <= 6 * 60 for gap in gaps)  # 0.5–1.5 × 4 real s at 60×
    assert len(kills) >= WINDOW / (6 * 60) - 1 and {e.worker for e in kills} <= {0, 1, 2}
    downs = [e for e in plan if e.kind == "odoo_down"]
    assert len(downs) == 2 and all(3 * 60 <= e.seconds <= 6 * 60 for e in downs)
    assert downs[0].end <= WINDOW / 2 <= downs[1].at  # one in each half
    for down in downs:  # slow and answering 503 just before and just after
        assert any(e.kind == "odoo_slow" and e.end == down.at for e in plan)
        assert any(e.kind == "odoo_slow" and e.at == down.end for e in plan)
    restarts = [e for e in plan if e.kind == "database_down"]
    assert len(restarts) == 1 and 0 < restarts[0].at < WINDOW and 3 <= restarts[0].real_seconds <= 6
    assert [e.at for e in plan] == sorted(e.at for e in plan)


def order(oid: str, channel: str = "MFN", packages: int = 0) -> dict[str, Any]:
    return {"amazonOrderId": oid, "fulfillmentChannel": channel, "packages": [{}] * packages}


def test_each_validated_delivery_is_one_package_on_amazon_and_no_other_order_has_one() -> None:
    orders = [order("A", packages=1), order("B", packages=2), order("C"), order("D", packages=1),
              order("E", "AFN", packages=1)]
    problems = shipment_problems(orders, {"A": 1, "B": 1, "C": 1})
    assert problems == ["B: 1 deliveries validated in Odoo, 2 confirmed to Amazon",
                        "C: 1 deliveries validated in Odoo, 0 confirmed to Amazon",
                        "D: 0 deliveries validated in Odoo, 1 confirmed to Amazon"]


def test_verdict_fails_on_any_difference() -> None:
    assert verdict(reconciled=True, differences=0, oversells=0, shipment_issues=[], unrecovered=0).ok
    for bad in ({"reconciled": False, "differences": 1}, {"oversells": 1}, {"shipment_issues": ["x"]},
                {"unrecovered": 1}):
        args: dict[str, Any] = {"reconciled": True, "differences": 0, "oversells": 0, "shipment_issues": [],
                                "unrecovered": 0, **bad}
        result = verdict(**args)
        assert not result.ok and len(result.problems) == 1
