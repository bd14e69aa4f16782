"""One source of truth for accounts: the database. ``accounts import`` stores the configuration
file's declarations (idempotent); every sync command works the stored accounts, with their
marketplaces checked against the account; an account only in the file gets a message saying
what to run."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from amazon_odoo_sync.cli.main import run

pytestmark = pytest.mark.db

TOML = """
[[accounts]]
name = "acme-eu"
region = "EU"
seller_id = "A2SELLER"
marketplaces = ["DE", "FR"]

[[accounts]]
name = "acme-us"
region = "NA"
marketplaces = ["US"]
"""


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("AOS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("AOS_SECRETS__KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LWA_SECRET", "amzn1.oa2-cs.v1.TOPSECRET")
    monkeypatch.setenv("LWA_TOKEN", "Atzr|REFRESH")

    def invoke(*args: str) -> tuple[int, str]:
        code = run(list(args))
        captured = capsys.readouterr()
        return code, " ".join((captured.out + captured.err).split())

    yield invoke


CREDENTIALS = ("--lwa-client-id", "amzn1.application-oa2-client.x", "--lwa-client-secret-env",
               "LWA_SECRET", "--refresh-token-env", "LWA_TOKEN")


@pytest.fixture
def recovered(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``sync order`` with Amazon and Odoo replaced: what the flow was given."""
    seen: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def open_runtime(settings: Any, **_: Any) -> AsyncIterator[Any]:
        yield SimpleNamespace(settings=settings)

    async def recover_order(rt: Any, account: str, order_id: str) -> Any:
        seen["marketplaces"] = rt.settings.account(account).marketplaces
        return SimpleNamespace(quarantined=False, created=1, adopted=0, cancelled=0, reserved=0)

    monkeypatch.setattr("amazon_odoo_sync.flows.runtime.open_runtime", open_runtime)
    monkeypatch.setattr("amazon_odoo_sync.flows.orders.recover_order", recover_order)
    return seen


def test_an_added_account_is_seen_by_sync_commands(cli: Any, recovered: dict[str, Any]) -> None:
    code, out = cli("accounts", "add", "acme-eu", "--region", "EU", "-m", "DE", "-m", "IT", *CREDENTIALS)
    assert code == 0, out
    code, out = cli("sync", "order", "028-1234567-1234567", "--account", "acme-eu")
    assert code == 0, out
    assert recovered["marketplaces"] == ["A1PA6795UKMFR9", "APJ6JRA9NG5V4"]  # DE, IT: from the database


def test_marketplaces_are_checked_against_the_account(cli: Any) -> None:
    assert cli("accounts", "add", "acme-eu", "--region", "EU", "-m", "DE", *CREDENTIALS)[0] == 0
    code, out = cli("sync", "orders", "--account", "acme-eu", "--since", "2026-11-01", "-m", "US")
    assert code == 2 and "US is in region NA; account acme-eu is in EU" in out and "Traceback" not in out
    code, out = cli("sync", "orders", "--account", "acme-eu", "--since", "2026-11-01", "-m", "FR")
    assert code == 2 and "acme-eu does not sell in FR" in out


def test_an_account_only_in_the_file_says_to_import_it(cli: Any, tmp_path: Path,
                                                       recovered: dict[str, Any]) -> None:
    (tmp_path / "amazon-odoo-sync.toml").write_text(TOML)
    code, out = cli("sync", "order", "028-1234567-1234567", "--account", "acme-eu")
    assert code == 2 and "accounts import acme-eu" in out and "stored accounts: none yet" in out
    code, out = cli("sync", "stock", "--account", "nobody")
    assert code == 2 and "accounts add nobody" in out
    code, out = cli("accounts", "list")
    assert code == 0 and "config file only" in out and "run `amazon-odoo-sync accounts import`" in out

    code, out = cli("accounts", "import", "acme-eu")
    assert code == 0 and "acme-eu: added (EU: DE, FR); credentials missing" in out
    code, out = cli("sync", "order", "028-1234567-1234567", "--account", "acme-eu")
    assert code == 0, out
    assert recovered["marketplaces"] == ["A13V1IB3VIYZZH", "A1PA6795UKMFR9"]


def test_import_is_idempotent_and_keeps_credentials(cli: Any, tmp_path: Path, db_url: str) -> None:
    assert cli("accounts", "add", "acme-eu", "--region", "EU", "-m", "DE", *CREDENTIALS)[0] == 0
    (tmp_path / "amazon-odoo-sync.toml").write_text(TOML)
    code, out = cli("accounts", "import")
    assert code == 0, out
    assert "acme-eu: updated (EU: DE, FR); credentials complete" in out
    assert "acme-us: added (NA: US); credentials missing" in out and "accounts add NAME" in out
    code, again = cli("accounts", "import")
    assert code == 0 and "acme-eu: unchanged" in again and "acme-us: unchanged" in again
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT a.name, a.seller_id, a.lwa_client_id, a.refresh_token IS NOT NULL, "
                            "count(m.*) FROM accounts a JOIN account_marketplaces m ON m.account_id = a.id "
                            "GROUP BY a.id ORDER BY a.name").fetchall()
        imports = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'accounts.import'").fetchone()
    assert rows == [("acme-eu", "A2SELLER", "amzn1.application-oa2-client.x", True, 2),
                    ("acme-us", "", "", False, 1)]
    assert imports == (1,)  # the second import changed nothing

    code, out = cli("accounts", "import", "acme-xx")
    assert code == 2 and "not declared in the configuration file: acme-xx" in out

    # An imported account without credentials needs them all when added.
    code, out = cli("accounts", "add", "acme-us", "--lwa-client-id", "x", "--refresh-token-env", "LWA_TOKEN")
    assert code == 2 and "--lwa-client-secret-env" in out


def test_a_database_without_tables_says_to_upgrade(cli: Any, db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    code, out = cli("sync", "fba", "--account", "acme-eu")
    assert code == 2 and "run `amazon-odoo-sync db upgrade`" in out and "Traceback" not in out


def test_workers_work_the_stored_accounts(cli: Any) -> None:
    code, out = cli("worker", "--no-wait")
    assert code == 0 and "no seller account stored" in out, out
    assert cli("accounts", "add", "acme-eu", "--region", "EU", "-m", "DE", *CREDENTIALS)[0] == 0
    code, out = cli("worker", "--no-wait")
    assert code == 0 and "worker accounts" in out and "acme-eu" in out and "no seller account" not in out
