"""The Odoo circuit breaker in the client: requests that do not reach Odoo open it, an open
circuit sends nothing, one probe after the cooldown, any answer from Odoo closes it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.exceptions import CircuitOpenError, OdooBusyError, RemoteRuleError, TransientError
from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.odoo.circuit import InMemoryOdooCircuit, is_outage_error

KEY = "0123456789abcdef0123456789abcdef01234567"


class Odoo:
    """A JSON-RPC Odoo that can be down in several ways; counts the requests that reach it."""

    def __init__(self) -> None:
        self.down: str | None = None  # "refused", "503", "read_timeout", "user_error"
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if self.down == "read_timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.down == "503":
            return httpx.Response(503, text="Service Unavailable")
        body = json.loads(request.content)
        params = body["params"]
        if params["method"] == "version":
            result: Any = {"server_version": "18.0", "server_version_info": [18, 0, 0, "final", 0, ""]}
        elif params["method"] == "authenticate":
            result = 2
        elif self.down == "user_error":
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": {
                "code": 200, "message": "Odoo Server Error",
                "data": {"name": "odoo.exceptions.UserError", "message": "no"}}})
        else:
            result = []
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})


@pytest.fixture
def odoo() -> Odoo:
    return Odoo()


def client(odoo: Odoo, circuit: InMemoryOdooCircuit) -> OdooClient:
    return OdooClient("http://odoo", "db", "admin", KEY, protocol="jsonrpc",
                      transport=httpx.MockTransport(odoo), circuit=circuit)


def circuit(fake_clock: FakeClock) -> InMemoryOdooCircuit:
    return InMemoryOdooCircuit("http://odoo/db", failure_threshold=3, reset_seconds=30, clock=fake_clock)


async def search(c: OdooClient) -> Any:
    return await c.search_read("sale.order", [], ["name"])


@pytest.mark.parametrize("down", ["refused", "503"])
async def test_an_unreachable_odoo_opens_the_circuit_and_is_left_alone(
        odoo: Odoo, fake_clock: FakeClock, down: str) -> None:
    breaker = circuit(fake_clock)
    async with client(odoo, breaker) as c:
        await search(c)
        odoo.down = down
        for _ in range(2):
            with pytest.raises((TransientError, OdooBusyError)) as failed:
                await search(c)
            assert not isinstance(failed.value, CircuitOpenError)
        # The failure that opens the circuit: the job is held like the ones refused after it.
        with pytest.raises(CircuitOpenError, match="Odoo") as tripped:
            await search(c)
        assert tripped.value.retry_after == 30 and tripped.value.system == "odoo"
        assert breaker.state.state == "open" and breaker.last_error
        reached = odoo.requests
        for _ in range(50):  # every job that needs Odoo: deferred, nothing sent
            with pytest.raises(CircuitOpenError) as refused:
                await search(c)
        assert odoo.requests == reached
        assert refused.value.retry_after == pytest.approx(30) and refused.value.system == "odoo"

        fake_clock.advance(30)  # the probe: Odoo still down, open again for another cooldown
        with pytest.raises(CircuitOpenError):
            await search(c)
        assert odoo.requests == reached + 1 and breaker.state.state == "open"

        odoo.down = None
        fake_clock.advance(30)
        assert await search(c) == []  # the probe succeeds: closed, calls flow again
        assert breaker.state.state == "closed"
        assert await search(c) == []


async def test_a_second_caller_waits_while_the_probe_is_out(odoo: Odoo, fake_clock: FakeClock) -> None:
    breaker = circuit(fake_clock)
    odoo.down = "refused"
    async with client(odoo, breaker) as c:
        for _ in range(3):
            with pytest.raises((TransientError, CircuitOpenError)):
                await search(c)
        fake_clock.advance(30)
        await breaker.before_call("probe")  # someone took the probe
        with pytest.raises(CircuitOpenError):
            await search(c)


@pytest.mark.parametrize("answer", ["user_error", "read_timeout"])
async def test_odoo_answering_or_slow_is_not_an_outage(odoo: Odoo, fake_clock: FakeClock,
                                                       answer: str) -> None:
    breaker = circuit(fake_clock)
    async with client(odoo, breaker) as c:
        await search(c)
        for _ in range(2):
            odoo.down = "refused"
            with pytest.raises(TransientError):
                await search(c)
            odoo.down = answer
            with pytest.raises((RemoteRuleError, OdooBusyError)):
                await search(c)
        # Never 3 outage failures in a row: the answers in between reset the count.
        assert breaker.state.state == "closed" and breaker.state.failures == 0


def test_outage_errors_are_the_ones_that_never_reached_odoo() -> None:
    request = httpx.Request("POST", "http://odoo/jsonrpc")
    assert is_outage_error(httpx.ConnectError("refused", request=request))
    assert is_outage_error(httpx.ConnectTimeout("no route", request=request))
    assert is_outage_error(httpx.ReadError("reset by peer", request=request))
    assert not is_outage_error(httpx.ReadTimeout("slow", request=request))
    assert not is_outage_error(httpx.PoolTimeout("busy here", request=request))
