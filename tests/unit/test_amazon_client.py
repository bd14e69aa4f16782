"""SpApiClient on httpx.MockTransport: error mapping, token refresh, throttling, circuit."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from amazon_odoo_sync.amazon.circuit import InMemoryCircuitBreaker
from amazon_odoo_sync.amazon.governor import BucketKey, InMemoryRateGovernor
from amazon_odoo_sync.amazon.http import USER_AGENT
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.exceptions import (
    AuthorizationError,
    CircuitOpenError,
    InvalidInputError,
    NotFoundError,
    RemoteRuleError,
    SyncError,
    ThrottledError,
    TransientError,
)

from .spapi_schema import CREDENTIALS, EU, Recorder, make_client

ORDER = "/orders/2026-01-01/orders/123-1234567-1234567"


def reply(status: int, body: object | None = None, **headers: str) -> Recorder:
    base = {"x-amzn-RequestId": "req-42", **headers}
    return Recorder(lambda request: httpx.Response(status, json=body, headers=base))


async def test_success_sends_token_user_agent_and_returns_json(fake_clock: FakeClock) -> None:
    recorder = reply(200, {"order": {"orderId": "123-1234567-1234567"}})
    async with make_client(recorder, fake_clock) as client:
        body = await client.orders.get_order("123-1234567-1234567", included_data=["BUYER", "RECIPIENT"])
    assert body == {"order": {"orderId": "123-1234567-1234567"}}
    request = recorder.requests[0]
    assert str(request.url) == f"{EU}{ORDER}?includedData=BUYER%2CRECIPIENT"
    assert request.headers["x-amz-access-token"] == "Atza|token-1"
    assert request.headers["user-agent"] == USER_AGENT
    assert "authorization" not in request.headers  # no SigV4


@pytest.mark.parametrize(("status", "error"), [
    (400, InvalidInputError), (404, NotFoundError), (409, RemoteRuleError), (422, InvalidInputError),
    (500, TransientError), (503, TransientError),
])
async def test_error_statuses_map_to_our_exceptions(fake_clock: FakeClock, status: int,
                                                    error: type[SyncError]) -> None:
    body = {"errors": [{"code": "InvalidInput", "message": "Invalid marketplaceId", "details": "ZZ"}]}
    async with make_client(reply(status, body), fake_clock) as client:
        with pytest.raises(error) as info:
            await client.orders.get_order("123-1234567-1234567")
    exc = info.value
    assert type(exc) is error
    assert exc.status_code == status and exc.request_id == "req-42" and exc.account == "acme-eu"
    assert exc.operation == "orders.getOrder"
    assert exc.remote_message is not None and "Invalid marketplaceId" in exc.remote_message


async def test_400_message_is_amazons(fake_clock: FakeClock) -> None:
    body = {"errors": [{"code": "InvalidInput", "message": "createdAfter is too far in the past"}]}
    async with make_client(reply(400, body), fake_clock) as client:
        with pytest.raises(InvalidInputError, match="createdAfter is too far in the past"):
            await client.orders.search_orders(marketplace_ids=["A1PA6795UKMFR9"])


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
async def test_network_failures_become_transient(fake_clock: FakeClock, failure: httpx.HTTPError) -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise failure

    async with make_client(Recorder(boom), fake_clock) as client:
        with pytest.raises(TransientError) as info:
            await client.orders.get_order("1")
    assert info.value.__cause__ is failure


async def test_401_refreshes_once_and_retries_once(fake_clock: FakeClock) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.headers["x-amz-access-token"] == "Atza|token-1":
            return httpx.Response(403, json={"errors": [{"code": "Unauthorized", "message": "expired"}]})
        return httpx.Response(200, json={"order": {}})

    recorder = Recorder(respond)
    async with make_client(recorder, fake_clock) as client:
        assert await client.orders.get_order("1") == {"order": {}}
    assert [r.headers["x-amz-access-token"] for r in recorder.requests] == ["Atza|token-1", "Atza|token-2"]
    assert len(recorder.token_requests) == 2


async def test_persistent_403_is_authorization_error_naming_account(fake_clock: FakeClock) -> None:
    recorder = reply(403, {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]})
    async with make_client(recorder, fake_clock) as client:
        with pytest.raises(AuthorizationError, match="acme-eu") as info:
            await client.orders.get_order("1")
    assert len(recorder.requests) == 2  # the call and exactly one retry
    assert len(recorder.token_requests) == 2
    text = str(info.value) + repr(info.value.context())
    assert CREDENTIALS.client_secret not in text and CREDENTIALS.refresh_token not in text


async def test_429_is_throttled_and_empties_the_bucket(fake_clock: FakeClock) -> None:
    governor = InMemoryRateGovernor(clock=fake_clock)
    recorder = reply(429, {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]},
                     **{"x-amzn-RateLimit-Limit": "0.5"})
    async with make_client(recorder, fake_clock, governor=governor) as client:
        with pytest.raises(ThrottledError) as info:
            await client.orders.get_order("1")
    assert info.value.retry_after == pytest.approx(2.0)  # 1 / header rate
    bucket = governor.buckets[BucketKey(account="acme-eu", region="EU", operation="orders.getOrder")]
    assert bucket.state.tokens <= 0 and bucket.last_throttled_at is not None


async def test_429_retry_after_header_wins(fake_clock: FakeClock) -> None:
    async with make_client(reply(429, {}, **{"retry-after": "7"}), fake_clock) as client:
        with pytest.raises(ThrottledError) as info:
            await client.orders.get_order("1")
    assert info.value.retry_after == 7


async def test_429_without_header_backs_off_by_the_last_announced_rate(fake_clock: FakeClock) -> None:
    answers = iter([httpx.Response(200, json={}, headers={"x-amzn-RateLimit-Limit": "10"}),
                    httpx.Response(429, json={})])
    async with make_client(Recorder(lambda request: next(answers)), fake_clock) as client:
        await client.orders.get_order("1")
        with pytest.raises(ThrottledError) as info:
            await client.orders.get_order("1")
    assert info.value.retry_after == pytest.approx(0.1)  # not 1 / 0.5, the published default


async def test_429_without_header_lets_the_shared_bucket_use_its_known_rate(fake_clock: FakeClock) -> None:
    governor = InMemoryRateGovernor(clock=fake_clock)
    key = BucketKey(account="acme-eu", region="EU", operation="orders.getOrder")
    await governor.observe_rate_limit_header(key, "10")  # another worker saw Amazon's header
    async with make_client(reply(429, {}), fake_clock, governor=governor) as client:
        with pytest.raises(ThrottledError):
            await client.orders.get_order("1")
    # Next token one interval of the known rate away (0.1 s), not 1 / 0.5 s of the default plan.
    assert governor.buckets[key].state.tokens > -1


async def test_rate_limit_header_updates_the_bucket(fake_clock: FakeClock) -> None:
    governor = InMemoryRateGovernor(clock=fake_clock)
    async with make_client(reply(200, {}, **{"x-amzn-RateLimit-Limit": "3.5"}), fake_clock,
                           governor=governor) as client:
        await client.orders.get_order("1")
    assert governor.buckets[BucketKey(account="acme-eu", region="EU", operation="orders.getOrder")
                            ].state.rate == 3.5


async def test_governor_paces_calls_with_the_fake_clock(fake_clock: FakeClock) -> None:
    governor = InMemoryRateGovernor(clock=fake_clock, plans={"orders.getOrder": (0.5, 2)})
    async with make_client(reply(200, {}), fake_clock, governor=governor) as client:
        for _ in range(4):
            await client.orders.get_order("1")
    assert sum(fake_clock.sleeps) == pytest.approx(4.0)  # burst 2, then one call every 2 s


async def test_circuit_opens_after_threshold_then_half_open_probe_closes(fake_clock: FakeClock) -> None:
    outcome = {"status": 503}
    recorder = Recorder(lambda request: httpx.Response(outcome["status"], json={}))
    circuit = InMemoryCircuitBreaker(failure_threshold=3, reset_seconds=30, clock=fake_clock)
    async with make_client(recorder, fake_clock, circuit=circuit) as client:
        for _ in range(2):
            with pytest.raises(TransientError) as failed:
                await client.orders.get_order("1")
            assert not isinstance(failed.value, CircuitOpenError)
        # The failure that opens the circuit holds the job like the refusals after it.
        with pytest.raises(CircuitOpenError, match="answered 503") as tripped:
            await client.orders.get_order("1")
        assert tripped.value.retry_after == pytest.approx(30) and tripped.value.status_code == 503
        with pytest.raises(CircuitOpenError) as info:
            await client.orders.get_order("1")
        assert info.value.retry_after == pytest.approx(30)
        assert len(recorder.requests) == 3  # refused without a request
        fake_clock.advance(30)
        with pytest.raises(CircuitOpenError, match="answered 503"):  # the probe fails: open again
            await client.orders.get_order("1")
        with pytest.raises(CircuitOpenError):
            await client.orders.get_order("1")
        fake_clock.advance(30)
        outcome["status"] = 200
        assert await client.orders.get_order("1") == {}
        assert circuit.circuits[("acme-eu", "orders")].state == "closed"
        assert await client.orders.get_order("1") == {}


async def test_429_does_not_open_the_circuit(fake_clock: FakeClock) -> None:
    circuit = InMemoryCircuitBreaker(failure_threshold=1, reset_seconds=30, clock=fake_clock)
    async with make_client(reply(429, {}), fake_clock, circuit=circuit) as client:
        for _ in range(3):
            fake_clock.advance(100)
            with pytest.raises(ThrottledError):
                await client.orders.get_order("1")
    assert circuit.circuits.get(("acme-eu", "orders")) is None


async def test_pages_follow_the_next_token(fake_clock: FakeClock) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("paginationToken")
        if token is None:
            return httpx.Response(200, json={"orders": [{"orderId": "1"}], "pagination": {"nextToken": "p2"}})
        assert request.url.params["marketplaceIds"] == "A1PA6795UKMFR9"  # same filters on every page
        return httpx.Response(200, json={"orders": [{"orderId": "2"}]})

    async with make_client(Recorder(respond), fake_clock) as client:
        pages = [page async for page in client.orders.search_orders_pages(marketplace_ids=["A1PA6795UKMFR9"])]
    assert [p["orders"][0]["orderId"] for p in pages] == ["1", "2"]


async def test_feed_upload_and_gzipped_result_download(fake_clock: FakeClock) -> None:
    uploaded: dict[str, bytes] = {}

    def respond(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "s3.test":
            if request.method == "PUT":
                uploaded[path] = request.content
                return httpx.Response(200)
            return httpx.Response(200, content=gzip.compress(b"processing report"))
        if path.endswith("/documents"):
            return httpx.Response(201, json={"feedDocumentId": "doc1", "url": "https://s3.test/up/doc1"})
        if path.endswith("/feeds"):
            assert json.loads(request.content)["inputFeedDocumentId"] == "doc1"
            return httpx.Response(202, json={"feedId": "feed1"})
        return httpx.Response(200, json={"feedDocumentId": "res1", "url": "https://s3.test/down/res1",
                                         "compressionAlgorithm": "GZIP"})

    recorder = Recorder(respond)
    async with make_client(recorder, fake_clock) as client:
        result = await client.feeds.submit_feed(feed_type="JSON_LISTINGS_FEED", marketplace_ids=["A1PA6795UKMFR9"],
                                                content=b'{"messages": []}')
        report = await client.feeds.download_feed_document("res1")
    assert result == {"feedId": "feed1"}
    assert uploaded == {"/up/doc1": b'{"messages": []}'}
    assert report == b"processing report"
    s3 = [r for r in recorder.requests if r.url.host == "s3.test"]
    assert all("x-amz-access-token" not in r.headers for r in s3)  # never leak the token to S3


async def test_document_failures_are_transient(fake_clock: FakeClock) -> None:
    async with make_client(Recorder(lambda r: httpx.Response(403)), fake_clock) as client:
        with pytest.raises(TransientError, match="expired"):
            await client.download_document("https://s3.test/x")


async def test_with_options_changes_priority_but_shares_the_client(fake_clock: FakeClock) -> None:
    governor = InMemoryRateGovernor(clock=fake_clock)
    recorder = reply(200, {})
    async with make_client(recorder, fake_clock, governor=governor) as client:
        urgent = client.with_options(priority=100, max_wait=1)
        assert urgent.priority == 100 and client.priority == 50
        await urgent.orders.get_order("1")
        await urgent.aclose()  # a view: does not close the shared connection
        await client.orders.get_order("1")
    assert len(recorder.requests) == 2


def test_credentials_repr_hides_secrets() -> None:
    text = repr(CREDENTIALS) + str(CREDENTIALS)
    assert CREDENTIALS.client_id in text
    assert CREDENTIALS.client_secret not in text and CREDENTIALS.refresh_token not in text
