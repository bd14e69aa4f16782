"""Notifications API v1 (destinations, subscriptions), the simulator's SQS (``/_sqs``) and its
notification controls (``/_sim/notifications``).

Destinations are per application (grantless calls); subscriptions per selling partner. How an
SQS ARN is delivered to is configured with ``POST /_sim/notifications/routes``
(``{"targets": {"<arn>": "http://connector/notifications" | "sqs+http://host/acct/queue"}}``);
unrouted ARNs land in the simulator's own queue, readable with SQS's ``ReceiveMessage`` /
``DeleteMessage`` (query API, form-encoded, XML answers; or the JSON protocol with
``X-Amz-Target: AmazonSQS.ReceiveMessage``, which also has ``DeleteMessageBatch``, long polling
with ``WaitTimeSeconds`` and the system attributes ``ApproximateReceiveCount``,
``SentTimestamp``, ``ApproximateFirstReceiveTimestamp``) at ``/_sqs/<account>/<queue>``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from .context import CallContext, Simulator, operation, simulator_of
from .errors import json_response
from .notifications import DeliveryRoutes, Destination, NotificationError, Subscription
from .selling import install as _install
from .selling import services

__all__ = ["install", "router"]

router = APIRouter()
_BASE = "/notifications/v1"


def install(sim: Simulator) -> None:
    _install(sim)


def _error(exc: NotificationError) -> Response:
    return json_response(exc.status, exc.body())


def _answer(ctx: CallContext, call: Callable[[], Destination | Subscription | None]) -> Response:
    """Run a hub operation: its refusal as Amazon's error body, else ``{"payload": ...}`` (``{}``
    for the deletes, which return nothing)."""
    try:
        result = call()
    except NotificationError as exc:
        return _error(exc)
    return ctx.ok({"payload": result.to_json()} if result is not None else {})


async def _body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


# --------------------------------------------------------------------------- destinations


@router.get(_BASE + "/destinations")
async def get_destinations(
        ctx: CallContext = Depends(operation("notifications:getDestinations", grantless=True)),
) -> Response:
    hub = services(ctx.world).hub
    return ctx.ok({"payload": [d.to_json() for d in hub.destinations.values()]})


@router.post(_BASE + "/destinations")
async def create_destination(
        ctx: CallContext = Depends(operation("notifications:createDestination", grantless=True)),
) -> Response:
    hub = services(ctx.world).hub
    body = await _body(ctx.request)
    return _answer(ctx, lambda: hub.create_destination(body if isinstance(body, dict) else {}))


@router.get(_BASE + "/destinations/{destinationId}")
async def get_destination(
        destinationId: str,
        ctx: CallContext = Depends(operation("notifications:getDestination", grantless=True)),
) -> Response:
    return _answer(ctx, lambda: services(ctx.world).hub.get_destination(destinationId))


@router.delete(_BASE + "/destinations/{destinationId}")
async def delete_destination(
        destinationId: str,
        ctx: CallContext = Depends(operation("notifications:deleteDestination", grantless=True)),
) -> Response:
    return _answer(ctx, lambda: services(ctx.world).hub.delete_destination(destinationId))


# --------------------------------------------------------------------------- subscriptions


@router.post(_BASE + "/subscriptions/{notificationType}")
async def create_subscription(
        notificationType: str,
        ctx: CallContext = Depends(operation("notifications:createSubscription")),
) -> Response:
    body = await _body(ctx.request)
    return _answer(ctx, lambda: services(ctx.world).hub.create_subscription(
        notificationType, ctx.seller_id, body if isinstance(body, dict) else {}))


@router.get(_BASE + "/subscriptions/{notificationType}")
async def get_subscription(
        notificationType: str,
        ctx: CallContext = Depends(operation("notifications:getSubscription")),
) -> Response:
    return _answer(ctx, lambda: services(ctx.world).hub.get_subscription(notificationType,
                                                                        ctx.seller_id))


@router.get(_BASE + "/subscriptions/{notificationType}/{subscriptionId}")
async def get_subscription_by_id(
        notificationType: str, subscriptionId: str,
        ctx: CallContext = Depends(operation("notifications:getSubscriptionById", grantless=True)),
) -> Response:
    return _answer(ctx, lambda: services(ctx.world).hub.get_subscription_by_id(
        notificationType, subscriptionId))


@router.delete(_BASE + "/subscriptions/{notificationType}/{subscriptionId}")
async def delete_subscription_by_id(
        notificationType: str, subscriptionId: str,
        ctx: CallContext = Depends(operation("notifications:deleteSubscriptionById",
                                             grantless=True)),
) -> Response:
    return _answer(ctx, lambda: services(ctx.world).hub.delete_subscription(notificationType,
                                                                           subscriptionId))


# --------------------------------------------------------------------------- simulator controls


@router.get("/_sim/notifications")
async def notification_status(request: Request) -> Response:
    svc = services(simulator_of(request).world)
    hub = svc.hub
    return json_response(200, {
        "pending": hub.pending(),
        "published": len(hub.published),
        "outcomes": dict(Counter(r.outcome for r in hub.records)),
        "routes": dict(hub.routes.targets),
        "queues": {q: hub.queues.depth(q) for q in hub.queues.queues()},
        "records": [{"notificationId": r.notification_id, "type": r.notification_type,
                     "outcome": r.outcome, "target": r.target, "at": r.at.isoformat(),
                     "detail": r.detail} for r in hub.records[-200:]],
    })


@router.post("/_sim/notifications/routes")
async def set_routes(request: Request) -> Response:
    """``{"targets": {arn: url}, "httpSecret": "..."}`` replaces the routing table (see the module
    docstring); ``httpSecret`` (optional) signs HTTP deliveries."""
    body = await _body(request)
    targets = body.get("targets") if isinstance(body, dict) else None
    secret = body.get("httpSecret") if isinstance(body, dict) else None
    if not isinstance(targets, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in targets.items()) or not isinstance(
            secret, str | None):
        return json_response(400, {"errors": [{"code": "InvalidInput",
                                               "message": "body must be {\"targets\": {arn: url}}"}]})
    services(simulator_of(request).world).hub.configure(routes=DeliveryRoutes(targets=targets,
                                                                              http_secret=secret))
    return json_response(200, {"targets": targets})


@router.post("/_sim/notifications/deliver")
async def deliver_now(request: Request) -> Response:
    """Deliver everything due now (and anything held back for reordering)."""
    svc = services(simulator_of(request).world)
    svc.tick()
    svc.hub.flush_held()
    delivered = await svc.hub.deliver_due()
    return json_response(200, {"delivered": delivered, "pending": svc.hub.pending()})


# --------------------------------------------------------------------------- tiny SQS


def _xml(action: str, inner: str) -> Response:
    body = (f'<?xml version="1.0"?><{action}Response xmlns="http://queue.amazonaws.com/doc/'
            f'2012-11-05/"><{action}Result>{inner}</{action}Result><ResponseMetadata>'
            f"<RequestId>sim</RequestId></ResponseMetadata></{action}Response>")
    return Response(content=body, media_type="text/xml")


@router.post("/_sqs/{account}/{queue}")
async def sqs(account: str, queue: str, request: Request) -> Response:
    queues = services(simulator_of(request).world).hub.queues
    name = f"{account}/{queue}"
    target = request.headers.get("x-amz-target", "")
    as_json = target.startswith("AmazonSQS.")
    if as_json:
        params: dict[str, Any] = await _body(request) or {}
        action = target.split(".", 1)[1]
    else:
        form = await request.form()
        params = {k: str(v) for k, v in form.items()}
        action = params.get("Action", "")
    if action == "SendMessage":
        msg = queues.send(name, str(params.get("MessageBody", "")))
        if as_json:
            return json_response(200, {"MessageId": msg.message_id, "MD5OfMessageBody": msg.md5})
        return _xml("SendMessage", f"<MessageId>{msg.message_id}</MessageId>"
                    f"<MD5OfMessageBody>{msg.md5}</MD5OfMessageBody>")
    if action == "ReceiveMessage":
        got = await queues.receive_waiting(
            name, max_messages=max(1, min(10, int(params.get("MaxNumberOfMessages", 1)))),
            visibility_timeout=float(params.get("VisibilityTimeout", 30)),
            wait_seconds=max(0.0, min(20.0, float(params.get("WaitTimeSeconds", 0)))))
        if as_json:
            wanted = {str(n) for n in [*(params.get("MessageSystemAttributeNames") or []),
                                       *(params.get("AttributeNames") or [])]}
            messages = []
            for m in got:
                message: dict[str, Any] = {"MessageId": m.message_id, "ReceiptHandle": m.receipt_handle,
                                           "MD5OfBody": m.md5, "Body": m.body}
                attributes = {k: v for k, v in m.attributes().items() if "All" in wanted or k in wanted}
                if attributes:
                    message["Attributes"] = attributes
                messages.append(message)
            return json_response(200, {"Messages": messages})
        inner = "".join(f"<Message><MessageId>{m.message_id}</MessageId><ReceiptHandle>"
                        f"{escape(m.receipt_handle)}</ReceiptHandle><MD5OfBody>{m.md5}</MD5OfBody>"
                        f"<Body>{escape(m.body)}</Body></Message>" for m in got)
        return _xml("ReceiveMessage", inner)
    if action == "DeleteMessageBatch" and as_json:
        entries = params.get("Entries") or []
        if not entries or len(entries) > 10:
            return json_response(400, {"__type": "com.amazonaws.sqs#TooManyEntriesInBatchRequest"
                                       if entries else "com.amazonaws.sqs#EmptyBatchRequest",
                                       "message": "A batch holds 1 to 10 entries."})
        successful, failed = [], []
        for entry in entries:
            if queues.delete(name, str(entry.get("ReceiptHandle", ""))):
                successful.append({"Id": entry.get("Id")})
            else:
                failed.append({"Id": entry.get("Id"), "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
                               "Message": "The input receipt handle is invalid."})
        return json_response(200, {"Successful": successful, "Failed": failed})
    if action == "DeleteMessage":
        ok = queues.delete(name, str(params.get("ReceiptHandle", "")))
        if not ok:
            err = {"__type": "com.amazonaws.sqs#ReceiptHandleIsInvalid",
                   "message": "The input receipt handle is invalid."}
            if as_json:
                return json_response(400, err)
            return Response(status_code=400, media_type="text/xml", content=(
                "<ErrorResponse><Error><Type>Sender</Type><Code>ReceiptHandleIsInvalid</Code>"
                f"<Message>{err['message']}</Message></Error></ErrorResponse>"))
        if as_json:
            return json_response(200, {})
        return _xml("DeleteMessage", "")
    return json_response(400, {"__type": "com.amazonaws.sqs#InvalidAction",
                               "message": json.dumps(action) + " is not supported"})
