"""LWA refresh-token grant: form, caching until 60 s before expiry, error mapping, no secret leaks."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest

from amazon_odoo_sync.amazon.lwa import InMemoryTokenCache, LwaClient
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.exceptions import AuthorizationError, ThrottledError, TransientError

from .spapi_schema import CREDENTIALS, TOKEN_URL, Recorder


def lwa(handler: httpx.MockTransport | Recorder, clock: FakeClock) -> LwaClient:
    transport = handler if isinstance(handler, httpx.MockTransport) else httpx.MockTransport(handler)
    return LwaClient(token_url=TOKEN_URL, transport=transport, clock=clock)


async def test_refresh_token_grant_form(fake_clock: FakeClock) -> None:
    recorder = Recorder()
    client = lwa(recorder, fake_clock)
    token = await client.refresh("acme-eu", CREDENTIALS)
    await client.aclose()
    form = parse_qs(recorder.token_requests[0].content.decode())
    assert form == {"grant_type": ["refresh_token"], "refresh_token": [CREDENTIALS.refresh_token],
                    "client_id": [CREDENTIALS.client_id], "client_secret": [CREDENTIALS.client_secret]}
    assert recorder.token_requests[0].method == "POST"
    assert token.value == "Atza|token-1"
    assert (token.expires_at - fake_clock.now()).total_seconds() == 3600
    assert "Atza" not in repr(token)


async def test_grantless_scope_uses_client_credentials(fake_clock: FakeClock) -> None:
    recorder = Recorder()
    client = lwa(recorder, fake_clock)
    await client.refresh("acme-eu", CREDENTIALS, scope="sellingpartnerapi::notifications")
    await client.aclose()
    form = parse_qs(recorder.token_requests[0].content.decode())
    assert form["grant_type"] == ["client_credentials"] and "refresh_token" not in form


async def test_token_is_cached_until_60s_before_expiry(fake_clock: FakeClock) -> None:
    recorder = Recorder()
    client = lwa(recorder, fake_clock)
    cache = InMemoryTokenCache(client, clock=fake_clock)
    assert await cache.access_token("acme-eu", CREDENTIALS) == "Atza|token-1"
    fake_clock.advance(3600 - 61)
    assert await cache.access_token("acme-eu", CREDENTIALS) == "Atza|token-1"
    fake_clock.advance(2)
    assert await cache.access_token("acme-eu", CREDENTIALS) == "Atza|token-2"
    assert await cache.access_token("other", CREDENTIALS) == "Atza|token-3"  # per account
    # a rejected token forces a refresh, a stale rejection does not
    assert await cache.access_token("acme-eu", CREDENTIALS, reject="Atza|token-2") == "Atza|token-4"
    assert await cache.access_token("acme-eu", CREDENTIALS, reject="Atza|token-2") == "Atza|token-4"
    await client.aclose()


async def test_concurrent_tasks_share_one_refresh(fake_clock: FakeClock) -> None:
    recorder = Recorder()
    client = lwa(recorder, fake_clock)
    cache = InMemoryTokenCache(client, clock=fake_clock)
    tokens = await asyncio.gather(*(cache.access_token("acme-eu", CREDENTIALS) for _ in range(20)))
    await client.aclose()
    assert set(tokens) == {"Atza|token-1"} and len(recorder.token_requests) == 1


@pytest.mark.parametrize(("status", "error"), [(400, "invalid_grant"), (401, "invalid_client"),
                                               (400, "unauthorized_client")])
async def test_refused_credentials_are_authorization_errors(fake_clock: FakeClock, status: int,
                                                            error: str) -> None:
    body = {"error": error, "error_description": f"bad value {CREDENTIALS.refresh_token}"}
    client = lwa(httpx.MockTransport(lambda r: httpx.Response(status, json=body)), fake_clock)
    with pytest.raises(AuthorizationError, match="acme-eu") as info:
        await client.refresh("acme-eu", CREDENTIALS)
    await client.aclose()
    text = str(info.value) + repr(info.value.context())
    assert CREDENTIALS.refresh_token not in text and CREDENTIALS.client_secret not in text
    assert info.value.system == "lwa" and info.value.account == "acme-eu"


@pytest.mark.parametrize("response", [httpx.Response(500), httpx.Response(503, text="<html>")])
async def test_server_errors_are_transient(fake_clock: FakeClock, response: httpx.Response) -> None:
    client = lwa(httpx.MockTransport(lambda r: response), fake_clock)
    with pytest.raises(TransientError):
        await client.refresh("acme-eu", CREDENTIALS)
    await client.aclose()


async def test_network_error_is_transient_and_429_throttled(fake_clock: FakeClock) -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("no route")

    client = lwa(httpx.MockTransport(boom), fake_clock)
    with pytest.raises(TransientError) as info:
        await client.refresh("acme-eu", CREDENTIALS)
    assert isinstance(info.value.__cause__, httpx.ConnectTimeout)
    await client.aclose()
    client = lwa(httpx.MockTransport(lambda r: httpx.Response(429)), fake_clock)
    with pytest.raises(ThrottledError):
        await client.refresh("acme-eu", CREDENTIALS)
    await client.aclose()
