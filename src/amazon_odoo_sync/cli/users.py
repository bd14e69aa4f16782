"""Commands: ``users add|list|remove|set-password``: who may sign in to the dashboard.

Roles: ``viewer`` reads every page; ``operator`` also resolves quarantine items and replays
failed jobs; ``admin`` may do everything, including what later needs it. Passwords are asked
twice with hidden input on a terminal, or read as the first line of standard input otherwise
(``printf '%s\\n' "$PASSWORD" | amazon-odoo-sync users add ...``); never taken as an argument
(shell history, ``ps``) and never printed. Every change is audited; a new password or a removal
ends the user's sessions at once.
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import Annotated

import typer
from rich.table import Table

from ..passwords import hash_password, password_problem
from ..store import audit
from ..store import users as store_users
from ..store.database import database_url
from ..store.pool import open_store
from .common import console, settings_from

__all__ = ["read_password", "register"]

users_app = typer.Typer(help="Dashboard users: who may sign in, with which role.", no_args_is_help=True)


def _name(value: str) -> str:
    name = value.strip().lower()
    if not re.match(store_users.NAME_PATTERN, name):
        raise typer.BadParameter(f"{value!r}: a user name is 1 to 63 letters, digits and . _ @ -, "
                                 "starting with a letter or digit", param_hint="NAME")
    return name


def _role(value: str) -> store_users.Role:
    for role in store_users.ROLES:
        if value.lower() == role:
            return role
    raise typer.BadParameter(f"{value!r}: one of {', '.join(store_users.ROLES)}", param_hint="'--role'")


def read_password(name: str) -> str:
    """The new password of ``name``: prompted twice on a terminal, else stdin's first line."""
    if sys.stdin.isatty():
        password = str(typer.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        raise typer.BadParameter(problem, param_hint="password")
    return password


@users_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (lower case, e.g. alice).")],
    role_name: Annotated[str, typer.Option(
        "--role", help="viewer (reads), operator (also resolves and replays) or admin.",
        metavar="viewer|operator|admin")] = "viewer",
) -> None:
    """Add a dashboard user; the password is prompted (or read from standard input)."""
    name, role = _name(name), _role(role_name)
    settings = settings_from(ctx)
    url = database_url(settings)
    password_hash = hash_password(read_password(name))

    async def run() -> store_users.User | None:
        async with open_store(url) as store, store.transaction() as tx:
            user = await tx.users.add(name=name, role=role, password_hash=password_hash)
            if user is not None:
                await tx.audit.record(actor=audit.cli_actor(), action="users.add", object_type="user",
                                      object_key=name, details={"role": role})
            return user

    if asyncio.run(run()) is None:
        raise typer.BadParameter(f"user {name!r} exists; change the password with `amazon-odoo-sync users "
                                 f"set-password {name}` or remove the user first", param_hint="NAME")
    console.print(f"User [bold]{name}[/] added ({role}).", highlight=False)


@users_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Dashboard users, their role and last sign-in (never their password hash)."""
    url = database_url(settings_from(ctx))

    async def run() -> list[store_users.User]:
        async with open_store(url) as store, store.session() as tx:
            return await tx.users.list_users()

    found = asyncio.run(run())
    if not found:
        console.print("No dashboard user yet: `amazon-odoo-sync users add NAME --role admin`.",
                      markup=False)
        return
    table = Table("name", "role", "added", "last sign-in")
    for user in found:
        table.add_row(user.name, user.role, f"{user.created_at:%Y-%m-%d %H:%M}",
                      f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never")
    console.print(table)


@users_app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a dashboard user and end their sessions."""
    name = _name(name)
    url = database_url(settings_from(ctx))
    if not yes and not typer.confirm(f"Remove dashboard user {name}?"):
        raise typer.Abort()

    async def run() -> bool:
        async with open_store(url) as store, store.transaction() as tx:
            removed = await tx.users.remove(name)
            if removed:
                await tx.audit.record(actor=audit.cli_actor(), action="users.remove", object_type="user",
                                      object_key=name)
            return removed

    if not asyncio.run(run()):
        raise typer.BadParameter(f"no user named {name!r} (`amazon-odoo-sync users list`)", param_hint="NAME")
    console.print(f"User [bold]{name}[/] removed.", highlight=False)


@users_app.command("set-password")
def set_password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
) -> None:
    """Set a user's password (prompted, or read from standard input); ends their sessions."""
    name = _name(name)
    url = database_url(settings_from(ctx))

    async def exists() -> bool:
        async with open_store(url) as store, store.session() as tx:
            return await tx.users.get(name) is not None

    if not asyncio.run(exists()):
        raise typer.BadParameter(f"no user named {name!r} (`amazon-odoo-sync users list`)", param_hint="NAME")
    password_hash = hash_password(read_password(name))

    async def run() -> store_users.User | None:
        async with open_store(url) as store, store.transaction() as tx:
            user = await tx.users.set_password_hash(name, password_hash)
            if user is not None:
                await tx.audit.record(actor=audit.cli_actor(), action="users.set_password",
                                      object_type="user", object_key=name)
            return user

    if asyncio.run(run()) is None:
        raise typer.BadParameter(f"no user named {name!r}", param_hint="NAME")
    console.print(f"Password of [bold]{name}[/] changed; their sessions are ended.", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
