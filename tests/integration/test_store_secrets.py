from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from amazon_odoo_sync.config import SecretsConfig
from amazon_odoo_sync.exceptions import ConfigurationError
from amazon_odoo_sync.store import accounts, credentials
from amazon_odoo_sync.store.secrets import (
    Cipher,
    Secret,
    encrypted_columns,
    load_cipher,
    new_key,
    read_key_file,
    rotate_key,
)

pytestmark = pytest.mark.db


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[object]]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


async def _add_acme(conn: psycopg.AsyncConnection[object], cipher: Cipher) -> None:
    await accounts.upsert(conn, cipher, name="acme", region="EU", seller_id="S1",
                          marketplaces=["A1PA6795UKMFR9", "A13V1IB3VIYZZH"], lwa_client_id="cid",
                          lwa_client_secret=Secret("lwa-secret"), refresh_token=Secret("Atzr|rt"))


async def test_account_credentials_roundtrip(conn: psycopg.AsyncConnection[object]) -> None:
    cipher = Cipher([new_key()])
    await _add_acme(conn, cipher)
    creds = await credentials.get_account_credentials(conn, cipher, "acme")
    assert creds.lwa_client_secret.reveal() == "lwa-secret" and creds.refresh_token.reveal() == "Atzr|rt"
    assert creds.marketplaces == ("A13V1IB3VIYZZH", "A1PA6795UKMFR9")
    assert "lwa-secret" not in repr(creds) and "Atzr" not in repr(creds)
    row = await (await conn.execute("SELECT lwa_client_secret, refresh_token FROM accounts")).fetchone()
    assert row is not None and "lwa-secret" not in str(row) and "Atzr" not in str(row)

    # Update without secrets keeps them; marketplaces are replaced.
    updated = await accounts.upsert(conn, cipher, name="acme", region="EU",
                                    marketplaces=["A1PA6795UKMFR9"], lwa_client_id="cid")
    assert updated.marketplaces == ("A1PA6795UKMFR9",) and updated.has_credentials
    assert (await credentials.get_account_credentials(conn, cipher, "acme")).refresh_token == \
        Secret("Atzr|rt")
    with pytest.raises(ConfigurationError, match="does not match"):
        await credentials.get_account_credentials(conn, Cipher([new_key()]), "acme")
    with pytest.raises(ConfigurationError, match="accounts add nobody"):
        await credentials.get_account_credentials(conn, cipher, "nobody")
    assert await accounts.remove(conn, "acme") and not await accounts.remove(conn, "acme")
    assert await accounts.list_accounts(conn) == []


async def test_odoo_credentials(conn: psycopg.AsyncConnection[object]) -> None:
    cipher = Cipher([new_key()])
    assert await credentials.get_odoo_credentials(conn, cipher) is None
    await credentials.set_odoo_api_key(conn, cipher, url="http://odoo:8069", database="prod",
                                       user="sync", api_key=Secret("k1"))
    await credentials.set_odoo_api_key(conn, cipher, url="http://odoo:8069", database="prod",
                                       user="sync", api_key=Secret("k2"))
    got = await credentials.get_odoo_credentials(conn, cipher)
    assert got is not None and (got.url, got.database, got.user) == ("http://odoo:8069", "prod", "sync")
    assert got.api_key.reveal() == "k2" and "k2" not in repr(got)


async def test_rotation_reencrypts_every_column_with_a_new_key_file(
        conn: psycopg.AsyncConnection[object], tmp_path: Path) -> None:
    config = SecretsConfig(key_file=tmp_path / "secret.key")
    old = load_cipher(config)
    await _add_acme(conn, old)
    await credentials.set_odoo_api_key(conn, old, url="u", database="d", user="x",
                                       api_key=Secret("odoo-key"))
    assert set(await encrypted_columns(conn)) >= {("accounts", "lwa_client_secret"),
                                                  ("accounts", "refresh_token"),
                                                  ("odoo_credentials", "api_key")}
    before = await (await conn.execute("SELECT refresh_token FROM accounts")).fetchone()

    result = await rotate_key(conn, config)

    assert result.counts["accounts.lwa_client_secret"] == 1
    assert result.counts["accounts.refresh_token"] == 1
    assert result.counts["odoo_credentials.api_key"] == 1
    keys = read_key_file(config.key_file)
    assert len(keys) == 1 and keys[0] not in old.keys  # old key dropped after commit
    assert stat.S_IMODE(config.key_file.stat().st_mode) == 0o600
    new = load_cipher(config)
    creds = await credentials.get_account_credentials(conn, new, "acme")
    assert creds.refresh_token.reveal() == "Atzr|rt"
    odoo = await credentials.get_odoo_credentials(conn, new)
    assert odoo is not None and odoo.api_key.reveal() == "odoo-key"
    after = await (await conn.execute("SELECT refresh_token FROM accounts")).fetchone()
    assert before != after
    with pytest.raises(ConfigurationError):  # the old key alone no longer decrypts
        await credentials.get_account_credentials(conn, old, "acme")
    # Ciphertexts made with the old key before rotation still decrypt with new + old keys.
    assert Cipher([*new.keys, *old.keys]).decrypt(old.encrypt("legacy")) == "legacy"


async def test_failed_rotation_keeps_old_key_usable(
        conn: psycopg.AsyncConnection[object], tmp_path: Path) -> None:
    config = SecretsConfig(key_file=tmp_path / "secret.key")
    old = load_cipher(config)
    await _add_acme(conn, old)
    # A value encrypted under some other key: rotation must fail and change nothing.
    await conn.execute("UPDATE accounts SET refresh_token = %s",
                       (Cipher([new_key()]).encrypt("x"),))
    before = await (await conn.execute("SELECT lwa_client_secret FROM accounts")).fetchone()
    with pytest.raises(ConfigurationError, match="does not match"):
        await rotate_key(conn, config)
    after = await (await conn.execute("SELECT lwa_client_secret FROM accounts")).fetchone()
    assert before == after
    keys = read_key_file(config.key_file)
    assert old.keys[0] in keys and len(keys) == 2  # new key in front, old one still there
    assert load_cipher(config).decrypt(before[0]) == "lwa-secret"


async def test_rotation_with_environment_keys_moves_to_the_first_key(
        conn: psycopg.AsyncConnection[object]) -> None:
    old_key, new_key_ = new_key(), new_key()
    await _add_acme(conn, Cipher([old_key]))
    result = await rotate_key(conn, SecretsConfig(key=f"{new_key_},{old_key}"))
    assert result.key_file is None and result.total == 2
    creds = await credentials.get_account_credentials(conn, Cipher([new_key_]), "acme")
    assert creds.lwa_client_secret.reveal() == "lwa-secret"
