"""SP-API operations we call, with Amazon's default usage plan (rate per second, burst).

Values come from Amazon's published models (``usage-plans.tsv`` in the shared models) and are
encoded here so the service needs no model files at run time; a unit test keeps them equal to
the file. Amazon may grant a different rate per seller: the ``x-amzn-RateLimit-Limit`` response
header overrides ``rate`` in the governor (see :mod:`.governor`).

Operation keys are ``"<api>.<operationId>"``: ``operationId`` alone is ambiguous (``getOrder``
exists in Orders v0 and Orders 2026-01-01). ``api`` is also the unit of the circuit breaker.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["API_MODELS", "NOTIFICATIONS_SCOPE", "OPERATIONS", "OperationSpec", "operation"]

#: Our short API name → Amazon's model file.
API_MODELS: dict[str, str] = {
    "orders": "orders_2026-01-01.json",
    "ordersV0": "ordersV0.json",
    "listings": "listingsItems_2021-08-01.json",
    "feeds": "feeds_2021-06-30.json",
    "reports": "reports_2021-06-30.json",
    "fbaInventory": "fbaInventory.json",
    "notifications": "notifications.json",
    "financesV0": "financesV0.json",
    "finances": "finances_2024-06-19.json",
}


@dataclass(frozen=True, kw_only=True)
class OperationSpec:
    api: str
    operation_id: str
    method: str
    path: str
    rate: float
    burst: int
    #: LWA scope for grantless operations (client-credentials token, no seller refresh token).
    scope: str | None = None

    @property
    def key(self) -> str:
        return f"{self.api}.{self.operation_id}"

    @property
    def model(self) -> str:
        return API_MODELS[self.api]


def _op(api: str, operation_id: str, method: str, path: str, rate: float, burst: int,
        scope: str | None = None) -> OperationSpec:
    return OperationSpec(api=api, operation_id=operation_id, method=method, path=path, rate=rate,
                         burst=burst, scope=scope)


#: Grantless notifications operations (destinations, subscriptions by id) use this LWA scope.
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"


_O26 = "/orders/2026-01-01"
_OV0 = "/orders/v0/orders"
_LST = "/listings/2021-08-01/items"
_FDS = "/feeds/2021-06-30"
_RPT = "/reports/2021-06-30"
_NTF = "/notifications/v1"
_FV0 = "/finances/v0"

_ALL: tuple[OperationSpec, ...] = (
    _op("orders", "searchOrders", "GET", f"{_O26}/orders", 0.0056, 20),
    _op("orders", "getOrder", "GET", f"{_O26}/orders/{{orderId}}", 0.5, 30),
    _op("ordersV0", "getOrders", "GET", _OV0, 0.0167, 20),
    _op("ordersV0", "getOrder", "GET", f"{_OV0}/{{orderId}}", 0.5, 30),
    _op("ordersV0", "getOrderItems", "GET", f"{_OV0}/{{orderId}}/orderItems", 0.5, 30),
    _op("ordersV0", "getOrderAddress", "GET", f"{_OV0}/{{orderId}}/address", 0.5, 30),
    _op("ordersV0", "getOrderBuyerInfo", "GET", f"{_OV0}/{{orderId}}/buyerInfo", 0.5, 30),
    _op("ordersV0", "confirmShipment", "POST", f"{_OV0}/{{orderId}}/shipmentConfirmation", 2, 10),
    _op("ordersV0", "updateShipmentStatus", "POST", f"{_OV0}/{{orderId}}/shipment", 5, 15),
    _op("listings", "getListingsItem", "GET", f"{_LST}/{{sellerId}}/{{sku}}", 5, 10),
    _op("listings", "patchListingsItem", "PATCH", f"{_LST}/{{sellerId}}/{{sku}}", 5, 5),
    _op("listings", "searchListingsItems", "GET", f"{_LST}/{{sellerId}}", 5, 5),
    _op("feeds", "getFeeds", "GET", f"{_FDS}/feeds", 0.0222, 10),
    _op("feeds", "createFeed", "POST", f"{_FDS}/feeds", 0.0083, 15),
    _op("feeds", "cancelFeed", "DELETE", f"{_FDS}/feeds/{{feedId}}", 2, 15),
    _op("feeds", "getFeed", "GET", f"{_FDS}/feeds/{{feedId}}", 2, 15),
    _op("feeds", "createFeedDocument", "POST", f"{_FDS}/documents", 0.5, 15),
    _op("feeds", "getFeedDocument", "GET", f"{_FDS}/documents/{{feedDocumentId}}", 0.0222, 10),
    _op("reports", "createReport", "POST", f"{_RPT}/reports", 0.0167, 15),
    _op("reports", "getReports", "GET", f"{_RPT}/reports", 0.0222, 10),
    _op("reports", "getReport", "GET", f"{_RPT}/reports/{{reportId}}", 2, 15),
    _op("reports", "getReportDocument", "GET", f"{_RPT}/documents/{{reportDocumentId}}", 0.0167, 15),
    _op("fbaInventory", "getInventorySummaries", "GET", "/fba/inventory/v1/summaries", 2, 2),
    _op("notifications", "getDestinations", "GET", f"{_NTF}/destinations", 1, 5, NOTIFICATIONS_SCOPE),
    _op("notifications", "createDestination", "POST", f"{_NTF}/destinations", 1, 5, NOTIFICATIONS_SCOPE),
    _op("notifications", "getDestination", "GET", f"{_NTF}/destinations/{{destinationId}}", 1, 5,
        NOTIFICATIONS_SCOPE),
    _op("notifications", "deleteDestination", "DELETE", f"{_NTF}/destinations/{{destinationId}}", 1, 5,
        NOTIFICATIONS_SCOPE),
    _op("notifications", "getSubscription", "GET", f"{_NTF}/subscriptions/{{notificationType}}", 1, 5),
    _op("notifications", "createSubscription", "POST", f"{_NTF}/subscriptions/{{notificationType}}", 1, 5),
    _op("notifications", "getSubscriptionById", "GET",
        f"{_NTF}/subscriptions/{{notificationType}}/{{subscriptionId}}", 1, 5, NOTIFICATIONS_SCOPE),
    _op("notifications", "deleteSubscriptionById", "DELETE",
        f"{_NTF}/subscriptions/{{notificationType}}/{{subscriptionId}}", 1, 5, NOTIFICATIONS_SCOPE),
    _op("financesV0", "listFinancialEventGroups", "GET", f"{_FV0}/financialEventGroups", 0.5, 30),
    _op("financesV0", "listFinancialEventsByGroupId", "GET",
        f"{_FV0}/financialEventGroups/{{eventGroupId}}/financialEvents", 0.5, 30),
    _op("financesV0", "listFinancialEventsByOrderId", "GET", f"{_FV0}/orders/{{orderId}}/financialEvents",
        0.5, 30),
    _op("financesV0", "listFinancialEvents", "GET", f"{_FV0}/financialEvents", 0.5, 30),
    _op("finances", "listTransactions", "GET", "/finances/2024-06-19/transactions", 0.5, 10),
)

#: Operation key ("orders.searchOrders") → spec.
OPERATIONS: dict[str, OperationSpec] = {spec.key: spec for spec in _ALL}


def operation(key: str) -> OperationSpec:
    """The spec for ``key``; KeyError names the key and lists what is known."""
    try:
        return OPERATIONS[key]
    except KeyError:
        raise KeyError(f"unknown SP-API operation {key!r}; known: {', '.join(sorted(OPERATIONS))}"
                       ) from None
