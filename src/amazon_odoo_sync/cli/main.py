"""The ``amazon-odoo-sync`` command. Each command group lives in its own module with ``register``.

Every way a command can end is decided here, once, so commands added later behave the same:
usage errors (unknown command or option, a bad or missing value, ``typer.BadParameter`` raised by
a command) print click's short message and exit 2; a :class:`ConfigurationError` prints one
paragraph and exits 2 (the invocation or its configuration must change); any other
:class:`SyncError` prints one paragraph and exits 1 (runtime failure). An unexpected exception
prints one line naming it and exits 1; ``AOS_TRACEBACK=1`` shows its traceback instead. Help
texts are shown as written: their brackets (``[jobs] concurrency``) are not rich markup.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
import typer.main
from rich.markup import escape
from rich.text import Text

from ..exceptions import ConfigurationError, SyncError
from ..logs import configure_logging
from . import (
    accounts,
    demo,
    jobs,
    notifications,
    odoo,
    privacy,
    sandbox_odoo,
    sandbox_spapi,
    serve,
    setup,
    status,
    sync,
    users,
)
from .common import CliState, err_console

__all__ = ["PROG_NAME", "app", "click_command", "main", "run", "walk_commands"]

PROG_NAME = "amazon-odoo-sync"

app = typer.Typer(
    name=PROG_NAME,
    help="Amazon Seller Central (SP-API) <-> Odoo connector.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sandbox_app = typer.Typer(help="Stand-ins for Amazon and Odoo (demo and tests).", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


def _version() -> str:
    try:
        return version(PROG_NAME)
    except PackageNotFoundError:  # running from a source tree that is not installed
        from .. import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        print(f"{PROG_NAME} {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c", envvar="AOS_CONFIG",
                                                help="TOML configuration file.")] = None,
    _version_flag: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version,
        help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = CliState(config_path=config)


for module in (setup, accounts, users, jobs, status, serve, odoo, sync, notifications, demo, privacy):
    module.register(app)
for module in (sandbox_spapi, sandbox_odoo):
    module.register(sandbox_app)


def walk_commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (command path, click command) of the tree, groups included, depth first."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk_commands(sub, (*path, name))


def click_command() -> Any:
    """The click command tree of ``app``, its help texts escaped for rich."""
    root = typer.main.get_command(app)
    for _, command in walk_commands(root):
        for attr in ("help", "short_help", "epilog"):
            if getattr(command, attr, None):
                setattr(command, attr, escape(getattr(command, attr)))
        for param in command.params:
            if getattr(param, "help", None):
                param.help = escape(param.help)
    return root


def _fail(label: str, message: str) -> None:
    # Messages carry user input and regular expressions ("[a-z0-9]"): never read them as markup.
    err_console.print(Text.assemble((label, "bold red"), " ", message), highlight=False)


def run(args: Sequence[str] | None = None) -> int:
    """Run one command line (default: ``sys.argv``); print any failure; return the exit code."""
    with _cli_logging():
        return _run(args)


@contextlib.contextmanager
def _cli_logging() -> Iterator[None]:
    """Warnings and errors on stderr (unconfigured, structlog prints debug lines on stdout);
    commands that log more (worker, serve) configure their own. The previous configuration is
    put back afterwards: ``run`` is also called in-process (tests)."""
    previous = structlog.get_config() if structlog.is_configured() else None
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    # configure_logging captures warnings; stop again only if nobody did before.
    capturing = getattr(logging, "_warnings_showwarning", None) is not None
    configure_logging("warning", "console")  # to the stderr of the moment (logs._CurrentStderr)
    try:
        yield
    finally:
        if previous is None:
            structlog.reset_defaults()
        else:
            structlog.configure(**previous)
        root.handlers[:] = handlers
        root.setLevel(level)
        if not capturing:
            logging.captureWarnings(False)


def _run(args: Sequence[str] | None) -> int:
    try:
        click_command().main(args=list(args) if args is not None else None, prog_name=PROG_NAME,
                             standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        err_console.print(str(code), markup=False, highlight=False)
        return 1
    except ConfigurationError as exc:
        _fail("Configuration error", str(exc))
        return 2
    except SyncError as exc:
        _fail(f"{type(exc).__name__}:", exc.message)
        return 1
    except Exception as exc:
        if os.environ.get("AOS_TRACEBACK"):
            raise
        _fail("Unexpected error:", f"{type(exc).__name__}: {exc}. This is a bug of amazon-odoo-sync; "
                                   "run again with AOS_TRACEBACK=1 to see where it happened.")
        return 1
    return 0


def main() -> None:
    """Console entry point."""
    try:
        code = run()
    finally:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Every command (worker, serve, a one-off sync) may have written metrics there: its
            # live gauges (circuit states...) must not outlive it.
            from ..metrics import process_exited

            process_exited()
    sys.exit(code)
