"""``jobs failed|retry|list|cancel`` and ``status`` against a real database (in-process CLI)."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from amazon_odoo_sync.cli.main import app as cli
from amazon_odoo_sync.config import DatabaseConfig, JobsConfig, Settings
from amazon_odoo_sync.exceptions import RemoteRuleError
from amazon_odoo_sync.jobs import builtin
from amazon_odoo_sync.jobs.app import build_app
from amazon_odoo_sync.jobs.tasks import task
from amazon_odoo_sync.jobs.worker import run_worker

pytestmark = pytest.mark.db

STATE = {"fixed": False, "runs": 0}


@task(queue="shipments", name="tests.cli.confirm_shipment")
async def confirm_shipment(*, order_id: str) -> None:
    STATE["runs"] += 1
    if not STATE["fixed"]:
        raise RemoteRuleError("order already shipped", system="amazon", operation="confirmShipment",
                              remote_message="The order is already shipped")


def settings(url: str) -> Settings:
    return Settings(database=DatabaseConfig(url=url), jobs=JobsConfig(retry_budget_hours=0))


async def defer_and_run(url: str, defer: bool = True) -> int | None:
    app = build_app(settings(url), url=url, task_modules=())
    job_id = None
    if defer:
        async with app.open_async():
            job_id = await confirm_shipment.defer(app, order_id="111-222")
            await builtin.noop.defer(app, schedule_in=3600)  # waits, not ready
    await run_worker(build_app(settings(url), url=url, task_modules=()), settings(url), wait=False,
                     install_signal_handlers=False)
    return job_id


def test_failed_job_shows_its_cause_and_is_replayed_from_the_cli(db_url: str) -> None:
    STATE.update(fixed=False, runs=0)
    job_id = asyncio.run(defer_and_run(db_url))
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "AOS_CONFIG": ""}

    result = runner.invoke(cli, ["jobs", "failed", "--json"], env=env)
    assert result.exit_code == 0, result.output
    [failed] = [json.loads(line) for line in result.output.splitlines() if line.strip()] \
        if result.output.count("\n") == 1 else [json.loads(result.output)]
    assert failed["id"] == job_id and failed["error"] == "RemoteRuleError"
    assert failed["context"]["remote_message"] == "The order is already shipped"
    assert failed["context"]["operation"] == "confirmShipment"
    assert STATE["runs"] == 1  # permanent: not retried

    table = runner.invoke(cli, ["jobs", "failed"], env=env)
    assert "RemoteRuleError" in table.output and "1 failed job(s)" in table.output

    status = runner.invoke(cli, ["status"], env=env)
    assert status.exit_code == 0, status.output
    assert "shipments" in status.output and "housekeeping" in status.output

    nothing = runner.invoke(cli, ["jobs", "retry"], env=env)
    assert nothing.exit_code != 0

    STATE["fixed"] = True
    retried = runner.invoke(cli, ["jobs", "retry", str(job_id)], env=env)
    assert retried.exit_code == 0, retried.output
    assert f"Retried 1 job(s): {job_id}" in retried.output
    asyncio.run(defer_and_run(db_url, defer=False))
    assert STATE["runs"] == 2

    listed = runner.invoke(cli, ["jobs", "list", "--state", "succeeded"], env=env)
    assert listed.exit_code == 0 and "tests.cli.confi" in listed.output
    assert "No failed jobs." in runner.invoke(cli, ["jobs", "failed"], env=env).output

    again = runner.invoke(cli, ["jobs", "retry", str(job_id)], env=env)
    assert again.exit_code == 1 and "no failed job with this id" in again.output


def test_cancel_a_waiting_job(db_url: str) -> None:
    async def defer() -> int | None:
        app = build_app(settings(db_url), url=db_url, task_modules=())
        async with app.open_async():
            return await builtin.noop.defer(app, schedule_in=3600)

    job_id = asyncio.run(defer())
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "AOS_CONFIG": ""}
    result = runner.invoke(cli, ["jobs", "cancel", str(job_id)], env=env)
    assert result.exit_code == 0 and f"Job {job_id} cancelled" in result.output
    result = runner.invoke(cli, ["jobs", "cancel", str(job_id)], env=env)
    assert result.exit_code == 1 and "already finished" in result.output
    listed = runner.invoke(cli, ["jobs", "list", "--state", "cancelled"], env=env)
    assert str(job_id) in listed.output
