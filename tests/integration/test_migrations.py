from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.db


def test_migrations_reach_head(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    from amazon_odoo_sync.store.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT version_num FROM aos_alembic_version").fetchone()
    assert row is not None and row[0] == head
