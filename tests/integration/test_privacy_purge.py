"""The personal data purge on PostgreSQL: nothing personal of an old row is left anywhere."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from amazon_odoo_sync.flows.privacy import purge_personal_data
from amazon_odoo_sync.jobs.schedule import registered_schedules
from amazon_odoo_sync.mapping.personal_data import PERSONAL_KEYS, redact
from amazon_odoo_sync.store import audit, inbox, quarantine
from amazon_odoo_sync.store.unit import PgStore
from tests.factories import orders as factory
from tests.unit.test_personal_data import JSON

pytestmark = pytest.mark.db

# The database stamps what the purge itself writes (its audit entry) with its own clock.
NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=31)
RECENT = NOW - timedelta(days=1)


@pytest.fixture
def store(pool: AsyncConnectionPool[Any]) -> PgStore:
    return PgStore(pool)


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


def _order(tag: str, *, delivery: str | None = None) -> tuple[dict[str, Any], set[str]]:
    """An order document full of personal data marked with ``tag``, and those values."""
    personal = {f"Erika {tag}", f"{tag}@marketplace.amazon.de", f"Hauptstr. {tag}", f"+49 30 {tag}",
                f"{tag} GmbH", f"DE{tag}", f"Gruss {tag}"}
    doc = factory.order(
        order_id=f"028-{tag}",
        items=[factory.order_item(gift_message=f"Gruss {tag}")],
        buyer={"buyerName": f"Erika {tag}", "buyerEmail": f"{tag}@marketplace.amazon.de",
               "buyerCompanyName": f"{tag} GmbH"},
        address=factory.address(name=f"Erika {tag}", street=f"Hauptstr. {tag}") | {"phone": f"+49 30 {tag}"},
        tax_registrations=[{"taxRegistrationNumber": f"DE{tag}", "legalName": f"{tag} GmbH"}])
    if delivery is not None:
        doc["fulfillment"]["deliverByWindow"] = {"earliestDateTime": delivery, "latestDateTime": delivery}
    return doc, personal


async def _text_of_every_column(conn: psycopg.AsyncConnection[Any]) -> str:
    """Every text-like and JSON column of every table of the database, as one string: a table
    added later is scanned without changing this test."""
    columns = await (await conn.execute("""
        SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
          AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY')
    """)).fetchall()
    assert len(columns) > 50
    parts = []
    for schema, table, column in columns:
        rows = await (await conn.execute(sql.SQL("SELECT {}::text FROM {}.{} WHERE {} IS NOT NULL").format(
            sql.Identifier(column), sql.Identifier(schema), sql.Identifier(table), sql.Identifier(column)))).fetchall()
        parts.extend(row[0] for row in rows)
    return "\n".join(parts)


async def _age(conn: psycopg.AsyncConnection[Any], table: str, row_id: int, at: datetime, *columns: str) -> None:
    sets = sql.SQL(", ").join(sql.SQL("{} = %(at)s").format(sql.Identifier(c)) for c in columns)
    await conn.execute(sql.SQL("UPDATE {} SET {} WHERE id = %(id)s").format(sql.Identifier(table), sets),
                       {"at": at, "id": row_id})


async def _seed(conn: psycopg.AsyncConnection[Any], tag: str, at: datetime, *,
                delivery: str | None = None) -> set[str]:
    """An inbox document, a resolved and an open quarantine item and an audit entry, all
    carrying personal data, last used at ``at``."""
    personal: set[str] = set()
    doc, values = _order(f"{tag}i", delivery=delivery)
    personal |= values
    item = await inbox.put(conn, source="orders/acme", key=f"{tag}@1", account="acme", payload=doc)
    await inbox.mark_processed(conn, item.id)
    await _age(conn, "inbox", item.id, at, "received_at", "processed_at")

    doc, values = _order(f"{tag}q", delivery=delivery)
    personal |= values
    q = await quarantine.put(conn, flow="orders", key=f"acme:{tag}q", account="acme", reason="unknown SKU",
                             details={"error": "InvalidInputError", "buyer": {"buyerName": f"Erika {tag}q"},
                                      "remote_message": f"Invalid email {tag}q@marketplace.amazon.de"},
                             payload=doc)
    await quarantine.resolve(conn, "orders", f"acme:{tag}q", "imported")
    await _age(conn, "quarantine", q.id, at, "first_seen", "last_seen", "resolved_at")

    doc, values = _order(f"{tag}o", delivery=delivery)
    personal |= values
    q = await quarantine.put(conn, flow="orders", key=f"acme:{tag}o", account="acme", reason="bad",
                             payload=doc)
    await _age(conn, "quarantine", q.id, at, "first_seen", "last_seen")

    entry = await audit.record(conn, actor="test", action="order.note", object_type="sale.order",
                               details={"recipient": {"name": f"Erika {tag}a", "phone": f"+49 30 {tag}a"}})
    await _age(conn, "audit_log", entry.id, at, "at")
    return personal | {f"Erika {tag}a", f"+49 30 {tag}a"}


async def test_purge_leaves_nothing_personal_of_old_rows_anywhere_and_new_rows_untouched(
        conn: psycopg.AsyncConnection[Any], store: PgStore) -> None:
    old = await _seed(conn, "O1d", OLD)
    # Received long ago, but Amazon announced the delivery for 5 days ago: 30 days after delivery.
    delivered_late = await _seed(conn, "L4te", OLD - timedelta(days=10),
                                 delivery=(NOW - timedelta(days=5)).isoformat())
    late_audit = {"Erika L4tea", "+49 30 L4tea"}  # an audit entry has no delivery: its age decides
    # A delivery time that is not a timestamp does not stop the purge; the row's age decides.
    broken = await _seed(conn, "Br0k", OLD, delivery="next Tuesday")
    new = await _seed(conn, "N3w", RECENT)
    before = await _text_of_every_column(conn)
    assert all(value in before for value in old | delivered_late | broken | new)

    dry = await purge_personal_data(store, retention_days=30, now=NOW, dry_run=True)
    assert dry.rows == {"inbox": 2, "quarantine": 4, "audit_log": 3}
    assert await _text_of_every_column(conn) == before  # a dry run changes nothing

    result = await purge_personal_data(store, retention_days=30, now=NOW, batch=2)  # several batches
    assert result.rows == {"inbox": 2, "quarantine": 4, "audit_log": 3}
    after = await _text_of_every_column(conn)
    assert [v for v in old | broken | late_audit if v in after] == []
    assert [v for v in new | delivered_late - late_audit if v not in after] == []
    # What the books need stays: order ids, SKUs, amounts, postal code and country.
    stored = (await (await conn.execute("SELECT payload FROM inbox WHERE key = 'O1d@1'")).fetchone())
    assert stored is not None
    doc = stored[0]
    assert doc["orderId"] == "028-O1di" and doc["orderItems"][0]["product"]["sellerSku"] == "SKU-1"
    assert doc["orderItems"][0]["proceeds"] == _order("x")[0]["orderItems"][0]["proceeds"]
    assert doc["recipient"]["deliveryAddress"] == {"city": "Berlin", "postalCode": "10115", "countryCode": "DE"}

    entries = [e for e in await audit.recent(conn, 5) if e.action == "privacy.purge"]
    assert len(entries) == 1
    assert entries[0].details["rows"] == {"inbox": 2, "quarantine": 4, "audit_log": 3}
    assert entries[0].details["retention_days"] == 30

    again = await purge_personal_data(store, retention_days=30, now=NOW)
    assert again.total == 0  # purged_at: a second run has nothing to do
    assert len([e for e in await audit.recent(conn, 5) if e.action == "privacy.purge"]) == 1

    # Ten days later the late delivery is over 30 days old too; the newest rows are not yet.
    later = await purge_personal_data(store, retention_days=30, now=NOW + timedelta(days=26))
    assert later.rows == {"inbox": 1, "quarantine": 2, "audit_log": 0}
    after = await _text_of_every_column(conn)
    assert [v for v in delivered_late if v in after] == []
    assert [v for v in new if v not in after] == []


async def test_an_open_quarantine_item_tried_again_is_still_in_use(conn: psycopg.AsyncConnection[Any],
                                                                   store: PgStore) -> None:
    doc, personal = _order("R3try")
    q = await quarantine.put(conn, flow="orders", key="acme:R3try", account="acme", reason="unknown SKU", payload=doc)
    await _age(conn, "quarantine", q.id, OLD - timedelta(days=60), "first_seen", "last_seen")
    await quarantine.put(conn, flow="orders", key="acme:R3try", account="acme", reason="unknown SKU", payload=doc)
    await conn.execute("UPDATE quarantine SET last_seen = %s WHERE id = %s", (RECENT, q.id))
    assert (await purge_personal_data(store, retention_days=30, now=NOW)).rows["quarantine"] == 0
    text = await _text_of_every_column(conn)
    assert all(v in text for v in personal)


@given(value=JSON)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sql_strip_keys_agrees_with_redact(db_url: str, value: Any) -> None:
    with psycopg.connect(db_url, autocommit=True) as sync_conn:
        row = sync_conn.execute("SELECT aos_strip_keys(%s::jsonb, %s)::text",
                                (json.dumps(value), sorted(PERSONAL_KEYS))).fetchone()
    assert row is not None
    assert json.loads(row[0]) == redact(value)


def test_purge_is_scheduled_daily_by_default() -> None:
    from amazon_odoo_sync.config import Settings

    schedule = registered_schedules()["privacy.purge"]
    assert schedule.interval(Settings()) == 86400
    assert schedule.task.name == "privacy.purge" and schedule.task.queue == "housekeeping"


def test_cli_privacy_purge_dry_run_then_purge(db_url: str) -> None:
    from typer.testing import CliRunner

    from amazon_odoo_sync.cli.main import app as cli

    async def seed() -> set[str]:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            return await _seed(c, "C1i", OLD)

    personal = asyncio.run(seed())
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "AOS_CONFIG": ""}
    dry = runner.invoke(cli, ["privacy", "purge", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "Dry run" in dry.output
    assert re.search(r"inbox\W+1\b", dry.output) and re.search(r"quarantine\W+2\b", dry.output), dry.output

    async def text() -> str:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            return await _text_of_every_column(c)

    assert all(v in asyncio.run(text()) for v in personal)
    done = runner.invoke(cli, ["privacy", "purge"], env=env)
    assert done.exit_code == 0, done.output
    assert "rows purged" in done.output
    assert [v for v in personal if v in asyncio.run(text())] == []


async def test_the_purge_job_runs_in_a_worker(db_url: str) -> None:
    from amazon_odoo_sync.config import DatabaseConfig, Settings
    from amazon_odoo_sync.jobs.worker import run_worker
    from amazon_odoo_sync.tasks import build_worker_app
    from amazon_odoo_sync.tasks import purge_personal_data as purge_task

    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
        personal = await _seed(c, "J0b", OLD)
    settings = Settings(database=DatabaseConfig(url=db_url))
    app = build_worker_app(settings, url=db_url)
    async with app.open_async():
        job_id = await purge_task.defer(app)
    await run_worker(build_worker_app(settings, url=db_url), settings,
                     wait=False, install_signal_handlers=False)
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
        row = await (await c.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,))).fetchone()
        assert row is not None and row[0] == "succeeded"
        text = await _text_of_every_column(c)
    assert [v for v in personal if v in text] == []
