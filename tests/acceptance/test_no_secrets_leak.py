"""No secret leaves its encrypted column: a demo run through the real CLI (simulator, emulator,
web, two workers, all logging at debug) with known secrets — LWA client secrets, refresh
tokens, the Odoo API key, the Fernet key, and any LWA access token — and neither a log line of
the connector's processes nor any column of any table holds one of them in plain text.

The simulator and the emulator stand in for Amazon and Odoo: they print their own credentials
when they start, as a test server does; their logs are not the connector's and are left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from psycopg import sql

from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY
from amazon_odoo_sync.store.embedded import start_embedded_postgres, stop_embedded_postgres

pytestmark = [pytest.mark.slow, pytest.mark.db]

CLI = Path(sys.executable).with_name("amazon-odoo-sync")
#: Every LWA access token the simulator issues starts so (Amazon's do too).
ACCESS_TOKEN_PREFIX = "Atza|"


def _every_stored_value(url: str) -> list[tuple[str, Any]]:
    """(table.column, value) of every text-like, JSON and binary column of every table."""
    found: list[tuple[str, Any]] = []
    with psycopg.connect(url) as conn:
        columns = conn.execute("""
            SELECT c.table_schema, c.table_name, c.column_name, c.data_type FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
              AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY')
        """).fetchall()
        for schema, table, column, data_type in columns:
            cast = sql.SQL("") if data_type == "bytea" else sql.SQL("::text")
            rows = conn.execute(sql.SQL("SELECT {}{} FROM {}.{} WHERE {} IS NOT NULL").format(
                sql.Identifier(column), cast, sql.Identifier(schema), sql.Identifier(table),
                sql.Identifier(column))).fetchall()
            found.extend((f"{table}.{column}", row[0]) for row in rows)
    return found


def test_a_demo_run_leaks_no_secret_to_logs_or_tables(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    with tempfile.TemporaryDirectory(prefix="aos-secrets-") as parent:
        postgres = Path(parent) / "pg"
        server = start_embedded_postgres(postgres)  # ours: the demo uses it and leaves it running
        try:
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("AOS_")}
            env.update(AOS_DATABASE__EMBEDDED_DIR=str(postgres), AOS_LOG_LEVEL="debug")
            result = subprocess.run(
                [str(CLI), "demo", "--scenario", "demo", "--hours", "0.5", "--speed", "600", "--latency-scale", "0",
                 "--exit", "--work-dir", str(work)],
                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            stored = _every_stored_value(server.url.rsplit("/", 1)[0] + "/aos_demo")
        finally:
            stop_embedded_postgres(postgres)

    scenario = tomllib.loads((work / "demo.toml").read_text())
    fernet_key = tomllib.loads((work / "config.toml").read_text())["secrets"]["key"]
    secrets = {"Fernet key": fernet_key, "Odoo API key": DEMO_API_KEY, "access token": ACCESS_TOKEN_PREFIX}
    secrets |= {f"LWA client secret of {a['client_id']}": a["client_secret"] for a in scenario["apps"]}
    secrets |= {f"refresh token of {s['seller_id']}": s["refresh_token"] for s in scenario["sellers"]}
    assert len(secrets) >= 7 and all(len(v) >= 5 for v in secrets.values())

    logs = {"demo output": result.stdout + result.stderr}
    logs |= {p.name: p.read_text() for p in work.glob("*.log") if p.stem not in ("simulator", "emulator")}
    assert {"web.log", "worker-1.log", "worker-2.log"} <= set(logs)
    lines = [(name, line) for name, text in logs.items() for line in text.splitlines()]
    assert len(lines) > 1000  # debug: the workers said a lot
    assert sum('"level": "debug"' in line for _, line in lines) > 100
    leaks = [(name, what, line[:200]) for name, line in lines for what, value in secrets.items() if value in line]
    assert leaks == []

    assert len(stored) > 500
    leaks = [(column, what) for column, value in stored for what, secret in secrets.items()
             if (secret.encode() in value if isinstance(value, bytes) else secret in str(value))]
    assert leaks == []
    # The secrets are there, encrypted: the scan looked where they live.
    fernet = Fernet(fernet_key)
    tokens = {fernet.decrypt(v.encode()).decode() for c, v in stored if c == "accounts.refresh_token"}
    assert tokens == {s["refresh_token"] for s in scenario["sellers"]}
    assert {fernet.decrypt(v.encode()).decode() for c, v in stored if c == "odoo_credentials.api_key"} == {DEMO_API_KEY}
    access = [fernet.decrypt(bytes(v)).decode() for c, v in stored if c.endswith(".access_token")]
    assert access and all(t.startswith(ACCESS_TOKEN_PREFIX) for t in access), json.dumps(sorted(
        {c for c, _ in stored}))
