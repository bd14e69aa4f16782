"""The SQS client on an in-process transport: requests as SQS's JSON protocol wants them, answers
parsed, errors translated, batch delete with a fallback for queues without it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.amazon.sqs import AwsCredentials, SqsClient, SqsMessage
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.exceptions import (
    AuthorizationError,
    ConfigurationError,
    DataError,
    InvalidInputError,
    NotFoundError,
    RetryableError,
    SyncError,
    ThrottledError,
    TransientError,
)
from amazon_odoo_sync.flows.sqs_notifications import parse_message_body

AWS_QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/aos-orders"
LOCAL_QUEUE = "http://spapi.sim/_sqs/123456789012/aos-orders"
CREDS = AwsCredentials(access_key_id="AKIDTEST", secret_access_key="s3cr3t-value", session_token="tok3n")
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def actions(self) -> list[str]:
        return [r.headers["x-amz-target"].split(".", 1)[1] for r in self.requests]


def client(handler: Handler, url: str = AWS_QUEUE, **kwargs: Any) -> tuple[SqsClient, Recorder]:
    recorder = Recorder(handler)
    kwargs.setdefault("credentials", CREDS)
    sqs = SqsClient(url, transport=httpx.MockTransport(recorder),
                    clock=FakeClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC)), **kwargs)
    return sqs, recorder


def message(n: int, body: str | None = None) -> dict[str, Any]:
    text = body if body is not None else json.dumps({"n": n})
    return {"MessageId": f"m{n}", "ReceiptHandle": f"h{n}", "MD5OfBody": hashlib.md5(text.encode()).hexdigest(),
            "Body": text, "Attributes": {"ApproximateReceiveCount": "2"}}


async def test_receive_speaks_the_json_protocol_to_the_regional_endpoint_signed() -> None:
    sqs, rec = client(lambda r: httpx.Response(200, json={"Messages": [message(1), message(2)]}))
    async with sqs:
        got = await sqs.receive_messages(max_messages=25, wait_seconds=20, visibility_timeout=90)
    request = rec.requests[0]
    assert str(request.url) == "https://sqs.eu-west-1.amazonaws.com/"
    assert request.headers["x-amz-target"] == "AmazonSQS.ReceiveMessage"
    assert request.headers["content-type"] == "application/x-amz-json-1.0"
    assert request.headers["x-amz-date"] == "20260301T080000Z"
    assert request.headers["x-amz-security-token"] == "tok3n"
    auth = request.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/20260301/eu-west-1/sqs/aws4_request, ")
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target," in auth
    assert "s3cr3t" not in str(request.headers)
    body = rec.bodies()[0]
    assert body["QueueUrl"] == AWS_QUEUE
    assert (body["MaxNumberOfMessages"], body["WaitTimeSeconds"], body["VisibilityTimeout"]) == (10, 20, 90)
    assert [m.message_id for m in got] == ["m1", "m2"]
    assert got[0].receipt_handle == "h1" and got[0].md5_ok and got[0].receive_count == 2
    assert json.loads(got[1].body) == {"n": 2}


async def test_a_long_poll_gets_a_read_timeout_beyond_its_wait() -> None:
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={})

    sqs, _ = client(handler, timeout=5.0)
    async with sqs:
        assert await sqs.receive_messages(wait_seconds=20) == []
        await sqs.receive_messages(wait_seconds=0)
    assert seen == [25.0, 5.0]


async def test_a_local_queue_is_addressed_by_its_url_and_may_go_unsigned() -> None:
    sqs, rec = client(lambda r: httpx.Response(200, json={"Messages": []}), url=LOCAL_QUEUE, credentials=None)
    async with sqs:
        await sqs.receive_messages()
    assert str(rec.requests[0].url) == LOCAL_QUEUE
    assert "authorization" not in rec.requests[0].headers
    assert sqs.region == "us-east-1"


def test_an_aws_queue_without_credentials_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="AWS_ACCESS_KEY_ID"):
        SqsClient(AWS_QUEUE, credentials=None)
    with pytest.raises(ConfigurationError, match="not an SQS queue URL"):
        SqsClient("sqs://nowhere", credentials=CREDS)


def test_configured_region_wins_over_the_url() -> None:
    assert SqsClient(AWS_QUEUE, credentials=CREDS, region="eu-central-1").region == "eu-central-1"


def test_damaged_body_is_detected() -> None:
    good = SqsMessage.from_json(message(1))
    bad = SqsMessage.from_json({**message(1), "Body": "{\"n\": 2}"})
    assert good.md5_ok and not bad.md5_ok


async def test_batch_delete_reports_failed_entries_in_chunks_of_ten() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        entries = json.loads(request.content)["Entries"]
        ok = [{"Id": e["Id"]} for e in entries if e["ReceiptHandle"] != "h3"]
        failed = [{"Id": e["Id"], "Code": "ReceiptHandleIsInvalid", "SenderFault": True}
                  for e in entries if e["ReceiptHandle"] == "h3"]
        return httpx.Response(200, json={"Successful": ok, "Failed": failed})

    sqs, rec = client(handler)
    async with sqs:
        result = await sqs.delete_messages([f"h{i}" for i in range(12)] + ["h1"])
    assert rec.actions() == ["DeleteMessageBatch", "DeleteMessageBatch"]
    assert [len(b["Entries"]) for b in rec.bodies()] == [10, 2]
    assert result.deleted == 11 and dict(result.failed) == {"h3": "ReceiptHandleIsInvalid"}


async def test_batch_delete_falls_back_to_single_deletes_where_unsupported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        action = request.headers["x-amz-target"].split(".", 1)[1]
        if action == "DeleteMessageBatch":
            return httpx.Response(400, json={"__type": "com.amazonaws.sqs#InvalidAction", "message": "no"})
        if json.loads(request.content)["ReceiptHandle"] == "gone":
            return httpx.Response(400, json={"__type": "com.amazonaws.sqs#ReceiptHandleIsInvalid"})
        return httpx.Response(200, json={})

    sqs, rec = client(handler, url=LOCAL_QUEUE, credentials=None)
    async with sqs:
        first = await sqs.delete_messages(["a", "gone", "b"])
        second = await sqs.delete_messages(["c"])
    assert rec.actions() == ["DeleteMessageBatch", "DeleteMessage", "DeleteMessage", "DeleteMessage",
                             "DeleteMessage"]  # the batch call is not tried again
    assert first.deleted == 2 and dict(first.failed) == {"gone": "ReceiptHandleIsInvalid"}
    assert second.deleted == 1


async def test_send_message() -> None:
    sqs, rec = client(lambda r: httpx.Response(200, json={"MessageId": "abc"}))
    async with sqs:
        assert await sqs.send_message("hello") == "abc"
    assert rec.bodies()[0]["MessageBody"] == "hello"


@pytest.mark.parametrize(("status", "body", "headers", "error"), [
    (400, {"__type": "com.amazonaws.sqs#ThrottlingException", "message": "slow down"}, {}, ThrottledError),
    (429, {}, {"retry-after": "3"}, ThrottledError),
    (500, {"__type": "com.amazonaws.sqs#InternalError"}, {}, TransientError),
    (503, None, {}, TransientError),
    (400, {"__type": "com.amazon.coral.service#UnrecognizedClientException"}, {}, AuthorizationError),
    (403, {"__type": "com.amazon.coral.service#SignatureDoesNotMatch", "message": "bad"}, {}, AuthorizationError),
    (400, {}, {"x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"}, NotFoundError),
    (400, {"__type": "com.amazonaws.sqs#QueueDoesNotExist"}, {}, NotFoundError),
    (400, {"__type": "com.amazonaws.sqs#InvalidParameterValue"}, {}, InvalidInputError),
])
async def test_errors_are_translated(status: int, body: dict[str, Any] | None, headers: dict[str, str],
                                     error: type[SyncError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(status, text="<html>oops</html>", headers=headers)
        return httpx.Response(status, json=body, headers={"x-amzn-requestid": "rid-1", **headers})

    sqs, _ = client(handler)
    async with sqs:
        with pytest.raises(error) as caught:
            await sqs.receive_messages(wait_seconds=0)
    exc = caught.value
    assert exc.system == "sqs" and exc.operation == "ReceiveMessage"
    assert exc.status_code == status
    if status == 429:
        assert isinstance(exc, RetryableError) and exc.retry_after == 3.0
    assert "s3cr3t" not in str(exc.context())


async def test_network_failure_is_transient_and_chained() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sqs, _ = client(handler)
    async with sqs:
        with pytest.raises(TransientError) as caught:
            await sqs.delete_message("h1")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_message_body_parsing() -> None:
    notification = {"NotificationType": "ORDER_CHANGE", "Payload": {}}
    assert parse_message_body(json.dumps(notification)) == notification
    sns = {"Type": "Notification", "MessageId": "x", "Message": json.dumps(notification)}
    assert parse_message_body(json.dumps(sns)) == notification
    with pytest.raises(DataError, match="not JSON"):
        parse_message_body("{oops")
    with pytest.raises(DataError, match="JSON object"):
        parse_message_body("[1, 2]")
