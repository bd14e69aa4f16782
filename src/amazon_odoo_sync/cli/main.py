"""The ``amazon-odoo-sync`` command. Each command group lives in its own module with ``register``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..exceptions import ConfigurationError, SyncError
from . import (
    accounts,
    demo,
    jobs,
    odoo,
    sandbox_odoo,
    sandbox_spapi,
    serve,
    setup,
    status,
    sync,
)
from .common import CliState, err_console

__all__ = ["app", "main"]

app = typer.Typer(
    name="amazon-odoo-sync",
    help="Amazon Seller Central (SP-API) <-> Odoo connector.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sandbox_app = typer.Typer(help="Stand-ins for Amazon and Odoo (demo and tests).", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c", envvar="AOS_CONFIG",
                                                help="TOML configuration file.")] = None,
) -> None:
    ctx.obj = CliState(config_path=config)


for module in (setup, accounts, jobs, status, serve, odoo, sync, demo):
    module.register(app)
for module in (sandbox_spapi, sandbox_odoo):
    module.register(sandbox_app)


def main() -> None:
    """Console entry point: known errors become one clear line and exit code 2, not a traceback."""
    try:
        # Without standalone mode click returns typer.Exit's code instead of exiting.
        returned = app(standalone_mode=False)
        if isinstance(returned, int) and not isinstance(returned, bool):
            sys.exit(returned)
    except ConfigurationError as exc:
        err_console.print(f"[bold red]Configuration error[/] {exc}")
        sys.exit(2)
    except SyncError as exc:
        err_console.print(f"[bold red]{type(exc).__name__}[/] {exc.message}")
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("Aborted.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
