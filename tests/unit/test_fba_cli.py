"""``sync fba``: the command on a ``sync`` group, its summary and drift tables, its exit code."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from amazon_odoo_sync.cli import fba
from amazon_odoo_sync.cli.common import CliState
from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.flows.fba_inventory import FbaResult
from amazon_odoo_sync.mapping.fba_inventory import Adjustment, DriftLine
from amazon_odoo_sync.marketplaces import by_code

DE, UK = by_code("DE").id, by_code("UK").id


def _results(first: bool) -> list[FbaResult]:
    eu = FbaResult(account="acme", network="EU", marketplace_id=DE, skus=120, pages=3, restarts=1,
                   adjustments=[Adjustment(sku="A", kind="fulfillable", odoo_quantity=Decimal(3), amazon_quantity=2)],
                   unimported_shipped={"A": 2}, drift_checked=not first,
                   drift=[] if first else [DriftLine(sku="A", expected=Decimal(5), reported=2),
                                           DriftLine(sku="B", expected=Decimal(0), reported=7)])
    uk = FbaResult(account="acme", network="UK", marketplace_id=UK, skus=4, pages=1, drift_checked=not first)
    return [eu, uk]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Any:
    calls: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def open_runtime(settings: Settings, **_: Any) -> AsyncIterator[Any]:
        @contextlib.asynccontextmanager
        async def connection() -> AsyncIterator[str]:
            yield "conn"
        yield SimpleNamespace(pool=SimpleNamespace(connection=connection))

    async def map_products_for(rt: Any, account: str, **_: Any) -> None:
        calls["mapped"] = account

    async def pull_account(rt: Any, account: str, *, progress: Any = None) -> list[FbaResult]:
        progress("EU", 1, 50)
        calls["pulled"] = account
        return calls["results"]  # type: ignore[no-any-return]

    monkeypatch.setattr("amazon_odoo_sync.flows.runtime.open_runtime", open_runtime)
    monkeypatch.setattr("amazon_odoo_sync.flows.stock_catalog.map_products_for", map_products_for)
    monkeypatch.setattr("amazon_odoo_sync.flows.fba_inventory.pull_account", pull_account)
    root = typer.Typer()
    sync_app = typer.Typer()
    fba.register(sync_app)
    root.add_typer(sync_app, name="sync")
    return root, calls


def _run(app: Any, results: list[FbaResult], *args: str) -> Any:
    root, calls = app
    calls["results"] = results
    settings = Settings(accounts=[{"name": "acme", "region": "EU", "marketplaces": ["DE", "UK"]}],
                        stock={"fba_drift_tolerance": 2})
    state = CliState(_settings=settings, _stored_accounts=list(settings.accounts))
    return CliRunner().invoke(root, ["sync", "fba", "--account", "acme", *args], obj=state,
                              env={"COLUMNS": "200"}), calls


def test_prints_the_pull_and_the_drift_largest_first(app: Any) -> None:
    result, calls = _run(app, _results(first=False))
    assert result.exit_code == 0, result.output
    assert calls == {"mapped": "acme", "pulled": "acme", "results": calls["results"]}
    out = result.output
    assert "FBA inventory pulled" in out and "EU" in out and "UK" in out
    assert "FBA drift" in out and out.index("+7") < out.index("-3")  # B (7) before A (3)
    assert "2 SKU(s) differ by more than 2 unit(s)" in out


def test_first_pull_reports_no_drift_and_fail_on_drift_exits_1(app: Any) -> None:
    result, calls = _run(app, _results(first=True), "--no-map")
    assert result.exit_code == 0, result.output
    assert "mapped" not in calls and "first pull" in result.output and "FBA drift" not in result.output
    failing, _ = _run(app, _results(first=False), "--fail-on-drift")
    assert failing.exit_code == 1
    quiet, _ = _run(app, [], "--fail-on-drift")
    assert quiet.exit_code == 0 and "odoo setup" in quiet.output
