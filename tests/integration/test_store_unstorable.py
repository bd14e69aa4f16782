"""Inputs carrying what PostgreSQL cannot hold (NUL, lone surrogates, NaN) still reach the inbox
and the quarantine, instead of failing the batch they came with."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from amazon_odoo_sync.store import inbox, quarantine

pytestmark = pytest.mark.db


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


async def test_inbox_and_quarantine_keep_unstorable_text_as_replacement_characters(
        conn: psycopg.AsyncConnection[Any]) -> None:
    payload = {"NotificationType": "ORDER\x00CHANGE", "x": "\ud800", "n": math.nan}
    item = await inbox.put(conn, source="notification", key="n-\x00", account="acme", payload=payload)
    assert item.key == "n-\ufffd" and item.payload == {"NotificationType": "ORDER\ufffdCHANGE", "x": "\ufffd",
                                                       "n": "nan"}
    assert await inbox.put_many(conn, source="notification", account="acme", items={"m-\ud800": payload}) == \
        {"m-\ufffd"}
    q = await quarantine.put(conn, flow="notifications", key="k\x00", account=None,
                             reason="unknown seller A\x00B", payload=payload)
    assert (q.key, q.reason) == ("k\ufffd", "unknown seller A\ufffdB")
