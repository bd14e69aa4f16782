"""Notifications API of the simulator: destinations, subscriptions and a delivery worker.

Amazon delivers notifications to an SQS queue or EventBridge only. The simulator models the SQS
kind: a destination names an SQS ARN, and :class:`DeliveryRoutes` says where that ARN really goes:

* an ``http(s)://`` URL: the notification JSON is POSTed there (the simulator's extension, so the
  connector's HTTP endpoint can be tested without SQS), signed with ``http_secret`` as a
  forwarder would;
* ``sqs+http(s)://host/account/queue``: ``SendMessage`` (SQS query API) to that SQS-compatible
  queue (ElasticMQ, LocalStack);
* nothing configured: the simulator's own queue (:class:`SqsQueues`, served under ``/_sqs/``), which
  the connector's SQS poller can read with ``ReceiveMessage``/``DeleteMessage``.

Faults (drop, duplicate, reorder, delay) are drawn from a seeded ``random.Random`` so a scenario
replays the same way. Delivery happens when :meth:`NotificationHub.deliver_due` runs (a background
loop in the app, or a test calling it directly); failed HTTP deliveries are retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import random
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from amazon_odoo_sync.logs import get_logger
from amazon_odoo_sync.sandbox.spapi.documents import Now

__all__ = [
    "CAMEL_CASE_TYPES",
    "PAYLOAD_VERSIONS",
    "DeliveryRecord",
    "DeliveryRoutes",
    "Destination",
    "NotificationError",
    "NotificationFaults",
    "NotificationHub",
    "SqsMessage",
    "SqsQueues",
    "Subscription",
    "envelope",
    "fba_inventory_payload",
    "feed_finished_payload",
    "iso",
    "listings_issues_payload",
    "listings_status_payload",
    "order_change_payload",
    "report_finished_payload",
]

#: Notification types the simulator publishes, with the payload version Amazon uses for each.
PAYLOAD_VERSIONS: dict[str, str] = {
    "ORDER_CHANGE": "1.0",
    "FBA_INVENTORY_AVAILABILITY_CHANGES": "1.0",
    "LISTINGS_ITEM_STATUS_CHANGE": "1.0",
    "LISTINGS_ITEM_MFN_QUANTITY_CHANGE": "1.0",
    "LISTINGS_ITEM_ISSUES_CHANGE": "1.0",
    "FEED_PROCESSING_FINISHED": "2020-09-04",
    "REPORT_PROCESSING_FINISHED": "2020-09-04",
}
#: These two use camelCase envelope keys (``notificationType``); the others PascalCase.
CAMEL_CASE_TYPES = frozenset({"FEED_PROCESSING_FINISHED", "REPORT_PROCESSING_FINISHED"})

_SQS_ARN_PREFIX = "arn:aws:sqs:"
_log = get_logger(__name__)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, as Amazon writes notification times."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class NotificationError(Exception):
    """A request the Notifications API refuses; ``status`` and ``code`` as Amazon returns them."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"errors": [{"code": self.code, "message": self.message}]}


# --------------------------------------------------------------------------- payloads


def envelope(
    notification_type: str,
    payload: Mapping[str, Any],
    *,
    application_id: str,
    subscription_id: str,
    notification_id: str,
    event_time: datetime,
    publish_time: datetime,
    payload_version: str | None = None,
) -> dict[str, Any]:
    """The whole notification as Amazon sends it (the SQS message body)."""
    version = payload_version or PAYLOAD_VERSIONS[notification_type]
    if notification_type in CAMEL_CASE_TYPES:
        return {
            "notificationVersion": version,
            "notificationType": notification_type,
            "payloadVersion": version,
            "eventTime": iso(event_time),
            "payload": dict(payload),
            "notificationMetadata": {
                "applicationId": application_id,
                "subscriptionId": subscription_id,
                "publishTime": iso(publish_time),
                "notificationId": notification_id,
            },
        }
    return {
        "NotificationVersion": "1.0",
        "NotificationType": notification_type,
        "PayloadVersion": version,
        "EventTime": iso(event_time),
        "Payload": dict(payload),
        "NotificationMetadata": {
            "ApplicationId": application_id,
            "SubscriptionId": subscription_id,
            "PublishTime": iso(publish_time),
            "NotificationId": notification_id,
        },
    }


def order_change_payload(
    *,
    seller_id: str,
    amazon_order_id: str,
    marketplace_id: str,
    order_status: str,
    purchase_date: datetime,
    fulfillment_type: str,
    items: Iterable[Mapping[str, Any]],
    change_type: str = "OrderStatusChange",
    change_reason: str = "Order status changed",
    time_of_change: datetime | None = None,
    postal_code: str | None = None,
    order_type: str = "StandardOrder",
    programs: Iterable[str] = (),
) -> dict[str, Any]:
    """``ORDER_CHANGE`` payload. ``items``: mappings with OrderItemId, SellerSKU, Quantity and
    optionally QuantityShipped, SupplySourceId, OrderItemStatus, IsBuyerRequestedCancel."""
    order_items = []
    shipped = unshipped = 0
    for item in items:
        qty = int(item["Quantity"])
        qty_shipped = int(item.get("QuantityShipped", 0))
        shipped += qty_shipped
        unshipped += qty - qty_shipped
        row: dict[str, Any] = {
            "OrderItemId": str(item["OrderItemId"]),
            "SellerSKU": str(item["SellerSKU"]),
            "SupplySourceId": item.get("SupplySourceId"),
            "OrderItemStatus": "Shipped" if qty_shipped >= qty else "Unshipped",
            "Quantity": qty,
            "QuantityShipped": qty_shipped,
        }
        if "IsBuyerRequestedCancel" in item:
            row["IsBuyerRequestedCancel"] = bool(item["IsBuyerRequestedCancel"])
        order_items.append(row)
    summary: dict[str, Any] = {
        "MarketplaceId": marketplace_id,
        "OrderStatus": order_status,
        "PurchaseDate": iso(purchase_date),
        "DestinationPostalCode": postal_code,
        "FulfillmentType": fulfillment_type,
        "OrderType": order_type,
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": unshipped,
        "OrderItems": order_items,
    }
    if programs:
        summary["OrderPrograms"] = list(programs)
    return {
        "OrderChangeNotification": {
            "NotificationLevel": "OrderLevel",
            "SellerId": seller_id,
            "AmazonOrderId": amazon_order_id,
            "OrderChangeType": change_type,
            "OrderChangeTrigger": {
                "TimeOfOrderChange": iso(time_of_change) if time_of_change else None,
                "ChangeReason": change_reason,
            },
            "Summary": summary,
        }
    }


def fba_inventory_payload(
    *,
    seller_id: str,
    sku: str,
    fnsku: str,
    asin: str,
    marketplace_id: str,
    item_name: str,
    fulfillable: int,
    unfulfillable: int = 0,
    researching: int = 0,
    inbound_working: int = 0,
    inbound_shipped: int = 0,
    inbound_receiving: int = 0,
    reserved_pending_customer_order: int = 0,
    reserved_transfer: int = 0,
    reserved_processing: int = 0,
) -> dict[str, Any]:
    """``FBA_INVENTORY_AVAILABILITY_CHANGES`` payload for one SKU in one marketplace."""
    return {
        "SellerId": seller_id,
        "FNSKU": fnsku,
        "ASIN": asin,
        "SKU": sku,
        "FulfillmentInventoryByMarketplace": [
            {
                "MarketplaceId": marketplace_id,
                "ItemName": item_name,
                "FulfillmentInventory": {
                    "InboundQuantityBreakdown": {
                        "Working": inbound_working,
                        "Shipped": inbound_shipped,
                        "Receiving": inbound_receiving,
                    },
                    "Fulfillable": fulfillable,
                    "Unfulfillable": unfulfillable,
                    "Researching": researching,
                    "ReservedQuantityBreakdown": {
                        "WarehouseProcessing": reserved_processing,
                        "WarehouseTransfer": reserved_transfer,
                        "PendingCustomerOrder": reserved_pending_customer_order,
                    },
                    "FutureSupplyBuyable": 0,
                    "PendingCustomerOrderInTransit": 0,
                },
            }
        ],
    }


def listings_status_payload(
    *,
    seller_id: str,
    sku: str,
    status: Iterable[str],
    marketplace_id: str | None = None,
    asin: str | None = None,
    created: datetime | None = None,
) -> dict[str, Any]:
    """``LISTINGS_ITEM_STATUS_CHANGE`` payload (status among BUYABLE, DISCOVERABLE, DELETED)."""
    payload: dict[str, Any] = {"SellerId": seller_id, "Sku": sku, "Status": sorted(set(status))}
    if marketplace_id:
        payload["MarketplaceId"] = marketplace_id
    if asin:
        payload["Asin"] = asin
    if created:
        payload["CreatedDate"] = iso(created)
    return payload


def listings_issues_payload(
    *,
    seller_id: str,
    marketplace_id: str,
    asin: str | None,
    sku: str,
    severities: Iterable[str],
    enforcement_actions: Iterable[str],
) -> dict[str, Any]:
    """``LISTINGS_ITEM_ISSUES_CHANGE`` payload: the severities of the listing's open issues and
    Amazon's enforcement actions (empty once every issue is resolved)."""
    payload: dict[str, Any] = {"SellerId": seller_id, "MarketplaceId": marketplace_id, "Sku": sku,
                               "Severities": sorted(set(severities)),
                               "EnforcementActions": sorted(set(enforcement_actions))}
    if asin:
        payload["Asin"] = asin
    return payload


def feed_finished_payload(
    *, seller_id: str, feed_id: str, feed_type: str, processing_status: str,
    result_feed_document_id: str | None,
) -> dict[str, Any]:
    return _processing_finished("feed", seller_id, feed_id, feed_type, processing_status,
                                "resultFeedDocumentId", result_feed_document_id)


def report_finished_payload(
    *, seller_id: str, report_id: str, report_type: str, processing_status: str,
    report_document_id: str | None,
) -> dict[str, Any]:
    return _processing_finished("report", seller_id, report_id, report_type, processing_status,
                                "reportDocumentId", report_document_id)


def _processing_finished(kind: str, seller_id: str, record_id: str, record_type: str,
                         processing_status: str, document_key: str,
                         document_id: str | None) -> dict[str, Any]:
    """FEED_PROCESSING_FINISHED / REPORT_PROCESSING_FINISHED payloads (``kind`` "feed"/"report")."""
    body: dict[str, Any] = {
        "sellerId": seller_id,
        "accountId": f"amzn1.merchant.o.{seller_id}",
        f"{kind}Id": record_id,
        f"{kind}Type": record_type,
        "processingStatus": processing_status,
    }
    if document_id:
        body[document_key] = document_id
    return {f"{kind}ProcessingFinishedNotification": body}


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, kw_only=True)
class Destination:
    destination_id: str
    name: str
    arn: str

    def to_json(self) -> dict[str, Any]:
        return {"destinationId": self.destination_id, "name": self.name,
                "resource": {"sqs": {"arn": self.arn}}}


@dataclass(frozen=True, kw_only=True)
class Subscription:
    subscription_id: str
    notification_type: str
    payload_version: str
    destination_id: str
    seller_id: str
    processing_directive: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "subscriptionId": self.subscription_id,
            "payloadVersion": self.payload_version,
            "destinationId": self.destination_id,
        }
        if self.processing_directive:
            body["processingDirective"] = dict(self.processing_directive)
        return body

    def accepts_marketplace(self, marketplace_id: str | None) -> bool:
        """Amazon's eventFilter.marketplaceIds (ORDER_CHANGE, ANY_OFFER_CHANGED)."""
        ids = ((self.processing_directive or {}).get("eventFilter") or {}).get("marketplaceIds")
        return not ids or marketplace_id is None or marketplace_id in ids


@dataclass(frozen=True, kw_only=True)
class NotificationFaults:
    """Delivery faults; rates are probabilities in [0, 1], drawn from ``seed``."""

    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    #: Chance a notification is held back and delivered after the next one.
    reorder_rate: float = 0.0
    delay_rate: float = 0.0
    max_delay_seconds: float = 0.0
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class DeliveryRoutes:
    """Where each SQS ARN really goes (see the module docstring). Unlisted ARNs: own queue."""

    targets: Mapping[str, str] = field(default_factory=dict)
    #: HTTP targets get ``X-AOS-Signature: sha256=<HMAC-SHA256 of the body>`` under this secret,
    #: as the connector's endpoint asks of a forwarder (Amazon itself never posts over HTTP).
    http_secret: str | None = None

    def target(self, arn: str) -> str | None:
        return self.targets.get(arn)


@dataclass(frozen=True, kw_only=True)
class DeliveryRecord:
    """One attempt's outcome, kept for tests and the admin view."""

    notification_id: str
    notification_type: str
    destination_id: str
    target: str
    outcome: str  # delivered | dropped | failed | retrying
    at: datetime
    detail: str = ""


@dataclass(kw_only=True)
class _Pending:
    seq: int
    due: datetime
    body: dict[str, Any]
    notification_type: str
    destination_id: str
    attempts: int = 0


# --------------------------------------------------------------------------- in-simulator SQS


@dataclass(kw_only=True)
class SqsMessage:
    message_id: str
    body: str
    md5: str
    sent_at: datetime
    receipt_handle: str = ""
    visible_at: datetime | None = None
    receive_count: int = 0
    first_received_at: datetime | None = None

    def attributes(self) -> dict[str, str]:
        """SQS's system attributes (epoch milliseconds, counts as strings, as SQS sends them)."""
        def ms(at: datetime | None) -> str:
            return str(int(at.timestamp() * 1000)) if at else "0"
        return {"ApproximateReceiveCount": str(self.receive_count), "SentTimestamp": ms(self.sent_at),
                "ApproximateFirstReceiveTimestamp": ms(self.first_received_at)}


class SqsQueues:
    """A tiny SQS: named queues with visibility timeouts. Queue name: ``account/queue``."""

    def __init__(self, clock: Now) -> None:
        self._clock = clock
        self._queues: dict[str, deque[SqsMessage]] = {}
        self._handles = itertools.count(1)
        #: Set when a message is sent: a long poll waiting on that queue wakes up.
        self._arrived: dict[str, asyncio.Event] = {}

    @staticmethod
    def name_for_arn(arn: str) -> str:
        parts = arn.split(":")
        return f"{parts[4]}/{parts[5]}" if len(parts) >= 6 else arn

    def send(self, queue: str, body: str) -> SqsMessage:
        msg = SqsMessage(message_id=str(uuid.uuid4()), body=body, sent_at=self._clock.now(),
                         md5=hashlib.md5(body.encode()).hexdigest())  # SQS reports MD5 of the body
        self._queues.setdefault(queue, deque()).append(msg)
        self._arrived.setdefault(queue, asyncio.Event()).set()
        return msg

    def receive(self, queue: str, *, max_messages: int = 1,
                visibility_timeout: float = 30.0) -> list[SqsMessage]:
        now = self._clock.now()
        out: list[SqsMessage] = []
        for msg in self._queues.get(queue, deque()):
            if len(out) >= max_messages:
                break
            if msg.visible_at is not None and msg.visible_at > now:
                continue
            msg.visible_at = now + timedelta(seconds=visibility_timeout)
            msg.receipt_handle = f"{msg.message_id}#{next(self._handles)}"
            msg.receive_count += 1
            msg.first_received_at = msg.first_received_at or now
            out.append(msg)
        return out

    async def receive_waiting(self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0,
                              wait_seconds: float = 0.0) -> list[SqsMessage]:
        """``ReceiveMessage`` with long polling: when nothing is visible, wait up to
        ``wait_seconds`` (real seconds, as SQS) and answer as soon as something is."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            arrived = self._arrived.setdefault(queue, asyncio.Event())
            arrived.clear()
            got = self.receive(queue, max_messages=max_messages, visibility_timeout=visibility_timeout)
            remaining = deadline - loop.time()
            if got or remaining <= 0:
                return got
            # A send wakes us; a visibility timeout running out (simulated clock) is seen by
            # looking again now and then.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), min(remaining, 0.25))

    def delete(self, queue: str, receipt_handle: str) -> bool:
        messages = self._queues.get(queue, deque())
        for msg in messages:
            if msg.receipt_handle == receipt_handle:
                messages.remove(msg)
                return True
        return False

    def depth(self, queue: str) -> int:
        return len(self._queues.get(queue, ()))

    def queues(self) -> list[str]:
        return sorted(self._queues)


# --------------------------------------------------------------------------- the hub


class NotificationHub:
    """Destinations, subscriptions and the outbox of one simulator."""

    def __init__(
        self,
        *,
        clock: Now,
        application_id: str = "amzn1.sellerapps.app.simulator",
        faults: NotificationFaults | None = None,
        routes: DeliveryRoutes | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 5,
        retry_seconds: float = 5.0,
    ) -> None:
        self.clock = clock
        self.application_id = application_id
        self._faults = faults or NotificationFaults()
        #: When set, read at every publish (the app wires it to ``sim.faults.config``).
        self.faults_provider: Callable[[], NotificationFaults] | None = None
        self.routes = routes or DeliveryRoutes()
        self.queues = SqsQueues(clock)
        self.transport = transport
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        self.destinations: dict[str, Destination] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.records: list[DeliveryRecord] = []
        self.published: list[dict[str, Any]] = []
        self._outbox: list[_Pending] = []
        self._held: _Pending | None = None  # reordering: waits for the next notification
        self._seq = itertools.count(1)
        self._rng = random.Random(self._faults.seed)
        self._ids = random.Random(self._faults.seed + 1)
        self._lock = asyncio.Lock()
        #: Pre-delivery hook (tests): called with each body just before it is sent.
        self.on_send: Callable[[dict[str, Any]], None] | None = None
        #: Start the delivery loop (:meth:`run`) on the running event loop at the first publish.
        self.autostart = False
        self.interval = 1.0
        self._task: asyncio.Task[None] | None = None

    # -- configuration --------------------------------------------------------------------

    @property
    def faults(self) -> NotificationFaults:
        return self.faults_provider() if self.faults_provider is not None else self._faults

    def configure(self, *, faults: NotificationFaults | None = None,
                  routes: DeliveryRoutes | None = None) -> None:
        if faults is not None:
            self._faults = faults
            self.faults_provider = None
            self._rng = random.Random(faults.seed)
        if routes is not None:
            self.routes = routes

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # -- destinations -----------------------------------------------------------------------

    def create_destination(self, body: Mapping[str, Any]) -> Destination:
        name = body.get("name")
        spec = body.get("resourceSpecification")
        if not isinstance(name, str) or not name or len(name) > 256 or not isinstance(spec, dict):
            raise NotificationError(400, "InvalidInput",
                                    "name (1-256 characters) and resourceSpecification are required")
        if "eventBridge" in spec:
            raise NotificationError(400, "InvalidInput",
                                    "EventBridge destinations are not simulated; use an SQS ARN")
        arn = (spec.get("sqs") or {}).get("arn") if isinstance(spec.get("sqs"), dict) else None
        if not isinstance(arn, str) or not arn.startswith(_SQS_ARN_PREFIX) or len(arn.split(":")) < 6:
            raise NotificationError(400, "InvalidInput",
                                    "resourceSpecification.sqs.arn must look like "
                                    "arn:aws:sqs:<region>:<account>:<queue>")
        for existing in self.destinations.values():
            if existing.arn == arn:
                raise NotificationError(409, "Conflict",
                                        f"A destination for {arn} already exists: "
                                        f"{existing.destination_id}")
        dest = Destination(destination_id=self._new_id(), name=name, arn=arn)
        self.destinations[dest.destination_id] = dest
        return dest

    def get_destination(self, destination_id: str) -> Destination:
        try:
            return self.destinations[destination_id]
        except KeyError:
            raise NotificationError(404, "NotFound",
                                    f"Destination {destination_id} not found") from None

    def delete_destination(self, destination_id: str) -> None:
        self.get_destination(destination_id)
        if any(s.destination_id == destination_id for s in self.subscriptions.values()):
            raise NotificationError(409, "Conflict",
                                    "The destination has subscriptions; delete them first")
        del self.destinations[destination_id]

    # -- subscriptions ----------------------------------------------------------------------

    def _check_type(self, notification_type: str) -> None:
        if notification_type not in PAYLOAD_VERSIONS:
            raise NotificationError(400, "InvalidInput",
                                    f"Notification type {notification_type} is not supported "
                                    f"by the simulator ({', '.join(sorted(PAYLOAD_VERSIONS))})")

    def create_subscription(self, notification_type: str, seller_id: str,
                            body: Mapping[str, Any]) -> Subscription:
        self._check_type(notification_type)
        version = body.get("payloadVersion")
        destination_id = body.get("destinationId")
        if not isinstance(destination_id, str) or not isinstance(version, str):
            raise NotificationError(400, "InvalidInput", "payloadVersion and destinationId are required")
        if version != PAYLOAD_VERSIONS[notification_type]:
            raise NotificationError(400, "InvalidInput",
                                    f"payloadVersion {version} is not supported for "
                                    f"{notification_type}; use {PAYLOAD_VERSIONS[notification_type]}")
        self.get_destination(destination_id)
        for sub in self.subscriptions.values():
            if sub.notification_type == notification_type and sub.seller_id == seller_id:
                raise NotificationError(409, "Conflict",
                                        f"A subscription for {notification_type} already exists: "
                                        f"{sub.subscription_id}")
        directive = body.get("processingDirective")
        sub = Subscription(subscription_id=self._new_id(), notification_type=notification_type,
                           payload_version=version, destination_id=destination_id,
                           seller_id=seller_id,
                           processing_directive=directive if isinstance(directive, dict) else None)
        self.subscriptions[sub.subscription_id] = sub
        return sub

    def get_subscription(self, notification_type: str, seller_id: str) -> Subscription:
        self._check_type(notification_type)
        for sub in self.subscriptions.values():
            if sub.notification_type == notification_type and sub.seller_id == seller_id:
                return sub
        raise NotificationError(404, "NotFound", f"No subscription for {notification_type}")

    def get_subscription_by_id(self, notification_type: str, subscription_id: str) -> Subscription:
        self._check_type(notification_type)
        sub = self.subscriptions.get(subscription_id)
        if sub is None or sub.notification_type != notification_type:
            raise NotificationError(404, "NotFound", f"Subscription {subscription_id} not found")
        return sub

    def delete_subscription(self, notification_type: str, subscription_id: str) -> None:
        self.get_subscription_by_id(notification_type, subscription_id)
        del self.subscriptions[subscription_id]

    # -- publishing -------------------------------------------------------------------------

    def publish(self, notification_type: str, seller_id: str, payload: Mapping[str, Any], *,
                event_time: datetime | None = None, marketplace_id: str | None = None) -> int:
        """Queue the notification for every matching subscription; returns how many were queued
        (after faults: a dropped one is not queued, a duplicated one counts twice)."""
        now = self.clock.now()
        queued = 0
        for sub in list(self.subscriptions.values()):
            if sub.notification_type != notification_type or sub.seller_id != seller_id:
                continue
            if not sub.accepts_marketplace(marketplace_id):
                continue
            body = envelope(notification_type, payload, application_id=self.application_id,
                            subscription_id=sub.subscription_id, notification_id=self._new_id(),
                            event_time=event_time or now, publish_time=now,
                            payload_version=sub.payload_version)
            self.published.append(body)
            queued += self._enqueue(body, notification_type, sub.destination_id, now)
        if queued and self.autostart:
            self.start()
        return queued

    def start(self) -> None:
        """Run the delivery loop as a task of the running event loop (no-op without one, or
        when it already runs)."""
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = loop.create_task(self.run(self.interval))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def _enqueue(self, body: dict[str, Any], notification_type: str, destination_id: str,
                 now: datetime) -> int:
        f, rng = self.faults, self._rng
        # Draw every decision each time so one fault's setting does not shift the others.
        drop, dup, reorder, delay = rng.random(), rng.random(), rng.random(), rng.random()
        delay_s = rng.uniform(0, f.max_delay_seconds) if f.max_delay_seconds > 0 else 0.0
        nid = _notification_id(body)
        if drop < f.drop_rate:
            self.records.append(DeliveryRecord(notification_id=nid, notification_type=notification_type,
                                               destination_id=destination_id, target="",
                                               outcome="dropped", at=now, detail="fault: drop"))
            return 0
        due = now + timedelta(seconds=delay_s) if delay < f.delay_rate else now
        pending = _Pending(seq=next(self._seq), due=due, body=body,
                           notification_type=notification_type, destination_id=destination_id)
        copies = [pending]
        if dup < f.duplicate_rate:
            copies.append(replace(pending, seq=next(self._seq)))
        count = len(copies)
        held, self._held = self._held, None
        if reorder < f.reorder_rate and held is None:
            # Held back: goes out right after the next notification published.
            self._held = copies.pop(0)
        self._outbox.extend(copies)
        if held is not None:
            held.seq = next(self._seq)
            held.due = max(held.due, due)
            self._outbox.append(held)
        return count

    def flush_held(self) -> None:
        """Release a notification held back for reordering (no later one came)."""
        if self._held is not None:
            self._held.seq = next(self._seq)
            self._outbox.append(self._held)
            self._held = None

    def pending(self) -> int:
        return len(self._outbox) + (1 if self._held is not None else 0)

    # -- delivery ---------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Send every queued notification whose time has come; returns how many were delivered."""
        async with self._lock:
            now = self.clock.now()
            due = sorted((p for p in self._outbox if p.due <= now), key=lambda p: p.seq)
            if not due:
                return 0
            self._outbox = [p for p in self._outbox if p.due > now]
            delivered = 0
            async with httpx.AsyncClient(transport=self.transport, timeout=10.0) as client:
                for item in due:
                    if await self._send(client, item, now):
                        delivered += 1
            return delivered

    async def _send(self, client: httpx.AsyncClient, item: _Pending, now: datetime) -> bool:
        dest = self.destinations.get(item.destination_id)
        nid = _notification_id(item.body)
        if dest is None:  # deleted meanwhile: Amazon would not deliver either
            self.records.append(DeliveryRecord(notification_id=nid, notification_type=item.notification_type,
                                               destination_id=item.destination_id, target="",
                                               outcome="dropped", at=now, detail="destination deleted"))
            return False
        if self.on_send is not None:
            self.on_send(item.body)
        target = self.routes.target(dest.arn)
        text = json.dumps(item.body, separators=(",", ":"))
        item.attempts += 1
        try:
            if target is None:
                self.queues.send(SqsQueues.name_for_arn(dest.arn), text)
                target_name = "sim-sqs:" + SqsQueues.name_for_arn(dest.arn)
            elif target.startswith("sqs+"):
                target_name = target[4:]
                resp = await client.post(target_name, data={
                    "Action": "SendMessage", "Version": "2012-11-05", "MessageBody": text})
                resp.raise_for_status()
            else:
                target_name = target
                headers = {"content-type": "application/json"}
                if self.routes.http_secret:
                    headers["X-AOS-Signature"] = "sha256=" + hmac.new(
                        self.routes.http_secret.encode(), text.encode(), hashlib.sha256).hexdigest()
                resp = await client.post(target, content=text, headers=headers)
                resp.raise_for_status()
        except httpx.HTTPError as exc:
            retry = item.attempts < self.max_attempts
            self.records.append(DeliveryRecord(
                notification_id=nid, notification_type=item.notification_type,
                destination_id=item.destination_id, target=target or "",
                outcome="retrying" if retry else "failed", at=now, detail=f"{type(exc).__name__}: {exc}"))
            if retry:
                item.due = now + timedelta(seconds=self.retry_seconds * 2 ** (item.attempts - 1))
                self._outbox.append(item)
            return False
        self.records.append(DeliveryRecord(notification_id=nid, notification_type=item.notification_type,
                                           destination_id=item.destination_id, target=target_name,
                                           outcome="delivered", at=now))
        return True

    async def run(self, interval: float = 1.0, *, sleep: Callable[[float], Any] | None = None) -> None:
        """Deliver forever (the app starts this as a background task)."""
        pause = sleep or asyncio.sleep
        while True:
            try:
                await self.deliver_due()
            except Exception:  # a bug in one delivery must not stop the worker; it is logged
                _log.exception("notification delivery failed")
            await pause(interval)


def _notification_id(body: Mapping[str, Any]) -> str:
    meta = body.get("NotificationMetadata") or body.get("notificationMetadata") or {}
    return str(meta.get("NotificationId") or meta.get("notificationId") or "")
