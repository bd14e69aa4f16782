"""``odoo setup [--check]`` and ``odoo set-key`` through the CLI: everything missing reported in
one run, in the order to fix it; the key file created on first use; the API key from
``AOS_ODOO__API_KEY`` (the old name still works, with a warning) or standard input."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.cli.main import run
from amazon_odoo_sync.config import SecretsConfig
from amazon_odoo_sync.odoo import factory
from amazon_odoo_sync.sandbox.odoo.app import create_app
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN
from amazon_odoo_sync.store.credentials import get_odoo_credentials
from amazon_odoo_sync.store.database import connect
from amazon_odoo_sync.store.secrets import load_cipher

pytestmark = pytest.mark.db

ACCOUNT = '[[accounts]]\nname = "acme-eu"\nregion = "EU"\nmarketplaces = ["DE"]\n'
ODOO = f'[odoo]\ndatabase = "{DEMO_DATABASE}"\nuser = "{DEMO_LOGIN}"\n'


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("AOS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("AOS_SECRETS__KEY_FILE", str(tmp_path / "keys" / "secret.key"))
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setenv("LWA_SECRET", "s")
    monkeypatch.setenv("LWA_TOKEN", "t")
    emulator = create_app()

    def emulated(settings: Any, api_key: str, **kwargs: Any) -> Any:
        return factory.client_from_settings(settings, api_key, transport=httpx.ASGITransport(app=emulator))

    monkeypatch.setattr("amazon_odoo_sync.cli.odoo.client_from_settings", emulated)

    def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = run(list(args))
        captured = capsys.readouterr()
        return code, " ".join(captured.out.split()), " ".join(captured.err.split())

    yield invoke


def test_fresh_setup_reports_everything_missing_in_order(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "amazon-odoo-sync.toml").write_text(ACCOUNT)
    code, out, err = cli("odoo", "setup", "--check")
    assert code == 1 and "Traceback" not in out + err
    assert "key file" not in out + err  # created on first use, as the generated file says
    assert (tmp_path / "keys" / "secret.key").exists()
    order = ["1. [odoo] database is empty", "2. no Odoo API key: run `amazon-odoo-sync odoo set-key` "
             "or set AOS_ODOO__API_KEY", "3. accounts declared in the configuration file but not "
             "stored: acme-eu: run `amazon-odoo-sync accounts import`"]
    positions = [out.find(text) for text in order]
    assert -1 not in positions and positions == sorted(positions), out
    assert "3 thing(s) to fix" in out


def test_with_odoo_reachable_the_checklist_runs_and_setup_completes(cli: Any, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "amazon-odoo-sync.toml").write_text(ODOO + ACCOUNT)
    monkeypatch.setenv("AOS_ODOO__API_KEY", "wrong")
    code, out, _ = cli("odoo", "setup", "--check")
    assert code == 1
    login = out.index(f"1. Odoo at http://127.0.0.1:8069, database '{DEMO_DATABASE}'")
    assert login < out.index("2. accounts declared")

    monkeypatch.setenv("AOS_ODOO__API_KEY", DEMO_API_KEY)
    code, out, _ = cli("odoo", "setup", "--check")
    assert code == 1 and "Odoo setup check (read-only)" in out and "would be created" in out
    assert "1. accounts declared" in out

    assert cli("accounts", "import")[0] == 0
    code, out, _ = cli("odoo", "setup")
    assert code == 1 and "1. accounts without complete SP-API credentials: acme-eu" in out
    assert cli("accounts", "add", "acme-eu", "--lwa-client-id", "x", "--lwa-client-secret-env", "LWA_SECRET",
               "--refresh-token-env", "LWA_TOKEN")[0] == 0
    code, out, _ = cli("odoo", "setup", "--check")
    assert code == 0 and "to fix" not in out and " missing" in out and "0 missing" in out, out


def test_the_old_api_key_variable_works_with_a_warning(cli: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "amazon-odoo-sync.toml").write_text(ODOO)
    monkeypatch.setenv("AOS_ODOO_API_KEY", DEMO_API_KEY)
    code, out, err = cli("odoo", "setup", "--check")
    assert "AOS_ODOO_API_KEY is deprecated and will stop working: rename it AOS_ODOO__API_KEY" in err
    assert "Odoo setup check (read-only)" in out and "no Odoo API key" not in out and "Odoo at" not in out


def test_set_key_reads_standard_input_without_a_terminal(cli: Any, tmp_path: Path, db_url: str) -> None:
    (tmp_path / "amazon-odoo-sync.toml").write_text(ODOO)
    code, out, err = cli("odoo", "set-key", stdin="")
    assert code == 2 and "no API key on standard input" in err and "Aborted" not in out + err
    code, out, err = cli("odoo", "set-key", "--stdin", stdin="wrong\n")
    assert code != 0 and "Traceback" not in out + err
    code, out, err = cli("odoo", "set-key", stdin=DEMO_API_KEY + "\n")
    assert code == 0 and "Odoo accepted the key" in out and DEMO_API_KEY not in out + err

    async def stored() -> str | None:
        cipher = load_cipher(SecretsConfig(key_file=tmp_path / "keys" / "secret.key"), create=False)
        async with connect(db_url) as conn:
            credentials = await get_odoo_credentials(conn, cipher)
        return credentials.api_key.reveal() if credentials else None

    assert asyncio.run(stored()) == DEMO_API_KEY
    code, out, _ = cli("odoo", "setup", "--check")  # the stored key is found
    assert "no Odoo API key" not in out and "Odoo setup check (read-only)" in out
