"""Shared fixtures.

Database tests: the schema is built once per test session into a template database; each test
that asks for ``db_url`` gets a fresh clone (``CREATE DATABASE ... TEMPLATE``), dropped after.
The server is ``DATABASE_URL`` when set (CI: postgresql://postgres@127.0.0.1:5432/postgres), else an
embedded PostgreSQL, stopped at the end of the session that started it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

from amazon_odoo_sync.clock import FakeClock

# In CI the property and fuzz tests draw the same examples every run, so a red CI is a change's doing, not the
# draw's; elsewhere they draw anew each run and keep finding inputs (a failure prints how to reproduce it).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

SHARED = Path(__file__).resolve().parents[2] / "shared"
SPAPI_MODELS = SHARED / "spapi-models"

_counter = itertools.count()
#: Where the session's embedded PostgreSQL lives when DATABASE_URL is unset (default: next to
#: pytest's temporary directories, reused across sessions).
TEST_POSTGRES_DIR_ENV = "AOS_TEST_POSTGRES_DIR"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _test_databases_of_live_sessions(url: str) -> list[str]:
    """Databases of test sessions still running (``aos_test_tpl_PID``, ``aos_test_PID_N``), this
    one excluded; those of sessions that were killed do not count."""
    with _admin(url) as conn:
        names = [name for (name,) in conn.execute(
            r"SELECT datname FROM pg_database WHERE datname LIKE 'aos\_test\_%'").fetchall()]
    live = []
    for name in names:
        pid = name.removeprefix("aos_test_").removeprefix("tpl_").split("_")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass
        live.append(name)
    return live


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database the tests may create databases on.

    An embedded server is stopped when the session ends if a test session started it and no other
    test session still uses it; one that was running before (started by hand) stays up."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from amazon_odoo_sync.store.embedded import start_embedded_postgres, stop_embedded_postgres

    given = os.environ.get(TEST_POSTGRES_DIR_ENV)
    data_dir = Path(given) if given else tmp_path_factory.getbasetemp().parent / "aos-test-postgres"
    started_by_tests = data_dir / "started-by-test-session"
    server = start_embedded_postgres(data_dir)
    if server.started:
        started_by_tests.write_text(f"{os.getpid()}\n")
    yield server.url
    if started_by_tests.exists() and not _test_databases_of_live_sessions(server.url):
        stop_embedded_postgres(data_dir)
        started_by_tests.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def template_db_url(server_url: str) -> Iterator[str]:
    """A database with every migration applied, used as the template for per-test databases."""
    from amazon_odoo_sync.store.migrate import upgrade

    name = f"aos_test_tpl_{os.getpid()}"
    with _admin(server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    upgrade(url)
    yield url
    with _admin(server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(server_url: str, template_db_url: str) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    name = f"aos_test_{os.getpid()}_{next(_counter)}"
    template = urlsplit(template_db_url).path.lstrip("/")
    with _admin(server_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(server_url, name)
    with _admin(server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def spapi_models_dir() -> Path:
    """Amazon's SP-API models (../shared/spapi-models); tests that need them skip, saying so."""
    if not (SPAPI_MODELS / "models").is_dir():
        pytest.skip(f"Amazon's SP-API models are not at {SPAPI_MODELS}: contract checks skipped")
    return SPAPI_MODELS
