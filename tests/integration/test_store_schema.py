from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from amazon_odoo_sync.store import tables
from amazon_odoo_sync.store.base import metadata
from amazon_odoo_sync.store.database import sqlalchemy_url

pytestmark = pytest.mark.db

CORE = {"accounts", "account_marketplaces", "odoo_credentials", "sync_cursors", "inbox",
        "external_ids", "quarantine", "audit_log"}


def _tables_of(diff: object) -> set[str]:
    found = set()
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if table is not None:
                found.add(table.name)
            elif name in CORE:
                found.add(name)
    return found


def test_migration_0001_matches_store_tables(db_url: str) -> None:
    assert {t.name for t in (tables.accounts, tables.inbox, tables.audit_log)} <= CORE
    engine = create_engine(sqlalchemy_url(db_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "compare_server_default": False})
            diffs = [d for d in compare_metadata(context, metadata) if _tables_of(d) & CORE]
    finally:
        engine.dispose()
    assert diffs == []
