"""Commands: ``init``, ``db upgrade``, ``db stop-embedded``, ``secrets rotate-key|new-key``.

Commands that reach the database write an audit_log row; ``init``, ``secrets new-key`` and
``db stop-embedded`` do not (no database yet / none needed / the database is going away).
"""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..config import DEFAULT_CONFIG_FILE
from ..store import audit
from ..store.database import connect, database_url
from ..store.pool import open_store
from .common import console, err_console, settings_from

__all__ = ["config_template", "register"]

db_app = typer.Typer(help="Database: migrations, embedded server.", no_args_is_help=True)
secrets_app = typer.Typer(help="Encryption key of stored credentials.", no_args_is_help=True)


def config_template() -> str:
    """The commented example configuration written by ``init``."""
    return resources.files("amazon_odoo_sync.cli").joinpath("config_template.toml").read_text()


async def _audit(url: str, action: str, **fields: Any) -> None:
    async with open_store(url) as store, store.session() as tx:
        await tx.audit.record(actor=audit.cli_actor(), action=action, **fields)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the configuration.")] =
        DEFAULT_CONFIG_FILE,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example configuration file (every setting, explained)."""
    if path.exists() and not force:
        err_console.print(f"[bold red]{path} exists[/]; use --force to overwrite it.")
        raise typer.Exit(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_template())
    console.print(f"Wrote {path}. Next: edit it, then `amazon-odoo-sync db upgrade` and "
                  "`amazon-odoo-sync accounts add NAME ...`.")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or update the database schema (idempotent)."""
    from ..store.migrate import current_revision, upgrade

    url = database_url(settings_from(ctx))
    before = current_revision(url)
    upgrade(url)
    after = current_revision(url)
    asyncio.run(_audit(url, "db.upgrade", object_type="database", object_key=after,
                       details={"from": before, "to": after}))
    if before == after:
        console.print(f"Database already at revision [bold]{after}[/].")
    else:
        console.print(f"Database upgraded from {before or 'empty'} to revision [bold]{after}[/].")


@db_app.command("stop-embedded")
def db_stop_embedded(ctx: typer.Context) -> None:
    """Stop the embedded PostgreSQL (it otherwise keeps running between commands)."""
    from ..store.embedded import stop_embedded_postgres

    settings = settings_from(ctx)
    if stop_embedded_postgres(settings.database.embedded_dir):
        console.print(f"Stopped the embedded PostgreSQL of {settings.database.embedded_dir}.")
    else:
        console.print(f"No embedded PostgreSQL running for {settings.database.embedded_dir}.")


@secrets_app.command("rotate-key")
def secrets_rotate_key(ctx: typer.Context) -> None:
    """Re-encrypt every stored secret under a new key (prints counts, never secrets)."""
    from ..store.secrets import rotate_key

    settings = settings_from(ctx)
    url = database_url(settings)

    async def run() -> Any:
        async with connect(url, autocommit=True) as conn:
            result = await rotate_key(conn, settings.secrets)
            await audit.record(conn, actor=audit.cli_actor(), action="secrets.rotate_key",
                               object_type="secrets", details={"counts": result.counts})
            return result

    result = asyncio.run(run())
    table = Table("column", "values re-encrypted")
    for column, count in result.counts.items():
        table.add_row(column, str(count))
    console.print(table)
    if result.key_file is not None:
        console.print(f"New key written to {result.key_file}; {result.total} values re-encrypted.")
    else:
        console.print(f"{result.total} values re-encrypted with the first key of AOS_SECRETS__KEY; "
                      "older keys can now be removed from it.")


@secrets_app.command("new-key")
def secrets_new_key() -> None:
    """Print a fresh Fernet key (to put first in AOS_SECRETS__KEY before `rotate-key`)."""
    from ..store.secrets import new_key

    print(new_key())


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("init")(init)
    app.add_typer(db_app, name="db")
    app.add_typer(secrets_app, name="secrets")
