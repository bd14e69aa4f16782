"""SP-API notifications for an account: the SQS destination and one subscription per type the
connector acts on. Idempotent: what exists is read and kept, only what is missing is created, so
running it again changes nothing (and says so).

Amazon's model: a *destination* (an SQS queue's ARN) belongs to the developer's application and
is created with a grantless token, once for every seller; a *subscription* is per seller and
notification type, pointing at a destination. The types subscribed are those the connector's
notification intake stores (:data:`flows.notifications.INTAKES`): ``ORDER_CHANGE`` (orders) and
``FBA_INVENTORY_AVAILABILITY_CHANGES`` (FBA inventory). Listings and processing-finished types
are known and shown by ``notifications status``, but not subscribed: the intake has no flow for
them yet and would quarantine every one as unreadable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..amazon.client import SpApiClient
from ..exceptions import DataError, NotFoundError
from .notifications import INTAKES

__all__ = ["DESTINATION_NAME", "PAYLOAD_VERSIONS", "USED_TYPES", "DestinationState", "NotificationSetup",
           "SubscriptionState", "notification_status", "setup_notifications", "sqs_queue_url"]

DESTINATION_NAME = "amazon-odoo-sync"
#: The payload version Amazon serves for each notification type the connector knows.
PAYLOAD_VERSIONS: dict[str, str] = {
    "ORDER_CHANGE": "1.0",
    "FBA_INVENTORY_AVAILABILITY_CHANGES": "1.0",
    "LISTINGS_ITEM_STATUS_CHANGE": "1.0",
    "LISTINGS_ITEM_MFN_QUANTITY_CHANGE": "1.0",
    "FEED_PROCESSING_FINISHED": "2020-09-04",
    "REPORT_PROCESSING_FINISHED": "2020-09-04",
}
#: The types the connector acts on: the ones subscribed.
USED_TYPES: tuple[str, ...] = tuple(t for t in PAYLOAD_VERSIONS if t in INTAKES)

Outcome = Literal["created", "present", "elsewhere", "missing", "not used"]


@dataclass(frozen=True, kw_only=True)
class DestinationState:
    destination_id: str
    name: str
    arn: str | None
    outcome: Outcome = "present"


@dataclass(frozen=True, kw_only=True)
class SubscriptionState:
    notification_type: str
    outcome: Outcome
    subscription_id: str | None = None
    destination_id: str | None = None
    #: The ARN of the destination it delivers to, when known.
    arn: str | None = None


@dataclass(kw_only=True)
class NotificationSetup:
    account: str
    destination: DestinationState | None
    subscriptions: list[SubscriptionState] = field(default_factory=list)
    #: Every destination of the application (``status``).
    destinations: list[DestinationState] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return (self.destination is not None and self.destination.outcome == "created") or any(
            s.outcome == "created" for s in self.subscriptions)

    @property
    def complete(self) -> bool:
        """Every used type delivers to the destination."""
        return all(s.outcome in ("created", "present") for s in self.subscriptions
                   if s.notification_type in USED_TYPES)


def sqs_queue_url(arn: str) -> str:
    """The queue URL of an SQS ARN (``arn:aws:sqs:eu-west-1:123456789012:q`` →
    ``https://sqs.eu-west-1.amazonaws.com/123456789012/q``): what ``[notifications]
    sqs_queue_url`` must say for the workers to read the queue."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"] or not all(parts[3:]):
        raise DataError(f"{arn!r} is not an SQS queue ARN (arn:aws:sqs:<region>:<account id>:<queue name>)")
    return f"https://sqs.{parts[3]}.amazonaws.com/{parts[4]}/{parts[5]}"


def _destinations(answer: dict[str, Any]) -> list[DestinationState]:
    found = []
    for item in answer.get("payload") or []:
        if isinstance(item, dict) and item.get("destinationId"):
            sqs = (item.get("resource") or {}).get("sqs") or {}
            found.append(DestinationState(destination_id=str(item["destinationId"]), name=str(item.get("name") or ""),
                                          arn=str(sqs["arn"]) if sqs.get("arn") else None))
    return found


async def _subscription(spapi: SpApiClient, notification_type: str) -> dict[str, Any] | None:
    try:
        answer = await spapi.notifications.get_subscription(
            notification_type, payload_version=PAYLOAD_VERSIONS[notification_type])
    except NotFoundError:
        return None
    payload = answer.get("payload")
    return payload if isinstance(payload, dict) and payload.get("subscriptionId") else None


async def setup_notifications(spapi: SpApiClient, *, account: str, arn: str, types: Sequence[str] = USED_TYPES,
                              name: str = DESTINATION_NAME) -> NotificationSetup:
    """Make ``arn`` a destination (unless it is one) and subscribe the account's seller to each
    of ``types`` there (unless subscribed). A type already subscribed to another destination is
    left alone and reported (``elsewhere``): deleting a seller's subscription is the seller's call."""
    sqs_queue_url(arn)  # a malformed ARN stops here, before anything is created
    destinations = _destinations(await spapi.notifications.get_destinations())
    destination = next((d for d in destinations if d.arn == arn), None)
    if destination is None:
        created = await spapi.notifications.create_destination(name=name, resource_specification={"sqs": {"arn": arn}})
        destination = DestinationState(destination_id=str(created["payload"]["destinationId"]), name=name, arn=arn,
                                       outcome="created")
    result = NotificationSetup(account=account, destination=destination)
    by_id = {d.destination_id: d.arn for d in destinations}
    for notification_type in types:
        current = await _subscription(spapi, notification_type)
        if current is None:
            created = await spapi.notifications.create_subscription(
                notification_type, destination_id=destination.destination_id,
                payload_version=PAYLOAD_VERSIONS[notification_type])
            state = SubscriptionState(notification_type=notification_type, outcome="created",
                                      subscription_id=str(created["payload"]["subscriptionId"]),
                                      destination_id=destination.destination_id, arn=arn)
        else:
            target = str(current.get("destinationId") or "")
            state = SubscriptionState(notification_type=notification_type,
                                      outcome="present" if target == destination.destination_id else "elsewhere",
                                      subscription_id=str(current["subscriptionId"]), destination_id=target,
                                      arn=arn if target == destination.destination_id else by_id.get(target))
        result.subscriptions.append(state)
    return result


async def notification_status(spapi: SpApiClient, *, account: str, arn: str | None = None) -> NotificationSetup:
    """What is set up, changing nothing: the application's destinations (the one of ``arn``, if
    given, as ``destination``) and, for every known type, the account's subscription."""
    destinations = _destinations(await spapi.notifications.get_destinations())
    by_id = {d.destination_id: d.arn for d in destinations}
    ours = next((d for d in destinations if arn is not None and d.arn == arn), None)
    if ours is None and arn is None and len(destinations) == 1:
        ours = destinations[0]
    result = NotificationSetup(account=account, destination=ours, destinations=destinations)
    for notification_type in PAYLOAD_VERSIONS:
        current = await _subscription(spapi, notification_type)
        used = notification_type in USED_TYPES
        if current is None:
            state = SubscriptionState(notification_type=notification_type, outcome="missing" if used else "not used")
        else:
            target = str(current.get("destinationId") or "")
            in_place = ours is None or target == ours.destination_id
            state = SubscriptionState(notification_type=notification_type,
                                      outcome="present" if in_place else "elsewhere",
                                      subscription_id=str(current["subscriptionId"]), destination_id=target,
                                      arn=by_id.get(target))
        result.subscriptions.append(state)
    return result
