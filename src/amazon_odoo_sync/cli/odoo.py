"""Commands: ``odoo setup [--check]`` (the checklist) and ``odoo set-key`` (store the API key)."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..config import Settings
from ..odoo.factory import API_KEY_ENV, client_from_settings, resolve_api_key
from ..odoo.setup import SetupResult, ensure_odoo_setup
from .common import console, settings_from, settings_with_accounts

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


def _db_url(settings: Settings) -> str | None:
    if os.environ.get(API_KEY_ENV):
        return None
    from ..store.database import database_url

    return database_url(settings)


async def _setup(settings: Settings, check_only: bool) -> SetupResult:
    api_key = await resolve_api_key(settings, _db_url(settings))
    async with client_from_settings(settings, api_key) as client:
        return await ensure_odoo_setup(client, settings, check_only=check_only)


def _setup_command(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Only check; change nothing.")] = False,
) -> None:
    """Check the Odoo database for what the connector needs; create what is missing.

    Apps (sale_management, stock, account) are reported, never installed.
    """
    settings = settings_with_accounts(ctx)
    result = asyncio.run(_setup(settings, check))
    console.print(render_checklist(result))
    summary = (f"{result.count('present')} present, {result.count('created')} created, "
               f"{result.count('missing')} missing, {result.count('error')} errors")
    console.print(summary)
    if result.missing_modules:
        console.print("[red]Install these apps in Odoo first:[/] " + ", ".join(result.missing_modules))
    if not result.ok:
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
    async with client_from_settings(settings, api_key) as client:
        return await client.authenticate()


def _set_key_command(
    ctx: typer.Context,
    verify: Annotated[bool, typer.Option(help="Check the key against Odoo before storing it.")] = True,
) -> None:
    """Store the Odoo API key (encrypted) for the configured [odoo] url, database and user.

    The key is read from the prompt (hidden) or from stdin; never pass it as an argument.
    """
    settings = settings_from(ctx)
    api_key = typer.prompt("Odoo API key", hide_input=True).strip()
    if not api_key:
        raise typer.BadParameter("empty API key")
    if verify:
        uid = asyncio.run(_verify(settings, api_key))
        console.print(f"[green]✓[/] Odoo accepted the key (user id {uid})")
    asyncio.run(_store_key(settings, api_key))
    console.print(f"[green]✓[/] API key stored (encrypted) for {settings.odoo.user}@"
                  f"{settings.odoo.url}/{settings.odoo.database}")


odoo_app.command("setup")(_setup_command)
odoo_app.command("set-key")(_set_key_command)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(odoo_app, name="odoo")
