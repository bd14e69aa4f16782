"""Commands: ``notifications setup --account A --sqs-arn ARN`` and ``notifications status``.

``setup`` makes the SQS queue an SP-API destination (unless it is one) and subscribes the
account to every notification type the connector acts on (unless subscribed): idempotent, a
second run changes nothing and says so (:mod:`flows.notification_setup`). ``status`` shows the
destinations and, per type, whether the account is subscribed and where to. Both run under the
retry rules of jobs (:mod:`.foreground`). The workers read the queue named by ``[notifications]
sqs_queue_url``; ``setup`` prints the URL when the configuration does not name it yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .common import account_settings, console, use_stored_accounts
from .foreground import foreground_retry, progress_bar, run_command

if TYPE_CHECKING:
    from ..config import Settings
    from ..flows.notification_setup import NotificationSetup

__all__ = ["register"]

notifications_app = typer.Typer(help="SP-API notifications: SQS destination and subscriptions.",
                                no_args_is_help=True)

_STYLE = {"created": "green", "present": "green", "elsewhere": "yellow", "missing": "red", "not used": "dim"}
_WORDS = {"created": "subscribed now", "present": "subscribed", "elsewhere": "subscribed to another destination",
          "missing": "not subscribed", "not used": "not subscribed (not used by the connector yet)"}


@notifications_app.callback()
def _accounts_from_database(ctx: typer.Context) -> None:
    use_stored_accounts(ctx)


def _arn(value: str) -> str:
    from ..exceptions import DataError
    from ..flows.notification_setup import sqs_queue_url

    try:
        sqs_queue_url(value)
    except DataError as exc:
        raise typer.BadParameter(exc.message) from None
    return value


def _run(settings: Settings, account: str, command: str, what: str, *, arn: str | None, setup: bool
         ) -> NotificationSetup:
    retry = foreground_retry(settings)

    async def run() -> NotificationSetup:
        from ..flows.notification_setup import notification_status, setup_notifications
        from ..flows.runtime import open_runtime
        from ..store import audit

        async with open_runtime(settings, call_retry=retry) as rt:
            with progress_bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) as bar:
                bar.add_task(what, total=None)
                spapi = await rt.spapi(account)
                if setup:
                    assert arn is not None
                    result = await retry.run(command, lambda: setup_notifications(spapi, account=account, arn=arn))
                else:
                    result = await retry.run(command, lambda: notification_status(spapi, account=account, arn=arn))
            if setup and result.changed:
                async with rt.pool.connection() as conn:
                    await audit.record(conn, actor=audit.cli_actor(), action="notifications.setup",
                                       object_type="account", object_key=account, details={
                                           "arn": arn, "created": [s.notification_type for s in result.subscriptions
                                                                   if s.outcome == "created"],
                                           "destination_created": result.destination is not None
                                           and result.destination.outcome == "created"})
        return result

    return run_command(command, run())


def _subscriptions_table(result: NotificationSetup) -> Table:
    table = Table("notification type", "state", "subscription", "destination",
                  title=f"Subscriptions of {result.account}")
    for sub in result.subscriptions:
        style = _STYLE[sub.outcome]
        table.add_row(sub.notification_type, f"[{style}]{_WORDS[sub.outcome]}[/]", sub.subscription_id or "",
                      escape(sub.arn or sub.destination_id or ""))
    return table


@notifications_app.command("setup")
def setup(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", "-a", help="Seller account name.")],
    sqs_arn: Annotated[str, typer.Option("--sqs-arn", parser=_arn,
                                         help="ARN of the SQS queue Amazon delivers to.")],
) -> None:
    """Create the SQS destination and the account's subscriptions that are missing (idempotent)."""
    settings, _ = account_settings(ctx, account)
    result = _run(settings, account, f"notifications setup --account {account}",
                  f"Setting up SP-API notifications of {account}", arn=sqs_arn, setup=True)
    from ..flows.notification_setup import sqs_queue_url

    destination = result.destination
    assert destination is not None
    console.print(f"Destination {destination.destination_id} ({escape(sqs_arn)}): "
                  f"{'created' if destination.outcome == 'created' else 'already there'}.")
    console.print(_subscriptions_table(result))
    if not result.changed:
        console.print("Nothing changed: everything was already set up.")
    url = sqs_queue_url(sqs_arn)
    if settings.notifications.sqs_queue_url != url:
        console.print(f"The workers read the queue named by [notifications] sqs_queue_url; set it to {url}",
                      markup=False)
    if not result.complete:
        console.print("[yellow]Some types are subscribed to another destination[/]: their notifications do not "
                      "reach this queue. Delete those subscriptions (the seller's or an old app's) and run "
                      "setup again.")
        raise typer.Exit(1)


@notifications_app.command("status")
def status(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", "-a", help="Seller account name.")],
    sqs_arn: Annotated[str | None, typer.Option("--sqs-arn", parser=_arn,
                                                help="The queue expected (default: the only destination).")] = None,
) -> None:
    """The SP-API destinations and, per notification type, the account's subscription."""
    settings, _ = account_settings(ctx, account)
    result = _run(settings, account, f"notifications status --account {account}",
                  f"Reading SP-API notifications of {account}", arn=sqs_arn, setup=False)
    if result.destinations:
        table = Table("destination", "name", "SQS ARN", title="Destinations of the application")
        for dest in result.destinations:
            mark = " (this one)" if result.destination and dest.destination_id == result.destination.destination_id \
                else ""
            table.add_row(dest.destination_id + mark, escape(dest.name), escape(dest.arn or "(not SQS)"))
        console.print(table)
    else:
        console.print("[yellow]No destination[/]: run `amazon-odoo-sync notifications setup --account "
                      f"{account} --sqs-arn ARN`.")
    console.print(_subscriptions_table(result))
    if not result.complete:
        console.print(f"Run `amazon-odoo-sync notifications setup --account {account} --sqs-arn ARN` to subscribe "
                      "what is missing.")


def register(app: typer.Typer) -> None:
    app.add_typer(notifications_app, name="notifications")
