"""Whoever starts the embedded PostgreSQL stops it; a server found running is left running.

For the test session (``tests/conftest.py``, when ``DATABASE_URL`` is unset) and for the demo.
One data directory for the module, so initdb runs once.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from rich.console import Console

from amazon_odoo_sync.config import DatabaseConfig, Settings
from amazon_odoo_sync.demo.run import _embedded_or_given
from amazon_odoo_sync.store.embedded import ensure_embedded_postgres, is_running, stop_embedded_postgres
from tests.conftest import TEST_POSTGRES_DIR_ENV

pytestmark = [pytest.mark.slow, pytest.mark.db]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    # Not under pytest's temporary root: run as root, the server runs as another user, and every
    # pytest start makes that root unreadable to others again (0700).
    with tempfile.TemporaryDirectory(prefix="aos-embedded-ownership-") as parent:
        directory = Path(parent) / "pg"
        try:
            yield directory
        finally:
            stop_embedded_postgres(directory)


def test_server_url_answers(server_url: str) -> None:
    """The probe the sessions below run: the session's server takes connections."""
    with psycopg.connect(server_url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def run_test_session(data_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env[TEST_POSTGRES_DIR_ENV] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'inner'}",
         f"{Path(__file__).relative_to(ROOT)}::test_server_url_answers"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
    return result


def test_a_test_session_stops_the_server_it_started(data_dir: Path, tmp_path: Path) -> None:
    assert not is_running(data_dir)
    run_test_session(data_dir, tmp_path)
    assert (data_dir / "pgdata" / "PG_VERSION").exists()  # it did run here
    assert not is_running(data_dir)


def test_a_test_session_leaves_a_server_that_was_already_running(data_dir: Path, tmp_path: Path) -> None:
    ensure_embedded_postgres(data_dir)  # started by another command
    run_test_session(data_dir, tmp_path)
    assert is_running(data_dir)
    stop_embedded_postgres(data_dir)


def demo_settings(data_dir: Path) -> Settings:
    return Settings(database=DatabaseConfig(url=None, embedded_dir=data_dir))


def test_the_demo_stops_the_server_it_started(data_dir: Path) -> None:
    assert not is_running(data_dir)
    output = io.StringIO()
    with _embedded_or_given(demo_settings(data_dir), Console(file=output, width=200)) as (url, started):
        assert started and is_running(data_dir)
        psycopg.connect(url).close()
    assert not is_running(data_dir)
    assert "stopped when the demo ends" in output.getvalue()


def test_the_demo_leaves_a_server_another_command_started(data_dir: Path) -> None:
    url = ensure_embedded_postgres(data_dir)
    output = io.StringIO()
    with _embedded_or_given(demo_settings(data_dir), Console(file=output, width=200)) as (given, started):
        assert given == url and not started
    assert is_running(data_dir)
    assert "keeps running" in output.getvalue()
    stop_embedded_postgres(data_dir)
