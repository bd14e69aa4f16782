"""Shipments flow rules that need no I/O: Amazon refusals by kind, status note, command wiring."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from amazon_odoo_sync.exceptions import InvalidInputError, NotFoundError, RemoteRuleError
from amazon_odoo_sync.flows.shipments import classify_amazon_error
from amazon_odoo_sync.jobs.schedule import registered_schedules
from amazon_odoo_sync.tasks import poll_shipments as poll_shipments_task


@pytest.mark.parametrize(("message", "kind"), [
    ("InvalidInput Order 302-1 is canceled (orderId)", "order_cancelled"),
    ("Failed to create package due to not finding a matching package or order already fulfilled.",
     "already_shipped"),
    ("InvalidInput The carrierCode 'Kurier' is invalid", "invalid_carrier"),
    ("InvalidInput packageDetail.trackingNumber is required", "invalid_tracking"),
    ("quantity 3 for orderItemId 1 exceeds the 1 unit(s) left to ship", "items_mismatch"),
    ("Order 302-1 is pending and cannot be shipped yet", "order_pending"),
    ("Something else entirely", "refused"),
])
def test_amazon_refusals_are_classified_with_amazons_message_and_an_action(message: str, kind: str) -> None:
    refusal = classify_amazon_error(InvalidInputError("SP-API answered 400", remote_message=message))
    assert refusal.kind == kind
    assert message in refusal.reason
    assert refusal.action


def test_not_found_and_rule_errors() -> None:
    assert classify_amazon_error(NotFoundError("404", remote_message="NotFound Order x not found")).kind == \
        "order_not_found"
    assert classify_amazon_error(RemoteRuleError("409", remote_message="Conflict")).kind == "refused"


def test_task_runs_on_the_shipments_queue_once_per_account() -> None:
    assert poll_shipments_task.queue == "shipments"
    assert poll_shipments_task.queueing_lock_for({"account": "eu"}) == "shipments.poll:eu"
    assert poll_shipments_task.lock_for({"account": "eu"}) == "shipments:eu"
    schedule = registered_schedules()["shipments.poll"]
    assert schedule.per_account and schedule.every == "shipments_poll"


def test_command_registers_under_a_sync_group() -> None:
    from amazon_odoo_sync.cli import sync_shipments

    group = typer.Typer()
    sync_app = typer.Typer()
    sync_shipments.register(sync_app)
    group.add_typer(sync_app, name="sync")
    result = CliRunner().invoke(group, ["sync", "shipments", "--help"])
    assert result.exit_code == 0, result.output
    assert "--account" in result.output and "--since" in result.output
