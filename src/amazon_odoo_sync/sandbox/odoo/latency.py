"""How long a real Odoo 18 takes per call, scaled by ``scale`` (0 = instant, 1 = realistic).

Base figures: a pristine Odoo 18.0 Community (sale_management, sale_stock, account,
stock_delivery; 2 HTTP workers, 2 shared cores, JSON-RPC over HTTP), #18. Raw batches of 50 (50
delivery partners in one create, 50 orders of 2-3 lines in one create, one action_confirm): 1
client 31.3-31.7 orders/s, 2 clients 57.9-61.0 (two workers: ``workers=2`` for that Odoo); one
order at a time (partner, order, confirmation) 7.9-9.0 orders/s. Per record in batches, from
the connector's drain on the same Odoo: action_confirm ~17-28 ms/order (27.6 under two drains),
sale.order.create ~8.7 ms/order, res.partner.create ~3.6 ms, FBA button_validate ~10 ms/picking,
``load`` of date_order ~1.6 ms/order. Earlier single-call figures (``--workers 0``): search_read
of 100 rows with 5 fields ~16 ms but ~0.5-0.7 s with all fields; a trivial call ~10 ms.
Each call costs ``first`` for the first record plus ``each`` per further record (``model.method``
entries win over ``method`` ones), plus a per-row cost for what ``read``/``search_read`` return,
times a log-normal jitter.
``workers`` bounds how many calls the emulated server works on at once (a 2-core box does not
run 50 confirmations in parallel), so latency grows under load as it does for the real thing.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

__all__ = ["DEFAULT_COSTS", "Cost", "LatencyModel"]


@dataclass(frozen=True, kw_only=True)
class Cost:
    first: float
    each: float = 0.0


DEFAULT_COSTS: dict[str, Cost] = {
    "version": Cost(first=0.003),
    "authenticate": Cost(first=0.030),
    "login": Cost(first=0.030),
    "read": Cost(first=0.010),
    "search": Cost(first=0.010),
    "search_read": Cost(first=0.012),
    "search_count": Cost(first=0.010),
    "name_search": Cost(first=0.012),
    "read_group": Cost(first=0.025),
    "fields_get": Cost(first=0.030),
    "default_get": Cost(first=0.015),
    "create": Cost(first=0.040, each=0.008),
    "sale.order.create": Cost(first=0.035, each=0.0087),
    "res.partner.create": Cost(first=0.015, each=0.0036),
    "write": Cost(first=0.035, each=0.004),
    "load": Cost(first=0.027, each=0.0016),  # .id + date_order rows on sale orders
    "unlink": Cost(first=0.040, each=0.008),
    # one at a time 118 ms/order = partner 15 + order 35 + confirmation 68; a batch of 50 1.59 s
    "action_confirm": Cost(first=0.068, each=0.0177),
    "action_cancel": Cost(first=0.080, each=0.040),
    "button_validate": Cost(first=0.080, each=0.010),
    "action_assign": Cost(first=0.060, each=0.030),
    "action_post": Cost(first=0.100, each=0.040),
    "action_apply_inventory": Cost(first=0.080, each=0.012),
    "create_invoices": Cost(first=0.250, each=0.120),
    "reconcile": Cost(first=0.090, each=0.020),
    "*": Cost(first=0.060, each=0.010),
}


@dataclass
class LatencyModel:
    scale: float = 0.0
    jitter: float = 0.25
    workers: int = 3
    costs: dict[str, Cost] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    seed: int | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    #: Seconds per row returned by read/search_read, with a field list / without (all fields).
    row_cost: float = 0.00005
    row_cost_all_fields: float = 0.006

    def delay(self, method: str, records: int = 1, model: str | None = None) -> float:
        """Seconds one call should take before it runs (0 when ``scale`` is 0)."""
        if self.scale <= 0:
            return 0.0
        cost = self.costs.get(f"{model}.{method}") or self.costs.get(method) or self.costs["*"]
        base = cost.first + cost.each * max(0, records - 1)
        return base * self._jitter() * self.scale

    def rows_delay(self, rows: int, all_fields: bool) -> float:
        """Seconds for returning ``rows`` records (reading every field is what makes Odoo slow)."""
        if self.scale <= 0 or rows <= 0:
            return 0.0
        per_row = self.row_cost_all_fields if all_fields else self.row_cost
        return rows * per_row * self._jitter() * self.scale

    def _jitter(self) -> float:
        factor = math.exp(self._random.gauss(0.0, self.jitter)) if self.jitter > 0 else 1.0
        return min(max(factor, 0.5), 3.0)

    def backoff(self, attempt: int) -> float:
        """Odoo's own wait before re-running a call after a serialization failure."""
        return self._random.uniform(0.0, 2.0 ** attempt) * self.scale
