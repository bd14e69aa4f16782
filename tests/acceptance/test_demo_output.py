"""``amazon-odoo-sync demo`` with its output in a pipe (no terminal), through the real CLI: plain
progress lines instead of frozen bars, whole table headers, every order accounted for, what
``/metrics`` of the web process counted in the workers, and the dashboard's fate said while
it is true. The demo starts its own embedded PostgreSQL here, and stops it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from amazon_odoo_sync.store.embedded import is_running, stop_embedded_postgres

pytestmark = [pytest.mark.slow, pytest.mark.db]

CLI = Path(sys.executable).with_name("amazon-odoo-sync")


def test_demo_output_without_a_terminal(tmp_path: Path) -> None:
    # Not under pytest's temporary root (0700 again at every pytest start: the server, another
    # user when we are root, could not reach it).
    with tempfile.TemporaryDirectory(prefix="aos-demo-output-") as parent:
        postgres = Path(parent) / "pg"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "COLUMNS") and not k.startswith("AOS_")}
        env["AOS_DATABASE__EMBEDDED_DIR"] = str(postgres)
        try:
            result = subprocess.run(
                [str(CLI), "demo", "--scenario", "demo", "--hours", "0.5", "--speed", "300", "--latency-scale", "0.2",
                 "--exit", "--work-dir", str(tmp_path / "demo")],
                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
            assert not is_running(postgres)  # the demo started it, the demo stopped it
        finally:
            stop_embedded_postgres(postgres)
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    lines = out.splitlines()

    assert "\x1b[" not in out and "…" not in out
    # Progress: plain lines ending on the final state, no bar frames.
    minutes = [line for line in lines if line.startswith("simulated minute ")]
    assert minutes and re.match(r"simulated minute (\d+) of \1 ", minutes[-1]), minutes
    assert not any("Simulated minutes" in line or "Catching up" in line for line in lines)
    assert any(line.startswith("caught up: ") for line in lines)
    # The dashboard is announced while it is up, and said to stop at the end.
    dashboard = next(i for i, line in enumerate(lines) if line.startswith("Dashboard: http://127.0.0.1:"))
    assert dashboard < lines.index(minutes[0])
    assert re.search(r"sign in as demo, password \S{12,}$", lines[dashboard]), lines[dashboard]
    assert "stops with the demo now" in lines[-1]

    header = next(line for line in lines if "Marketplace" in line)
    assert all(name in header for name in ("Currency", "Amazon orders", "Odoo orders"))
    rows = [line.split("│") for line in lines if line.startswith("│")]
    table_orders = sum(int(cells[3]) for cells in rows)
    placed = re.search(r"^(\d+) orders? placed on Amazon: (\d+) belongs? in Odoo \(the table\)"
                       r"(?:; (\d+) do not: (.*))?\.$", out, re.MULTILINE)
    assert placed, out
    assert int(placed[2]) == table_orders > 0
    assert int(placed[1]) == table_orders + int(placed[3] or 0)

    counted = re.search(r"/metrics \(web and workers\): ([\d,]+) SP-API calls .*, ([\d,]+) Odoo calls, "
                        r"([\d,]+) job runs", out)
    assert counted, out
    spapi, odoo, runs = (int(n.replace(",", "")) for n in counted.groups())
    assert spapi > 0 and odoo > 0 and runs > 0  # all made in the worker processes
