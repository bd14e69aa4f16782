"""Commands: ``odoo setup [--check]`` (the checklist) and ``odoo set-key`` (store the API key)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..config import Settings
from ..exceptions import SyncError
from ..odoo.factory import OdooLogin, choose_login, client_from_settings
from ..odoo.setup import SetupResult, ensure_odoo_setup
from ..store.credentials import read_odoo_credentials
from ..store.database import database_url
from .common import CliState, cli_state, console, settings_from

__all__ = ["register", "render_checklist"]

odoo_app = typer.Typer(help="Odoo: check and prepare the database, store the API key.",
                       no_args_is_help=True)

_SYMBOLS = {"present": "[green]✓[/]", "created": "[cyan]+[/]", "missing": "[red]✗[/]",
            "error": "[bold red]![/]"}


def render_checklist(result: SetupResult) -> Table:
    """The checklist as a rich table: ✓ present, + created, ✗ missing (would be created), ! error."""
    title = "Odoo setup check (read-only)" if result.check_only else "Odoo setup"
    table = Table(title=title, show_lines=False)
    for column in ("", "Section", "What", "Name", "Id", "Note"):
        table.add_column(column)
    for item in result.items:
        note = item.detail
        if item.status == "missing" and result.check_only and item.can_create and not note:
            note = "would be created"
        table.add_row(_SYMBOLS[item.status], escape(item.section), escape(item.what),
                      escape(item.name), str(item.record_id or ""), escape(note))
    return table


@dataclass
class Readiness:
    """What ``odoo setup`` found besides the Odoo checklist, in the order to fix it."""

    #: (rank, text): configuration 1, database 2, API key 3, Odoo login 4, accounts 5,
    #: credentials 6, Odoo apps 7. Found in another order, shown in this one.
    found: list[tuple[int, str]] = field(default_factory=list)
    result: SetupResult | None = None

    def add(self, rank: int, problem: str) -> None:
        self.found.append((rank, problem))

    @property
    def problems(self) -> list[str]:
        return [text for _, text in sorted(self.found, key=lambda item: item[0])]


def _local_readiness(state: CliState, found: Readiness) -> tuple[Settings, str | None]:
    """Configuration, database, seller accounts: the settings with the stored accounts (when the
    database answers) and the database URL (None when it does not)."""
    settings = state.file_settings()
    odoo = settings.odoo
    if not odoo.database:
        found.add(1, f"[odoo] database is empty: set it to the name of your Odoo database in "
                              f"{state.config_path or 'the configuration file'} (or AOS_ODOO__DATABASE).")
    try:
        db_url = database_url(settings)
        stored = state.stored_accounts()
    except SyncError as exc:
        found.add(2, f"database: {exc.message}.")
        return settings, None
    names = {a.name for a in stored}
    declared = [a.name for a in settings.accounts if a.name not in names]
    if declared:
        found.add(5, f"accounts declared in the configuration file but not stored: "
                              f"{', '.join(declared)}: run `amazon-odoo-sync accounts import`.")
    elif not stored:
        found.add(5, "no seller account stored: add one with `amazon-odoo-sync accounts add "
                              "NAME --region ... --marketplace ...` (or declare it in the "
                              "configuration file and run `accounts import`).")
    return state.settings_with_accounts(), db_url


async def _odoo_readiness(settings: Settings, db_url: str | None, found: Readiness,
                          check_only: bool) -> None:
    """API key, accounts' credentials, Odoo login, then the checklist (when Odoo lets us in)."""
    odoo = settings.odoo
    login: OdooLogin | None = None
    try:
        # The workers' rule (odoo.factory.choose_login): the stored key first, then the environment.
        stored = await read_odoo_credentials(db_url, settings.secrets) if db_url is not None else None
        login = choose_login(settings, stored)
    except SyncError as exc:
        if db_url is not None:  # with the database unreachable, whether a key is stored is unknown
            found.add(3, f"{exc.message}.")
    if db_url is not None:
        incomplete = await _incomplete_credentials(db_url)
        if incomplete:
            found.add(6, f"accounts without complete SP-API credentials: {', '.join(incomplete)}: "
                                  "run `amazon-odoo-sync accounts add NAME --lwa-client-id ... "
                                  "--lwa-client-secret-env VAR --refresh-token-env VAR`.")
    if login is None or not (odoo.database and login.database):
        return
    async with client_from_settings(settings, login) as client:
        try:
            await client.authenticate()
        except SyncError as exc:
            found.add(4, f"Odoo at {login.url}, database {login.database!r}, "
                                  f"user {login.user!r}: {exc.message}.")
            return
        found.result = await ensure_odoo_setup(client, settings, check_only=check_only)


async def _incomplete_credentials(db_url: str) -> list[str]:
    from ..store import accounts as store_accounts
    from ..store.database import connect

    async with connect(db_url, autocommit=True) as conn:
        return [a.name for a in await store_accounts.list_accounts(conn, active_only=True)
                if not a.has_credentials]


def _readiness(state: CliState, check_only: bool) -> Readiness:
    """Every prerequisite, each checked even when an earlier one failed (one run shows all)."""
    found = Readiness()
    settings, db_url = _local_readiness(state, found)
    asyncio.run(_odoo_readiness(settings, db_url, found, check_only))
    return found


def _setup_command(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Only check; change nothing in Odoo.")] = False,
) -> None:
    """Check the Odoo database for what the connector needs; create what is missing.

    Everything missing is reported in one run, in the order to fix it: configuration, database,
    API key, Odoo login, seller accounts, then Odoo's apps and records. Apps (sale_management,
    stock, account) are reported, never installed.
    """
    found = _readiness(cli_state(ctx), check)
    result = found.result
    if result is not None:
        console.print(render_checklist(result))
        console.print(f"{result.count('present')} present, {result.count('created')} created, "
                      f"{result.count('missing')} missing, {result.count('error')} errors")
        if result.missing_modules:
            found.add(7, "install these apps in Odoo: " + ", ".join(result.missing_modules) + ".")
    problems = found.problems
    if problems:
        console.print(f"[bold red]{len(problems)} thing(s) to fix[/], in this order:")
        for number, problem in enumerate(problems, 1):
            console.print(f" {number}. {escape(problem)}", highlight=False)
        if result is None:
            console.print("The Odoo checklist runs once Odoo accepts the login.")
    if problems or result is None or not result.ok:
        raise typer.Exit(1)


async def _store_key(settings: Settings, api_key: str) -> None:
    from ..store.credentials import set_odoo_api_key
    from ..store.database import connect, database_url
    from ..store.secrets import Secret, load_cipher

    cipher = load_cipher(settings.secrets)
    async with connect(database_url(settings)) as conn:
        await set_odoo_api_key(conn, cipher, url=settings.odoo.url, database=settings.odoo.database,
                               user=settings.odoo.user, api_key=Secret(api_key))
        await conn.commit()


async def _verify(settings: Settings, api_key: str) -> int:
    async with client_from_settings(settings, OdooLogin.configured(settings, api_key)) as client:
        return await client.authenticate()


def _read_key(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        key = sys.stdin.readline().strip()
        if not key:
            raise typer.BadParameter(
                "no API key on standard input: pipe it in (`printf %s \"$KEY\" | amazon-odoo-sync odoo "
                "set-key --stdin`) or run the command in a terminal to be prompted", param_hint="stdin")
        return key
    key = str(typer.prompt("Odoo API key", hide_input=True)).strip()
    if not key:
        raise typer.BadParameter("empty API key", param_hint="prompt")
    return key


def _set_key_command(
    ctx: typer.Context,
    verify: Annotated[bool, typer.Option(help="Check the key against Odoo before storing it.")] = True,
    from_stdin: Annotated[bool, typer.Option(
        "--stdin", help="Read the key from standard input (the default without a terminal).")] = False,
) -> None:
    """Store the Odoo API key (encrypted) for the configured [odoo] url, database and user.

    The key is read from the prompt (hidden) or, without a terminal or with --stdin, from the
    first line of standard input; never pass it as an argument.
    """
    settings = settings_from(ctx)
    api_key = _read_key(from_stdin)
    if verify:
        uid = asyncio.run(_verify(settings, api_key))
        console.print(f"[green]✓[/] Odoo accepted the key (user id {uid})")
    asyncio.run(_store_key(settings, api_key))
    console.print(f"[green]✓[/] API key stored (encrypted) for {escape(settings.odoo.user)}@"
                  f"{escape(settings.odoo.url)}/{escape(settings.odoo.database)}")


odoo_app.command("setup")(_setup_command)
odoo_app.command("set-key")(_set_key_command)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(odoo_app, name="odoo")
