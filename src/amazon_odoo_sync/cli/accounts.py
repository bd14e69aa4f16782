"""Commands: ``accounts add|import|list|remove`` (seller accounts and their SP-API credentials).

The database is the one source of truth for accounts: every command and worker works the accounts
stored there. ``accounts import`` stores the configuration file's ``[[accounts]]`` declarations
(region, seller id, marketplaces; idempotent, credentials kept); commands never import them on
their own (a file edited later must not silently change what a running seller sells), they say
to run it. ``accounts add`` stores an account with its credentials, its defaults taken from the
file's declaration of the same name.

Secrets are read from environment variables named on the command line
(``--lwa-client-secret-env VAR``) or prompted with hidden input; they are never accepted as
command-line values (those end up in shell history and ``ps``) and never printed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from ..config import AccountConfig, Settings
from ..exceptions import ConfigurationError
from ..marketplaces import by_id
from ..store import accounts as store_accounts
from ..store import audit
from ..store.database import connect, database_url
from ..store.pool import open_store
from ..store.secrets import Secret, load_cipher
from .common import console, err_console, settings_from

__all__ = ["register"]

accounts_app = typer.Typer(help="Seller accounts and their SP-API credentials.",
                           no_args_is_help=True)


def _secret(env_var: str | None, label: str, *, option: str, required: bool) -> Secret | None:
    if env_var:
        value = os.environ.get(env_var, "")
        if not value:
            raise ConfigurationError(f"environment variable {env_var} is not set or empty",
                                     source=option)
        return Secret(value)
    if sys.stdin.isatty():
        return Secret(typer.prompt(label, hide_input=True))
    if required:
        raise ConfigurationError(f"no {label.lower()}: name an environment variable holding it "
                                 f"with {option} VAR (or run interactively to be prompted)",
                                 source=option)
    return None  # keep the stored one


def _account_config(settings: Settings, name: str, region: str | None,
                    marketplaces: list[str] | None, seller_id: str | None) -> AccountConfig:
    """Command-line values over the config file's ``[[accounts]]`` entry of the same name."""
    declared = next((a for a in settings.accounts if a.name == name), None)
    values: dict[str, Any] = declared.model_dump() if declared else {"name": name}
    if region:
        values["region"] = region.upper()
    if marketplaces:
        values["marketplaces"] = marketplaces
    if seller_id is not None:
        values["seller_id"] = seller_id
    try:
        return AccountConfig(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'account'}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigurationError(problems, source="accounts add") from None


def _codes(marketplace_ids: tuple[str, ...] | list[str]) -> str:
    codes = []
    for mid in marketplace_ids:
        try:
            codes.append(by_id(mid).code)
        except KeyError:
            codes.append(mid)
    return ", ".join(sorted(codes))


@accounts_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Account name (lower case, e.g. acme-eu).")],
    region: Annotated[str | None, typer.Option(help="NA, EU or FE (default: from config).")] = None,
    marketplace: Annotated[list[str] | None, typer.Option(
        "--marketplace", "-m", help="Marketplace code or id; repeat. Default: from config.")] = None,
    seller_id: Annotated[str | None, typer.Option(help="Amazon seller (merchant) id.")] = None,
    lwa_client_id: Annotated[str | None, typer.Option(help="LWA app client id.")] = None,
    lwa_client_secret_env: Annotated[str | None, typer.Option(
        help="Name of the environment variable holding the LWA client secret.")] = None,
    refresh_token_env: Annotated[str | None, typer.Option(
        help="Name of the environment variable holding the refresh token.")] = None,
) -> None:
    """Add an account, or update it (secrets not given are kept)."""
    settings = settings_from(ctx)
    config = _account_config(settings, name, region, marketplace, seller_id)
    url = database_url(settings)
    cipher = load_cipher(settings.secrets)

    async def run() -> store_accounts.Account:
        async with connect(url, autocommit=True) as conn:
            existing = await store_accounts.get(conn, name)
            client_id = lwa_client_id or (existing.lwa_client_id if existing else "")
            if not client_id:
                if not sys.stdin.isatty():
                    raise ConfigurationError(f"--lwa-client-id is required: account {name} has none "
                                             "stored yet", source="accounts add")
                client_id = typer.prompt("LWA client id")
            # Required when none is stored (a new account, or one stored by `accounts import`).
            secret = _secret(lwa_client_secret_env, "LWA client secret",
                             option="--lwa-client-secret-env",
                             required=existing is None or not existing.has_lwa_client_secret)
            token = _secret(refresh_token_env, "Refresh token", option="--refresh-token-env",
                            required=existing is None or not existing.has_refresh_token)
            async with conn.transaction():
                account = await store_accounts.upsert(
                    conn, cipher, name=config.name, region=config.region,
                    marketplaces=config.marketplaces, seller_id=config.seller_id,
                    lwa_client_id=client_id, lwa_client_secret=secret, refresh_token=token)
                await audit.record(
                    conn, actor=audit.cli_actor(),
                    action="accounts.update" if existing else "accounts.add",
                    object_type="account", object_key=name,
                    details={"region": account.region, "marketplaces": list(account.marketplaces),
                             "seller_id": account.seller_id,
                             "secrets_changed": [n for n, v in (("lwa_client_secret", secret),
                                                                ("refresh_token", token)) if v]})
            return account

    account = asyncio.run(run())
    console.print(f"Account [bold]{account.name}[/] stored ({account.region}: "
                  f"{_codes(account.marketplaces)}); credentials "
                  f"{'complete' if account.has_credentials else 'INCOMPLETE'}.")


@accounts_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Accounts in the database and in the configuration file (never their secrets)."""
    settings = settings_from(ctx)
    url = database_url(settings)

    async def run() -> list[store_accounts.Account]:
        async with open_store(url) as store, store.session() as tx:
            stored = await tx.accounts.list_accounts()
            await tx.audit.record(actor=audit.cli_actor(), action="accounts.list", object_type="account")
            return stored

    stored = asyncio.run(run())
    table = Table("name", "region", "seller id", "marketplaces", "LWA client id", "credentials",
                  "source")
    for account in stored:
        missing = [label for label, ok in (("client id", bool(account.lwa_client_id)),
                                           ("client secret", account.has_lwa_client_secret),
                                           ("refresh token", account.has_refresh_token)) if not ok]
        table.add_row(account.name, account.region, account.seller_id or "-",
                      _codes(account.marketplaces), account.lwa_client_id or "-",
                      "set" if not missing else "missing " + ", ".join(missing),
                      "database" if account.active else "database (inactive)")
    known = {a.name for a in stored}
    declared_only = [d for d in settings.accounts if d.name not in known]
    for declared in declared_only:
        table.add_row(declared.name, declared.region, declared.seller_id or "-",
                      _codes(declared.marketplaces), "-", "-", "config file only")
    console.print(table)
    if declared_only:
        console.print(f"Not used until stored: run `amazon-odoo-sync accounts import` for "
                      f"{', '.join(d.name for d in declared_only)}.", highlight=False)
    incomplete = [a.name for a in stored if not a.has_credentials]
    if incomplete:
        console.print("Credentials missing: `amazon-odoo-sync accounts add NAME --lwa-client-id ... "
                      "--lwa-client-secret-env VAR --refresh-token-env VAR` for "
                      f"{', '.join(incomplete)}.", highlight=False, markup=False)


@accounts_app.command("import")
def import_(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(
        help="Accounts to import (default: every [[accounts]] entry of the configuration file).",
        show_default=False)] = None,
) -> None:
    """Store the configuration file's [[accounts]] in the database (idempotent; credentials kept)."""
    settings = settings_from(ctx)
    declared = list(settings.accounts)
    if names:
        unknown = sorted(set(names) - {d.name for d in declared})
        if unknown:
            raise typer.BadParameter(
                f"not declared in the configuration file: {', '.join(unknown)} (declared: "
                f"{', '.join(d.name for d in declared) or 'none'})", param_hint="NAMES")
        declared = [d for d in declared if d.name in names]
    if not declared:
        raise ConfigurationError("no [[accounts]] entry to import (see `amazon-odoo-sync init` for "
                                 "an example), or add one with `amazon-odoo-sync accounts add`",
                                 field="accounts")
    url = database_url(settings)

    async def run() -> tuple[dict[str, str], list[store_accounts.Account]]:
        async with open_store(url) as store, store.transaction() as tx:
            outcome = await tx.accounts.import_declared(declared)
            changed = {n: o for n, o in outcome.items() if o != "unchanged"}
            if changed:
                await tx.audit.record(actor=audit.cli_actor(), action="accounts.import", object_type="account",
                                      details={"accounts": changed})
            return outcome, [a for a in await tx.accounts.list_accounts() if a.name in outcome]

    outcome, stored = asyncio.run(run())
    for account in stored:
        console.print(f"{account.name}: {outcome[account.name]} ({account.region}: "
                      f"{_codes(account.marketplaces)}); credentials "
                      f"{'complete' if account.has_credentials else 'missing'}.", highlight=False)
    incomplete = [a.name for a in stored if not a.has_credentials]
    if incomplete:
        console.print("Store their credentials with `amazon-odoo-sync accounts add NAME --lwa-client-id "
                      "... --lwa-client-secret-env VAR --refresh-token-env VAR`.", markup=False)


@accounts_app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Account name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an account and its stored credentials (sync history is kept)."""
    settings = settings_from(ctx)
    if not yes and not sys.stdin.isatty():
        raise typer.BadParameter("no terminal to confirm in: add --yes to remove the account",
                                 param_hint="'--yes'")
    if not yes and not typer.confirm(f"Remove account {name} and its credentials?"):
        raise typer.Abort()
    url = database_url(settings)

    async def run() -> bool:
        async with connect(url) as conn, conn.transaction():
            removed = await store_accounts.remove(conn, name)
            if removed:
                await audit.record(conn, actor=audit.cli_actor(), action="accounts.remove",
                                   object_type="account", object_key=name)
            return removed

    if not asyncio.run(run()):
        err_console.print(f"No account named {name!r}.")
        raise typer.Exit(1)
    console.print(f"Account [bold]{name}[/] removed.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(accounts_app, name="accounts")
