"""Every Odoo error door (JSON-RPC envelope, JSON-2 body, HTTP status, httpx) → our exceptions."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.exceptions import (
    AuthorizationError,
    InvalidInputError,
    NotFoundError,
    OdooBusyError,
    RemoteRuleError,
    SyncError,
    TransientError,
)
from amazon_odoo_sync.odoo import OdooClient

KEY = "0123456789abcdef0123456789abcdef01234567"

CASES: list[tuple[str, str, type[SyncError]]] = [
    ("odoo.exceptions.UserError", "Some orders are not in a state requiring confirmation.",
     RemoteRuleError),
    ("odoo.exceptions.RedirectWarning", "Configure a journal", RemoteRuleError),
    ("odoo.exceptions.ValidationError", "The operation cannot be completed: duplicate", InvalidInputError),
    ("builtins.ValueError", "Invalid field 'foo' on model 'res.partner'", InvalidInputError),
    ("builtins.AttributeError", "type object 'sale.order' has no attribute 'nope'", InvalidInputError),
    ("odoo.exceptions.AccessError", "Private methods (such as _x) cannot be called remotely.",
     AuthorizationError),
    ("odoo.exceptions.AccessDenied", "Access Denied", AuthorizationError),
    ("odoo.exceptions.MissingError", "Record does not exist or has been deleted.", NotFoundError),
    ("psycopg2.errors.SerializationFailure",
     "could not serialize access due to concurrent update", OdooBusyError),
    ("psycopg2.errors.LockNotAvailable", "could not obtain lock on row", OdooBusyError),
    ("psycopg2.errors.DeadlockDetected", "deadlock detected", OdooBusyError),
    ("psycopg2.OperationalError", "could not serialize access due to read/write dependencies",
     OdooBusyError),
    ("builtins.KeyError", "'x'", InvalidInputError),
    ("builtins.RuntimeError", "boom", TransientError),
]


def _version(body: dict[str, Any], major: int) -> httpx.Response:
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": {
        "server_version": f"{major}.0", "server_version_info": [major, 0, 0, "final", 0, ""]}})


def jsonrpc_client(error: dict[str, Any] | None = None, *, status: int = 200,
                   exc: Exception | None = None) -> OdooClient:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        method = body["params"]["method"]
        if method == "version":
            return _version(body, 18)
        if method == "authenticate":
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": 2})
        if exc is not None:
            raise exc
        if status != 200:
            return httpx.Response(status, text="<html>Bad Gateway</html>")
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": error})

    return OdooClient("http://odoo.test", "db", "admin", KEY, transport=httpx.MockTransport(handler))


def json2_client(status: int, body: Any) -> OdooClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jsonrpc":
            return _version(json.loads(request.content), 19)
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    return OdooClient("http://odoo.test", "db", "admin", KEY, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(("name", "message", "expected"), CASES)
async def test_jsonrpc_error_names(name: str, message: str, expected: type[SyncError]) -> None:
    error = {"code": 200, "message": "Odoo Server Error",
             "data": {"name": name, "message": message, "arguments": [message], "context": {},
                      "debug": "Traceback (most recent call last): secret stuff"}}
    async with jsonrpc_client(error) as odoo:
        with pytest.raises(SyncError) as info:
            await odoo.call_method("sale.order", "action_confirm", [1])
    exc = info.value
    assert type(exc) is expected
    assert exc.remote_message == message
    assert exc.system == "odoo" and exc.operation == "sale.order.action_confirm"
    assert exc.retryable == issubclass(expected, TransientError)
    assert "Traceback" not in str(exc)
    assert isinstance(exc.__cause__, type(None))  # raised from data, not chained from httpx


@pytest.mark.parametrize(("name", "message", "expected"), CASES)
async def test_json2_error_bodies(name: str, message: str, expected: type[SyncError]) -> None:
    status = {"odoo.exceptions.AccessDenied": 401, "odoo.exceptions.AccessError": 403,
              "odoo.exceptions.MissingError": 404}.get(name, 422 if "odoo.exceptions" in name else 500)
    body = {"name": name, "message": message, "arguments": [message], "context": {}, "debug": "tb"}
    async with json2_client(status, body) as odoo:
        with pytest.raises(SyncError) as info:
            await odoo.write("res.partner", [1], {"name": "x"})
    assert type(info.value) is expected
    assert info.value.remote_message == message
    assert info.value.status_code == status
    assert info.value.operation == "res.partner.write"


@pytest.mark.parametrize(("status", "expected"), [
    (502, OdooBusyError), (503, OdooBusyError), (504, OdooBusyError), (429, OdooBusyError),
    (500, TransientError), (401, AuthorizationError), (403, AuthorizationError), (404, NotFoundError),
    (400, InvalidInputError)])
async def test_http_status_without_odoo_body(status: int, expected: type[SyncError]) -> None:
    async with jsonrpc_client(status=status) as odoo:
        with pytest.raises(SyncError) as info:
            await odoo.search("res.partner", [])
    assert type(info.value) is expected
    assert info.value.status_code == status
    async with json2_client(status, "<html>proxy error</html>") as odoo:
        with pytest.raises(SyncError) as info2:
            await odoo.search("res.partner", [])
    assert type(info2.value) is expected


@pytest.mark.parametrize(("exc", "expected"), [
    (httpx.ReadTimeout("slow"), OdooBusyError),
    (httpx.ConnectTimeout("slow"), OdooBusyError),
    (httpx.ConnectError("refused"), TransientError),
    (httpx.RemoteProtocolError("reset"), TransientError)])
async def test_transport_errors_are_retryable_and_chained(exc: Exception,
                                                          expected: type[SyncError]) -> None:
    async with jsonrpc_client(exc=exc) as odoo:
        with pytest.raises(SyncError) as info:
            await odoo.search("res.partner", [])
    assert type(info.value) is expected and info.value.retryable
    assert info.value.__cause__ is exc


async def test_retry_after_header_is_kept() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "7"})

    async with OdooClient("http://o", "db", "u", KEY, protocol="json2",
                          transport=httpx.MockTransport(handler)) as odoo:
        with pytest.raises(OdooBusyError) as info:
            await odoo.search("res.partner", [])
    assert info.value.retry_after == 7.0


async def test_non_json_200_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>login</html>")

    async with OdooClient("http://o", "db", "u", KEY, protocol="jsonrpc",
                          transport=httpx.MockTransport(handler)) as odoo:
        with pytest.raises(TransientError):
            await odoo.version()
