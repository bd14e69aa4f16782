"""OdooClient over httpx.MockTransport: protocol choice, envelopes, None results, helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.exceptions import AuthorizationError, ConfigurationError
from amazon_odoo_sync.odoo import (
    OdooClient,
    chunked,
    from_odoo_datetime,
    m2o_id,
    m2o_name,
    to_odoo_date,
    to_odoo_datetime,
)

KEY = "0123456789abcdef0123456789abcdef01234567"


def version_result(major: int | str) -> dict[str, Any]:
    return {"server_version": f"{major}.0", "server_version_info": [major, 0, 0, "final", 0, ""],
            "server_serie": f"{major}.0", "protocol_version": 1}


class FakeJsonRpc:
    """A tiny JSON-RPC Odoo: records every execute_kw; ``handler(model, method, args, kwargs)``."""

    def __init__(self, handler: Callable[[str, str, list[Any], dict[str, Any]], Any],
                 major: int | str = 18) -> None:
        self.handler = handler
        self.major = major
        self.calls: list[tuple[str, str, list[Any], dict[str, Any]]] = []
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/jsonrpc"
        body = json.loads(request.content)
        self.bodies.append(body)
        params = body["params"]
        service, method, args = params["service"], params["method"], params["args"]
        if service == "common" and method == "version":
            return _ok(body, version_result(self.major))
        if service == "common" and method == "authenticate":
            return _ok(body, 7 if args[2] == KEY else False)
        assert service == "object" and method == "execute_kw"
        db, uid, key, model, meth, margs = args[:6]
        kwargs = args[6] if len(args) > 6 else {}
        assert (db, uid, key) == ("db", 7, KEY)
        self.calls.append((model, meth, margs, kwargs))
        result = self.handler(model, meth, margs, kwargs)
        if isinstance(result, httpx.Response):
            return result
        if result is _NONE:
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"]})
        return _ok(body, result)


_NONE = object()


def _ok(body: dict[str, Any], result: Any) -> httpx.Response:
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})


def client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> OdooClient:
    return OdooClient("http://odoo.test", "db", "admin", KEY,
                      transport=httpx.MockTransport(handler), **kwargs)


async def test_jsonrpc_chosen_below_19_and_envelope_is_execute_kw() -> None:
    fake = FakeJsonRpc(lambda m, meth, a, k: [1, 2], major=18)
    async with client(fake) as odoo:
        assert await odoo.protocol() == "jsonrpc"
        assert (await odoo.version()).major == 18
        ids = await odoo.call("res.partner", "search", [("name", "=", "x")], limit=5)
    assert ids == [1, 2]
    assert fake.calls == [("res.partner", "search", [[["name", "=", "x"]]], {"limit": 5})]
    assert fake.bodies[-1]["jsonrpc"] == "2.0" and fake.bodies[-1]["method"] == "call"


@pytest.mark.parametrize(("info", "expected"), [([19, 0, 0], "json2"), (["saas~18", 4, 0], "jsonrpc"),
                                                (["saas~19", 1, 0], "json2"), ([16, 0, 0], "jsonrpc")])
async def test_protocol_from_version(info: list[Any], expected: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return _ok(body, {"server_version": str(info[0]), "server_version_info": info})

    async with client(handler) as odoo:
        assert await odoo.protocol() == expected


async def test_version_falls_back_to_web_version_when_jsonrpc_is_gone() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jsonrpc":
            return httpx.Response(404, text="not found")
        assert request.method == "GET" and request.url.path == "/web/version"
        return httpx.Response(200, json={"version": "22.0", "version_info": [22, 0, 0, "final", 0]})

    async with client(handler) as odoo:
        assert (await odoo.version()).major == 22
        assert await odoo.protocol() == "json2"


async def test_none_result_has_no_result_key() -> None:
    fake = FakeJsonRpc(lambda m, meth, a, k: _NONE)
    async with client(fake) as odoo:
        result = await odoo.call_method("stock.quant", "action_apply_inventory", [5, 6])
    assert result is None
    assert fake.calls == [("stock.quant", "action_apply_inventory", [[5, 6]], {})]


async def test_bad_key_is_authorization_error_and_key_not_in_repr() -> None:
    fake = FakeJsonRpc(lambda *a: True)
    odoo = OdooClient("http://odoo.test", "db", "admin", "f" * 40,
                      transport=httpx.MockTransport(fake))
    async with odoo:
        with pytest.raises(AuthorizationError) as info:
            await odoo.call("res.partner", "search", [])
    assert "f" * 40 not in repr(odoo)
    assert "f" * 40 not in str(info.value) and "f" * 40 not in repr(info.value.context())


async def test_uid_authenticated_once() -> None:
    fake = FakeJsonRpc(lambda *a: [])
    async with client(fake) as odoo:
        for _ in range(3):
            await odoo.search("res.partner", [])
    auths = [b for b in fake.bodies if b["params"]["method"] == "authenticate"]
    assert len(auths) == 1


async def test_context_defaults_merge_under_call_context() -> None:
    fake = FakeJsonRpc(lambda *a: [3])
    async with client(fake, context={"tracking_disable": True, "lang": "en_US"}) as odoo:
        await odoo.create("res.partner", [{"name": "A"}], context={"lang": "de_DE"})
    assert fake.calls[0][3] == {"context": {"tracking_disable": True, "lang": "de_DE"}}


async def test_create_many_in_one_call_and_in_chunks() -> None:
    counter = iter(range(100, 200))

    def handler(model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return [next(counter) for _ in args[0]]

    fake = FakeJsonRpc(handler)
    async with client(fake) as odoo:
        assert await odoo.create("res.partner", []) == []
        ids = await odoo.create("res.partner", [{"name": str(i)} for i in range(5)])
        chunked_ids = await odoo.create("res.partner", [{"name": str(i)} for i in range(5)],
                                        chunk_size=2)
    assert ids == [100, 101, 102, 103, 104]
    assert chunked_ids == [105, 106, 107, 108, 109]
    assert [len(c[2][0]) for c in fake.calls] == [5, 2, 2, 1]


async def test_search_read_pages_by_id_keyset_with_only_the_fields_asked() -> None:
    records = [{"id": i, "name": f"p{i}"} for i in range(1, 12)]

    def handler(model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        domain = args[0]
        floor = 0
        for term in domain:
            if term[0] == "id" and term[1] == ">":
                floor = term[2]
        rows = [r for r in records if r["id"] > floor]
        return rows[: kwargs["limit"]]

    fake = FakeJsonRpc(handler)
    async with client(fake) as odoo:
        rows = await odoo.search_read("res.partner", [("active", "=", True)], ["name"],
                                      chunk_size=4)
        limited = await odoo.search_read("res.partner", [], ["name"], chunk_size=4, limit=6)
    assert [r["id"] for r in rows] == list(range(1, 12))
    first = fake.calls[:3]
    assert [c[3]["limit"] for c in first] == [4, 4, 4]
    assert all(c[3]["fields"] == ["name", "id"] and c[3]["order"] == "id" for c in first)
    assert first[1][2][0][0] == ["id", ">", 4]
    assert [r["id"] for r in limited] == [1, 2, 3, 4, 5, 6]
    assert [c[3]["limit"] for c in fake.calls[3:]] == [4, 2]


async def test_search_read_with_custom_order_uses_offsets() -> None:
    records = [{"id": i} for i in range(5, 0, -1)]

    def handler(model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        offset = kwargs.get("offset", 0)
        return records[offset: offset + kwargs["limit"]]

    fake = FakeJsonRpc(handler)
    async with client(fake) as odoo:
        rows = await odoo.search_read("sale.order", [], ["id"], order="id desc", chunk_size=2)
    assert [r["id"] for r in rows] == [5, 4, 3, 2, 1]
    assert [c[3].get("offset", 0) for c in fake.calls] == [0, 2, 4]


async def test_read_in_chunks_and_write_many_groups_equal_values() -> None:
    def handler(model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if method == "read":
            return [{"id": i} for i in args[0]]
        return True

    fake = FakeJsonRpc(handler)
    async with client(fake) as odoo:
        rows = await odoo.read("res.partner", [1, 2, 3, 2, 4, 5], ["name"], chunk_size=2)
        calls = await odoo.write_many("res.partner", {1: {"ref": "A"}, 2: {"ref": "B"},
                                                      3: {"ref": "A"}, 4: {}})
        await odoo.write("res.partner", [], {"ref": "x"})
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
    assert [c[2][0] for c in fake.calls if c[1] == "read"] == [[1, 2], [3, 4], [5]]
    writes = [c[2] for c in fake.calls if c[1] == "write"]
    assert calls == 2 and sorted(map(str, writes)) == sorted(map(str, [[[1, 3], {"ref": "A"}],
                                                                     [[2], {"ref": "B"}]]))


async def test_search_count_and_call_method_without_ids_makes_no_call() -> None:
    fake = FakeJsonRpc(lambda m, meth, a, k: 42)
    async with client(fake) as odoo:
        assert await odoo.search_count("sale.order", []) == 42
        assert await odoo.call_method("sale.order", "action_confirm", []) is None
    assert [c[1] for c in fake.calls] == ["search_count"]


async def test_private_methods_refused_locally() -> None:
    fake = FakeJsonRpc(lambda *a: True)
    async with client(fake) as odoo:
        with pytest.raises(ConfigurationError):
            await odoo.call("res.partner", "_compute_display_name", ids=[1])
    assert fake.calls == []


# -- JSON-2 ------------------------------------------------------------------------------------


class FakeJson2:
    def __init__(self, handler: Callable[[str, str, dict[str, Any]], httpx.Response]) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jsonrpc":
            body = json.loads(request.content)
            return _ok(body, version_result(19))
        self.requests.append(request)
        _, _, _, model, method = request.url.path.split("/")
        return self.handler(model, method, json.loads(request.content))


async def test_json2_request_shape() -> None:
    fake = FakeJson2(lambda model, method, body: httpx.Response(200, json=True))
    async with client(fake) as odoo:
        await odoo.write("res.partner", [3, 4], {"ref": "X"}, context={"lang": "fr_FR"})
    request = fake.requests[0]
    assert request.url.path == "/json/2/res.partner/write"
    assert request.headers["Authorization"] == f"bearer {KEY}"
    assert request.headers["X-Odoo-Database"] == "db"
    assert json.loads(request.content) == {"ids": [3, 4], "vals": {"ref": "X"},
                                           "context": {"lang": "fr_FR"}}


async def test_json2_names_positional_arguments_and_returns_bare_values() -> None:
    def handler(model: str, method: str, body: dict[str, Any]) -> httpx.Response:
        if method == "create":
            return httpx.Response(200, json=list(range(1, len(body["vals_list"]) + 1)))
        if method == "search_read":
            return httpx.Response(200, json=[{"id": 1, "name": "a"}])
        if method == "action_lock":
            return httpx.Response(200, content=b"null", headers={"content-type": "application/json"})
        return httpx.Response(200, json=0)

    fake = FakeJson2(handler)
    async with client(fake) as odoo:
        assert await odoo.create("res.partner", [{"name": "a"}, {"name": "b"}]) == [1, 2]
        assert await odoo.search_read("res.partner", [("name", "=", "a")], ["name"]) == [
            {"id": 1, "name": "a"}]
        assert await odoo.call_method("sale.order", "action_lock", [9]) is None
        with pytest.raises(ConfigurationError):
            await odoo.call("sale.order", "some_method", 1, ids=[1])
    bodies = [json.loads(r.content) for r in fake.requests]
    assert bodies[0] == {"vals_list": [{"name": "a"}, {"name": "b"}]}
    assert bodies[1] == {"domain": [["name", "=", "a"]], "fields": ["name", "id"], "limit": 2000,
                         "order": "id"}
    assert bodies[2] == {"ids": [9]}


async def test_json2_authenticate_finds_uid_by_login() -> None:
    fake = FakeJson2(lambda model, method, body: httpx.Response(200, json=[12]))
    async with client(fake) as odoo:
        assert await odoo.authenticate() == 12
    assert json.loads(fake.requests[0].content)["domain"] == [["login", "=", "admin"]]


async def test_forced_protocol_skips_version_call() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=[1])

    async with client(handler, protocol="json2") as odoo:
        assert await odoo.search("res.partner", []) == [1]
    assert seen == ["/json/2/res.partner/search"]


# -- values --------------------------------------------------------------------------------------


def test_datetime_helpers() -> None:
    aware = datetime(2026, 3, 1, 12, 30, 15, 999, tzinfo=timezone(timedelta(hours=2)))
    assert to_odoo_datetime(aware) == "2026-03-01 10:30:15"
    with pytest.raises(ValueError):
        to_odoo_datetime(datetime(2026, 3, 1))
    assert from_odoo_datetime("2026-03-01 10:30:15") == datetime(2026, 3, 1, 10, 30, 15, tzinfo=UTC)
    assert from_odoo_datetime(False) is None
    assert to_odoo_date(date(2026, 1, 2)) == "2026-01-02"
    assert to_odoo_date(datetime(2026, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=-2)))) == "2026-01-02"


def test_m2o_and_chunks() -> None:
    assert m2o_id([5, "Azure"]) == 5 and m2o_id(5) == 5 and m2o_id(False) is None
    assert m2o_name([5, "Azure"]) == "Azure" and m2o_name(False) is None
    with pytest.raises(ValueError):
        m2o_id(True)
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
