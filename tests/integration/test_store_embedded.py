from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from amazon_odoo_sync.store.embedded import (
    ensure_embedded_postgres,
    is_running,
    stop_embedded_postgres,
)

pytestmark = [pytest.mark.slow, pytest.mark.db]


def _server_start_time(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_postmaster_start_time()::text, inet_server_addr()::text"
                           ).fetchone()
        assert row is not None and row[1].startswith("127.0.0.1")
        return hash(row[0])


def test_start_connect_reuse_stop(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    try:
        url = ensure_embedded_postgres(data_dir)
        assert url.startswith("postgresql://postgres@127.0.0.1:") and url.endswith("/postgres")
        started = _server_start_time(url)
        port = (data_dir / "port").read_text().strip()
        assert url.split(":")[-1].split("/")[0] == port

        assert ensure_embedded_postgres(data_dir) == url
        assert _server_start_time(url) == started  # the same server, not a second one

        assert stop_embedded_postgres(data_dir) is True
        assert not is_running(data_dir)
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=2).close()
        assert stop_embedded_postgres(data_dir) is False

        again = ensure_embedded_postgres(data_dir)  # restarts, on the remembered port
        assert again == url and _server_start_time(again) != started
    finally:
        stop_embedded_postgres(data_dir)


def test_two_processes_starting_at_once_share_one_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    code = ("import sys; from pathlib import Path; "
            "from amazon_odoo_sync.store.embedded import ensure_embedded_postgres; "
            "print(ensure_embedded_postgres(Path(sys.argv[1])))")
    try:
        procs = [subprocess.Popen([sys.executable, "-c", code, str(data_dir)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        urls = {out.strip() for out, _ in outputs}
        assert len(urls) == 1
        assert is_running(data_dir)
    finally:
        stop_embedded_postgres(data_dir)
