"""The demo's closing lines: which Amazon orders are not in the table and why; /metrics totals."""

from __future__ import annotations

from typing import Any

from amazon_odoo_sync.demo.summary import count_orders, summarise_metrics


def amazon(order_id: str, status: str, channel: str = "MFN") -> dict[str, Any]:
    return {"amazonOrderId": order_id, "status": status, "fulfillmentChannel": channel}


def test_every_order_left_out_of_the_table_is_accounted_for_with_its_reason() -> None:
    orders = [amazon("1", "Shipped"), amazon("2", "Unshipped"), amazon("3", "Shipped", "AFN"),
              amazon("4", "Canceled"), amazon("5", "Canceled"), amazon("6", "Canceled", "AFN"),
              amazon("7", "Pending", "AFN")]
    odoo = [{"client_order_ref": "1", "state": "sale"}, {"client_order_ref": "4", "state": "cancel"}]

    counts = count_orders(orders, odoo)

    assert (counts.placed, counts.in_odoo, counts.canceled_after_import) == (7, 3, 1)
    assert counts.in_odoo + sum(counts.left_out.values()) == counts.placed
    assert counts.sentence() == (
        "7 orders placed on Amazon: 3 belong in Odoo (the table); 4 do not: "
        "3 Canceled (1 after import: cancelled in Odoo too); "
        "1 still Pending (not paid yet: no prices, nothing to import).")


def test_canceled_orders_say_whether_they_had_been_imported() -> None:
    before = count_orders([amazon("1", "Canceled"), amazon("2", "Shipped")], [])
    after = count_orders([amazon("1", "Canceled")], [{"client_order_ref": "1", "state": "cancel"}])
    assert before.sentence().endswith("; 1 do not: 1 Canceled before import.")
    assert after.sentence().endswith("; 1 do not: 1 Canceled after import (cancelled in Odoo too).")


def test_nothing_left_out_says_so_briefly() -> None:
    assert count_orders([amazon("1", "Shipped")], []).sentence() == (
        "1 order placed on Amazon: 1 belongs in Odoo (the table).")


EXPOSITION = """\
# TYPE aos_spapi_calls_total counter
aos_spapi_calls_total{account="eu",operation="orders.searchOrders",status="200"} 40.0
aos_spapi_calls_total{account="us",operation="orders.getOrder",status="429"} 2.0
# TYPE aos_spapi_throttled_total counter
aos_spapi_throttled_total{account="us",operation="orders.getOrder"} 2.0
# TYPE aos_odoo_calls_total counter
aos_odoo_calls_total{method="create",model="sale.order",outcome="ok"} 10.0
# TYPE aos_job_runs_total counter
aos_job_runs_total{outcome="succeeded",queue="orders",task="a"} 7.0
aos_job_runs_total{outcome="succeeded",queue="stock",task="b"} 3.0
aos_job_runs_total{outcome="retry",queue="orders",task="a"} 2.0
# TYPE aos_jobs gauge
aos_jobs{queue="orders",state="todo"} 5.0
"""


def test_metrics_totals_add_up_every_series() -> None:
    assert summarise_metrics(EXPOSITION).sentence() == (
        "42 SP-API calls (2 answered 429), 10 Odoo calls, 12 job runs "
        "(10 succeeded, 2 to be retried, 0 failed)")
