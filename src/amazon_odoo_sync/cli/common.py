"""What every command shares: the settings it runs with, the console, and argument parsers.

Accounts come from the database, the one source of truth (``store.accounts``): a command that
works an account calls :func:`account_settings` (settings whose ``accounts`` are the stored ones,
and the account, or a usage error saying what to run); one that works every account calls
:func:`settings_with_accounts`. Every command of the ``sync`` group gets the stored accounts from
:func:`settings_from` too (``use_stored_accounts`` in the group's callback). Accounts declared in
the configuration file are not used until ``accounts import`` stores them; the error says so.

Parsers (``typer.Option(parser=...)``) check values while the command line is read, so a bad
value is a usage error (exit 2) before anything is started: :func:`iso_datetime`,
:func:`marketplace`. How failures are printed and which exit code they give is decided once, in
``cli.main``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from ..config import AccountConfig, Settings, load_settings
from ..marketplaces import Marketplace, by_code, by_id

__all__ = ["CliState", "account_settings", "cli_state", "console", "err_console", "iso_datetime", "marketplace",
           "marketplace_ids", "settings_from", "settings_with_accounts", "use_stored_accounts"]

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)
    #: The accounts stored in the database (read once per invocation, when first needed).
    _stored_accounts: list[AccountConfig] | None = field(default=None, repr=False)
    #: ``settings()`` gives the stored accounts instead of the file's declarations.
    stored_accounts_only: bool = False

    def file_settings(self) -> Settings:
        """The configuration as written: ``accounts`` are the file's declarations."""
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def settings(self) -> Settings:
        return self.settings_with_accounts() if self.stored_accounts_only else self.file_settings()

    def stored_accounts(self) -> list[AccountConfig]:
        if self._stored_accounts is None:
            self._stored_accounts = asyncio.run(_read_accounts(self.file_settings()))
        return self._stored_accounts

    def settings_with_accounts(self) -> Settings:
        return self.file_settings().model_copy(update={"accounts": self.stored_accounts()})


async def _read_accounts(settings: Settings) -> list[AccountConfig]:
    from ..store.database import database_url
    from ..store.pool import open_store

    async with open_store(database_url(settings)) as store, store.session() as tx:
        stored = await tx.accounts.list_accounts(active_only=True)
    return [account.as_config() for account in stored]


def cli_state(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        state = CliState()
        ctx.find_root().obj = state
    return state


def settings_from(ctx: typer.Context) -> Settings:
    """The validated settings of this invocation (ConfigurationError is reported by ``main``)."""
    return cli_state(ctx).settings()


def use_stored_accounts(ctx: typer.Context) -> None:
    """From now on :func:`settings_from` gives the database's accounts (a group callback)."""
    cli_state(ctx).stored_accounts_only = True


def settings_with_accounts(ctx: typer.Context) -> Settings:
    """The settings with the accounts stored in the database (the file's are declarations)."""
    return cli_state(ctx).settings_with_accounts()


def account_settings(ctx: typer.Context, name: str, *, option: str = "--account"
                     ) -> tuple[Settings, AccountConfig]:
    """The settings with the stored accounts, and the account ``name``; a usage error naming
    what to run when it is not stored."""
    state = cli_state(ctx)
    settings = state.settings_with_accounts()
    for account in settings.accounts:
        if account.name == name:
            return settings, account
    known = ", ".join(a.name for a in settings.accounts) or "none yet"
    if any(a.name == name for a in state.file_settings().accounts):
        hint = ("it is declared in the configuration file but not stored yet: run "
                f"`amazon-odoo-sync accounts import {name}`, then `accounts add {name}` with its "
                "credentials")
    else:
        hint = f"add it with `amazon-odoo-sync accounts add {name} --region ... --marketplace ...`"
    raise typer.BadParameter(f"unknown account {name!r} (stored accounts: {known}); {hint}",
                             param_hint=f"'{option}'")


def marketplace_ids(account: AccountConfig, chosen: Sequence[Marketplace] | None, *,
                    option: str = "--marketplace") -> list[str]:
    """The ids of ``chosen`` (default: all the account's marketplaces), each one of the account's."""
    if not chosen:
        return list(account.marketplaces)
    codes = ", ".join(by_id(m).code for m in account.marketplaces)
    for market in chosen:
        if market.region != account.region:
            raise typer.BadParameter(f"{market.code} is in region {market.region}; account "
                                     f"{account.name} is in {account.region} ({codes})",
                                     param_hint=f"'{option}'")
        if market.id not in account.marketplaces:
            raise typer.BadParameter(f"account {account.name} does not sell in {market.code} (its "
                                     f"marketplaces: {codes}); add it with `amazon-odoo-sync "
                                     f"accounts add {account.name} -m ...`", param_hint=f"'{option}'")
    return list(dict.fromkeys(m.id for m in chosen))


def iso_datetime(value: str) -> datetime:
    """``--since 2026-11-01`` (or with a time; UTC unless an offset is given)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO date like 2026-11-01 or 2026-11-01T12:00"
                                 ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def marketplace(value: str) -> Marketplace:
    """``--marketplace DE`` or an Amazon marketplace id."""
    try:
        return by_id(value) if len(value) > 3 else by_code(value)
    except KeyError as exc:
        raise typer.BadParameter(f"{exc.args[0]}; expected a code like DE or an id like "
                                 "A1PA6795UKMFR9") from None
