"""Secrets at rest: Fernet encryption of LWA client secrets, refresh tokens and Odoo API keys.

Key source, first found wins:

1. ``settings.secrets.key`` (env ``AOS_SECRETS__KEY``): Fernet keys, comma separated, newest
   first (a ``MultiFernet``: the first key encrypts, every key decrypts).
2. The key file ``settings.secrets.key_file``: one key per line, newest first. Created on first
   use with mode 0600; a key file readable by group or others is refused.

Plaintexts travel as :class:`Secret` (repr and str ``***``) so they cannot slip into logs,
exceptions, tables or reprs by accident; ``reveal()`` is the one explicit way out.

Rotation (:func:`rotate_key`, command ``secrets rotate-key``): every column whose PostgreSQL
comment is ``aos:encrypted`` (see :data:`.tables.ENCRYPTED_COMMENT`) is re-encrypted with the
newest key in one transaction. With a key file, a new key is generated and written *in front of*
the old one before the transaction, and the old one is dropped only after commit: a crash at any
point leaves every ciphertext readable. With keys from the environment, put a new key first in
``AOS_SECRETS__KEY`` (``secrets new-key`` prints one), run ``rotate-key``, then drop the old key.
"""

from __future__ import annotations

import hmac
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from psycopg import AsyncConnection, pq, sql

from ..config import SecretsConfig
from ..exceptions import ConfigurationError
from .tables import ENCRYPTED_COMMENT

__all__ = ["Cipher", "RotationResult", "Secret", "encrypted_columns", "load_cipher", "new_key",
           "read_key_file", "reencrypt_all", "rotate_key", "write_key_file"]

_MISMATCH = ("the secrets key does not match the key these secrets were encrypted with "
             "(check AOS_SECRETS__KEY / secrets.key_file; after losing the key, add the "
             "credentials again with `amazon-odoo-sync accounts add`)")


class Secret:
    """A secret value whose repr and str are ``***``. ``reveal()`` returns the plaintext."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> Any:  # no pickling into job payloads or caches
        raise TypeError("a Secret cannot be pickled")


def new_key() -> str:
    """A fresh Fernet key (urlsafe base64 text)."""
    return Fernet.generate_key().decode()


def _fernet(key: str, source: str, field_name: str) -> Fernet:
    try:
        return Fernet(key.strip().encode())
    except (ValueError, TypeError):
        # Never echo the key material itself.
        raise ConfigurationError("not a valid Fernet key (32 url-safe base64-encoded bytes; "
                                 "`amazon-odoo-sync secrets new-key` makes one)",
                                 source=source, field=field_name) from None


class Cipher:
    """Encrypts with the newest key, decrypts with any of them."""

    def __init__(self, keys: Sequence[str], *, source: str = "secrets",
                 field_name: str = "secrets.key") -> None:
        keys = [k.strip() for k in keys if k.strip()]
        if not keys:
            raise ConfigurationError("no secrets key configured", source=source, field=field_name)
        self._keys = tuple(keys)
        self._fernet = MultiFernet([_fernet(k, source, field_name) for k in keys])
        self.source = source

    @property
    def keys(self) -> tuple[str, ...]:
        """Key material, newest first (for rotation only)."""
        return self._keys

    def __repr__(self) -> str:
        return f"Cipher(source={self.source!r}, keys={len(self._keys)})"

    def encrypt(self, plaintext: str | Secret) -> str:
        value = plaintext.reveal() if isinstance(plaintext, Secret) else plaintext
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigurationError(_MISMATCH, source=self.source) from None

    def decrypt_secret(self, token: str) -> Secret:
        return Secret(self.decrypt(token))

    def reencrypt(self, token: str) -> str:
        """The same plaintext, encrypted with the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise ConfigurationError(_MISMATCH, source=self.source) from None


def read_key_file(path: Path) -> list[str]:
    """Keys of a key file, newest first; refuses a file readable by group or others."""
    source = str(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigurationError("key file not found", source=source,
                                 field="secrets.key_file") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"key file permissions are {stat.filemode(mode)}: it must be readable by its owner "
            f"only (chmod 600 {path})", source=source, field="secrets.key_file")
    keys = [line.strip() for line in path.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    if not keys:
        raise ConfigurationError("key file holds no key", source=source, field="secrets.key_file")
    return keys


def write_key_file(path: Path, keys: Sequence[str]) -> None:
    """Write ``keys`` (newest first) atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # also when the umask or an old tmp file said otherwise
        os.write(fd, ("\n".join(keys) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: use theirs
    try:
        os.write(fd, (new_key() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def load_cipher(config: SecretsConfig, *, create: bool = True) -> Cipher:
    """The cipher of these settings; creates the key file on first use when ``create``."""
    if config.key:
        return Cipher(config.key.split(","), source="AOS_SECRETS__KEY", field_name="secrets.key")
    path = config.key_file.expanduser()
    if create and not path.exists():
        _create_key_file(path)
    return Cipher(read_key_file(path), source=str(path), field_name="secrets.key_file")


@dataclass(frozen=True, kw_only=True)
class RotationResult:
    #: ``"table.column"`` -> number of values re-encrypted.
    counts: dict[str, int] = field(default_factory=dict)
    #: The key file rewritten, or None when the keys come from the environment.
    key_file: Path | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


ENCRYPTED_COLUMNS = """
SELECT c.relname AS table_name, a.attname AS column_name
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND col_description(a.attrelid, a.attnum) = %(comment)s
ORDER BY c.relname, a.attnum
"""


async def encrypted_columns(conn: AsyncConnection[Any]) -> list[tuple[str, str]]:
    """``(table, column)`` of every column marked ``aos:encrypted`` in the database."""
    async with conn.cursor() as cur:
        await cur.execute(ENCRYPTED_COLUMNS, {"comment": ENCRYPTED_COMMENT})
        return [(str(t), str(c)) for t, c in await cur.fetchall()]


async def reencrypt_all(conn: AsyncConnection[Any], cipher: Cipher) -> dict[str, int]:
    """Re-encrypt every encrypted value with ``cipher``'s newest key, in one transaction."""
    counts: dict[str, int] = {}
    async with conn.transaction():
        for table, column in await encrypted_columns(conn):
            select = sql.SQL("SELECT ctid::text, {col} FROM {table} WHERE {col} IS NOT NULL "
                             "FOR UPDATE").format(col=sql.Identifier(column),
                                                  table=sql.Identifier(table))
            update = sql.SQL("UPDATE {table} SET {col} = %s WHERE ctid = %s::tid").format(
                col=sql.Identifier(column), table=sql.Identifier(table))
            async with conn.cursor() as cur:
                await cur.execute(select)
                rows = await cur.fetchall()
                for ctid, token in rows:
                    await cur.execute(update, (cipher.reencrypt(token), ctid))
            counts[f"{table}.{column}"] = len(rows)
    return counts


async def rotate_key(conn: AsyncConnection[Any], config: SecretsConfig) -> RotationResult:
    """Re-encrypt everything under a newest key (see the module docstring for the key steps).

    ``conn`` must not be inside a transaction: the re-encryption has to be committed before the
    old key is dropped from the key file.
    """
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        raise RuntimeError("rotate_key needs a connection outside any transaction")
    if config.key:
        return RotationResult(counts=await reencrypt_all(conn, load_cipher(config)))
    path = config.key_file.expanduser()
    old = load_cipher(config).keys
    fresh = new_key()
    write_key_file(path, [fresh, *old])  # old keys stay until every value is re-encrypted
    counts = await reencrypt_all(conn, Cipher([fresh, *old], source=str(path)))
    write_key_file(path, [fresh])
    return RotationResult(counts=counts, key_file=path)
