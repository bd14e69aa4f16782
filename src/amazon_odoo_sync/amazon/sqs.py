"""A small Amazon SQS client: what the SP-API notification poller needs, nothing more.

SP-API delivers notifications to an SQS queue; this client reads it. Operations:
``ReceiveMessage`` (long polling ``WaitTimeSeconds``, up to 10 messages, ``VisibilityTimeout``),
``DeleteMessage``, ``DeleteMessageBatch`` and ``SendMessage`` (tests, tools), all in SQS's AWS JSON
protocol (``X-Amz-Target: AmazonSQS.<Action>``, ``application/x-amz-json-1.0``).

Where requests go: AWS queues (``https://sqs.<region>.amazonaws.com/<account>/<queue>``) are
addressed the documented way, ``POST /`` on the regional endpoint with ``QueueUrl`` in the body.
Any other URL (the SP-API simulator's ``/_sqs/<account>/<queue>``, ElasticMQ, LocalStack) gets the
request posted to the queue URL itself, ``QueueUrl`` in the body as well. ``endpoint_url``
overrides both.

Requests are signed with AWS Signature Version 4 (:func:`sign_v4`, service ``sqs``; hashlib and
hmac, no AWS SDK). Without credentials requests go unsigned, which only non-AWS queues accept;
an AWS queue without credentials is a :class:`~amazon_odoo_sync.exceptions.ConfigurationError`.

Errors are translated here (see :func:`_error_for`): throttling → ThrottledError, 5xx and network
failures → TransientError, refused credentials or signature → AuthorizationError, a missing
queue → NotFoundError, other 4xx → InvalidInputError. Secrets never appear in messages or reprs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from ..clock import Clock, SystemClock
from ..exceptions import (
    AuthorizationError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    SyncError,
    ThrottledError,
    TransientError,
)
from .http import USER_AGENT

__all__ = [
    "AwsCredentials",
    "DeleteResult",
    "SqsClient",
    "SqsMessage",
    "region_from_queue_url",
    "sign_v4",
]

SERVICE = "sqs"
DEFAULT_REGION = "us-east-1"
_JSON = "application/x-amz-json-1.0"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: sqs.<region>.amazonaws.com[.cn], and the legacy <region>.queue.amazonaws.com.
_AWS_HOST = re.compile(r"^(?:sqs\.(?P<r1>[a-z0-9-]+)|(?P<r2>[a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?$")

_THROTTLED = frozenset({"ThrottlingException", "Throttling", "RequestThrottled", "RequestThrottledException",
                        "KmsThrottled", "OverLimit"})
_TRANSIENT = frozenset({"ServiceUnavailable", "InternalError", "InternalFailure", "KmsUnavailable"})
_AUTH = frozenset({"AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "SignatureDoesNotMatch",
                   "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException",
                   "IncompleteSignature", "MissingAuthenticationToken", "InvalidSecurity",
                   "KmsAccessDenied", "RequestExpired", "AuthFailure"})
_NOT_FOUND = frozenset({"QueueDoesNotExist", "NonExistentQueue", "AWS.SimpleQueueService.NonExistentQueue"})
#: The server does not know the action (e.g. a local queue without DeleteMessageBatch).
_UNSUPPORTED = frozenset({"InvalidAction", "UnsupportedOperation", "UnknownOperationException"})


# --------------------------------------------------------------------------- credentials, signing


@dataclass(frozen=True, kw_only=True)
class AwsCredentials:
    """An access key; the secret and the session token stay out of ``repr``."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AwsCredentials | None:
        """``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (/ ``AWS_SESSION_TOKEN``), or None."""
        env = os.environ if environ is None else environ
        key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
        if not key and not secret:
            return None
        if not key or not secret:
            raise ConfigurationError("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (one is missing)",
                                     source="environment", field="AWS_SECRET_ACCESS_KEY")
        return cls(access_key_id=key, secret_access_key=secret, session_token=env.get("AWS_SESSION_TOKEN") or None)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _encode(text: str) -> str:
    # RFC 3986 unreserved characters stay, everything else is %XX (upper case), as SigV4 wants.
    return quote(text, safe="-_.~")


def _canonical_query(url: httpx.URL) -> str:
    pairs = sorted((_encode(k), _encode(v)) for k, v in url.params.multi_items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def _canonical_path(url: httpx.URL) -> str:
    path = url.path or "/"
    return "/".join(_encode(segment) for segment in path.split("/"))


def sign_v4(*, method: str, url: str | httpx.URL, headers: Mapping[str, str], body: bytes,
            credentials: AwsCredentials, region: str, service: str, when: datetime) -> dict[str, str]:
    """AWS Signature Version 4 for one request: the headers to add (``X-Amz-Date``,
    ``X-Amz-Security-Token`` with a session token, ``Authorization``).

    Every header in ``headers`` is signed, plus ``host`` (from ``url`` unless given), the date
    and the token. ``when`` must be UTC; AWS refuses signatures more than 5 minutes off."""
    target = httpx.URL(url) if isinstance(url, str) else url
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    signed: dict[str, str] = {}
    for name, value in headers.items():
        signed[name.lower()] = " ".join(str(value).strip().split())
    if "host" not in signed:
        default_port = {"http": 80, "https": 443}.get(target.scheme)
        signed["host"] = target.host if target.port in (None, default_port) else f"{target.host}:{target.port}"
    added = {"X-Amz-Date": stamp}
    if credentials.session_token:
        added["X-Amz-Security-Token"] = credentials.session_token
    for name, value in added.items():
        signed[name.lower()] = value
    names = sorted(signed)
    canonical_request = "\n".join([
        method.upper(),
        _canonical_path(target),
        _canonical_query(target),
        "".join(f"{name}:{signed[name]}\n" for name in names),
        ";".join(names),
        hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256,
    ])
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = _hmac(("AWS4" + credentials.secret_access_key).encode("utf-8"), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    added["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/{scope}, "
                              f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return added


def region_from_queue_url(queue_url: str) -> str | None:
    """``eu-west-1`` for ``https://sqs.eu-west-1.amazonaws.com/123/q``; None for non-AWS hosts."""
    match = _AWS_HOST.match(httpx.URL(queue_url).host or "")
    return None if match is None else (match.group("r1") or match.group("r2"))


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, kw_only=True)
class SqsMessage:
    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def md5_ok(self) -> bool:
        """False when SQS's MD5 of the body does not match what arrived (damaged in transit)."""
        if not self.md5_of_body:
            return True
        # surrogatepass: a lone surrogate (valid JSON escape, never in a real SQS body) mismatches
        # instead of failing the receive it came with. MD5: SQS's checksum, not security.
        body = self.body.encode("utf-8", "surrogatepass")
        return hashlib.md5(body).hexdigest() == self.md5_of_body

    @property
    def receive_count(self) -> int | None:
        """``ApproximateReceiveCount`` when the server reports it."""
        value = self.attributes.get("ApproximateReceiveCount")
        return int(value) if value is not None and str(value).isdigit() else None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SqsMessage:
        attributes = data.get("Attributes") or {}
        return cls(message_id=str(data.get("MessageId") or ""), receipt_handle=str(data.get("ReceiptHandle") or ""),
                   body=str(data.get("Body") or ""), md5_of_body=data.get("MD5OfBody"),
                   attributes={str(k): str(v) for k, v in attributes.items()})


@dataclass(frozen=True, kw_only=True)
class DeleteResult:
    deleted: int = 0
    #: Receipt handle → error code of the deletes that failed.
    failed: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- client


class SqsClient:
    """One queue. ``async with SqsClient(url, credentials=...) as sqs: await sqs.receive_messages()``."""

    def __init__(self, queue_url: str, *, credentials: AwsCredentials | None = None, region: str | None = None,
                 endpoint_url: str | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Clock | None = None, timeout: float = 10.0) -> None:
        parsed = httpx.URL(queue_url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigurationError(f"not an SQS queue URL: {queue_url!r}", field="notifications.sqs_queue_url")
        aws_region = region_from_queue_url(queue_url)
        if aws_region is not None and credentials is None:
            raise ConfigurationError("reading an Amazon SQS queue needs AWS credentials: set AWS_ACCESS_KEY_ID "
                                     "and AWS_SECRET_ACCESS_KEY", source="environment",
                                     field="AWS_ACCESS_KEY_ID")
        self.queue_url = queue_url
        self.region = region or aws_region or DEFAULT_REGION
        if endpoint_url is not None:
            self.endpoint_url = endpoint_url
        elif aws_region is not None:
            self.endpoint_url = f"{parsed.scheme}://{parsed.netloc.decode('ascii')}/"
        else:
            self.endpoint_url = queue_url
        self._credentials = credentials
        self._clock = clock or SystemClock()
        self._timeout = timeout
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout,
                                       headers={"user-agent": USER_AGENT})
        self._batch_delete = True

    async def __aenter__(self) -> SqsClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- operations -------------------------------------------------------------------------

    async def receive_messages(self, *, max_messages: int = 10, wait_seconds: int = 20,
                               visibility_timeout: int | None = None) -> list[SqsMessage]:
        """Up to ``max_messages`` (1-10); waits up to ``wait_seconds`` (0-20) for the first."""
        body: dict[str, Any] = {
            "MaxNumberOfMessages": max(1, min(10, max_messages)),
            "WaitTimeSeconds": max(0, min(20, wait_seconds)),
            "MessageSystemAttributeNames": ["ApproximateReceiveCount", "SentTimestamp"],
        }
        if visibility_timeout is not None:
            body["VisibilityTimeout"] = visibility_timeout
        # The answer may take the whole long poll: the read timeout must outlast it.
        answer = await self._call("ReceiveMessage", body, read_timeout=self._timeout + body["WaitTimeSeconds"])
        return [SqsMessage.from_json(m) for m in answer.get("Messages") or [] if isinstance(m, Mapping)]

    async def delete_message(self, receipt_handle: str) -> None:
        await self._call("DeleteMessage", {"ReceiptHandle": receipt_handle})

    async def delete_messages(self, receipt_handles: Sequence[str]) -> DeleteResult:
        """Delete several messages: ``DeleteMessageBatch`` (10 a call), or one ``DeleteMessage``
        each where the server has no batch delete. A per-message failure (e.g. an expired
        receipt handle) is reported in the result; a failed call raises."""
        deleted, failed = 0, {}
        handles = list(dict.fromkeys(receipt_handles))
        for start in range(0, len(handles), 10):
            chunk = handles[start:start + 10]
            if self._batch_delete:
                try:
                    answer = await self._call("DeleteMessageBatch", {"Entries": [
                        {"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]})
                except InvalidInputError as exc:
                    if exc.details.get("code") not in _UNSUPPORTED:
                        raise
                    self._batch_delete = False
                else:
                    deleted += len(answer.get("Successful") or [])
                    for entry in answer.get("Failed") or []:
                        index = int(entry.get("Id", -1))
                        if 0 <= index < len(chunk):
                            failed[chunk[index]] = str(entry.get("Code") or "failed")
                    continue
            for handle in chunk:
                try:
                    await self.delete_message(handle)
                except InvalidInputError as exc:  # e.g. ReceiptHandleIsInvalid: the handle expired
                    failed[handle] = str(exc.details.get("code") or "invalid")
                else:
                    deleted += 1
        return DeleteResult(deleted=deleted, failed=failed)

    async def send_message(self, body: str) -> str:
        """Put a message on the queue; returns its message id."""
        answer = await self._call("SendMessage", {"MessageBody": body})
        return str(answer.get("MessageId") or "")

    # -- transport --------------------------------------------------------------------------

    async def _call(self, action: str, params: Mapping[str, Any], *,
                    read_timeout: float | None = None) -> dict[str, Any]:
        payload = json.dumps({"QueueUrl": self.queue_url, **params}, separators=(",", ":")).encode("utf-8")
        headers = {"content-type": _JSON, "x-amz-target": f"AmazonSQS.{action}"}
        if self._credentials is not None:
            headers.update(sign_v4(method="POST", url=self.endpoint_url, headers=headers, body=payload,
                                   credentials=self._credentials, region=self.region, service=SERVICE,
                                   when=self._clock.now()))
        try:
            response = await self._http.post(self.endpoint_url, content=payload, headers=headers,
                                             timeout=read_timeout or self._timeout)
        except httpx.TransportError as exc:  # connect/read errors and timeouts
            raise TransientError(f"SQS {action}: {type(exc).__name__}", system="sqs", operation=action) from exc
        if response.status_code >= 400:
            raise _error_for(action, response)
        if not response.content:
            return {}
        try:
            answer = response.json()
        except ValueError as exc:
            raise TransientError(f"SQS {action}: the answer is not JSON", system="sqs", operation=action,
                                 status_code=response.status_code) from exc
        return answer if isinstance(answer, dict) else {}


def _error_for(action: str, response: httpx.Response) -> SyncError:
    """Translate an SQS error answer (JSON ``__type``/``message``, or the query-compatible header)."""
    status = response.status_code
    code, message = "", ""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = str(data.get("__type") or data.get("code") or "").rsplit("#", 1)[-1]
        message = str(data.get("message") or data.get("Message") or "")
    query_error = response.headers.get("x-amzn-query-error", "")
    if not code and query_error:
        code = query_error.split(";", 1)[0]
    if not code:
        match = re.search(r"<Code>([^<]+)</Code>", response.text or "")
        code = match.group(1) if match else ""
    kwargs: dict[str, Any] = {"system": "sqs", "operation": action, "status_code": status,
                              "request_id": response.headers.get("x-amzn-requestid"),
                              "remote_message": message or None, "details": {"code": code} if code else {}}
    text = f"SQS {action} failed: HTTP {status}" + (f" {code}" if code else "")
    retry_after = response.headers.get("retry-after")
    wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
    if status == 429 or code in _THROTTLED:
        return ThrottledError(text, retry_after=wait, **kwargs)
    if status >= 500 or code in _TRANSIENT:
        return TransientError(text, retry_after=wait, **kwargs)
    if status in (401, 403) or code in _AUTH:
        return AuthorizationError(text, **kwargs)
    if status == 404 or code in _NOT_FOUND:
        return NotFoundError(text, **kwargs)
    return InvalidInputError(text, **kwargs)
