"""The short chaos run through the real CLI (``demo --chaos``): half an hour of simulated Prime Day (and its settling)
at 120× while workers are SIGKILLed every few seconds, Odoo is away twice, PostgreSQL cuts every
connection once and SP-API answers 20 % 429; it must end with every order once in Odoo to the
cent, nothing oversold, each FBM delivery confirmed once, a recovery time per fault, exit 0.
On its own embedded PostgreSQL (the run takes the database away)."""

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


def test_short_chaos_run_loses_duplicates_and_oversells_nothing() -> None:
    with tempfile.TemporaryDirectory(prefix="aos-chaos-") as parent:
        postgres, work = Path(parent) / "pg", Path(parent) / "work"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "COLUMNS") and not k.startswith("AOS_")}
        env["AOS_DATABASE__EMBEDDED_DIR"] = str(postgres)
        try:
            done = subprocess.run([str(CLI), "demo", "--chaos", "--seed", "5", "--hours", "0.5", "--speed", "120",
                                   "--exit", "--work-dir", str(work)],
                                  env=env, capture_output=True, text=True, timeout=720, check=False)
        finally:
            if is_running(postgres):
                stop_embedded_postgres(postgres)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    assert "Every order, its untaxed amount and its tax match, to the cent." in out
    assert re.search(r"^0 oversells", out, re.M), out[-3000:]
    recovered = re.findall(r"^  (.+): recovered in ([\d.]+) s", out, re.M)
    kinds = {what.split(" ")[0] for what, _ in recovered}
    assert {"worker-1", "Odoo", "PostgreSQL"} <= kinds | {"worker-2"}, out[-3000:]
    assert any(w.startswith("worker") for w, _ in recovered)
    shipped = re.search(r"^FBM shipments: (\d+) deliveries validated in Odoo, 0 not confirmed", out, re.M)
    assert shipped and int(shipped.group(1)) > 0, out[-3000:]
    assert "Chaos: nothing lost, duplicated or oversold" in out
