"""The setup commands through the real ``amazon-odoo-sync`` executable, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.db

EXE = Path(sys.executable).with_name("amazon-odoo-sync")


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
        ok: bool = True) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AOS_")}
    full_env.update({"AOS_SECRETS__KEY_FILE": str(tmp_path / "secret.key"),
                     "COLUMNS": "200"})
    full_env.update(env or {})
    result = subprocess.run([str(EXE), *args], cwd=tmp_path, env=full_env, capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_init_upgrade_add_list_remove(tmp_path: Path, db_url: str) -> None:
    env = {"DATABASE_URL": db_url}
    with psycopg.connect(db_url, autocommit=True) as conn:  # start from an empty database
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")

    cli(tmp_path, "init", str(tmp_path / "amazon-odoo-sync.toml"))
    assert "[[accounts]]" in (tmp_path / "amazon-odoo-sync.toml").read_text()
    refused = cli(tmp_path, "init", str(tmp_path / "amazon-odoo-sync.toml"), ok=False)
    assert refused.returncode == 1 and "--force" in refused.stderr
    cli(tmp_path, "init", str(tmp_path / "amazon-odoo-sync.toml"), "--force")

    upgraded = cli(tmp_path, "db", "upgrade", env=env)
    assert "revision" in upgraded.stdout
    assert "already at revision" in cli(tmp_path, "db", "upgrade", env=env).stdout

    secrets = {"LWA_SECRET": "amzn1.oa2-cs.v1.TOPSECRET", "REFRESH": "Atzr|REFRESHTOKEN"}
    added = cli(tmp_path, "accounts", "add", "acme-eu", "--region", "EU", "--marketplace", "DE",
                "--marketplace", "FR", "--seller-id", "A2SELLER", "--lwa-client-id",
                "amzn1.application-oa2-client.abc", "--lwa-client-secret-env", "LWA_SECRET",
                "--refresh-token-env", "REFRESH", env=env | secrets)
    assert "complete" in added.stdout

    listed = cli(tmp_path, "accounts", "list", env=env)
    assert "acme-eu" in listed.stdout and "DE, FR" in listed.stdout and "set" in listed.stdout
    for value in secrets.values():
        for output in (added, listed):
            assert value not in output.stdout + output.stderr

    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT lwa_client_secret, refresh_token FROM accounts").fetchone()
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert stored is not None and all(v and "SECRET" not in v and "REFRESH" not in v for v in stored)
    assert actions == ["db.upgrade", "db.upgrade", "accounts.add", "accounts.list"]

    missing = cli(tmp_path, "accounts", "add", "other", "--region", "EU", "-m", "DE",
                  "--lwa-client-id", "x", "--lwa-client-secret-env", "UNSET_VAR_XYZ",
                  env=env, ok=False)
    assert missing.returncode == 2 and "UNSET_VAR_XYZ" in missing.stderr

    cli(tmp_path, "accounts", "remove", "acme-eu", "--yes", env=env)
    assert "acme-eu" not in cli(tmp_path, "accounts", "list", env=env).stdout
    gone = cli(tmp_path, "accounts", "remove", "acme-eu", "--yes", env=env, ok=False)
    assert gone.returncode == 1


def test_bad_region_for_marketplace_is_a_clear_error(tmp_path: Path, db_url: str) -> None:
    result = cli(tmp_path, "accounts", "add", "acme", "--region", "NA", "-m", "DE",
                 "--lwa-client-id", "x", env={"DATABASE_URL": db_url}, ok=False)
    assert result.returncode == 2
    assert "region EU, not NA" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_embedded_server_is_reused_between_commands_and_stopped_on_request(tmp_path: Path) -> None:
    from amazon_odoo_sync.store.embedded import is_running, stop_embedded_postgres

    data_dir = tmp_path / "embedded"
    env = {"AOS_DATABASE__EMBEDDED_DIR": str(data_dir), "DATABASE_URL": ""}
    try:
        cli(tmp_path, "db", "upgrade", env=env)
        pid = (data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0]
        assert is_running(data_dir)  # still running after the command exited
        assert "already at revision" in cli(tmp_path, "db", "upgrade", env=env).stdout
        assert (data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0] == pid

        assert "Stopped" in cli(tmp_path, "db", "stop-embedded", env=env).stdout
        assert not is_running(data_dir)
        assert "No embedded PostgreSQL" in cli(tmp_path, "db", "stop-embedded", env=env).stdout
    finally:
        stop_embedded_postgres(data_dir)
