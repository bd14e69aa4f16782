"""SP-API notifications from an Amazon SQS queue into the inbox (push source 1, SQS way).

SP-API delivers notifications to an SQS queue; SP-API puts the notification JSON in the message
body. A poll run receives batches (long polling) and, for each message:

1. parses the body (an SNS envelope ``{"Type": "Notification", "Message": "..."}`` is unwrapped);
2. stores the batch through the same intake as the HTTP endpoint (:mod:`.notifications`:
   ``ORDER_CHANGE`` → :mod:`flows.orders`, ``FBA_INVENTORY_AVAILABILITY_CHANGES`` →
   :mod:`flows.fba_inventory`), deduplicated by notification id, in one committed transaction
   (an unexpected error: message by message, so one bad message does not hold the others);
3. deletes the message only once it is stored (or was stored before). A message we cannot read
   (not JSON, unknown type, unknown seller) is quarantined (flow ``notifications``, the same key
   as the HTTP endpoint would use) and then deleted: visible, never an endless poison loop.

A failure that may pass (database, network) leaves the message undeleted: SQS delivers it again
after the visibility timeout, and the inbox's unique notification id makes the second store a
no-op. The same holds for a crash between store and delete. An unexpected error that repeats is
quarantined once SQS reports the message received :data:`POISON_RECEIVES` times.

Runs as the job ``notifications.sqs_poll`` (queue ``orders``), scheduled every
``[notifications] poll_seconds`` while ``sqs_queue_url`` is set; each run receives for up to
``run_seconds`` and ends as soon as the queue is empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

import httpx

from ..amazon.sqs import AwsCredentials, SqsClient, SqsMessage
from ..clock import Clock, SystemClock
from ..config import NotificationsConfig
from ..exceptions import ConfigurationError, DataError, RetryableError
from ..logs import get_logger
from ..store.unit import Store
from .notifications import FLOW, INTAKES, SellerDirectory, quarantine_key

__all__ = [
    "FLOW",
    "IDLE_INTERVAL",
    "POISON_RECEIVES",
    "INTAKES",
    "PollResult",
    "parse_message_body",
    "poll_sqs",
    "quarantine_key",
    "receive_batch",
    "sqs_client",
]

_log = get_logger(__name__)

#: A message whose store keeps failing for an unexpected reason is quarantined at this receive.
POISON_RECEIVES = 5
#: Without a queue URL the schedule still exists (schedules are declared at import); it idles.
IDLE_INTERVAL = 3600.0


def parse_message_body(body: str) -> dict[str, Any]:
    """The notification in an SQS message body. Raises DataError when there is none."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and data.get("Type") == "Notification" and isinstance(data.get("Message"), str):
            data = json.loads(data["Message"])  # delivered through SNS: the notification is inside
    except ValueError as exc:
        raise DataError(f"the SQS message body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DataError("a notification must be a JSON object")
    return data


@dataclass(kw_only=True)
class PollResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    deleted: int = 0
    #: Deletes that failed: those messages come again and are recognised as duplicates.
    delete_failed: int = 0
    #: Not stored (a failure that may pass): left on the queue for redelivery.
    kept: int = 0
    batches: int = 0

    def merge(self, other: PollResult) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


async def _quarantine(store: Store, payload: Any, reason: str, message: SqsMessage) -> None:
    # Committed on its own before the message is deleted: a quarantined message is never lost.
    async with store.transaction() as tx:
        await tx.quarantine.put(flow=FLOW, key=quarantine_key(payload), account=None, reason=reason,
                                details={"source": "sqs", "message_id": message.message_id}, payload=payload)


async def _refuse(store: Store, payload: Any, error: DataError, message: SqsMessage) -> None:
    """A message we cannot read: quarantined (then deleted by the caller), and said so."""
    await _quarantine(store, payload, error.message, message)
    _log.warning("sqs.notification_quarantined", message_id=message.message_id, reason=error.message)


async def receive_batch(store: Store, client: SqsClient, *, max_messages: int = 10,
                        wait_seconds: int = 20, visibility_timeout: int | None = None,
                        sellers: SellerDirectory | None = None) -> PollResult:
    """One ``ReceiveMessage``; store what came (one transaction for the batch), then delete
    what is stored or quarantined."""
    result = PollResult(batches=1)
    messages = await client.receive_messages(max_messages=max_messages, wait_seconds=wait_seconds,
                                             visibility_timeout=visibility_timeout)
    result.received = len(messages)
    if not messages:
        return result
    sellers = sellers or SellerDirectory(store)
    done: list[str] = []
    readable: list[tuple[SqsMessage, dict[str, Any]]] = []
    for message in messages:
        if not message.md5_ok:  # damaged on the way: SQS has an intact copy, take it next time
            _log.warning("sqs.md5_mismatch", message_id=message.message_id)
            result.kept += 1
            continue
        try:
            readable.append((message, parse_message_body(message.body)))
        except DataError as exc:
            await _refuse(store, {"raw": message.body[:10000]}, exc, message)
            result.quarantined += 1
            done.append(message.receipt_handle)
    for message, outcome in await _store(store, sellers, readable):
        if outcome == "kept":
            result.kept += 1
            continue
        setattr(result, outcome, getattr(result, outcome) + 1)
        done.append(message.receipt_handle)
    if done:
        try:
            deleted = await client.delete_messages(done)
        except RetryableError as exc:
            # Stored already: the messages come again after the visibility timeout and are
            # recognised as duplicates then.
            _log.warning("sqs.delete_failed", error=exc.message, messages=len(done))
            result.delete_failed += len(done)
        else:
            result.deleted += deleted.deleted
            result.delete_failed += len(deleted.failed)
            if deleted.failed:
                _log.warning("sqs.delete_failed", failed=sorted(set(deleted.failed.values())),
                             messages=len(deleted.failed))
    return result


async def _store(store: Store, sellers: SellerDirectory,
                 readable: list[tuple[SqsMessage, dict[str, Any]]]) -> list[tuple[SqsMessage, str]]:
    """Store the batch in one transaction: per message ``stored`` / ``duplicates`` /
    ``quarantined`` (all three: delete it) or ``kept``. An unexpected error is retried message
    by message, so only the message that causes it is kept (and in the end quarantined)."""
    if not readable:
        return []
    try:
        outcomes = await sellers.store_many([notification for _, notification in readable])
    except RetryableError as exc:  # the database or a lock: may pass, SQS delivers again
        _log.warning("sqs.store_failed", messages=len(readable), error=str(exc))
        return [(message, "kept") for message, _ in readable]
    except Exception:
        return [(message, await _store_alone(store, sellers, message, notification))
                for message, notification in readable]
    out = []
    for (message, notification), outcome in zip(readable, outcomes, strict=True):
        if isinstance(outcome, DataError):
            await _refuse(store, notification, outcome, message)
            out.append((message, "quarantined"))
        else:
            out.append((message, "stored" if outcome else "duplicates"))
    return out


async def _store_alone(store: Store, sellers: SellerDirectory, message: SqsMessage,
                       notification: dict[str, Any]) -> str:
    try:
        stored = await sellers.store_one(notification)
    except DataError as exc:
        await _refuse(store, notification, exc, message)
        return "quarantined"
    except RetryableError as exc:
        _log.warning("sqs.store_failed", message_id=message.message_id, error=str(exc))
        return "kept"
    except Exception as exc:  # a bug or a surprise: retry a few times, then make it visible
        count = message.receive_count
        if count is None or count < POISON_RECEIVES:
            _log.exception("sqs.store_failed", message_id=message.message_id, receive_count=count)
            return "kept"
        await _quarantine(store, notification, f"{type(exc).__name__}: {exc}", message)
        _log.exception("sqs.notification_quarantined", message_id=message.message_id, receive_count=count)
        return "quarantined"
    return "stored" if stored else "duplicates"


async def poll_sqs(store: Store, client: SqsClient, *, max_messages: int = 10,
                   wait_seconds: int = 20, visibility_timeout: int | None = None, run_seconds: float = 20.0,
                   clock: Clock | None = None) -> PollResult:
    """Receive and store batches for up to ``run_seconds``; stops early when a receive (after its
    long-poll wait) comes back empty, so an idle queue costs one request per run."""
    clock = clock or SystemClock()
    deadline = clock.monotonic() + run_seconds
    total = PollResult()
    sellers = SellerDirectory(store)  # read once per run, and again for a seller it does not know
    while True:
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            break
        batch = await receive_batch(store, client, max_messages=max_messages,
                                    wait_seconds=max(0, min(wait_seconds, int(remaining))),
                                    visibility_timeout=visibility_timeout, sellers=sellers)
        total.merge(batch)
        if batch.received == 0:
            break
    if total.received:
        _log.info("sqs.polled", **total.as_dict())
    return total


def sqs_client(config: NotificationsConfig, *, transport: httpx.AsyncBaseTransport | None = None,
               credentials: AwsCredentials | None = None, clock: Clock | None = None) -> SqsClient:
    """The client for ``[notifications] sqs_queue_url``; credentials from the environment."""
    if not config.sqs_queue_url:
        raise ConfigurationError("no SQS queue configured", field="notifications.sqs_queue_url")
    return SqsClient(config.sqs_queue_url, credentials=credentials or AwsCredentials.from_env(),
                     region=config.aws_region, transport=transport, clock=clock)
