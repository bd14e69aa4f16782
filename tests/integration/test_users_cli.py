"""``users add|list|remove|set-password``: passwords from standard input (never an argument),
stored as scrypt hashes, every change audited, sessions ended by a new password."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from amazon_odoo_sync.cli.main import run
from amazon_odoo_sync.passwords import token_digest, verify_password
from amazon_odoo_sync.store import audit, users

pytestmark = pytest.mark.db

Invoke = Callable[..., tuple[int, str]]


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Iterator[Invoke]:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("AOS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: str, stdin: str = "") -> tuple[int, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = run(list(args))
        captured = capsys.readouterr()
        return code, " ".join((captured.out + captured.err).split())

    yield invoke


@pytest.fixture
def db(db_url: str) -> Callable[[Callable[[psycopg.AsyncConnection[Any]], Awaitable[Any]]], Any]:
    """Run one store call on its own connection (the commands run their own event loop)."""

    def call(fn: Callable[[psycopg.AsyncConnection[Any]], Awaitable[Any]]) -> Any:
        async def go() -> Any:
            async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
                return await fn(conn)

        return asyncio.run(go())

    return call


Db = Callable[[Callable[[psycopg.AsyncConnection[Any]], Awaitable[Any]]], Any]


def test_add_list_set_password_remove(cli: Invoke, db: Db) -> None:
    assert cli("users", "add", "Alice", "--role", "operator", stdin="first password 1\n") == (
        0, "User alice added (operator).")
    stored = db(lambda c: users.password_hash(c, "alice"))
    assert stored is not None and stored.startswith("scrypt$") and verify_password("first password 1", stored)

    code, out = cli("users", "list")
    assert code == 0 and "│ alice │ operator │" in out and "never" in out and "scrypt" not in out

    db(lambda c: users.create_session(c, digest=token_digest("t"), user_id=1, seconds=60, client="x"))
    assert cli("users", "set-password", "alice", stdin="second password 2\n")[0] == 0
    stored = db(lambda c: users.password_hash(c, "alice"))
    assert stored is not None and verify_password("second password 2", stored)
    assert db(lambda c: users.session_user(c, token_digest("t"))) is None  # signed out everywhere

    assert cli("users", "remove", "alice", "--yes") == (0, "User alice removed.")
    assert db(lambda c: users.get(c, "alice")) is None
    entries = db(lambda c: audit.recent(c, 10, object_type="user"))
    assert [(e.action, e.object_key) for e in reversed(entries)] == [
        ("users.add", "alice"), ("users.set_password", "alice"), ("users.remove", "alice")]
    assert all(e.actor.startswith("cli:") for e in entries)
    assert "password 2" not in str([e.details for e in entries])


def test_usage_errors_are_short_and_change_nothing(cli: Invoke, db: Db) -> None:
    for args, stdin, message in (
            (("users", "add", "bob"), "short\n", "at least 10 characters"),
            (("users", "add", "bob", "--role", "root"), "long enough pass\n", "one of viewer, operator, admin"),
            (("users", "add", "Bob Smith"), "long enough pass\n", "a user name is"),
            (("users", "set-password", "nobody"), "long enough pass\n", "no user named 'nobody'"),
            (("users", "remove", "nobody", "-y"), "", "no user named 'nobody'")):
        code, out = cli(*args, stdin=stdin)
        assert code == 2 and message in out and "Traceback" not in out, out
    assert db(lambda c: users.list_users(c)) == []
    assert cli("users", "add", "bob", stdin="long enough pass\n")[0] == 0
    code, out = cli("users", "add", "bob", stdin="other long pass\n")
    assert code == 2 and "exists" in out
    stored = db(lambda c: users.password_hash(c, "bob"))
    assert stored is not None and verify_password("long enough pass", stored)
    assert [u.role for u in db(lambda c: users.list_users(c))] == ["viewer"]  # the default role
