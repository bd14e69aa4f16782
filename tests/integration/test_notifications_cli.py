"""``notifications setup`` / ``status`` through the CLI on the simulator: the SQS destination and
the account's subscriptions are created once (a second run changes nothing and says so), under
injected faults too; a type subscribed elsewhere is reported, not taken over."""

from __future__ import annotations

import psycopg
import pytest

from amazon_odoo_sync.flows.notification_setup import USED_TYPES
from amazon_odoo_sync.sandbox.spapi.selling import services

from .sync_cli_env import SyncCli, sync_cli

__all__ = ["sync_cli"]

pytestmark = pytest.mark.db

ACCOUNT, SELLER = "demo-seller-eu", "A2SIMDEMOEU01"
ARN = "arn:aws:sqs:eu-west-1:123456789012:amazon-odoo-sync"
NOTIFICATION_OPS = ("notifications:getDestinations", "notifications:createDestination",
                    "notifications:getSubscription", "notifications:createSubscription")


def subscriptions(cli: SyncCli) -> dict[str, str]:
    hub = services(cli.env.world).hub
    return {s.notification_type: hub.destinations[s.destination_id].arn for s in hub.subscriptions.values()
            if s.seller_id == SELLER}


def test_setup_is_idempotent_and_status_shows_it(sync_cli: SyncCli) -> None:
    assert USED_TYPES == ("ORDER_CHANGE", "FBA_INVENTORY_AVAILABILITY_CHANGES")
    code, out, err = sync_cli("notifications", "status", "--account", ACCOUNT)
    assert code == 0, out + err
    assert "No destination" in out and "not subscribed" in out

    sync_cli.faults(*NOTIFICATION_OPS, throttle_rate=0.3, error_rate=0.2)
    code, out, err = sync_cli("notifications", "setup", "--account", ACCOUNT, "--sqs-arn", ARN)
    assert code == 0, out + err
    assert "created" in out and "subscribed now" in out
    assert "https://sqs.eu-west-1.amazonaws.com/123456789012/amazon-odoo-sync" in out
    assert subscriptions(sync_cli) == dict.fromkeys(USED_TYPES, ARN)
    assert sum(sync_cli.sim.faults.injected.values()) >= 1  # waited out, on the fake clock

    code, out, err = sync_cli("notifications", "setup", "--account", ACCOUNT, "--sqs-arn", ARN)
    assert code == 0, out + err
    assert "Nothing changed: everything was already set up." in out and "already there" in out
    assert len(services(sync_cli.env.world).hub.destinations) == 1
    assert subscriptions(sync_cli) == dict.fromkeys(USED_TYPES, ARN)

    sync_cli.faults()
    code, out, err = sync_cli("notifications", "status", "--account", ACCOUNT, "--sqs-arn", ARN)
    assert code == 0, out + err
    assert "(this one)" in out and "not used by the connector yet" in out
    assert out.count(ARN) >= 1 + len(USED_TYPES)

    with psycopg.connect(sync_cli.env.settings.database.url) as conn:
        audited = conn.execute("SELECT object_key FROM audit_log WHERE action = 'notifications.setup'").fetchall()
    assert audited == [(ACCOUNT,)]  # the run that changed something


def test_a_type_subscribed_elsewhere_is_reported_and_left_alone(sync_cli: SyncCli) -> None:
    hub = services(sync_cli.env.world).hub
    other = hub.create_destination({"name": "old-app", "resourceSpecification": {
        "sqs": {"arn": "arn:aws:sqs:eu-west-1:123456789012:old"}}})
    hub.create_subscription("ORDER_CHANGE", SELLER, {"payloadVersion": "1.0", "destinationId": other.destination_id})

    code, out, err = sync_cli("notifications", "setup", "--account", ACCOUNT, "--sqs-arn", ARN)
    assert code == 1
    assert "subscribed to another destination" in out and "Delete those subscriptions" in out
    assert subscriptions(sync_cli) == {"ORDER_CHANGE": "arn:aws:sqs:eu-west-1:123456789012:old",
                                       "FBA_INVENTORY_AVAILABILITY_CHANGES": ARN}


def test_a_malformed_arn_is_a_usage_error(sync_cli: SyncCli) -> None:
    code, out, err = sync_cli("notifications", "setup", "--account", ACCOUNT, "--sqs-arn", "my-queue")
    assert code == 2 and "not an SQS queue ARN" in err and "Traceback" not in out + err
    assert not services(sync_cli.env.world).hub.destinations

