"""One Odoo contract suite, two targets: the emulator (always) and a real Odoo (when configured).

The real target needs ``ODOO_URL``, ``ODOO_DB``, ``ODOO_USER`` and ``ODOO_API_KEY``; without them
its half of the suite is skipped, saying so. Tests never assume a clean database: they create
what they need under unique names, so they can run against a shared real server repeatedly.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.odoo import OdooClient
from amazon_odoo_sync.sandbox.odoo import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN, create_app

REAL_ENV = ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY")
EMULATOR_URL = "http://odoo-emulator.test"

pytestmark = pytest.mark.contract


@dataclass
class Target:
    name: str
    url: str
    database: str
    user: str
    api_key: str
    transport: Callable[[], httpx.AsyncBaseTransport | None]


@pytest.fixture(params=["emulator", "real"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "emulator":
        app = create_app()
        return Target("emulator", EMULATOR_URL, DEMO_DATABASE, DEMO_LOGIN, DEMO_API_KEY,
                      lambda: httpx.ASGITransport(app=app))
    missing = [name for name in REAL_ENV if not os.environ.get(name)]
    if missing:
        pytest.skip(f"real Odoo contract run skipped: set {', '.join(missing)} to run it")
    return Target("real", os.environ["ODOO_URL"], os.environ["ODOO_DB"], os.environ["ODOO_USER"],
                  os.environ["ODOO_API_KEY"], lambda: None)


@pytest.fixture
async def odoo(target: Target) -> AsyncIterator[OdooClient]:
    async with OdooClient(target.url, target.database, target.user, target.api_key,
                          transport=target.transport(), timeout=120.0) as client:
        yield client


class RawJsonRpc:
    """The bare wire, for what the client deliberately hides (private methods, missing ``result``)."""

    def __init__(self, target: Target, http: httpx.AsyncClient) -> None:
        self.target = target
        self.http = http
        self._ids = itertools.count(1)

    async def envelope(self, service: str, method: str, args: list[Any]) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                "params": {"service": service, "method": method, "args": args}}
        response = await self.http.post(f"{self.target.url}/jsonrpc", content=json.dumps(body),
                                        headers={"Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def execute_kw(self, uid: int, model: str, method: str, args: list[Any],
                         kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
        t = self.target
        return await self.envelope("object", "execute_kw",
                                   [t.database, uid, t.api_key, model, method, args, kwargs or {}])


@pytest.fixture
async def raw(target: Target) -> AsyncIterator[RawJsonRpc]:
    async with httpx.AsyncClient(transport=target.transport(), timeout=120.0) as http:
        yield RawJsonRpc(target, http)


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A name no earlier run used (the real database keeps everything)."""
    run = uuid.uuid4().hex[:8]
    return lambda prefix: f"{prefix}-{run}"


@dataclass
class Basics:
    warehouse_id: int
    stock_location_id: int
    currency_id: int


@pytest.fixture
async def basics(odoo: OdooClient) -> Basics:
    [warehouse] = await odoo.search_read("stock.warehouse", [["code", "=", "WH"]], ["lot_stock_id"], limit=1)
    [company] = await odoo.search_read("res.company", [], ["currency_id"], limit=1)
    return Basics(warehouse_id=warehouse["id"], stock_location_id=warehouse["lot_stock_id"][0],
                  currency_id=company["currency_id"][0])
