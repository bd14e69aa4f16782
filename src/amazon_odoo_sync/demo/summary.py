"""What the demo says at its end besides the reconciliation table: why some Amazon orders are not
in it, and what ``/metrics`` counted across the processes.

Pure functions over the simulator's ``/_sim/orders`` rows, Odoo's sale order rows and the
exposition text, so what the demo prints is tested without running it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from .reconcile import expected_in_odoo

__all__ = ["MetricsSummary", "OrderCounts", "count_orders", "summarise_metrics"]

#: Why an order Amazon has is not one Odoo should have (reconcile.expected_in_odoo), in words.
_REASONS = {
    "Pending": "still Pending (not paid yet: no prices, nothing to import)",
    "Canceled": "Canceled",
}


@dataclass(frozen=True, kw_only=True)
class OrderCounts:
    placed: int
    in_odoo: int  # the reconciliation table's Amazon orders
    #: (status, channel) → orders Amazon has that do not belong in Odoo.
    left_out: Mapping[tuple[str, str], int] = field(default_factory=dict)
    #: Canceled orders that were imported first: their Odoo order is cancelled too.
    canceled_after_import: int = 0

    def sentence(self) -> str:
        """"538 orders placed on Amazon: 528 belong in Odoo (the table); 10 do not: ..."."""
        text = (f"{self.placed} order{'' if self.placed == 1 else 's'} placed on Amazon: "
                f"{self.in_odoo} belong{'s' if self.in_odoo == 1 else ''} in Odoo (the table)")
        if not self.left_out:
            return text + "."
        by_status = Counter[str]()
        for (status, channel), n in self.left_out.items():
            key = status if status in _REASONS else f"{status} ({'FBA' if channel == 'AFN' else 'FBM'})"
            by_status[key] += n
        parts = []
        for status, n in sorted(by_status.items(), key=lambda item: (-item[1], item[0])):
            words = _REASONS.get(status, f"{status}, not yet importable")
            if status == "Canceled":
                after = self.canceled_after_import
                words += (" before import" if not after else " after import (cancelled in Odoo too)" if after == n
                          else f" ({after} after import: cancelled in Odoo too)")
            parts.append(f"{n} {words}")
        return f"{text}; {sum(self.left_out.values())} do not: " + "; ".join(parts) + "."


def count_orders(amazon_orders: Iterable[Mapping[str, Any]], odoo_orders: Iterable[Mapping[str, Any]]) -> OrderCounts:
    """``amazon_orders``: ``/_sim/orders`` rows; ``odoo_orders``: sale.order rows with
    ``client_order_ref`` and ``state``."""
    cancelled_in_odoo = {str(row["client_order_ref"]) for row in odoo_orders
                         if row.get("state") == "cancel" and row.get("client_order_ref")}
    placed = in_odoo = after_import = 0
    left_out: Counter[tuple[str, str]] = Counter()
    for order in amazon_orders:
        placed += 1
        if expected_in_odoo(order):
            in_odoo += 1
            continue
        left_out[(str(order["status"]), str(order["fulfillmentChannel"]))] += 1
        if order["status"] == "Canceled" and str(order["amazonOrderId"]) in cancelled_in_odoo:
            after_import += 1
    return OrderCounts(placed=placed, in_odoo=in_odoo, left_out=dict(left_out), canceled_after_import=after_import)


@dataclass(frozen=True, kw_only=True)
class MetricsSummary:
    spapi_calls: float = 0
    spapi_throttled: float = 0
    odoo_calls: float = 0
    job_runs: Mapping[str, float] = field(default_factory=dict)  # outcome → runs

    def sentence(self) -> str:
        runs = self.job_runs
        return (f"{self.spapi_calls:,.0f} SP-API calls ({self.spapi_throttled:,.0f} answered 429), "
                f"{self.odoo_calls:,.0f} Odoo calls, {sum(runs.values()):,.0f} job runs "
                f"({runs.get('succeeded', 0):,.0f} succeeded, {runs.get('retry', 0):,.0f} to be retried, "
                f"{runs.get('failed', 0):,.0f} failed)")


def summarise_metrics(text: str) -> MetricsSummary:
    """Totals of the Prometheus exposition ``text`` (``/metrics``)."""
    totals: defaultdict[str, float] = defaultdict(float)
    runs: defaultdict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "aos_job_runs_total":
                runs[sample.labels["outcome"]] += sample.value
            elif sample.name in ("aos_spapi_calls_total", "aos_spapi_throttled_total", "aos_odoo_calls_total"):
                totals[sample.name] += sample.value
    return MetricsSummary(spapi_calls=totals["aos_spapi_calls_total"],
                          spapi_throttled=totals["aos_spapi_throttled_total"],
                          odoo_calls=totals["aos_odoo_calls_total"], job_runs=dict(runs))
