"""Our thin async SP-API client (httpx): quota, circuit, auth and error mapping for every call.

Each call to an operation (see :mod:`.usage_plans`):

1. circuit check for (account, API): fail fast with CircuitOpenError before spending quota;
2. ``governor.acquire`` for (account, region, operation) at the client's priority;
3. the request with ``x-amz-access-token`` (LWA; SP-API needs no SigV4 any more) and our
   ``user-agent``;
4. the response mapped: 2xx → parsed JSON (``x-amzn-RateLimit-Limit`` feeds the governor);
   429 → ThrottledError (bucket emptied); 401/403 → one token refresh and one retry, then
   AuthorizationError naming the account; 400/413/415/422 → InvalidInputError with Amazon's
   ``errors[].message``; 404 → NotFoundError; 409 → RemoteRuleError; 5xx, timeouts, connection
   errors → TransientError (counted by the circuit). ``x-amzn-RequestId`` rides on every error.

A client built with ``retry=`` (commands run in the foreground) hands each call to it: the
call is tried again after a 429, 5xx or open circuit, as the retry rules of jobs decide, instead
of failing the whole command. Workers build it without: their jobs are retried as a whole.

No httpx exception leaves this module. Typed operations hang off the client: ``client.orders``,
``client.orders_v0``, ``client.listings``, ``client.feeds``, ``client.reports``,
``client.fba_inventory``, ``client.notifications``, ``client.finances``.
"""

from __future__ import annotations

import copy
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from ..circuit import left_open
from ..clock import Clock, SystemClock
from ..config import SpapiConfig
from ..exceptions import (
    AuthorizationError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    RemoteRuleError,
    SyncError,
    ThrottledError,
    TransientError,
)
from ..marketplaces import Region
from ..metrics import SPAPI_CALLS, SPAPI_THROTTLED
from .circuit import CircuitBreaker, CircuitStore, InMemoryCircuitBreaker, SharedCircuitBreaker
from .governor import (
    BucketKey,
    InMemoryRateGovernor,
    RateBuckets,
    RateGovernor,
    SharedRateGovernor,
    parse_rate_limit_header,
)
from .http import USER_AGENT
from .lwa import Cipher, InMemoryTokenCache, LwaClient, LwaCredentials, SharedTokenCache, TokenCache, TokenStore
from .usage_plans import OperationSpec, operation

__all__ = ["DEFAULT_PRIORITY", "CallRetry", "SharedAccessState", "SpApiClient", "encode_query"]

DEFAULT_PRIORITY = 50
_INVALID = {400, 413, 415, 422}

#: ``retry(operation_key, attempt)``: runs ``attempt`` until it succeeds or the retry rules give up.
CallRetry = Callable[[str, Callable[[], Awaitable[dict[str, Any]]]], Awaitable[dict[str, Any]]]


class SharedAccessState(Protocol):
    """What the clients of every worker share (``store.spapi_state.PgSpapiState`` on PostgreSQL)."""

    @property
    def rate_buckets(self) -> RateBuckets: ...

    @property
    def lwa_tokens(self) -> TokenStore: ...

    @property
    def circuits(self) -> CircuitStore: ...


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("SP-API times must be timezone-aware (UTC inside)")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def encode_query(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as SP-API wants them: lists comma separated, times ISO 8601 UTC, None dropped."""
    encoded: dict[str, str] = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            if not value:
                continue
            encoded[name] = ",".join(_scalar(item) for item in value)
        else:
            encoded[name] = _scalar(value)
    return encoded


def _amazon_message(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        parts = []
        for error in errors:
            if isinstance(error, dict):
                text = " ".join(str(error[k]) for k in ("code", "message") if error.get(k))
                if error.get("details"):
                    text += f" ({error['details']})"
                parts.append(text)
        return "; ".join(parts) or None
    return None


def _retry_after(response: httpx.Response, rate: float) -> float:
    header = response.headers.get("retry-after")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    observed = parse_rate_limit_header(response.headers.get("x-amzn-ratelimit-limit", ""))
    rate = observed or rate
    return 1.0 / rate if rate > 0 else 60.0


class SpApiClient:
    """SP-API for one seller account in one region.

    Build it with :meth:`shared` in services (quota, circuits and tokens shared through the
    store every worker uses) or directly (defaults: in-memory governor, circuit and token cache — fine for one
    process and for tests). Use as ``async with``; or call :meth:`aclose`.
    """

    def __init__(self, *, account: str, region: Region, credentials: LwaCredentials,
                 settings: SpapiConfig | None = None, seller_id: str = "",
                 governor: RateGovernor | None = None, circuit: CircuitBreaker | None = None,
                 tokens: TokenCache | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Clock | None = None, priority: int = DEFAULT_PRIORITY,
                 max_wait: float | None = None, retry: CallRetry | None = None) -> None:
        self.settings = settings or SpapiConfig()
        self.account = account
        self.region = region
        self.seller_id = seller_id
        self.priority = priority
        self.retry = retry
        self.max_wait = self.settings.max_token_wait_seconds if max_wait is None else max_wait
        self.base_url = self.settings.endpoints[region].rstrip("/")
        self._credentials = credentials
        self._clock = clock or SystemClock()
        self._governor = governor or InMemoryRateGovernor(clock=self._clock)
        self._circuit = circuit or InMemoryCircuitBreaker(
            failure_threshold=self.settings.circuit_failure_threshold,
            reset_seconds=self.settings.circuit_reset_seconds, clock=self._clock)
        self._lwa: LwaClient | None = None
        if tokens is None:
            self._lwa = LwaClient(token_url=self.settings.token_url, transport=transport,
                                  timeout=self.settings.timeout_seconds, clock=self._clock)
            tokens = InMemoryTokenCache(self._lwa, clock=self._clock)
        self._tokens = tokens
        self._observed_rates: dict[str, float] = {}
        self._http = httpx.AsyncClient(transport=transport, timeout=self.settings.timeout_seconds,
                                       headers={"user-agent": USER_AGENT})
        self._owner = True
        self._bind_operations()

    @classmethod
    def shared(cls, state: SharedAccessState, *, account: str, region: Region,
               credentials: LwaCredentials, settings: SpapiConfig | None = None, seller_id: str = "",
               transport: httpx.AsyncBaseTransport | None = None, clock: Clock | None = None,
               priority: int = DEFAULT_PRIORITY, cipher: Cipher | None = None,
               retry: CallRetry | None = None) -> SpApiClient:
        """A client whose governor, circuit breaker and token cache live in ``state``, shared."""
        settings = settings or SpapiConfig()
        clock = clock or SystemClock()
        lwa = LwaClient(token_url=settings.token_url, transport=transport,
                        timeout=settings.timeout_seconds, clock=clock)
        client = cls(account=account, region=region, credentials=credentials, settings=settings,
                     seller_id=seller_id, governor=SharedRateGovernor(state.rate_buckets, clock=clock),
                     circuit=SharedCircuitBreaker(state.circuits,
                                                  failure_threshold=settings.circuit_failure_threshold,
                                                  reset_seconds=settings.circuit_reset_seconds, clock=clock),
                     tokens=SharedTokenCache(state.lwa_tokens, lwa, clock=clock, cipher=cipher),
                     transport=transport, clock=clock, priority=priority, retry=retry)
        client._lwa = lwa
        return client

    def _bind_operations(self) -> None:
        from .operations import (
            FbaInventoryApi,
            FeedsApi,
            FinancesApi,
            ListingsApi,
            NotificationsApi,
            OrdersApi,
            OrdersV0Api,
            ReportsApi,
        )

        self.orders = OrdersApi(self)
        self.orders_v0 = OrdersV0Api(self)
        self.listings = ListingsApi(self)
        self.feeds = FeedsApi(self)
        self.reports = ReportsApi(self)
        self.fba_inventory = FbaInventoryApi(self)
        self.notifications = NotificationsApi(self)
        self.finances = FinancesApi(self)

    def with_options(self, *, priority: int | None = None, max_wait: float | None = None) -> SpApiClient:
        """The same client (shared connections, governor, tokens) calling at another priority."""
        other = copy.copy(self)
        other._owner = False
        if priority is not None:
            other.priority = priority
        if max_wait is not None:
            other.max_wait = max_wait
        other._bind_operations()
        return other

    async def aclose(self) -> None:
        if self._owner:
            await self._http.aclose()
            if self._lwa is not None:
                await self._lwa.aclose()

    async def __aenter__(self) -> SpApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the one way a request goes out ------------------------------------------------------

    def url_for(self, spec: OperationSpec, path_params: Mapping[str, str] | None = None) -> str:
        values = {name: quote(str(value), safe="") for name, value in (path_params or {}).items()}
        try:
            return self.base_url + spec.path.format(**values)
        except KeyError as exc:
            raise ValueError(f"{spec.key}: missing path parameter {exc.args[0]!r}") from None

    async def call(self, operation_key: str, *, path_params: Mapping[str, str] | None = None,
                   params: Mapping[str, Any] | None = None, json: Any = None,
                   headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Call one SP-API operation; returns the JSON body ({} when empty)."""
        if self.retry is None:
            return await self._call(operation_key, path_params, params, json, headers)
        return await self.retry(operation_key, lambda: self._call(operation_key, path_params, params, json, headers))

    async def _call(self, operation_key: str, path_params: Mapping[str, str] | None, params: Mapping[str, Any] | None,
                    json: Any, headers: Mapping[str, str] | None) -> dict[str, Any]:
        spec = operation(operation_key)
        url = self.url_for(spec, path_params)
        query = encode_query(params)
        key = BucketKey(account=self.account, region=self.region, operation=spec.key)
        await self._circuit.before_call(self.account, spec.api)
        token = await self._tokens.access_token(self.account, self._credentials, scope=spec.scope)
        refreshed = False
        while True:
            await self._governor.acquire(self.account, self.region, spec.key, self.priority, self.max_wait)
            response = await self._send(spec, url, query, json, token, headers)
            status = response.status_code
            if status in (401, 403) and not refreshed:
                # The token may have been revoked or expired early: one refresh, one retry.
                refreshed = True
                token = await self._tokens.access_token(self.account, self._credentials, reject=token,
                                                        scope=spec.scope)
                continue
            return await self._handle(spec, key, response)

    async def _send(self, spec: OperationSpec, url: str, query: dict[str, str], body: Any, token: str,
                    extra_headers: Mapping[str, str] | None) -> httpx.Response:
        headers = {"x-amz-access-token": token, "accept": "application/json", **(extra_headers or {})}
        try:
            return await self._http.request(spec.method, url, params=query, json=body, headers=headers)
        except httpx.InvalidURL as exc:
            raise ConfigurationError(f"SP-API endpoint for region {self.region} is not a valid URL",
                                     field="spapi.endpoints", account=self.account) from exc
        except httpx.HTTPError as exc:
            SPAPI_CALLS.labels(self.account, spec.key, "error").inc()
            kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
            error = TransientError(f"SP-API {spec.key} for account {self.account} {kind}: "
                                   f"{type(exc).__name__}", system="amazon", operation=spec.key,
                                   account=self.account)
            probe_in = await self._circuit.record_failure(self.account, spec.api, f"{type(exc).__name__}")
            raise (error if probe_in is None else left_open(error, probe_in)) from exc

    async def _handle(self, spec: OperationSpec, key: BucketKey, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        SPAPI_CALLS.labels(self.account, spec.key, str(status)).inc()
        request_id = response.headers.get("x-amzn-requestid")
        context: dict[str, Any] = {"system": "amazon", "operation": spec.key, "account": self.account,
                                   "status_code": status, "request_id": request_id}
        if status >= 500:
            failure = TransientError(f"SP-API {spec.key} answered {status}",
                                     remote_message=_amazon_message(response), **context)
            probe_in = await self._circuit.record_failure(self.account, spec.api, f"HTTP {status}")
            raise failure if probe_in is None else left_open(failure, probe_in)
        await self._circuit.record_success(self.account, spec.api)
        rate_header = response.headers.get("x-amzn-ratelimit-limit")
        if rate_header:
            await self._governor.observe_rate_limit_header(key, rate_header)
            observed = parse_rate_limit_header(rate_header)
            if observed:
                self._observed_rates[spec.key] = observed
        if 200 <= status < 300:
            if not response.content:
                return {}
            try:
                body = response.json()
            except ValueError as exc:
                raise TransientError(f"SP-API {spec.key} returned a body that is not JSON",
                                     **context) from exc
            return body if isinstance(body, dict) else {"payload": body}
        message = _amazon_message(response)
        if status == 429:
            SPAPI_THROTTLED.labels(self.account, spec.key).inc()
            # A 429 rarely carries the rate header: back off by the rate Amazon last announced for
            # this operation (a raised or lowered plan), else by the published default. Without
            # an explicit answer, the shared bucket backs off by the rate it holds: another worker
            # may have seen Amazon's header when this one has not yet.
            retry_after = _retry_after(response, self._observed_rates.get(spec.key, spec.rate))
            explicit = bool(response.headers.get("retry-after") or response.headers.get("x-amzn-ratelimit-limit"))
            await self._governor.on_throttled(key, retry_after if explicit else None)
            raise ThrottledError(f"SP-API throttled {spec.key} for account {self.account}",
                                 retry_after=retry_after, remote_message=message, **context)
        error: type[SyncError]
        if status in (401, 403):
            raise AuthorizationError(
                f"SP-API refused account {self.account} for {spec.key} ({status}) even after a token "
                "refresh: check the app's roles and the seller's authorisation", remote_message=message,
                **context)
        if status == 404:
            error = NotFoundError
        elif status == 409:
            error = RemoteRuleError
        else:
            error = InvalidInputError
        raise error(f"SP-API {spec.key} answered {status}" + (f": {message}" if message else ""),
                    remote_message=message, **context)

    async def pages(self, operation_key: str, *, token_param: str,
                    next_token: Callable[[dict[str, Any]], str | None],
                    path_params: Mapping[str, str] | None = None,
                    params: Mapping[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every page of a paginated operation; each page is one governed call."""
        query = dict(params or {})
        while True:
            page = await self.call(operation_key, path_params=path_params, params=query)
            yield page
            token = next_token(page)
            if not token:
                return
            query[token_param] = token

    # -- pre-signed document URLs (not SP-API: no token, no quota) ----------------------------

    async def upload_document(self, url: str, content: bytes, content_type: str) -> None:
        """PUT a feed document to the pre-signed URL from createFeedDocument."""
        await self._document_request("PUT", url, content=content, headers={"content-type": content_type})

    async def download_document(self, url: str, compression_algorithm: str | None = None) -> bytes:
        """GET a report/feed-result document; un-gzip when Amazon says ``GZIP``."""
        response = await self._document_request("GET", url)
        data = response.content
        if (compression_algorithm or "").upper() == "GZIP":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise TransientError("document said GZIP but could not be decompressed",
                                     system="amazon", account=self.account) from exc
        return data

    async def _document_request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise TransientError(f"document {method} failed: {type(exc).__name__}", system="amazon",
                                 operation="document", account=self.account) from exc
        if response.status_code >= 500:
            raise TransientError(f"document {method} answered {response.status_code}", system="amazon",
                                 operation="document", account=self.account, status_code=response.status_code)
        if response.status_code >= 400:
            # Pre-signed URLs expire after minutes: ask Amazon for a fresh one and try again.
            raise TransientError(f"document {method} refused ({response.status_code}); the pre-signed URL may "
                                 "have expired", system="amazon", operation="document", account=self.account,
                                 status_code=response.status_code)
        return response

