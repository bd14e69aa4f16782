"""The client against a real Odoo, when ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY are set.

Read-only except for nothing: every call here reads or fails on purpose, so it is safe to point
at a shared test database.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.exceptions import InvalidInputError, NotFoundError, RemoteRuleError
from amazon_odoo_sync.odoo import AdaptiveGovernor, OdooClient
from amazon_odoo_sync.odoo.setup import ensure_odoo_setup

_VARS = ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY")
pytestmark = pytest.mark.skipif(not all(os.environ.get(v) for v in _VARS),
                                reason="no real Odoo configured (ODOO_URL, ODOO_DB, ODOO_USER, "
                                       "ODOO_API_KEY)")


@pytest.fixture
async def odoo() -> AsyncIterator[OdooClient]:
    governor = AdaptiveGovernor("real", max_concurrency=4)
    async with OdooClient(os.environ["ODOO_URL"], os.environ["ODOO_DB"], os.environ["ODOO_USER"],
                          os.environ["ODOO_API_KEY"], governor=governor) as client:
        yield client


async def test_version_protocol_and_uid(odoo: OdooClient) -> None:
    version = await odoo.version()
    assert version.major >= 16
    assert await odoo.protocol() == ("json2" if version.major >= 19 else "jsonrpc")
    assert await odoo.authenticate() > 0


async def test_error_mapping_on_a_real_server(odoo: OdooClient) -> None:
    with pytest.raises(InvalidInputError) as bad_field:
        await odoo.search_read("res.partner", [], ["no_such_field"], limit=1)
    assert "no_such_field" in (bad_field.value.remote_message or "")
    with pytest.raises(NotFoundError):
        await odoo.write("res.partner", [2_000_000_000], {"name": "x"})
    with pytest.raises(RemoteRuleError):
        await odoo.search("no.such.model", [])
    with pytest.raises(InvalidInputError):
        await odoo.call("res.partner", "no_such_method", ids=[1])


async def test_none_result_and_chunked_reads(odoo: OdooClient) -> None:
    assert await odoo.call("res.partner", "check_access_rights", "read") is None
    total = await odoo.search_count("res.currency", [], context={"active_test": False})
    rows = await odoo.search_read("res.currency", [], ["name"], chunk_size=7,
                                  context={"active_test": False})
    assert len(rows) == total and len({r["id"] for r in rows}) == total
    assert await odoo.read("res.partner", [2_000_000_000], ["name"]) == []


async def test_setup_check_mode_runs_read_only(odoo: OdooClient) -> None:
    settings = Settings(accounts=[{"name": "eu", "region": "EU", "marketplaces": ["DE"]}])
    result = await ensure_odoo_setup(odoo, settings, check_only=True)
    assert result.count("created") == 0
    assert {i.name for i in result.items if i.what == "module"} == {"sale_management", "stock",
                                                                     "account"}
    assert result.count("error") == 0, [i for i in result.items if i.status == "error"]
