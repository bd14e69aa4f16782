"""``sync ...`` commands under injected 429s and 5xx (#14: ``sync stock --full`` failed 5 of 5
tries, ``sync fba`` 4 of 4, at the first ThrottledError): they wait as jobs would (on a fake
clock here) and finish; an error that stays is one paragraph and exit code 1."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from .sync_cli_env import SyncCli, sync_cli

__all__ = ["sync_cli"]

pytestmark = pytest.mark.db

LISTINGS = "listingsItems_2021-08-01:searchListingsItems"
FBA = "fbaInventory:getInventorySummaries"
PATCH = "listingsItems_2021-08-01:patchListingsItem"
ACCOUNT = "demo-seller-eu"


def injected(cli: SyncCli) -> int:
    return sum(cli.sim.faults.injected.values())


def test_sync_catalog_stock_and_fba_get_through_injected_faults(sync_cli: SyncCli) -> None:
    sync_cli.faults(LISTINGS, FBA, PATCH, throttle_rate=0.3, error_rate=0.2)

    code, out, err = sync_cli("sync", "catalog", "--account", ACCOUNT)
    assert code == 0, out + err
    assert "listings:" in out and "mapped to Odoo products" in out
    catalog_faults = injected(sync_cli)
    assert catalog_faults >= 1

    code, out, err = sync_cli("sync", "stock", "--account", ACCOUNT, "--full")
    assert code == 0, out + err
    sent = re.search(r"(\d+) SKUs computed; (\d+) patched .*?, (\d+) in", out)
    assert sent and int(sent[1]) >= 1 and int(sent[2]) + int(sent[3]) >= 1, out

    code, out, err = sync_cli("sync", "fba", "--account", ACCOUNT)
    assert code == 0, out + err
    assert "FBA inventory pulled" in out
    assert injected(sync_cli) > catalog_faults
    # Every injected fault was waited out on the fake clock, none in real time.
    assert len(sync_cli.clock.sleeps) >= injected(sync_cli)


def test_an_error_that_stays_is_one_paragraph_and_exit_1(sync_cli: SyncCli) -> None:
    sync_cli.faults(LISTINGS, error_rate=1.0)
    code, out, err = sync_cli("sync", "catalog", "--account", ACCOUNT)
    assert code == 1
    assert err.startswith(f"sync catalog --account {ACCOUNT} stopped:") and "run the command again later" in err
    assert "Traceback" not in out + err

    sync_cli.faults()
    code, out, err = sync_cli("sync", "order", "999-0000000-0000000", "--account", ACCOUNT)
    assert code == 1 and "Not retried" in err and "Traceback" not in err


def test_sync_orders_reads_and_imports_through_5xx(sync_cli: SyncCli) -> None:
    env = sync_cli.env
    env.advance_to(env.scenario.start + timedelta(hours=3))
    # 5xx only: a 429 on searchOrders (one call per 3 minutes) would make the governor wait for real.
    sync_cli.faults("orders_2026-01-01:searchOrders", error_rate=0.7)
    since = env.scenario.start.strftime("%Y-%m-%dT%H:%M")
    code, out, err = sync_cli("sync", "orders", "--account", ACCOUNT, "--since", since)
    assert code == 0, out + err
    assert injected(sync_cli) >= 1
    stored = re.search(r"(\d+) new order versions stored", out)
    created = re.search(r"Odoo: (\d+) created", out)
    assert stored and int(stored[1]) >= 1 and created and int(created[1]) >= 1, out
