"""The demo's database is made afresh each run: dropped with its sessions, created empty."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from amazon_odoo_sync.exceptions import PermanentError
from amazon_odoo_sync.store.database import recreate_database

pytestmark = pytest.mark.db


def test_a_database_is_dropped_with_its_sessions_and_created_empty(server_url: str) -> None:
    name = f"aos_recreate_{uuid.uuid4().hex[:8]}"
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    recreate_database(server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as held:  # a session left open, as a crashed run's
            held.execute("CREATE TABLE leftover (id int)")
            recreate_database(server_url, name)
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT to_regclass('leftover') IS NULL").fetchone()
        assert row == (True,)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with pytest.raises(PermanentError, match="PostgreSQL"):  # our error, not the driver's
        recreate_database(server_url, "")
