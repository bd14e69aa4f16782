"""Usage plans: one token bucket per (seller, operation), with Amazon's default rate and burst.

The defaults are Amazon's published usage plans (``usage-plans.tsv`` in Amazon's models),
encoded here so the simulator does not read the models at run time. An operation is named
``"<model>:<operationId>"`` (model file stem), because ``getOrder`` exists in two APIs.

Buckets refill in *real* time (``monotonic``), the time the connector's governor lives in;
``scale`` multiplies every rate (demo scenarios use it, like a seller granted a higher plan),
and the ``x-amzn-RateLimit-Limit`` header reports the scaled rate, as Amazon reports the plan
actually applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["USAGE_PLANS", "RateLimiter", "UsagePlan"]


@dataclass(frozen=True, kw_only=True)
class UsagePlan:
    rate: float  # requests per second
    burst: int


def _p(rate: float, burst: int) -> UsagePlan:
    return UsagePlan(rate=rate, burst=burst)


#: Amazon's default usage plans (rate/s, burst) for the operations the simulator serves.
USAGE_PLANS: dict[str, UsagePlan] = {
    "orders_2026-01-01:searchOrders": _p(0.0056, 20),
    "orders_2026-01-01:getOrder": _p(0.5, 30),
    "ordersV0:getOrders": _p(0.0167, 20),
    "ordersV0:getOrder": _p(0.5, 30),
    "ordersV0:getOrderBuyerInfo": _p(0.5, 30),
    "ordersV0:getOrderAddress": _p(0.5, 30),
    "ordersV0:getOrderItems": _p(0.5, 30),
    "ordersV0:getOrderItemsBuyerInfo": _p(0.5, 30),
    "ordersV0:updateShipmentStatus": _p(5, 15),
    "ordersV0:confirmShipment": _p(2, 10),
    "listingsItems_2021-08-01:deleteListingsItem": _p(5, 5),
    "listingsItems_2021-08-01:getListingsItem": _p(5, 10),
    "listingsItems_2021-08-01:patchListingsItem": _p(5, 5),
    "listingsItems_2021-08-01:putListingsItem": _p(5, 10),
    "listingsItems_2021-08-01:searchListingsItems": _p(5, 5),
    "feeds_2021-06-30:getFeeds": _p(0.0222, 10),
    "feeds_2021-06-30:createFeed": _p(0.0083, 15),
    "feeds_2021-06-30:cancelFeed": _p(2, 15),
    "feeds_2021-06-30:getFeed": _p(2, 15),
    "feeds_2021-06-30:createFeedDocument": _p(0.5, 15),
    "feeds_2021-06-30:getFeedDocument": _p(0.0222, 10),
    "reports_2021-06-30:getReports": _p(0.0222, 10),
    "reports_2021-06-30:createReport": _p(0.0167, 15),
    "reports_2021-06-30:cancelReport": _p(0.0222, 10),
    "reports_2021-06-30:getReport": _p(2, 15),
    "reports_2021-06-30:getReportSchedules": _p(0.0222, 10),
    "reports_2021-06-30:createReportSchedule": _p(0.0222, 10),
    "reports_2021-06-30:cancelReportSchedule": _p(0.0222, 10),
    "reports_2021-06-30:getReportSchedule": _p(0.0222, 10),
    "reports_2021-06-30:getReportDocument": _p(0.0167, 15),
    "fbaInventory:getInventorySummaries": _p(2, 2),
    "notifications:getSubscriptions": _p(1, 5),
    "notifications:getSubscription": _p(1, 5),
    "notifications:createSubscription": _p(1, 5),
    "notifications:getSubscriptionById": _p(1, 5),
    "notifications:deleteSubscriptionById": _p(1, 5),
    "notifications:sendTestNotification": _p(1, 5),
    "notifications:getDestinations": _p(1, 5),
    "notifications:createDestination": _p(1, 5),
    "notifications:getDestination": _p(1, 5),
    "notifications:deleteDestination": _p(1, 5),
    "definitionsProductTypes_2020-09-01:searchDefinitionsProductTypes": _p(5, 10),
    "definitionsProductTypes_2020-09-01:getDefinitionsProductType": _p(5, 10),
    "catalogItems_2022-04-01:searchCatalogItems": _p(2, 2),
    "catalogItems_2022-04-01:getCatalogItem": _p(2, 2),
    "financesV0:listFinancialEventGroups": _p(0.5, 30),
    "financesV0:listFinancialEventsByGroupId": _p(0.5, 30),
    "financesV0:listFinancialEventsByOrderId": _p(0.5, 30),
    "financesV0:listFinancialEvents": _p(0.5, 30),
    "sellers:getMarketplaceParticipations": _p(0.016, 15),
    "sellers:getAccount": _p(0.016, 15),
    "tokens_2021-03-01:createRestrictedDataToken": _p(1, 10),
}


class RateLimiter:
    """Token buckets keyed by (seller, operation); a bucket starts full (``burst`` tokens)."""

    def __init__(self, *, scale: float = 1.0, enabled: bool = True,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.scale = scale
        self.enabled = enabled
        self.monotonic = monotonic
        self._buckets: dict[tuple[str, str], list[float]] = {}  # → [tokens, last refill]
        #: Calls per operation, and those answered 429 because the caller exceeded the quota (not
        #: injected faults): the connector's own pacing misses, which benches report apart.
        self.calls: dict[str, int] = {}
        self.quota_exceeded: dict[str, int] = {}

    def plan(self, operation: str) -> UsagePlan:
        """The applied plan: Amazon's default with the rate scaled. KeyError for unknown names."""
        base = USAGE_PLANS[operation]
        return UsagePlan(rate=base.rate * self.scale, burst=base.burst)

    def header(self, operation: str) -> str:
        """The value of ``x-amzn-RateLimit-Limit`` for ``operation``."""
        return f"{self.plan(operation).rate:g}"

    def acquire(self, seller_id: str, operation: str) -> bool:
        """Take one token; False when the bucket is empty (the caller answers 429)."""
        self.calls[operation] = self.calls.get(operation, 0) + 1
        if not self.enabled:
            return True
        plan = self.plan(operation)
        now = self.monotonic()
        bucket = self._buckets.get((seller_id, operation))
        if bucket is None:
            bucket = self._buckets[(seller_id, operation)] = [float(plan.burst), now]
        else:
            bucket[0] = min(float(plan.burst), bucket[0] + (now - bucket[1]) * plan.rate)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return True
        self.quota_exceeded[operation] = self.quota_exceeded.get(operation, 0) + 1
        return False

    def reset(self) -> None:
        """Refill every bucket (tests, admin)."""
        self._buckets.clear()
